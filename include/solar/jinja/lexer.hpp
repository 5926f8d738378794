// Tokenizer for the Jinja subset, with the reference's preprocessing (trim_blocks, lstrip_blocks).
#pragma once

#include <cstddef>
#include <string>
#include <string_view>
#include <vector>

namespace solar::jinja {

enum class token_type {
    text,
    numeric_literal,
    string_literal,
    identifier,
    equals,
    open_paren,
    close_paren,
    open_statement,
    close_statement,
    open_expression,
    close_expression,
    open_square_bracket,
    close_square_bracket,
    open_curly_bracket,
    close_curly_bracket,
    comma,
    dot,
    colon,
    pipe,
    additive_operator,
    multiplicative_operator,
    exponentiation_operator,
    comparison_operator,
    unary_operator,
    comment,
};

struct token {
    token_type type;
    std::string value;
    // Byte offset in the original template text.
    std::size_t offset = 0;
};

// The template after the reference's preprocessing, with each byte's offset in the original.
struct preprocessed {
    std::string text;
    std::vector<std::size_t> origin;
};

// Drops one trailing newline, applies lstrip_blocks and trim_blocks, removes {% generation %} tags.
preprocessed preprocess(std::string_view source);

// Tokenizes a template; throws template_error(syntax) with the position on malformed input.
std::vector<token> tokenize(std::string_view source);

// 1-based line and column (in bytes) of a byte offset.
void line_column(
    std::string_view source, std::size_t offset, std::size_t& line, std::size_t& column
);

}  // namespace solar::jinja
