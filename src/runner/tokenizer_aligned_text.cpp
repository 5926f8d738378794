// Aligned text: building it, writing it as UTF-8, and cutting it the way Rust's
// NormalizedString::split does for each SplitDelimiterBehavior.
#include <solar/runner/tokenizer/aligned_text.hpp>
#include <solar/runner/tokenizer/unicode.hpp>

namespace solar::runner {

aligned_text make_aligned_text(std::string_view utf8, std::uint32_t shift) {
    aligned_text out;
    out.reserve(utf8.size());
    for (std::size_t pos = 0; pos < utf8.size();) {
        auto begin = static_cast<std::uint32_t>(pos);
        char32_t cp = unicode::decode_next(utf8, pos);
        out.push_back({cp, begin + shift, static_cast<std::uint32_t>(pos) + shift});
    }
    return out;
}

std::string to_utf8(const aligned_text& text, std::vector<std::size_t>* char_at_byte) {
    std::string out;
    out.reserve(text.size());
    if (char_at_byte) char_at_byte->clear();
    for (std::size_t i = 0; i < text.size(); ++i) {
        std::size_t before = out.size();
        unicode::append_utf8(out, text[i].cp);
        if (char_at_byte) char_at_byte->insert(char_at_byte->end(), out.size() - before, i);
    }
    return out;
}

std::pair<std::size_t, std::size_t> original_span(
    const aligned_text& text, std::size_t first, std::size_t last
) {
    if (text.empty()) return {0, 0};
    if (first >= last) {
        std::size_t at = first < text.size() ? text[first].begin : text.back().end;
        return {at, at};
    }
    return {text[first].begin, text[last - 1].end};
}

std::optional<split_behavior> parse_split_behavior(std::string_view name) {
    if (name == "Removed") return split_behavior::removed;
    if (name == "Isolated") return split_behavior::isolated;
    if (name == "MergedWithPrevious") return split_behavior::merged_with_previous;
    if (name == "MergedWithNext") return split_behavior::merged_with_next;
    if (name == "Contiguous") return split_behavior::contiguous;
    return std::nullopt;
}

std::vector<aligned_text> split_by_matches(
    const aligned_text& text,
    const std::vector<std::pair<std::size_t, std::size_t>>& matches,
    split_behavior behavior,
    bool invert
) {
    // The whole text as alternating (range, is_match) parts.
    struct part {
        std::size_t first, last;
        bool is_match;
    };
    std::vector<part> parts;
    std::size_t prev = 0;
    for (auto [b, e] : matches) {
        if (b > prev) parts.push_back({prev, b, invert});
        parts.push_back({b, e, !invert});
        prev = e;
    }
    if (prev < text.size()) parts.push_back({prev, text.size(), invert});

    std::vector<part> merged;
    switch (behavior) {
        case split_behavior::removed:
            for (const auto& p : parts) {
                if (!p.is_match) merged.push_back(p);
            }
            break;
        case split_behavior::isolated:
            merged = parts;
            break;
        case split_behavior::merged_with_previous: {
            bool previous_match = false;
            for (const auto& p : parts) {
                if (p.is_match && !previous_match && !merged.empty()) {
                    merged.back().last = p.last;
                } else {
                    merged.push_back(p);
                }
                previous_match = p.is_match;
            }
            break;
        }
        case split_behavior::merged_with_next: {
            bool previous_match = false;
            for (auto it = parts.rbegin(); it != parts.rend(); ++it) {
                if (it->is_match && !previous_match && !merged.empty()) {
                    merged.back().first = it->first;
                } else {
                    merged.push_back(*it);
                }
                previous_match = it->is_match;
            }
            std::reverse(merged.begin(), merged.end());
            break;
        }
        case split_behavior::contiguous: {
            bool previous_match = false;
            for (const auto& p : parts) {
                if (p.is_match == previous_match && !merged.empty()) {
                    merged.back().last = p.last;
                } else {
                    merged.push_back(p);
                }
                previous_match = p.is_match;
            }
            break;
        }
    }
    std::vector<aligned_text> out;
    out.reserve(merged.size());
    for (const auto& p : merged) {
        if (p.last > p.first) out.emplace_back(text.begin() + p.first, text.begin() + p.last);
    }
    return out;
}

}  // namespace solar::runner
