// Request parsing and response building of /v1/embeddings and /v1/classify, and the slot log
// lines in llama-server's formats.
#include <solar/runner/classify_api.hpp>
#include <solar/runner/embeddings_api.hpp>
#include <solar/runner/request_inputs.hpp>
#include <solar/runner/slot_log.hpp>

#include <gtest/gtest.h>

#include <cmath>
#include <regex>
#include <sstream>

namespace solar::runner {
namespace {

using json = nlohmann::json;

// One token per byte, [CLS]=1 and [SEP]=2 around it when add_special.
struct byte_tokenizer final : text_tokenizer {
    tokenized_text encode(std::string_view text, bool add_special, std::size_t max_length)
        const override {
        tokenized_text out;
        if (add_special) out.ids.push_back(1);
        for (unsigned char c : text) out.ids.push_back(10 + c);
        if (add_special) out.ids.push_back(2);
        if (max_length && out.ids.size() > max_length) {
            out.ids.resize(max_length);
            if (add_special) out.ids.back() = 2;
            out.truncated = true;
        }
        out.type_ids.assign(out.ids.size(), 0);
        return out;
    }
    std::string decode(std::span<const std::int32_t> ids, bool) const override {
        std::string s;
        for (auto id : ids) {
            if (id >= 10) s += char(id - 10);
        }
        return s;
    }
    std::size_t vocab_size() const override { return 266; }
};

TEST(request_inputs, string_array_and_token_ids) {
    auto one = parse_inputs(json{{"input", "hi"}}, true, 266);
    ASSERT_TRUE(one);
    EXPECT_EQ(std::get<std::string>((*one)[0]), "hi");
    auto many = parse_inputs(json{{"input", {"a", "b"}}}, true, 266);
    ASSERT_TRUE(many);
    EXPECT_EQ(many->size(), 2u);
    auto ids = parse_inputs(json{{"input", {5, 6, 7}}}, true, 266);
    ASSERT_TRUE(ids);
    ASSERT_EQ(ids->size(), 1u);
    EXPECT_EQ(std::get<std::vector<std::int32_t>>((*ids)[0]).size(), 3u);
    auto nested = parse_inputs(json::parse(R"({"input":[[5,6],[7]]})"), true, 266);
    ASSERT_TRUE(nested);
    EXPECT_EQ(nested->size(), 2u);
}

TEST(request_inputs, bad_inputs_name_the_field) {
    for (auto body :
         {json::object(),
          json{{"input", 3}},
          json{{"input", json::array()}},
          json::parse(R"({"input":[1, 999]})"),
          json::parse(R"({"input":["a", 1]})")}) {
        auto r = parse_inputs(body, true, 266);
        ASSERT_FALSE(r) << body.dump();
        EXPECT_EQ(r.error().status, core::http::status::bad_request);
        EXPECT_EQ(r.error().param, "input");
    }
    EXPECT_FALSE(parse_inputs(json{{"input", {5, 6}}}, false, 0));  // classify: text only
}

TEST(request_inputs, truncates_or_refuses) {
    byte_tokenizer tok;
    std::vector<model_input> inputs{std::string("abcdef"), std::vector<std::int32_t>{20, 21, 22}};
    auto cut = prepare_inputs(inputs, tok, 4, true);
    ASSERT_TRUE(cut);
    EXPECT_EQ(cut->ids[0], (std::vector<std::int32_t>{1, 107, 108, 2}));
    EXPECT_EQ(cut->ids[1].size(), 3u);
    EXPECT_EQ(cut->tokens, 7u);
    auto refused = prepare_inputs(inputs, tok, 4, false);
    ASSERT_FALSE(refused);
    EXPECT_EQ(refused.error().code, "context_length_exceeded");
    EXPECT_FALSE(parse_truncate(json{{"truncate", "no"}}));
    EXPECT_TRUE(*parse_truncate(json::object()));
}

TEST(embeddings_api, options) {
    auto d = parse_embedding_options(json{{"encoding_format", "base64"}, {"dimensions", 4}}, 8);
    ASSERT_TRUE(d);
    EXPECT_TRUE(d->base64);
    EXPECT_EQ(d->dimensions, 4u);
    EXPECT_FALSE(parse_embedding_options(json{{"dimensions", 9}}, 8));
    EXPECT_FALSE(parse_embedding_options(json{{"dimensions", 0}}, 8));
    EXPECT_FALSE(parse_embedding_options(json{{"encoding_format", "int8"}}, 8));
}

TEST(embeddings_api, dimensions_renormalise) {
    std::vector<std::vector<float>> rows{{0.6f, 0.0f, 0.8f}, {3, 4, 0}};
    shorten_embeddings(rows, 2, true);
    EXPECT_FLOAT_EQ(rows[0][0], 1.0f);
    EXPECT_FLOAT_EQ(rows[1][0], 0.6f);
    EXPECT_FLOAT_EQ(rows[1][1], 0.8f);
    std::vector<std::vector<float>> raw{{3, 4, 5}};
    shorten_embeddings(raw, 2, false);
    EXPECT_EQ(raw[0], (std::vector<float>{3, 4}));
}

TEST(embeddings_api, base64_is_little_endian_float32) {
    // 1.0f = 00 00 80 3f; 2.0f = 00 00 00 40.
    EXPECT_EQ(base64_floats({1.0f}), "AACAPw==");
    EXPECT_EQ(base64_floats({1.0f, 2.0f}), "AACAPwAAAEA=");
    EXPECT_EQ(base64_floats({}), "");
}

TEST(embeddings_api, body_shape) {
    auto body = json::parse(embeddings_body({{0.5f, -0.25f}}, false, "m", 3));
    EXPECT_EQ(body["object"], "list");
    EXPECT_EQ(body["data"][0]["object"], "embedding");
    EXPECT_EQ(body["data"][0]["index"], 0);
    EXPECT_EQ(body["data"][0]["embedding"], json::parse("[0.5,-0.25]"));
    EXPECT_EQ(body["model"], "m");
    EXPECT_EQ(body["usage"]["prompt_tokens"], 3);
    EXPECT_EQ(body["usage"]["total_tokens"], 3);
    auto b64 = json::parse(embeddings_body({{1.0f}}, true, "m", 1));
    EXPECT_EQ(b64["data"][0]["embedding"], "AACAPw==");
}

TEST(classify_api, softmax_sorted_with_top_k) {
    auto scores = score_labels({0.0f, 2.0f, 1.0f}, {"neg", "pos", "mid"});
    ASSERT_EQ(scores.size(), 3u);
    EXPECT_EQ(scores[0].label, "pos");
    EXPECT_EQ(scores[1].label, "mid");
    double sum = scores[0].score + scores[1].score + scores[2].score;
    EXPECT_NEAR(sum, 1.0, 1e-9);
    EXPECT_NEAR(scores[0].score, std::exp(2.0) / (1 + std::exp(1.0) + std::exp(2.0)), 1e-9);
    auto single = score_labels({0.0f}, {});
    EXPECT_EQ(single[0].label, "LABEL_0");
    EXPECT_NEAR(single[0].score, 0.5, 1e-9);

    auto body = classify_body({scores, scores}, 2, "clf-x", 7, "m", 9);
    EXPECT_EQ(body["object"], "classification");
    EXPECT_EQ(body["id"], "clf-x");
    EXPECT_EQ(body["choices"].size(), 2u);
    EXPECT_EQ(body["choices"][1]["index"], 1);
    EXPECT_EQ(body["choices"][0]["label"], "pos");
    EXPECT_EQ(body["choices"][0]["scores"].size(), 2u);
    EXPECT_EQ(body["choices"][0]["scores"][1]["label"], "mid");
    EXPECT_EQ(body["usage"]["prompt_tokens"], 9);
    EXPECT_FALSE(
        classify_body({scores}, std::nullopt, "c", 0, "m", 1)["choices"][0].contains("scores")
    );
    EXPECT_FALSE(parse_top_k(json{{"top_k", 0}}));
}

TEST(slot_log, lines_match_llama_server_regexes) {
    auto block = timing_block(4, 29, 0.94, 3.25);
    std::istringstream in(block);
    std::string header, prompt, eval, total;
    std::getline(in, header);
    std::getline(in, prompt);
    std::getline(in, eval);
    std::getline(in, total);
    EXPECT_EQ(header, "slot print_timing: id  0 | task 4 | ");
    // The regexes of shared/contracts/llama-server.md section 5.
    EXPECT_TRUE(std::regex_match(
        prompt,
        std::regex(
            R"(^prompt eval time =\s+([\d.]+) ms /\s+(\d+) tokens \(\s*([\d.]+) ms per token,\s+([\d.]+) tokens per second\)$)"
        )
    )) << prompt;
    EXPECT_TRUE(std::regex_match(
        eval,
        std::regex(
            R"(^\s+eval time =\s+([\d.]+) ms /\s+(\d+) tokens \(\s*([\d.]+) ms per token,\s+([\d.]+) tokens per second\)$)"
        )
    )) << eval;
    EXPECT_TRUE(
        std::regex_match(total, std::regex(R"(^\s+total time =\s+([\d.]+) ms /\s+(\d+) tokens$)"))
    ) << total;
    EXPECT_EQ(
        prompt,
        "prompt eval time =       0.94 ms /    29 tokens (    0.03 ms per token, 30851.06 tokens "
        "per second)"
    );
    EXPECT_EQ(launch_line(4), "slot launch_slot_: id  0 | task 4 | processing task");
    EXPECT_EQ(
        release_line(4, 29, false),
        "slot      release: id  0 | task 4 | stop processing: n_past = 29, truncated = 0"
    );
    // No division by zero for an empty or instant pass.
    EXPECT_NE(timing_block(1, 0, 0.0, 0.0).find("0.00 tokens per second"), std::string::npos);
}

}  // namespace
}  // namespace solar::runner
