// UTF-8 coding and the Unicode character properties the tokenizer components test.
#pragma once

#include <solar/core/utf8.hpp>

#include <cstddef>
#include <string>
#include <string_view>
#include <vector>

namespace solar::runner::unicode {

// Decodes one code point at `pos` and advances it; an invalid byte decodes as U+FFFD, one byte.
char32_t decode_next(std::string_view text, std::size_t& pos);

// All code points of a UTF-8 text (invalid bytes become U+FFFD).
std::u32string decode(std::string_view text);

// Appends the UTF-8 form of `cp`.
using core::append_utf8;

// The UTF-8 form of a code point sequence.
std::string encode(std::u32string_view text);

// Bytes as UTF-8, with each maximal invalid subsequence replaced by U+FFFD, as Rust's
// String::from_utf8_lossy does.
std::string from_utf8_lossy(std::string_view bytes);

// Whether the bytes are valid UTF-8.
bool is_valid_utf8(std::string_view bytes);

// Rust's char::is_whitespace: the White_Space property.
bool is_whitespace(char32_t cp);
// Rust's char::is_alphanumeric: Alphabetic or Numeric (approximated by general categories).
bool is_alphanumeric(char32_t cp);
// Rust's char::is_numeric: general category Nd, Nl or No.
bool is_numeric(char32_t cp);
// ASCII punctuation or a character of a P* general category.
bool is_punctuation(char32_t cp);
// General category Mn (what StripAccents removes).
bool is_nonspacing_mark(char32_t cp);
// Control as BertNormalizer sees it: a C* category, except tab, newline and carriage return.
bool is_bert_control(char32_t cp);
// The CJK ideograph blocks BertNormalizer surrounds with spaces.
bool is_chinese_char(char32_t cp);
// The canonical combining class (0 for starters).
int combining_class(char32_t cp);

// Full lowercase mapping of one character (U+0130 becomes two characters).
std::u32string to_lower(char32_t cp);

enum class normal_form { nfc, nfd, nfkc, nfkd };

// The text in the given normalisation form.
std::u32string normalize(std::u32string_view text, normal_form form);

}  // namespace solar::runner::unicode
