// Completion request fields (defaults, overrides, 400s naming the field), the OpenAI response
// and chunk shapes, generation_config.json settings, and the generation timing block.
#include <solar/runner/completion_request.hpp>
#include <solar/runner/completion_response.hpp>
#include <solar/runner/slot_log.hpp>

#include <gtest/gtest.h>

#include <regex>

namespace solar::runner {
namespace {

using json = nlohmann::json;

TEST(completion_request, fields_override_the_instance_defaults) {
    generation_defaults d;
    d.sampling.temperature = 0.3;
    d.sampling.top_k = 40;
    d.max_tokens = 10;
    auto none = parse_completion_options(json::object(), completion_kind::text, d);
    ASSERT_TRUE(none);
    EXPECT_EQ(none->sampling.temperature, 0.3);
    EXPECT_EQ(none->sampling.top_k, 40);
    EXPECT_EQ(none->max_tokens, 10u);
    EXPECT_FALSE(none->seed);
    auto body = json::parse(R"({"temperature":0,"top_p":0.5,"top_k":3,"min_p":0.1,"seed":42,
        "stop":["a","bc"],"presence_penalty":0.5,"frequency_penalty":-0.5,"repetition_penalty":1.1,
        "max_tokens":7,"logprobs":2,"stream":true,"stream_options":{"include_usage":true}})");
    auto o = parse_completion_options(body, completion_kind::text, d);
    ASSERT_TRUE(o) << o.error().message;
    EXPECT_EQ(o->sampling.temperature, 0);
    EXPECT_EQ(o->sampling.top_p, 0.5);
    EXPECT_EQ(o->sampling.top_k, 3);
    EXPECT_EQ(o->sampling.min_p, 0.1);
    EXPECT_EQ(o->sampling.presence_penalty, 0.5);
    EXPECT_EQ(o->sampling.frequency_penalty, -0.5);
    EXPECT_EQ(o->sampling.repetition_penalty, 1.1);
    EXPECT_EQ(o->seed, 42u);
    EXPECT_EQ(o->stop, (std::vector<std::string>{"a", "bc"}));
    EXPECT_EQ(o->max_tokens, 7u);
    EXPECT_TRUE(o->logprobs);
    EXPECT_EQ(o->top_logprobs, 2u);
    EXPECT_TRUE(o->stream);
    EXPECT_TRUE(o->include_usage);
    auto chat = parse_completion_options(
        json::parse(
            R"({"max_completion_tokens":5,"max_tokens":9,"logprobs":true,"top_logprobs":3,"stop":"x"})"
        ),
        completion_kind::chat,
        d
    );
    ASSERT_TRUE(chat);
    EXPECT_EQ(chat->max_tokens, 5u);
    EXPECT_TRUE(chat->logprobs);
    EXPECT_EQ(chat->top_logprobs, 3u);
    EXPECT_EQ(chat->stop, std::vector<std::string>{"x"});
}

TEST(completion_request, bad_fields_are_400_naming_them) {
    std::vector<std::pair<std::string, std::string>> cases{
        {R"({"temperature":-1})", "temperature"},
        {R"({"temperature":"hot"})", "temperature"},
        {R"({"top_p":0})", "top_p"},
        {R"({"top_p":1.5})", "top_p"},
        {R"({"top_k":-1})", "top_k"},
        {R"({"min_p":2})", "min_p"},
        {R"({"max_tokens":0})", "max_tokens"},
        {R"({"max_completion_tokens":1.5})", "max_completion_tokens"},
        {R"({"seed":"x"})", "seed"},
        {R"({"n":2})", "n"},
        {R"({"stop":[1]})", "stop"},
        {R"({"logprobs":true})", "logprobs"},  // completions: an integer
        {R"({"logprobs":21})", "logprobs"},
        {R"({"stream":"yes"})", "stream"},
        {R"({"stream_options":{"include_usage":1}})", "stream_options.include_usage"},
        {R"({"presence_penalty":3})", "presence_penalty"},
    };
    for (const auto& [text, param] : cases) {
        auto r = parse_completion_options(json::parse(text), completion_kind::text, {});
        ASSERT_FALSE(r) << text;
        EXPECT_EQ(r.error().status, core::http::status::bad_request) << text;
        EXPECT_EQ(r.error().param, param) << text;
    }
    auto top =
        parse_completion_options(json::parse(R"({"top_logprobs":2})"), completion_kind::chat, {});
    ASSERT_FALSE(top);
    EXPECT_EQ(top.error().param, "top_logprobs");
}

TEST(completion_request, prompts_and_messages) {
    EXPECT_EQ(std::get<std::string>(*parse_prompt(json{{"prompt", "hi"}}, 10)), "hi");
    EXPECT_EQ(std::get<std::string>(*parse_prompt(json{{"prompt", {"hi"}}}, 10)), "hi");
    auto ids = parse_prompt(json{{"prompt", {1, 2}}}, 10);
    ASSERT_TRUE(ids);
    EXPECT_EQ(std::get<std::vector<std::int32_t>>(*ids), (std::vector<std::int32_t>{1, 2}));
    for (auto bad : {json::object(), json{{"prompt", {1, 10}}}, json{{"prompt", {"a", "b"}}}}) {
        auto r = parse_prompt(bad, 10);
        ASSERT_FALSE(r) << bad.dump();
        EXPECT_EQ(r.error().param, "prompt");
    }
    auto m = parse_messages(json::parse(
        R"({"messages":[{"role":"user","content":[{"type":"text","text":"a"},{"type":"text","text":"b"}]}]})"
    ));
    ASSERT_TRUE(m);
    EXPECT_EQ((*m)[0]["content"], "ab");
    auto missing_role = parse_messages(json::parse(R"({"messages":[{"content":"x"}]})"));
    ASSERT_FALSE(missing_role);
    EXPECT_EQ(missing_role.error().param, "messages[0].role");
    EXPECT_FALSE(parse_messages(json::parse(R"({"messages":[]})")));
}

TEST(completion_response, whole_and_chunk_shapes) {
    completion_envelope chat{completion_kind::chat, "chatcmpl-1", 100, "m"};
    auto body = json::parse(completion_body(chat, "hi", std::nullopt, finish_reason::stop, 3, 2));
    EXPECT_EQ(body["object"], "chat.completion");
    EXPECT_EQ(body["id"], "chatcmpl-1");
    EXPECT_EQ(body["created"], 100);
    EXPECT_EQ(body["model"], "m");
    EXPECT_EQ(body["choices"][0]["index"], 0);
    EXPECT_EQ(body["choices"][0]["message"], json({{"role", "assistant"}, {"content", "hi"}}));
    EXPECT_TRUE(body["choices"][0]["logprobs"].is_null());
    EXPECT_EQ(body["choices"][0]["finish_reason"], "stop");
    EXPECT_EQ(
        body["usage"], json({{"prompt_tokens", 3}, {"completion_tokens", 2}, {"total_tokens", 5}})
    );

    auto role = json::parse(completion_chunk(chat, "", std::nullopt, finish_reason::none, true));
    EXPECT_EQ(role["object"], "chat.completion.chunk");
    EXPECT_EQ(role["choices"][0]["delta"], json({{"role", "assistant"}, {"content", ""}}));
    EXPECT_TRUE(role["choices"][0]["finish_reason"].is_null());
    auto last = json::parse(completion_chunk(chat, "", std::nullopt, finish_reason::length));
    EXPECT_EQ(last["choices"][0]["delta"], json::object());
    EXPECT_EQ(last["choices"][0]["finish_reason"], "length");
    auto usage = json::parse(usage_chunk(chat, 3, 4));
    EXPECT_TRUE(usage["choices"].empty());
    EXPECT_EQ(usage["usage"]["total_tokens"], 7);

    completion_envelope text{completion_kind::text, "cmpl-1", 100, "m"};
    auto t = json::parse(completion_body(text, "x", std::nullopt, finish_reason::length, 1, 1));
    EXPECT_EQ(t["object"], "text_completion");
    EXPECT_EQ(t["choices"][0]["text"], "x");
    auto chunk = json::parse(completion_chunk(text, "y", std::nullopt, finish_reason::none));
    EXPECT_EQ(chunk["object"], "text_completion");
    EXPECT_EQ(chunk["choices"][0]["text"], "y");
}

TEST(completion_response, logprobs_shapes) {
    std::vector<sampled_token> tokens{{5, -0.5f, {{5, -0.5f}, {6, -1.5f}}}, {6, -0.25f, {}}};
    token_text_fn text_of = [](std::int32_t id) { return std::string(1, char('a' + id)); };
    auto chat = logprobs_json(completion_kind::chat, tokens, text_of);
    EXPECT_EQ(chat["content"][0]["token"], "f");
    EXPECT_EQ(chat["content"][0]["logprob"], -0.5);
    EXPECT_EQ(chat["content"][0]["bytes"], json({102}));
    EXPECT_EQ(chat["content"][0]["top_logprobs"][1]["token"], "g");
    auto text = logprobs_json(completion_kind::text, tokens, text_of, 10);
    EXPECT_EQ(text["tokens"], json({"f", "g"}));
    EXPECT_EQ(text["token_logprobs"], json({-0.5, -0.25}));
    EXPECT_EQ(text["top_logprobs"][0]["g"], -1.5);
    EXPECT_EQ(text["text_offset"], json({10, 11}));
}

TEST(slot_log, generation_timing_block_is_what_solar_host_parses) {
    auto block = generation_timing_block(3, 29, 0.94, 8, 2.31, 3.25);
    std::regex prompt(
        R"(prompt eval time =\s+0\.94 ms /\s+29 tokens \(\s*0\.03 ms per token,\s+30851\.06 tokens per second\))"
    );
    std::regex eval(
        R"(\n\s+eval time =\s+2\.31 ms /\s+8 tokens \(\s*0\.29 ms per token,\s+3463\.20 tokens per second\))"
    );
    std::regex total(R"(\n\s+total time =\s+3\.25 ms /\s+37 tokens$)");
    EXPECT_TRUE(std::regex_search(block, prompt)) << block;
    EXPECT_TRUE(std::regex_search(block, eval)) << block;
    EXPECT_TRUE(std::regex_search(block, total)) << block;
    EXPECT_EQ(cancel_line(4), "srv  cancel_tasks: cancel task, id_task = 4");
}

}  // namespace
}  // namespace solar::runner
