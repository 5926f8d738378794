// Tests for parsing llama-server's timing block, with the lines of its contract.
#include <solar/host/generation_timing.hpp>

#include <gtest/gtest.h>

#include <cmath>

namespace solar::host {
namespace {

// shared/contracts/llama-server.md section 5, verbatim (note the header's trailing space).
constexpr std::string_view header = "slot print_timing: id  0 | task 0 | ";
constexpr std::string_view prompt_line =
    "prompt eval time =       0.94 ms /    29 tokens (    0.03 ms per token, 30851.06 tokens per "
    "second)";
constexpr std::string_view eval_line =
    "       eval time =       2.31 ms /     8 tokens (    0.29 ms per token,  3460.21 tokens per "
    "second)";
constexpr std::string_view total_line = "      total time =       3.25 ms /    37 tokens";

std::string with_ending(std::string_view line, std::string_view ending) {
    std::string out;
    out.reserve(line.size() + ending.size());
    out.append(line);
    out.append(ending);
    return out;
}

class generation_timing_test : public ::testing::Test {
protected:
    double now_ = 1'740'046'272.5;
    generation_timing_parser parser_{[this] { return now_; }};
};

TEST_F(generation_timing_test, parses_the_contract_block) {
    EXPECT_FALSE(parser_.feed(header));
    EXPECT_FALSE(parser_.feed(prompt_line));
    EXPECT_FALSE(parser_.feed(eval_line));
    auto done = parser_.feed(total_line);
    ASSERT_TRUE(done);
    EXPECT_EQ(done->slot_id, 0);
    EXPECT_EQ(done->task_id, 0);
    EXPECT_EQ(done->prompt_tokens, 29);
    EXPECT_DOUBLE_EQ(done->prompt_ms, 0.94);
    EXPECT_DOUBLE_EQ(done->prompt_ms_per_token, 0.03);
    EXPECT_DOUBLE_EQ(done->prompt_tokens_per_second, 30851.06);
    EXPECT_EQ(done->generated_tokens, 8);
    EXPECT_DOUBLE_EQ(done->generation_ms, 2.31);
    EXPECT_DOUBLE_EQ(done->generation_ms_per_token, 0.29);
    EXPECT_DOUBLE_EQ(done->generation_tokens_per_second, 3460.21);
    EXPECT_DOUBLE_EQ(done->total_ms, 3.25);
    EXPECT_EQ(done->total_tokens, 37);
    EXPECT_DOUBLE_EQ(done->finished_at, 1'740'046'272.5);
}

TEST_F(generation_timing_test, works_without_the_header_and_with_carriage_returns) {
    EXPECT_FALSE(parser_.feed(with_ending(prompt_line, "\r")));
    EXPECT_FALSE(parser_.feed(with_ending(eval_line, "\r")));
    auto done = parser_.feed(with_ending(total_line, "\r\n"));
    ASSERT_TRUE(done);
    EXPECT_FALSE(done->slot_id);
    EXPECT_FALSE(done->task_id);
    EXPECT_EQ(done->total_tokens, 37);
}

TEST_F(generation_timing_test, accepts_any_spacing_the_printf_widths_produce) {
    // Wide numbers fill the %10.2f / %5d / %8.2f fields completely.
    EXPECT_FALSE(parser_.feed("slot print_timing: id 12 | task 12345 |"));
    EXPECT_FALSE(parser_.feed(
        "prompt eval time = 1234567.89 ms / 123456 tokens (12345678.00 ms per token, 0.10 tokens "
        "per second)"
    ));
    EXPECT_FALSE(parser_.feed(
        "eval time =\t10.00 ms /1 tokens (10.00 ms per token,100.00 tokens per second)"
    ));
    auto done = parser_.feed("total time = 1234577.89 ms / 123457 tokens");
    ASSERT_TRUE(done);
    EXPECT_EQ(done->slot_id, 12);
    EXPECT_EQ(done->task_id, 12345);
    EXPECT_EQ(done->prompt_tokens, 123456);
    EXPECT_DOUBLE_EQ(done->prompt_ms, 1234567.89);
    EXPECT_EQ(done->generated_tokens, 1);
    EXPECT_DOUBLE_EQ(done->generation_tokens_per_second, 100.0);
    EXPECT_EQ(done->total_tokens, 123457);
}

TEST_F(generation_timing_test, unrelated_lines_in_between_are_ignored) {
    parser_.feed(header);
    parser_.feed(prompt_line);
    EXPECT_FALSE(parser_.feed("srv  log_server_r: request: POST /v1/chat/completions 127.0.0.1 200")
    );
    parser_.feed(eval_line);
    EXPECT_FALSE(parser_.feed(""));
    EXPECT_TRUE(parser_.feed(total_line));
}

TEST_F(generation_timing_test, lines_out_of_order_complete_nothing) {
    EXPECT_FALSE(parser_.feed(total_line));
    EXPECT_FALSE(parser_.feed(eval_line));
    EXPECT_FALSE(parser_.feed(total_line));
    // A total right after the prompt line (no eval) is not a generation either.
    parser_.feed(prompt_line);
    EXPECT_FALSE(parser_.feed(total_line));
    // And it does not leave a half state that a later eval + total would complete.
    EXPECT_FALSE(parser_.feed(eval_line));
    EXPECT_FALSE(parser_.feed(total_line));
}

TEST_F(generation_timing_test, a_new_block_starts_over) {
    parser_.feed(prompt_line);
    parser_.feed(header);  // the previous block was cut off (cancelled request)
    parser_.feed(
        "prompt eval time =       1.00 ms /     2 tokens (    0.50 ms per token,  2000.00 tokens "
        "per "
        "second)"
    );
    parser_.feed(eval_line);
    auto done = parser_.feed(total_line);
    ASSERT_TRUE(done);
    EXPECT_EQ(done->prompt_tokens, 2);
    EXPECT_EQ(done->slot_id, 0);
}

TEST_F(generation_timing_test, consecutive_generations_each_complete) {
    for (int i = 0; i < 3; ++i) {
        now_ += 1;
        parser_.feed(header);
        parser_.feed(prompt_line);
        parser_.feed(eval_line);
        auto done = parser_.feed(total_line);
        ASSERT_TRUE(done);
        EXPECT_DOUBLE_EQ(done->finished_at, 1'740'046'272.5 + i + 1);
    }
}

TEST_F(generation_timing_test, malformed_timing_lines_are_ignored) {
    parser_.feed(prompt_line);
    EXPECT_FALSE(parser_.feed("       eval time =       x ms /     8 tokens"));
    EXPECT_FALSE(
        parser_.feed("       eval time =       2.31 ms /     8 tokens (    0.29 ms per token")
    );
    EXPECT_FALSE(
        parser_.feed("       eval time =       2.31 ms /     8 tokens (    0.29 ms per token,  "
                     "3460.21 tokens per second) extra")
    );
    EXPECT_FALSE(parser_.feed("      total time =       3.25 ms /    37 tokens"));  // no eval seen
}

TEST_F(generation_timing_test, infinite_rates_are_kept_and_serialise_as_null) {
    parser_.feed(
        "prompt eval time =       0.00 ms /     1 tokens (    0.00 ms per token,      inf tokens "
        "per "
        "second)"
    );
    parser_.feed(eval_line);
    auto done = parser_.feed(total_line);
    ASSERT_TRUE(done);
    EXPECT_TRUE(std::isinf(done->prompt_tokens_per_second));
    EXPECT_EQ(to_json(*done)["prompt_per_second"].dump(), "null");
}

TEST_F(generation_timing_test, json_has_our_names_and_llama_servers) {
    parser_.feed(header);
    parser_.feed(prompt_line);
    parser_.feed(eval_line);
    auto json = to_json(*parser_.feed(total_line));
    EXPECT_EQ(json["prompt_tokens"], 29);
    EXPECT_EQ(json["prompt_ms"], 0.94);
    EXPECT_EQ(json["prompt_ms_per_token"], 0.03);
    EXPECT_EQ(json["prompt_tokens_per_second"], 30851.06);
    EXPECT_EQ(json["generated_tokens"], 8);
    EXPECT_EQ(json["generation_ms"], 2.31);
    EXPECT_EQ(json["generation_ms_per_token"], 0.29);
    EXPECT_EQ(json["generation_tokens_per_second"], 3460.21);
    EXPECT_EQ(json["total_ms"], 3.25);
    EXPECT_EQ(json["total_tokens"], 37);
    EXPECT_EQ(json["finished_at"], 1'740'046'272.5);
    EXPECT_EQ(json["prompt_n"], 29);
    EXPECT_EQ(json["prompt_per_token_ms"], 0.03);
    EXPECT_EQ(json["prompt_per_second"], 30851.06);
    EXPECT_EQ(json["predicted_n"], 8);
    EXPECT_EQ(json["predicted_ms"], 2.31);
    EXPECT_EQ(json["predicted_per_token_ms"], 0.29);
    EXPECT_EQ(json["predicted_per_second"], 3460.21);
    EXPECT_EQ(json["slot_id"], 0);
    EXPECT_EQ(json["task_id"], 0);
}

TEST_F(generation_timing_test, json_leaves_out_unknown_ids) {
    last_generation g;
    auto json = to_json(g);
    EXPECT_FALSE(json.contains("slot_id"));
    EXPECT_FALSE(json.contains("task_id"));
}

}  // namespace
}  // namespace solar::host
