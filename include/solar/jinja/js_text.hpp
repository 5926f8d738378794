// UTF-8 text helpers that reproduce JavaScript string semantics (the reference engine runs on JS).
#pragma once

#include <solar/core/utf8.hpp>

#include <cstddef>
#include <string>
#include <string_view>

namespace solar::jinja {

// Bytes of the JS `\s` character starting at pos (0 if none): ASCII spaces, NBSP, U+2028, BOM, ...
std::size_t js_space_at(std::string_view text, std::size_t pos);
// Bytes of the JS `\s` character ending right before pos (0 if none).
std::size_t js_space_before(std::string_view text, std::size_t pos);
// A line terminator for the `m` regex flag: \n, \r, U+2028, U+2029; returns its length or 0.
std::size_t js_line_break_at(std::string_view text, std::size_t pos);

// String.prototype.trim / trimStart / trimEnd.
std::string_view js_trim(std::string_view text);
std::string_view js_trim_start(std::string_view text);
std::string_view js_trim_end(std::string_view text);

// String.prototype.length: UTF-16 code units.
std::size_t js_length(std::string_view text);

// Appends the UTF-8 encoding of a code point.
using core::append_utf8;
// Decodes one code point at pos, advancing pos; invalid bytes decode as U+FFFD.
char32_t next_code_point(std::string_view text, std::size_t& pos);

// Number.prototype.toString() (shortest round trip, JS exponent rules).
std::string js_number_to_string(double value);
// JSON.stringify of a string.
std::string js_quote(std::string_view text, bool ensure_ascii);
// Number(text) for the loose `==` comparisons; NaN when text is not numeric.
double js_to_number(std::string_view text);

}  // namespace solar::jinja
