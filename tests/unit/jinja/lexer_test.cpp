// Lexer and text helpers: tokens, the reference's preprocessing, JS number/JSON formatting.
#include "solar/jinja/lexer.hpp"

#include <gtest/gtest.h>

#include "solar/jinja/js_text.hpp"

namespace solar::jinja {
namespace {

TEST(jinja_lexer, tokens_of_a_statement_and_expression) {
    const auto tokens = tokenize("a{% if x >= -1 %}{{ y | f(2.5) }}{% endif %}");
    std::vector<token_type> types;
    for (const auto& t : tokens) types.push_back(t.type);
    const std::vector<token_type> expected{
        token_type::text,
        token_type::open_statement,
        token_type::identifier,
        token_type::identifier,
        token_type::comparison_operator,
        token_type::numeric_literal,
        token_type::close_statement,
        token_type::open_expression,
        token_type::identifier,
        token_type::pipe,
        token_type::identifier,
        token_type::open_paren,
        token_type::numeric_literal,
        token_type::close_paren,
        token_type::close_expression,
        token_type::open_statement,
        token_type::identifier,
        token_type::close_statement};
    EXPECT_EQ(types, expected);
    EXPECT_EQ(tokens[5].value, "-1");  // a sign after an operator belongs to the number
    EXPECT_EQ(tokens[1].offset, 1u);
}

TEST(jinja_lexer, string_escapes) {
    const auto tokens = tokenize(R"({{ 'a\n\t\'\\\x41\u00e9' }})");
    ASSERT_EQ(tokens.size(), 3u);
    EXPECT_EQ(tokens[1].value, "a\n\t'\\A\xc3\xa9");
}

TEST(jinja_lexer, preprocessing_keeps_original_offsets) {
    // lstrip_blocks drops the indentation before a tag, trim_blocks the newline after one.
    const preprocessed p = preprocess("x\n   {% if %}\ny\n");
    EXPECT_EQ(p.text, "x\n{% if %}y");
    ASSERT_EQ(p.origin.size(), p.text.size());
    EXPECT_EQ(p.origin[2], 5u);    // '{' came from offset 5
    EXPECT_EQ(p.origin[10], 14u);  // 'y' after the dropped newline
    // Expression tags are not lstripped, as in the reference.
    EXPECT_EQ(preprocess("  {{ x }}\n").text, "  {{ x }}");
    EXPECT_EQ(preprocess("a {% generation %} b {%- endgeneration -%} c").text, "a  bc");
}

TEST(jinja_text, javascript_number_formatting) {
    EXPECT_EQ(js_number_to_string(1), "1");
    EXPECT_EQ(js_number_to_string(-2.5), "-2.5");
    EXPECT_EQ(js_number_to_string(0.1 + 0.2), "0.30000000000000004");
    EXPECT_EQ(js_number_to_string(1e21), "1e+21");
    EXPECT_EQ(js_number_to_string(1e20), "100000000000000000000");
    EXPECT_EQ(js_number_to_string(1e-7), "1e-7");
    EXPECT_EQ(js_number_to_string(0.000001), "0.000001");
    EXPECT_EQ(js_number_to_string(123456789.125), "123456789.125");
}

TEST(jinja_text, json_quoting_and_trimming) {
    EXPECT_EQ(js_quote("a\"b\\c\n\x01", false), R"("a\"b\\c\n\u0001")");
    EXPECT_EQ(js_quote("\xc3\xa9\xf0\x9f\x99\x82", false), "\"\xc3\xa9\xf0\x9f\x99\x82\"");
    EXPECT_EQ(js_quote("\xc3\xa9\xf0\x9f\x99\x82", true), R"("\u00e9\ud83d\ude42")");
    EXPECT_EQ(js_trim("\xc2\xa0 \t x y \n\xe2\x80\xa8"), "x y");
    EXPECT_EQ(js_length("a\xf0\x9f\x99\x82"), 3u);  // UTF-16 units
}

}  // namespace
}  // namespace solar::jinja
