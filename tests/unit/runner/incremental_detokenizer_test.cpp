// Incremental decoding never emits part of a UTF-8 character and adds up to the whole text.
#include <solar/runner/incremental_detokenizer.hpp>

#include <gtest/gtest.h>

#include "fake_decoder.hpp"

namespace solar::runner {
namespace {

TEST(incremental_detokenizer, multibyte_characters_come_whole) {
    test::fake_tokenizer tok;
    std::vector<std::int32_t> prompt{test::bos_id, test::byte_id('x')};
    incremental_detokenizer d(tok, prompt);
    std::string text = "a\xC3\xA9\xE2\x82\xAC\xF0\x9F\x98\x80z";  // a é € 😀 z
    std::string joined;
    std::vector<std::string> pieces;
    for (unsigned char c : text) {
        auto piece = d.push(test::byte_id(c));
        EXPECT_FALSE(ends_incomplete_utf8(piece)) << piece;
        if (!piece.empty()) pieces.push_back(piece);
        joined += piece;
    }
    joined += d.flush();
    EXPECT_EQ(joined, text);
    EXPECT_EQ(
        pieces, (std::vector<std::string>{"a", "\xC3\xA9", "\xE2\x82\xAC", "\xF0\x9F\x98\x80", "z"})
    );
}

TEST(incremental_detokenizer, flush_gives_a_dangling_partial_character) {
    test::fake_tokenizer tok;
    incremental_detokenizer d(tok, {});
    EXPECT_EQ(d.push(test::byte_id('a')), "a");
    EXPECT_EQ(d.push(0xE2 + 10), "");
    EXPECT_EQ(d.flush(), "\xE2");
}

TEST(incremental_detokenizer, incomplete_utf8_detection) {
    EXPECT_FALSE(ends_incomplete_utf8(""));
    EXPECT_FALSE(ends_incomplete_utf8("abc\xC3\xA9"));
    EXPECT_TRUE(ends_incomplete_utf8("abc\xC3"));
    EXPECT_TRUE(ends_incomplete_utf8("\xF0\x9F\x98"));
    EXPECT_TRUE(ends_incomplete_utf8("x\xEF\xBF\xBD"));  // U+FFFD: a decoder's partial bytes
}

}  // namespace
}  // namespace solar::runner
