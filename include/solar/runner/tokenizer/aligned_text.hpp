// Text under normalisation that remembers, for every character, the original bytes it came from.
#pragma once

#include <cstddef>
#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

namespace solar::runner {

// One character of normalised text and the byte range [begin, end) of the input it stands for.
struct aligned_char {
    char32_t cp;
    std::uint32_t begin;
    std::uint32_t end;
};
using aligned_text = std::vector<aligned_char>;

// The input as aligned text, each character aligned to its own bytes (plus `shift`).
aligned_text make_aligned_text(std::string_view utf8, std::uint32_t shift = 0);

// The UTF-8 form; when `char_at_byte` is given it receives, for each byte, the character index.
std::string to_utf8(const aligned_text& text, std::vector<std::size_t>* char_at_byte = nullptr);

// The original byte range covered by characters [first, last); (0, 0) style empty range at
// the position of `first` when the range is empty.
std::pair<std::size_t, std::size_t> original_span(
    const aligned_text& text, std::size_t first, std::size_t last
);

// What a splitting pre-tokenizer does with the characters its pattern matched.
enum class split_behavior { removed, isolated, merged_with_previous, merged_with_next, contiguous };

// Parses "Removed", "Isolated", "MergedWithPrevious", "MergedWithNext" or "Contiguous".
std::optional<split_behavior> parse_split_behavior(std::string_view name);

// Cuts `text` by the matched character ranges (sorted, disjoint) according to `behavior`,
// treating non-matches as matches when `invert`; empty pieces are dropped.
std::vector<aligned_text> split_by_matches(
    const aligned_text& text,
    const std::vector<std::pair<std::size_t, std::size_t>>& matches,
    split_behavior behavior,
    bool invert = false
);

// One match per character for which `pred` holds.
template <class Pred>
std::vector<std::pair<std::size_t, std::size_t>> match_chars(const aligned_text& text, Pred pred) {
    std::vector<std::pair<std::size_t, std::size_t>> out;
    for (std::size_t i = 0; i < text.size(); ++i) {
        if (pred(text[i].cp)) out.emplace_back(i, i + 1);
    }
    return out;
}

}  // namespace solar::runner
