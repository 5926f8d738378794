// The per-instance log ring: line cleaning, timestamps, numbering, paging and wake-ups.
#include <solar/host/log_ring.hpp>

#include <algorithm>
#include <charconv>
#include <chrono>
#include <cstdio>
#include <ctime>

namespace solar::host {

namespace {

constexpr std::string_view replacement = "\xEF\xBF\xBD";  // U+FFFD

// Length of the valid UTF-8 sequence starting at s[i], or 0 when the bytes there are not one
// (overlong forms, surrogates and code points above U+10FFFF are invalid too).
std::size_t utf8_sequence_length(std::string_view s, std::size_t i) {
    auto byte = [&](std::size_t k) { return static_cast<unsigned char>(s[k]); };
    unsigned char c = byte(i);
    if (c < 0x80) return 1;
    std::size_t length = 0;
    unsigned char low = 0x80;
    unsigned char high = 0xBF;
    if (c >= 0xC2 && c <= 0xDF) {
        length = 2;
    } else if (c >= 0xE0 && c <= 0xEF) {
        length = 3;
        if (c == 0xE0) low = 0xA0;   // overlong
        if (c == 0xED) high = 0x9F;  // surrogates
    } else if (c >= 0xF0 && c <= 0xF4) {
        length = 4;
        if (c == 0xF0) low = 0x90;   // overlong
        if (c == 0xF4) high = 0x8F;  // above U+10FFFF
    } else {
        return 0;
    }
    if (i + length > s.size()) return 0;
    if (byte(i + 1) < low || byte(i + 1) > high) return 0;
    for (std::size_t k = 2; k < length; ++k) {
        if (byte(i + k) < 0x80 || byte(i + k) > 0xBF) return 0;
    }
    return length;
}

bool all_digits(std::string_view s) {
    return !s.empty() &&
           std::all_of(s.begin(), s.end(), [](char c) { return c >= '0' && c <= '9'; });
}

int to_int(std::string_view digits) {
    int value = 0;
    std::from_chars(digits.data(), digits.data() + digits.size(), value);
    return value;
}

}  // namespace

std::string clean_log_line(std::string_view raw) {
    while (!raw.empty() && (raw.back() == '\n' || raw.back() == '\r')) raw.remove_suffix(1);
    std::string out;
    out.reserve(std::min(raw.size(), max_log_line_bytes + 4));
    std::size_t i = 0;
    // Stops one character past the limit: enough to know the line must be cut.
    while (i < raw.size() && out.size() <= max_log_line_bytes) {
        std::size_t length = utf8_sequence_length(raw, i);
        std::string_view piece = length == 0 ? replacement : raw.substr(i, length);
        if (piece == "\n" || piece == "\r") piece = " ";
        out += piece;
        i += length == 0 ? 1 : length;
    }
    if (out.size() > max_log_line_bytes) {
        std::size_t cut = max_log_line_bytes - log_line_truncated_marker.size();
        while (cut > 0 && (static_cast<unsigned char>(out[cut]) & 0xC0) == 0x80) --cut;
        out.resize(cut);
        out += log_line_truncated_marker;
    }
    return out;
}

std::string format_utc_ms(std::int64_t unix_ms) {
    std::int64_t seconds = unix_ms >= 0 ? unix_ms / 1000 : (unix_ms - 999) / 1000;
    int millis = static_cast<int>(unix_ms - seconds * 1000);
    std::time_t t = static_cast<std::time_t>(seconds);
    std::tm utc{};
    gmtime_r(&t, &utc);
    char text[48];
    std::size_t n = std::strftime(text, sizeof text, "%Y-%m-%dT%H:%M:%S", &utc);
    std::snprintf(text + n, sizeof text - n, ".%03dZ", millis);
    return text;
}

std::optional<std::int64_t> parse_utc_ms(std::string_view text) {
    // YYYY-MM-DDTHH:MM:SS[.f...]Z
    if (text.size() < 20 || text.back() != 'Z') return std::nullopt;
    if (text[4] != '-' || text[7] != '-' || text[10] != 'T' || text[13] != ':' || text[16] != ':') {
        return std::nullopt;
    }
    auto field = [&](std::size_t pos, std::size_t len) -> std::optional<int> {
        auto digits = text.substr(pos, len);
        if (!all_digits(digits)) return std::nullopt;
        return to_int(digits);
    };
    auto year = field(0, 4), month = field(5, 2), day = field(8, 2);
    auto hour = field(11, 2), minute = field(14, 2), second = field(17, 2);
    if (!year || !month || !day || !hour || !minute || !second) return std::nullopt;
    if (*month < 1 || *month > 12 || *day < 1 || *day > 31 || *hour > 23 || *minute > 59 ||
        *second > 60) {
        return std::nullopt;
    }
    int millis = 0;
    std::string_view rest = text.substr(19, text.size() - 20);
    if (!rest.empty()) {
        if (rest.front() != '.') return std::nullopt;
        auto fraction = rest.substr(1);
        if (fraction.size() > 9 || (!fraction.empty() && !all_digits(fraction))) {
            return std::nullopt;
        }
        std::string padded(fraction.substr(0, std::min<std::size_t>(3, fraction.size())));
        padded.resize(3, '0');
        millis = to_int(padded);
    }
    std::tm utc{};
    utc.tm_year = *year - 1900;
    utc.tm_mon = *month - 1;
    utc.tm_mday = *day;
    utc.tm_hour = *hour;
    utc.tm_min = *minute;
    utc.tm_sec = *second;
    std::int64_t seconds = ::timegm(&utc);
    return seconds * 1000 + millis;
}

std::int64_t system_clock_ms() {
    return std::chrono::duration_cast<std::chrono::milliseconds>(
               std::chrono::system_clock::now().time_since_epoch()
    )
        .count();
}

nlohmann::json to_json(const log_entry& entry) {
    return {
        {"seq", entry.seq},
        {"ts", format_utc_ms(entry.ts_ms)},
        {"ts_ms", entry.ts_ms},
        {"stream", entry.stream},
        {"line", entry.line},
    };
}

log_ring::log_ring(std::size_t capacity, clock now)
    : capacity_(std::max<std::size_t>(capacity, 1)), now_(std::move(now)) {}

log_entry log_ring::append(std::string_view stream, std::string_view line) {
    log_entry entry;
    entry.stream = std::string(stream);
    entry.line = clean_log_line(line);
    entry.ts_ms = now_();
    {
        std::lock_guard lock(mutex_);
        entry.seq = next_seq_++;
        if (entries_.size() == capacity_) entries_.pop_front();
        entries_.push_back(entry);
    }
    std::lock_guard lock(subscribers_mutex_);
    for (const auto& [id, callback] : subscribers_) callback(entry.seq);
    return entry;
}

std::vector<log_entry> log_ring::since(std::uint64_t after, std::size_t max) const {
    std::lock_guard lock(mutex_);
    // Seqs are consecutive unless start_at/restore made a jump, so search rather than index.
    auto first = std::upper_bound(
        entries_.begin(),
        entries_.end(),
        after,
        [](std::uint64_t value, const log_entry& entry) { return value < entry.seq; }
    );
    std::size_t count = std::min<std::size_t>(max, entries_.end() - first);
    return {first, first + static_cast<std::ptrdiff_t>(count)};
}

std::vector<log_entry> log_ring::last(std::size_t n) const {
    std::lock_guard lock(mutex_);
    std::size_t count = std::min(n, entries_.size());
    return {entries_.end() - static_cast<std::ptrdiff_t>(count), entries_.end()};
}

std::uint64_t log_ring::next_seq() const {
    std::lock_guard lock(mutex_);
    return next_seq_;
}

std::optional<std::uint64_t> log_ring::oldest_seq() const {
    std::lock_guard lock(mutex_);
    if (entries_.empty()) return std::nullopt;
    return entries_.front().seq;
}

std::size_t log_ring::size() const {
    std::lock_guard lock(mutex_);
    return entries_.size();
}

void log_ring::start_at(std::uint64_t seq) {
    std::lock_guard lock(mutex_);
    next_seq_ = std::max(next_seq_, seq);
}

void log_ring::restore(const std::vector<log_entry>& entries) {
    std::lock_guard lock(mutex_);
    for (const auto& entry : entries) {
        if (entry.seq < next_seq_) continue;
        if (entries_.size() == capacity_) entries_.pop_front();
        entries_.push_back(entry);
        next_seq_ = entry.seq + 1;
    }
}

log_ring::subscription_id log_ring::subscribe(subscriber callback) {
    std::lock_guard lock(subscribers_mutex_);
    auto id = next_subscription_++;
    subscribers_.emplace_back(id, std::move(callback));
    return id;
}

void log_ring::unsubscribe(subscription_id id) {
    std::lock_guard lock(subscribers_mutex_);
    std::erase_if(subscribers_, [id](const auto& item) { return item.first == id; });
}

}  // namespace solar::host
