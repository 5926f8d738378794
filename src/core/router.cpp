// Segment-by-segment route matching with captured parameters.
#include <solar/core/router.hpp>

#include <array>
#include <stdexcept>

namespace solar::core {

namespace {

// A path's segments, held inline: matching runs on every request and should not allocate.
// Paths deeper than any route could be are marked as such and match nothing.
class path_segments {
public:
    explicit path_segments(std::string_view path) {
        std::size_t start = 0;
        while (start < path.size()) {
            if (path[start] == '/') {
                ++start;
                continue;
            }
            auto end = path.find('/', start);
            if (end == std::string_view::npos) end = path.size();
            if (count_ == parts_.size()) {
                too_deep_ = true;
                return;
            }
            parts_[count_++] = path.substr(start, end - start);
            start = end;
        }
    }

    bool too_deep() const { return too_deep_; }
    std::size_t size() const { return count_; }
    std::string_view operator[](std::size_t i) const { return parts_[i]; }
    const std::string_view* begin() const { return parts_.data(); }
    const std::string_view* end() const { return parts_.data() + count_; }

private:
    std::array<std::string_view, 32> parts_{};
    std::size_t count_ = 0;
    bool too_deep_ = false;
};

bool is_capture(std::string_view segment) {
    return segment.size() > 2 && segment.front() == '{' && segment.back() == '}';
}

bool match_segments(const route& r, const path_segments& parts, route_params& out) {
    if (parts.too_deep() || r.segments.size() != parts.size()) return false;
    route_params params;
    for (std::size_t i = 0; i < parts.size(); ++i) {
        const auto& segment = r.segments[i];
        if (is_capture(segment)) {
            params.emplace_back(segment.substr(1, segment.size() - 2), std::string(parts[i]));
        } else if (segment != parts[i]) {
            return false;
        }
    }
    out = std::move(params);
    return true;
}

}  // namespace

void router::add(http::verb method, std::string pattern, handler run, route_options options) {
    route r{method, std::move(pattern), std::move(run), options, {}};
    path_segments parts(r.pattern);
    if (parts.too_deep()) throw std::invalid_argument("route pattern too deep: " + r.pattern);
    for (auto part : parts) r.segments.emplace_back(part);
    routes_.push_back(std::move(r));
}

route_match router::match(http::verb method, std::string_view path) const {
    path_segments parts(path);
    route_match result;
    for (const auto& r : routes_) {
        route_params params;
        if (!match_segments(r, parts, params)) continue;
        if (r.method == method) {
            result.matched = &r;
            result.params = std::move(params);
            return result;
        }
        result.path_known = true;
        result.allowed.emplace_back(http::to_string(r.method));
    }
    return result;
}

}  // namespace solar::core
