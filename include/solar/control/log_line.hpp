// Upstream log lines: parsing solar-host's messages, tagging them for clients, and the
// sequence-number and back-off rules of one subscription. Pure; the I/O lives in log_fanin.
#pragma once

#include <chrono>
#include <cstdint>
#include <optional>
#include <string>
#include <string_view>

namespace solar::control {

// One line as solar-host sends it on WS /instances/{id}/logs.
struct host_log_line {
    std::uint64_t seq = 0;
    std::string ts;
    std::string stream;  // "stdout" or "stderr"
    std::string line;
};

// Parses {"seq":N,"ts":"...","stream":"...","line":"..."}. Returns nullopt when the text is not
// such an object: seq must be a non-negative integer and line a string; ts and stream may be
// missing (then empty).
std::optional<host_log_line> parse_host_log_line(std::string_view text);

// Where a line came from, as clients see it.
struct log_source {
    std::string host_id;
    std::string host_name;
    std::string instance_id;
    std::string alias;

    bool operator==(const log_source&) const = default;
};

// The message clients receive:
// {"host_id","host_name","instance_id","alias","seq","ts","stream","line"}. Invalid UTF-8 in
// the line (a process may print anything) becomes U+FFFD instead of failing.
std::string tagged_log_message(const log_source& source, const host_log_line& line);

// Decides, line by line, what a subscription keeps, and where to resume after a reconnect.
// Host sequence numbers only grow while the host runs; a host restart may start them over.
class sequence_tracker {
public:
    enum class verdict {
        accept,      // a new line, in order
        accept_gap,  // a new line, but the host no longer held some lines we had not seen
        drop,        // seen already (the host replays from `since`, and replays may overlap)
        // The first line after a reconnect is older than asked for: the host restarted and
        // numbers from scratch. The line is not taken; reconnect at once from next_since(),
        // which is now 0, so that no line the restarted host holds is lost.
        resubscribe,
    };

    // Starts a connection; returns the `since` to ask for: one past the last accepted line,
    // or 0 before any line was accepted.
    std::uint64_t begin_connection();

    // The verdict for the next line received on the current connection.
    verdict on_line(std::uint64_t seq);

    // A message that could not be read (too large) is skipped: resume one past it. Only
    // possible once a line was accepted, since the host sends lines in order.
    void skip_unreadable();

    // The `since` the next connection would ask for.
    std::uint64_t next_since() const { return last_ ? *last_ + 1 : 0; }
    std::optional<std::uint64_t> last_seq() const { return last_; }

private:
    std::optional<std::uint64_t> last_;
    std::uint64_t asked_since_ = 0;
    bool first_after_connect_ = false;
};

// Reconnect delays: doubling from `initial` up to `max`, back to `initial` after a success.
class reconnect_backoff {
public:
    reconnect_backoff(std::chrono::milliseconds initial, std::chrono::milliseconds max)
        : initial_(initial), max_(max), next_(initial) {}

    // The delay to wait before the next attempt.
    std::chrono::milliseconds next();
    // A connection succeeded: the next failure waits `initial` again.
    void reset() { next_ = initial_; }

private:
    std::chrono::milliseconds initial_;
    std::chrono::milliseconds max_;
    std::chrono::milliseconds next_;
};

}  // namespace solar::control
