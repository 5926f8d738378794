// Host log line parsing, client tagging, sequence tracking and reconnect back-off.
#include <solar/control/log_line.hpp>

#include <nlohmann/json.hpp>

#include <algorithm>

namespace solar::control {

std::optional<host_log_line> parse_host_log_line(std::string_view text) {
    auto doc = nlohmann::json::parse(text, nullptr, false);
    if (doc.is_discarded() || !doc.is_object()) return std::nullopt;
    auto seq = doc.find("seq");
    auto line = doc.find("line");
    if (seq == doc.end() || !seq->is_number_unsigned()) return std::nullopt;
    if (line == doc.end() || !line->is_string()) return std::nullopt;
    host_log_line out;
    out.seq = seq->get<std::uint64_t>();
    out.line = line->get<std::string>();
    if (auto ts = doc.find("ts"); ts != doc.end() && ts->is_string())
        out.ts = ts->get<std::string>();
    if (auto stream = doc.find("stream"); stream != doc.end() && stream->is_string()) {
        out.stream = stream->get<std::string>();
    }
    return out;
}

std::string tagged_log_message(const log_source& source, const host_log_line& line) {
    nlohmann::ordered_json doc;
    doc["host_id"] = source.host_id;
    doc["host_name"] = source.host_name;
    doc["instance_id"] = source.instance_id;
    doc["alias"] = source.alias;
    doc["seq"] = line.seq;
    doc["ts"] = line.ts;
    doc["stream"] = line.stream;
    doc["line"] = line.line;
    return doc.dump(-1, ' ', false, nlohmann::ordered_json::error_handler_t::replace);
}

std::uint64_t sequence_tracker::begin_connection() {
    asked_since_ = next_since();
    first_after_connect_ = true;
    return asked_since_;
}

sequence_tracker::verdict sequence_tracker::on_line(std::uint64_t seq) {
    bool first = first_after_connect_;
    first_after_connect_ = false;
    if (!last_) {
        // Nothing seen yet: whatever the host still holds is welcome.
        last_ = seq;
        return verdict::accept;
    }
    if (first && seq < asked_since_) {
        last_.reset();
        return verdict::resubscribe;
    }
    if (seq <= *last_) return verdict::drop;
    bool gap = seq > *last_ + 1;
    last_ = seq;
    return gap ? verdict::accept_gap : verdict::accept;
}

void sequence_tracker::skip_unreadable() {
    if (last_) ++*last_;
}

std::chrono::milliseconds reconnect_backoff::next() {
    auto delay = next_;
    next_ = std::min(max_, next_ * 2);
    return delay;
}

}  // namespace solar::control
