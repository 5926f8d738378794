// Setting lookup across command line, environment and .env, and typed value parsing.
#include <solar/core/settings.hpp>

#include <algorithm>
#include <array>
#include <cctype>
#include <charconv>
#include <cmath>
#include <stdexcept>

namespace solar::core {

namespace {

std::string lowercase(std::string_view text) {
    std::string out(text);
    std::transform(out.begin(), out.end(), out.begin(), [](unsigned char c) {
        return static_cast<char>(std::tolower(c));
    });
    return out;
}

// The offending text, shortened so a pasted blob cannot flood the terminal or the log.
std::string quote_value(std::string_view text) {
    constexpr std::size_t max_shown = 40;
    std::string out = "'";
    out += text.substr(0, max_shown);
    if (text.size() > max_shown) out += "...";
    out += "'";
    return out;
}

// 1500 ms as "1.5", 2000 ms as "2".
std::string seconds_text(std::chrono::milliseconds value) {
    auto text = std::to_string(value.count() / 1000);
    if (auto millis = value.count() % 1000; millis != 0) {
        auto fraction = std::to_string(1000 + millis).substr(1);
        while (fraction.back() == '0') fraction.pop_back();
        text += "." + fraction;
    }
    return text;
}

setting_error error_for(const raw_setting& raw, const std::string& requirement) {
    return {raw.name, raw.name + ": " + requirement + " (got " + quote_value(raw.text) + ")"};
}

}  // namespace

void throw_exception_from_error(const setting_error& e, const boost::source_location&) {
    throw std::invalid_argument(e.message);
}

setting_sources::setting_sources(env_lookup getenv, std::map<std::string, std::string> dotenv)
    : getenv_(std::move(getenv)), dotenv_(std::move(dotenv)) {}

std::optional<raw_setting> setting_sources::find(
    const std::optional<std::string>& cli,
    std::string_view flag,
    std::initializer_list<std::string_view> env_names
) const {
    if (cli) return raw_setting{*cli, std::string(flag)};
    for (auto name : env_names) {
        std::string key(name);
        if (auto value = getenv_ ? getenv_(key) : std::nullopt; value && !value->empty()) {
            return raw_setting{*value, key};
        }
    }
    for (auto name : env_names) {
        auto it = dotenv_.find(std::string(name));
        if (it != dotenv_.end() && !it->second.empty()) {
            return raw_setting{it->second, std::string(name)};
        }
    }
    return std::nullopt;
}

std::string_view trim_setting(std::string_view text) {
    constexpr std::string_view whitespace = " \t\r\n\f\v";
    auto first = text.find_first_not_of(whitespace);
    if (first == std::string_view::npos) return {};
    auto last = text.find_last_not_of(whitespace);
    return text.substr(first, last - first + 1);
}

std::optional<bool> parse_bool(std::string_view text) {
    auto value = lowercase(trim_setting(text));
    if (value == "true" || value == "1" || value == "yes" || value == "on") return true;
    if (value == "false" || value == "0" || value == "no" || value == "off") return false;
    return std::nullopt;
}

std::optional<std::uint64_t> parse_uint(std::string_view text) {
    text = trim_setting(text);
    // from_chars would accept nothing else anyway, but a leading '+' or '-' must not slip in.
    if (text.empty() || !std::isdigit(static_cast<unsigned char>(text.front()))) {
        return std::nullopt;
    }
    std::uint64_t value = 0;
    auto [end, ec] = std::from_chars(text.data(), text.data() + text.size(), value);
    if (ec != std::errc{} || end != text.data() + text.size()) return std::nullopt;
    return value;
}

std::optional<std::chrono::milliseconds> parse_seconds(std::string_view text) {
    text = trim_setting(text);
    if (text.empty() || !std::isdigit(static_cast<unsigned char>(text.front()))) {
        return std::nullopt;
    }
    double seconds = 0;
    auto [end, ec] =
        std::from_chars(text.data(), text.data() + text.size(), seconds, std::chars_format::fixed);
    if (ec != std::errc{} || end != text.data() + text.size() || !std::isfinite(seconds)) {
        return std::nullopt;
    }
    // Far beyond any sensible interval, and keeps the conversion to an integer defined.
    if (seconds > 1e12) return std::nullopt;
    return std::chrono::milliseconds(static_cast<std::int64_t>(std::llround(seconds * 1000.0)));
}

setting_result<bool> read_bool(const raw_setting& raw) {
    if (auto value = parse_bool(raw.text)) return *value;
    return error_for(raw, "must be true or false (also 1/0, yes/no, on/off)");
}

setting_result<std::uint64_t> read_uint(
    const raw_setting& raw, std::uint64_t min, std::uint64_t max
) {
    auto value = parse_uint(raw.text);
    if (!value || *value < min || *value > max) {
        return error_for(
            raw, "must be an integer from " + std::to_string(min) + " to " + std::to_string(max)
        );
    }
    return *value;
}

setting_result<std::chrono::milliseconds> read_millis(
    const raw_setting& raw, std::chrono::milliseconds min, std::chrono::milliseconds max
) {
    auto value = parse_uint(raw.text);
    if (!value || *value < static_cast<std::uint64_t>(min.count()) ||
        *value > static_cast<std::uint64_t>(max.count())) {
        return error_for(
            raw,
            "must be a whole number of milliseconds from " + std::to_string(min.count()) + " to " +
                std::to_string(max.count())
        );
    }
    return std::chrono::milliseconds(static_cast<std::int64_t>(*value));
}

setting_result<std::chrono::milliseconds> read_seconds(
    const raw_setting& raw, std::chrono::milliseconds min, std::chrono::milliseconds max
) {
    auto value = parse_seconds(raw.text);
    if (!value || *value < min || *value > max) {
        return error_for(
            raw,
            "must be a number of seconds from " + seconds_text(min) + " to " + seconds_text(max)
        );
    }
    return *value;
}

setting_result<std::string> read_non_empty(const raw_setting& raw) {
    auto value = trim_setting(raw.text);
    if (value.empty()) return setting_error{raw.name, raw.name + ": must not be empty"};
    return std::string(value);
}

setting_result<std::string> read_log_level(const raw_setting& raw) {
    static constexpr std::array<std::string_view, 7> levels = {
        "trace", "debug", "info", "warn", "error", "critical", "off"};
    auto value = lowercase(trim_setting(raw.text));
    if (value == "warning") value = "warn";
    if (std::find(levels.begin(), levels.end(), value) != levels.end()) return value;
    return error_for(raw, "must be one of trace, debug, info, warn, error, critical, off");
}

}  // namespace solar::core
