// Layered daemon settings (command line > environment > .env > default) and value parsing,
// shared by solar-control and solar-host.
#pragma once

#include <boost/assert/source_location.hpp>
#include <boost/system/result.hpp>

#include <chrono>
#include <cstdint>
#include <functional>
#include <initializer_list>
#include <map>
#include <optional>
#include <string>
#include <string_view>
#include <utility>

namespace solar::core {

// Looks up one environment variable; injected so tests need no real environment.
using env_lookup = std::function<std::optional<std::string>(const std::string&)>;

// A setting's text and the flag ("--port") or variable ("PORT") that supplied it.
struct raw_setting {
    std::string text;
    std::string name;
};

// Why a setting was rejected. `message` is complete and starts with the setting's name,
// e.g. "PORT: must be an integer from 0 to 65535 (got '70000')".
struct setting_error {
    // A constructor, not an aggregate: C++20 would otherwise let a lone std::string convert to
    // setting_error, making result<std::string, setting_error> ambiguous. result::error()
    // needs the default one.
    setting_error() = default;
    setting_error(std::string name, std::string message)
        : name(std::move(name)), message(std::move(message)) {}

    std::string name;
    std::string message;
};

// Lets result<T, setting_error>::value() throw; found by argument-dependent lookup.
[[noreturn]] void throw_exception_from_error(
    const setting_error& e, const boost::source_location& loc
);

template <class T>
using setting_result = boost::system::result<T, setting_error>;

// The sources below the command line: the environment, then the .env file's entries.
class setting_sources {
public:
    setting_sources(env_lookup getenv, std::map<std::string, std::string> dotenv);

    // The value with the highest precedence: `cli` when given (named `flag`), else the first of
    // `env_names` set in the environment, else the first present in the .env file. Empty
    // environment and .env values count as unset, as Docker passes unset variables as "".
    std::optional<raw_setting> find(
        const std::optional<std::string>& cli,
        std::string_view flag,
        std::initializer_list<std::string_view> env_names
    ) const;

private:
    env_lookup getenv_;
    std::map<std::string, std::string> dotenv_;
};

// Text without surrounding whitespace.
std::string_view trim_setting(std::string_view text);

// true/false, 1/0, yes/no, on/off in any letter case; nullopt otherwise.
std::optional<bool> parse_bool(std::string_view text);
// Decimal digits only (surrounding whitespace allowed), no sign; nullopt on overflow.
std::optional<std::uint64_t> parse_uint(std::string_view text);
// Non-negative decimal seconds such as "10" or "2.5", rounded to milliseconds.
std::optional<std::chrono::milliseconds> parse_seconds(std::string_view text);

// The same, with a message naming the setting when the text does not fit.
setting_result<bool> read_bool(const raw_setting& raw);
setting_result<std::uint64_t> read_uint(
    const raw_setting& raw, std::uint64_t min, std::uint64_t max
);
// Whole milliseconds in [min, max].
setting_result<std::chrono::milliseconds> read_millis(
    const raw_setting& raw, std::chrono::milliseconds min, std::chrono::milliseconds max
);
// Decimal seconds in [min, max].
setting_result<std::chrono::milliseconds> read_seconds(
    const raw_setting& raw, std::chrono::milliseconds min, std::chrono::milliseconds max
);
// A trimmed, non-empty string.
setting_result<std::string> read_non_empty(const raw_setting& raw);
// One of trace, debug, info, warn, error, critical, off (any case; "warning" means warn),
// returned in lowercase.
setting_result<std::string> read_log_level(const raw_setting& raw);

}  // namespace solar::core
