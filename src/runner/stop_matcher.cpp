// Stop strings over a held-back tail: the longest suffix that is a prefix of a stop string.
#include <solar/runner/stop_matcher.hpp>

#include <algorithm>

namespace solar::runner {

stop_matcher::stop_matcher(std::vector<std::string> stops) {
    for (auto& s : stops) {
        if (!s.empty()) stops_.push_back(std::move(s));
    }
}

stop_matcher::result stop_matcher::feed(std::string_view text) {
    result out;
    if (stopped_) return out;
    held_.append(text);
    std::size_t first = std::string::npos;
    for (const auto& s : stops_) first = std::min(first, held_.find(s));
    if (first != std::string::npos) {
        out.emit = held_.substr(0, first);
        out.stopped = true;
        stopped_ = true;
        held_.clear();
        return out;
    }
    // Hold the longest tail that a later piece could complete into a stop string.
    std::size_t hold = 0;
    for (const auto& s : stops_) {
        for (std::size_t n = std::min(s.size() - 1, held_.size()); n > hold; --n) {
            if (std::string_view(held_).substr(held_.size() - n) ==
                std::string_view(s).substr(0, n)) {
                hold = n;
                break;
            }
        }
    }
    out.emit = held_.substr(0, held_.size() - hold);
    held_.erase(0, held_.size() - hold);
    return out;
}

std::string stop_matcher::flush() {
    if (stopped_) return {};
    return std::exchange(held_, {});
}

}  // namespace solar::runner
