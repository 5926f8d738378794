// Unit tests for alias size-tag parsing and the effective parameter count.
#include <solar/core/param_count.hpp>

#include <gtest/gtest.h>

namespace solar::core {
namespace {

TEST(param_count, reads_common_size_tags) {
    EXPECT_EQ(parameter_count_from_alias("llama3:8b"), 8e9);
    EXPECT_EQ(parameter_count_from_alias("qwen-0.5b"), 0.5e9);
    EXPECT_EQ(parameter_count_from_alias("gemma3:270m"), 270e6);
    EXPECT_EQ(parameter_count_from_alias("x:1.5B"), 1.5e9);
    EXPECT_EQ(parameter_count_from_alias("tiny:1k"), 1e3);
    EXPECT_EQ(parameter_count_from_alias("gpt-oss:120b"), 120e9);
    EXPECT_EQ(parameter_count_from_alias("big:1t"), 1e12);
    EXPECT_EQ(parameter_count_from_alias("7b"), 7e9);
}

TEST(param_count, multiplies_mixture_of_experts_tags) {
    EXPECT_EQ(parameter_count_from_alias("mixtral:8x7b"), 56e9);
    EXPECT_EQ(parameter_count_from_alias("mixtral:8X22B"), 176e9);
}

TEST(param_count, decimal_counts_are_whole_numbers) {
    EXPECT_EQ(parameter_count_from_alias("tinyllama-1.1b"), 1'100'000'000.0);
    EXPECT_EQ(parameter_count_from_alias("phi-2:2.7b"), 2'700'000'000.0);
}

TEST(param_count, accepts_every_separator) {
    EXPECT_EQ(parameter_count_from_alias("a:3b"), 3e9);
    EXPECT_EQ(parameter_count_from_alias("a-3b"), 3e9);
    EXPECT_EQ(parameter_count_from_alias("a_3b"), 3e9);
    EXPECT_EQ(parameter_count_from_alias("org/3b"), 3e9);
    EXPECT_EQ(parameter_count_from_alias("a.3b"), 3e9);
    EXPECT_EQ(parameter_count_from_alias("llama3:8b-instruct-q4_K_M"), 8e9);
    EXPECT_EQ(parameter_count_from_alias("model-7b.gguf"), 7e9);
}

TEST(param_count, tag_must_be_its_own_token) {
    EXPECT_EQ(parameter_count_from_alias("llama3"), std::nullopt);
    EXPECT_EQ(parameter_count_from_alias("b"), std::nullopt);
    EXPECT_EQ(parameter_count_from_alias(""), std::nullopt);
    EXPECT_EQ(parameter_count_from_alias("x:8bit"), std::nullopt);  // followed by letters
    EXPECT_EQ(parameter_count_from_alias("v8b"), std::nullopt);     // preceded by a letter
    EXPECT_EQ(parameter_count_from_alias("x:8"), std::nullopt);     // no unit
    EXPECT_EQ(parameter_count_from_alias("x:8q"), std::nullopt);    // not a unit
    EXPECT_EQ(parameter_count_from_alias("x:8x"), std::nullopt);
    EXPECT_EQ(parameter_count_from_alias("x:0b"), std::nullopt);  // zero is no size
}

TEST(param_count, decimal_point_is_not_a_token_boundary) {
    // "5B" inside "1.5B" must not count as a later, separate tag.
    EXPECT_EQ(parameter_count_from_alias("x:1.5B"), 1.5e9);
    // A version number glued to a word hides its fraction too.
    EXPECT_EQ(parameter_count_from_alias("v2.7b"), std::nullopt);
    // Version numbers without a unit are skipped; the size tag after them counts.
    EXPECT_EQ(parameter_count_from_alias("llama-3.1-8b"), 8e9);
    EXPECT_EQ(parameter_count_from_alias("qwen2.5:14b"), 14e9);
    EXPECT_EQ(parameter_count_from_alias("tinyllama-1.1b-chat-v1.0"), 1'100'000'000.0);
}

TEST(param_count, last_tag_wins) {
    EXPECT_EQ(parameter_count_from_alias("draft-1b:target-70b"), 70e9);
    EXPECT_EQ(parameter_count_from_alias("70b-distilled-to-1.5b"), 1.5e9);
    EXPECT_EQ(parameter_count_from_alias("x:3b-8bit"), 3e9);
}

TEST(param_count, effective_prefers_a_positive_report) {
    EXPECT_EQ(effective_parameter_count(3e9, "llama3:8b"), 3e9);
}

TEST(param_count, effective_falls_back_to_the_alias) {
    EXPECT_EQ(effective_parameter_count(std::nullopt, "llama3:8b"), 8e9);
    EXPECT_EQ(effective_parameter_count(0.0, "llama3:8b"), 8e9);
    EXPECT_EQ(effective_parameter_count(-5.0, "llama3:8b"), 8e9);
}

TEST(param_count, effective_defaults_to_one) {
    EXPECT_EQ(effective_parameter_count(std::nullopt, "llama3"), 1.0);
    EXPECT_EQ(effective_parameter_count(0.0, "b"), 1.0);
}

}  // namespace
}  // namespace solar::core
