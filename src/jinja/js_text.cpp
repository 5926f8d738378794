// JavaScript string semantics over UTF-8: whitespace, trimming, lengths, number and JSON
// formatting.
#include "solar/jinja/js_text.hpp"

#include <charconv>
#include <cmath>
#include <cstdio>
#include <cstdlib>
#include <limits>

namespace solar::jinja {
namespace {

bool is_js_space(char32_t c) {
    switch (c) {
        case 0x09:
        case 0x0a:
        case 0x0b:
        case 0x0c:
        case 0x0d:
        case 0x20:
        case 0xa0:
        case 0x1680:
        case 0x2028:
        case 0x2029:
        case 0x202f:
        case 0x205f:
        case 0x3000:
        case 0xfeff:
            return true;
        default:
            return c >= 0x2000 && c <= 0x200a;
    }
}

}  // namespace

char32_t next_code_point(std::string_view text, std::size_t& pos) {
    const auto byte = [&](std::size_t i) { return static_cast<unsigned char>(text[i]); };
    const unsigned char lead = byte(pos);
    std::size_t length = lead < 0x80    ? 1
                         : lead >= 0xf0 ? 4
                         : lead >= 0xe0 ? 3
                         : lead >= 0xc0 ? 2
                                        : 0;
    if (length == 0 || pos + length > text.size()) {
        ++pos;
        return 0xfffd;
    }
    char32_t c = length == 1 ? lead : lead & (0x7f >> length);
    for (std::size_t i = 1; i < length; ++i) {
        if ((byte(pos + i) & 0xc0) != 0x80) {
            ++pos;
            return 0xfffd;
        }
        c = (c << 6) | (byte(pos + i) & 0x3f);
    }
    pos += length;
    return c;
}

std::size_t js_space_at(std::string_view text, std::size_t pos) {
    if (pos >= text.size()) return 0;
    std::size_t next = pos;
    return is_js_space(next_code_point(text, next)) ? next - pos : 0;
}

std::size_t js_space_before(std::string_view text, std::size_t pos) {
    // A code point is at most 4 bytes; find its start by skipping continuation bytes.
    std::size_t start = pos;
    while (start > 0 && pos - start < 4) {
        --start;
        if ((static_cast<unsigned char>(text[start]) & 0xc0) != 0x80) break;
    }
    if (start == pos) return 0;
    std::size_t next = start;
    const char32_t c = next_code_point(text, next);
    return next == pos && is_js_space(c) ? pos - start : 0;
}

std::size_t js_line_break_at(std::string_view text, std::size_t pos) {
    if (pos >= text.size()) return 0;
    if (text[pos] == '\n' || text[pos] == '\r') return 1;
    if (text.substr(pos, 3) == "\xe2\x80\xa8" || text.substr(pos, 3) == "\xe2\x80\xa9") return 3;
    return 0;
}

std::string_view js_trim_start(std::string_view text) {
    std::size_t pos = 0;
    while (std::size_t n = js_space_at(text, pos)) pos += n;
    return text.substr(pos);
}

std::string_view js_trim_end(std::string_view text) {
    std::size_t end = text.size();
    while (std::size_t n = js_space_before(text, end)) end -= n;
    return text.substr(0, end);
}

std::string_view js_trim(std::string_view text) { return js_trim_end(js_trim_start(text)); }

std::size_t js_length(std::string_view text) {
    std::size_t units = 0;
    for (std::size_t pos = 0; pos < text.size();) {
        units += next_code_point(text, pos) >= 0x10000 ? 2 : 1;
    }
    return units;
}

std::string js_number_to_string(double value) {
    if (std::isnan(value)) return "NaN";
    if (std::isinf(value)) return value > 0 ? "Infinity" : "-Infinity";
    if (value == 0) return "0";
    char buffer[64];
    // Shortest round-trip digits, then ECMAScript Number::toString layout (spec 6.1.6.1.20).
    const auto result = std::to_chars(
        buffer, buffer + sizeof buffer, std::fabs(value), std::chars_format::scientific
    );
    const std::string_view sci(buffer, static_cast<std::size_t>(result.ptr - buffer));
    const std::size_t e_pos = sci.find('e');
    std::string digits;
    for (char c : sci.substr(0, e_pos)) {
        if (c != '.') digits += c;
    }
    const int k = static_cast<int>(digits.size());
    const int n = std::atoi(std::string(sci.substr(e_pos + 1)).c_str()) + 1;
    std::string out = value < 0 ? "-" : "";
    if (k <= n && n <= 21) {
        out += digits + std::string(static_cast<std::size_t>(n - k), '0');
    } else if (0 < n && n <= 21) {
        out.append(digits, 0, static_cast<std::size_t>(n));
        out += '.';
        out.append(digits, static_cast<std::size_t>(n));
    } else if (-6 < n && n <= 0) {
        out += "0.";
        out.append(static_cast<std::size_t>(-n), '0');
        out += digits;
    } else {
        out += digits[0];
        if (k > 1) {
            out += '.';
            out.append(digits, 1);
        }
        out += n - 1 >= 0 ? "e+" : "e-";
        out += std::to_string(std::abs(n - 1));
    }
    return out;
}

std::string js_quote(std::string_view text, bool ensure_ascii) {
    std::string out = "\"";
    char hex[8];
    const auto unit = [&](unsigned code) {
        std::snprintf(hex, sizeof hex, "\\u%04x", code);
        out += hex;
    };
    for (std::size_t pos = 0; pos < text.size();) {
        const std::size_t start = pos;
        const char32_t c = next_code_point(text, pos);
        switch (c) {
            case '"':
                out += "\\\"";
                continue;
            case '\\':
                out += "\\\\";
                continue;
            case '\b':
                out += "\\b";
                continue;
            case '\f':
                out += "\\f";
                continue;
            case '\n':
                out += "\\n";
                continue;
            case '\r':
                out += "\\r";
                continue;
            case '\t':
                out += "\\t";
                continue;
            default:
                break;
        }
        if (c < 0x20) {
            unit(c);
        } else if (ensure_ascii && c >= 0x7f) {
            if (c >= 0x10000) {
                unit(0xd800 + ((c - 0x10000) >> 10));
                unit(0xdc00 + ((c - 0x10000) & 0x3ff));
            } else {
                unit(c);
            }
        } else {
            out.append(text.substr(start, pos - start));
        }
    }
    out += '"';
    return out;
}

double js_to_number(std::string_view text) {
    const std::string_view t = js_trim(text);
    if (t.empty()) return 0;
    if (t == "Infinity" || t == "+Infinity") return std::numeric_limits<double>::infinity();
    if (t == "-Infinity") return -std::numeric_limits<double>::infinity();
    const std::string s(t);
    if (s.size() > 2 && s[0] == '0' && (s[1] == 'x' || s[1] == 'X')) {
        char* end = nullptr;
        const double v = static_cast<double>(std::strtoull(s.c_str() + 2, &end, 16));
        return *end == '\0' ? v : std::nan("");
    }
    for (char c : s) {
        // strtod would accept "inf", "nan" and hex floats, which Number() rejects.
        if (!(std::isdigit(static_cast<unsigned char>(c)) || c == '.' || c == 'e' || c == 'E' ||
              c == '+' || c == '-')) {
            return std::nan("");
        }
    }
    char* end = nullptr;
    const double v = std::strtod(s.c_str(), &end);
    return *end == '\0' ? v : std::nan("");
}

}  // namespace solar::jinja
