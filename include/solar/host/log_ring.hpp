// Per-instance in-memory ring of recent log lines, numbered so that WS clients can resume.
#pragma once

#include <nlohmann/json.hpp>

#include <cstddef>
#include <cstdint>
#include <deque>
#include <functional>
#include <memory>
#include <mutex>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

namespace solar::host {

// One line an instance (or solar-host about it) wrote.
struct log_entry {
    std::uint64_t seq = 0;   // 1, 2, ...: strictly increasing per instance, never reused
    std::int64_t ts_ms = 0;  // unix time in milliseconds
    std::string stream;      // "stdout", "stderr", or "host" for lines solar-host writes
    std::string line;        // valid UTF-8, no line break (see clean_log_line)

    bool operator==(const log_entry&) const = default;
};

// Longest line kept, in bytes; longer lines are truncated (not split), see clean_log_line.
inline constexpr std::size_t max_log_line_bytes = 64 * 1024;
// What ends a truncated line, so readers see that something is missing.
inline constexpr std::string_view log_line_truncated_marker = " [truncated]";

// The line as it is stored: trailing "\r"/"\n" removed, other "\r" and "\n" turned into
// spaces (a line never breaks the one-line-per-entry log file), invalid UTF-8 bytes replaced
// by U+FFFD, and, when longer than max_log_line_bytes, cut at a character boundary and ended
// with log_line_truncated_marker (the result is then at most max_log_line_bytes long).
std::string clean_log_line(std::string_view raw);

// "2025-02-20T10:11:12.345Z": ISO-8601 UTC with milliseconds.
std::string format_utc_ms(std::int64_t unix_ms);

// The unix milliseconds of a "YYYY-MM-DDTHH:MM:SS.mmmZ" text as format_utc_ms writes it
// (the fraction may have 0 to 9 digits); nullopt for anything else.
std::optional<std::int64_t> parse_utc_ms(std::string_view text);

// The current unix time in milliseconds, the ring's default clock.
std::int64_t system_clock_ms();

// {"seq":N,"ts":"<ISO-8601 UTC ms>","stream":"...","line":"..."}: the message of
// WS /instances/{id}/logs, as solar-control's parse_host_log_line reads it (seq an unsigned
// integer, ts a string). Extra: "ts_ms", the same time as unix milliseconds.
nlohmann::json to_json(const log_entry& entry);

// A bounded, thread-safe ring of one instance's latest lines. Appends come from the threads
// reading the child's pipes; readers are WS sessions. Holds no networking: live readers
// subscribe a callback, which is a wake-up telling them to call since() again.
class log_ring {
public:
    using clock = std::function<std::int64_t()>;  // unix milliseconds
    // Called after each append with the seq just appended, outside the ring's lock, on the
    // appending thread. It must be quick and must not block (post to a strand, cancel a
    // timer); it must not call subscribe or unsubscribe. Callbacks from two appending threads
    // may arrive in either order, so read the lines with since(), not from the argument.
    using subscriber = std::function<void(std::uint64_t seq)>;
    using subscription_id = std::uint64_t;

    // A ring holding at most `capacity` lines (at least 1) whose first line will be seq 1.
    explicit log_ring(std::size_t capacity, clock now = system_clock_ms);

    // Stores the line (cleaned by clean_log_line) with the next seq and the clock's time,
    // dropping the oldest line when full, wakes the subscribers, and returns the entry.
    log_entry append(std::string_view stream, std::string_view line);

    // Held entries with seq > `after`, oldest first, at most `max` of them (the oldest ones,
    // so that a reader can page forward). since(0, n) starts from the oldest line held.
    std::vector<log_entry> since(std::uint64_t after, std::size_t max) const;

    // The newest `n` entries held (fewer if the ring holds fewer), oldest first.
    std::vector<log_entry> last(std::size_t n) const;

    // The seq the next append will get.
    std::uint64_t next_seq() const;

    // The oldest seq held, or nullopt when empty. A reader that asked since(s) with
    // s + 1 < oldest_seq() missed lines that were dropped.
    std::optional<std::uint64_t> oldest_seq() const;

    std::size_t size() const;
    std::size_t capacity() const { return capacity_; }

    // Continues numbering at `seq` (e.g. after a solar-host restart). Never goes back: a seq
    // below next_seq() is ignored, so numbers are not reused.
    void start_at(std::uint64_t seq);

    // Puts entries read back from the log file (read_tail) into the ring, as if appended now
    // but with their own seq and ts; entries with seq below next_seq() are skipped.
    // next_seq() follows the last one. Subscribers are not woken.
    void restore(const std::vector<log_entry>& entries);

    // Registers a wake-up callback; returns the id to unsubscribe with.
    subscription_id subscribe(subscriber callback);

    // Removes a subscription. When it returns, the callback is not running and will not be
    // called again. Unknown ids are ignored.
    void unsubscribe(subscription_id id);

private:
    std::size_t capacity_;
    clock now_;

    mutable std::mutex mutex_;  // guards entries_ and next_seq_
    std::deque<log_entry> entries_;
    std::uint64_t next_seq_ = 1;

    // Held while callbacks run, so that unsubscribe can wait for a running one; never taken
    // together with mutex_ in the other order.
    std::mutex subscribers_mutex_;
    std::vector<std::pair<subscription_id, subscriber>> subscribers_;
    subscription_id next_subscription_ = 1;
};

}  // namespace solar::host
