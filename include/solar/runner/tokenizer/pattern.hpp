// A search pattern from tokenizer.json: {"String": literal} or {"Regex": PCRE2 pattern}.
#pragma once

#include <solar/runner/tokenizer/aligned_text.hpp>
#include <solar/runner/tokenizer/error.hpp>

#include <nlohmann/json_fwd.hpp>

#include <cstddef>
#include <memory>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

namespace solar::runner {

// Immutable once built, so it may be shared between threads (each search uses its own match
// data).
class pattern {
public:
    // A literal pattern.
    static pattern literal(std::string text);
    // A regex in PCRE2 UTF + UCP mode; fails with invalid_regex, naming the pattern.
    static tokenizer_result<pattern> regex(const std::string& expression);
    // {"String": ...} or {"Regex": ...}; a plain JSON string is a literal.
    static tokenizer_result<pattern> from_json(const nlohmann::json& j);

    // Non-overlapping matches as byte ranges, left to right; empty matches are skipped.
    std::vector<std::pair<std::size_t, std::size_t>> find_all(std::string_view text) const;
    // The same matches as character ranges of an aligned text.
    std::vector<std::pair<std::size_t, std::size_t>> find_all(const aligned_text& text) const;

private:
    struct compiled;
    std::string literal_;
    std::shared_ptr<const compiled> regex_;
};

}  // namespace solar::runner
