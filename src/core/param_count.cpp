// Size-tag parsing for aliases such as "llama3:8b", "qwen-0.5b" or "mixtral:8x7b".
#include <solar/core/param_count.hpp>

#include <charconv>
#include <cmath>

namespace solar::core {

namespace {

// ASCII-only on purpose: std::isalnum depends on the locale.
bool is_digit(char c) { return c >= '0' && c <= '9'; }
bool is_alnum(char c) { return is_digit(c) || (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z'); }

std::optional<double> unit_multiplier(char c) {
    switch (c) {
        case 'k':
        case 'K':
            return 1e3;
        case 'm':
        case 'M':
            return 1e6;
        case 'b':
        case 'B':
            return 1e9;
        case 't':
        case 'T':
            return 1e12;
        default:
            return std::nullopt;
    }
}

// End of "<digits>[.<digits>]" starting at pos, or pos when no digit is there.
std::size_t scan_number(std::string_view s, std::size_t pos) {
    std::size_t i = pos;
    while (i < s.size() && is_digit(s[i])) ++i;
    if (i == pos) return pos;
    if (i + 1 < s.size() && s[i] == '.' && is_digit(s[i + 1])) {
        ++i;
        while (i < s.size() && is_digit(s[i])) ++i;
    }
    return i;
}

double to_double(std::string_view digits) {
    double value = 0;
    auto [ptr, ec] = std::from_chars(digits.data(), digits.data() + digits.size(), value);
    if (ec != std::errc{}) return 0;  // absurdly long numbers: treated as no tag
    return value;
}

// A token may start here: at the beginning or after a separator, except that a '.' preceded
// by a digit is a decimal point ("1.5b" must not also yield the tag "5b").
bool starts_token(std::string_view s, std::size_t i) {
    if (i == 0) return true;
    char prev = s[i - 1];
    if (is_alnum(prev)) return false;
    return !(prev == '.' && i >= 2 && is_digit(s[i - 2]));
}

struct size_tag {
    double value = 0;
    std::size_t end = 0;
};

// The size tag starting at pos, if the text there is one complete token.
std::optional<size_tag> match_size_tag(std::string_view s, std::size_t pos) {
    std::size_t end = scan_number(s, pos);
    if (end == pos) return std::nullopt;
    double value = to_double(s.substr(pos, end - pos));
    if (end < s.size() && (s[end] == 'x' || s[end] == 'X')) {
        // Mixture of experts: "8x7b" counts all experts' parameters.
        std::size_t size_end = scan_number(s, end + 1);
        if (size_end == end + 1) return std::nullopt;
        value *= to_double(s.substr(end + 1, size_end - end - 1));
        end = size_end;
    }
    if (end >= s.size()) return std::nullopt;
    auto multiplier = unit_multiplier(s[end]);
    if (!multiplier) return std::nullopt;
    ++end;
    if (end < s.size() && is_alnum(s[end])) return std::nullopt;
    // Counts are whole numbers; rounding keeps "1.1b" from carrying binary fraction noise
    // into the balancer's load sums.
    return size_tag{std::round(value * *multiplier), end};
}

}  // namespace

std::optional<double> parameter_count_from_alias(std::string_view alias) {
    std::optional<double> last;
    std::size_t i = 0;
    while (i < alias.size()) {
        if (is_digit(alias[i]) && starts_token(alias, i)) {
            if (auto tag = match_size_tag(alias, i)) {
                if (tag->value > 0 && std::isfinite(tag->value)) last = tag->value;
                i = tag->end;
                continue;
            }
        }
        ++i;
    }
    return last;
}

double effective_parameter_count(std::optional<double> reported, std::string_view alias) {
    if (reported && *reported > 0 && std::isfinite(*reported)) return *reported;
    if (auto from_alias = parameter_count_from_alias(alias)) return *from_alias;
    return 1;
}

}  // namespace solar::core
