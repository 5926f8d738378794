// Added tokens: cut out of the input before normalisation (or after it, for "normalized"
// tokens) and never split further, as Rust's AddedVocabulary does.
#pragma once

#include <solar/runner/tokenizer/aligned_text.hpp>

#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <unordered_map>
#include <vector>

namespace solar::runner {

class normalizer;

struct added_token {
    std::string content;
    std::int32_t id = 0;
    bool special = false;
    bool single_word = false;  // only matches with no word character either side
    bool lstrip = false;       // swallows the whitespace before it
    bool rstrip = false;       // swallows the whitespace after it
    bool normalized = false;   // matched in normalised text rather than in the raw input
};

// A piece of text, or an added token that matched it (then `id` is set).
struct added_piece {
    aligned_text text;
    std::optional<std::int32_t> id;
};

class added_vocabulary {
public:
    added_vocabulary() = default;
    // The tokens in file order; normalised tokens are matched in their normalised form.
    added_vocabulary(std::vector<added_token> tokens, const normalizer* n);

    // Cuts text by the tokens of one kind, leftmost-longest: the raw-input tokens when
    // `normalized_pass` is false, the normalised ones otherwise.
    std::vector<added_piece> split(const aligned_text& text, bool normalized_pass) const;

    const added_token* find(std::int32_t id) const;
    std::optional<std::int32_t> find(std::string_view content) const;
    const std::vector<added_token>& tokens() const { return tokens_; }
    // Whether the content is that of a special added token.
    bool is_special_content(std::string_view content) const;

private:
    struct matcher {
        std::vector<std::string> patterns;                    // in the form they are matched
        std::vector<std::size_t> token_of;                    // index into tokens_
        std::vector<std::vector<std::size_t>> by_first_byte;  // longest first
    };
    void add_pattern(matcher& m, std::string text, std::size_t token);
    static void index(matcher& m);

    std::vector<added_token> tokens_;
    std::unordered_map<std::int32_t, std::size_t> by_id_;
    std::unordered_map<std::string, std::size_t> by_content_;
    matcher raw_, normalized_;
};

}  // namespace solar::runner
