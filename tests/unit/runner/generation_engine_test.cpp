// Continuous batching step by step over the fake decoder: EOS, limits, stop strings, UTF-8,
// seeds, joining and leaving the running batch, the concurrency bound and cancellation.
#include <solar/runner/generation_engine.hpp>

#include <gtest/gtest.h>

#include "fake_decoder.hpp"

namespace solar::runner {
namespace {

using test::fake_decoder;
using test::fake_tokenizer;

struct collected {
    std::string text;
    std::vector<std::string> pieces;
    std::vector<std::int32_t> tokens;
    finish_reason finish = finish_reason::none;
    generation_stats stats;
};

collected drain(generation_stream& s, collected c = {}) {
    for (auto& e : s.take()) {
        c.text += e.text;
        if (!e.text.empty()) c.pieces.push_back(e.text);
        for (auto& t : e.tokens) c.tokens.push_back(t.id);
        if (e.finish != finish_reason::none) {
            c.finish = e.finish;
            c.stats = e.stats;
        }
    }
    return c;
}

generation_request request(std::string prompt, std::size_t max_tokens = 64) {
    generation_request r;
    r.prompt = fake_tokenizer{}.encode(prompt, true, 0).ids;
    r.max_tokens = max_tokens;
    r.sampling.temperature = 0;
    r.eos_ids = {test::eos_id};
    r.logprobs = true;  // to see the tokens
    return r;
}

collected run_alone(fake_decoder& model, generation_request r, std::size_t max_length = 1 << 20) {
    fake_tokenizer tok;
    generation_engine engine(model, tok, 4, max_length);
    auto stream = std::make_shared<generation_stream>();
    engine.add(stream, std::move(r));
    collected c;
    for (int i = 0; i < 10000 && !engine.idle(); ++i) {
        engine.step();
        c = drain(*stream, std::move(c));
    }
    return c;
}

TEST(generation_engine, greedy_until_eos_with_counts) {
    fake_decoder model(test::scripted("hello"));
    auto c = run_alone(model, request("hi"));
    EXPECT_EQ(c.text, "hello");
    EXPECT_EQ(c.finish, finish_reason::stop);
    EXPECT_EQ(c.stats.prompt_tokens, 3u);     // <s> h i
    EXPECT_EQ(c.stats.generated_tokens, 6u);  // h e l l o </s>
    EXPECT_EQ(model.prefills.load(), 1);
    EXPECT_EQ(model.live.load(), 0);  // the sequence was freed
}

TEST(generation_engine, max_tokens_and_max_length_end_with_length) {
    fake_decoder model(test::scripted("abcdefgh"));
    auto c = run_alone(model, request("x", 3));
    EXPECT_EQ(c.text, "abc");
    EXPECT_EQ(c.finish, finish_reason::length);
    EXPECT_EQ(c.stats.generated_tokens, 3u);
    auto bounded = run_alone(model, request("x", 100), 6);  // 2 prompt tokens + 4
    EXPECT_EQ(bounded.text, "abcd");
    EXPECT_EQ(bounded.finish, finish_reason::length);
}

TEST(generation_engine, stop_string_across_tokens_is_cut_and_never_streamed) {
    fake_decoder model(test::scripted("hello world"));
    auto r = request("p");
    r.stop = {"lo w"};
    auto c = run_alone(model, r);
    EXPECT_EQ(c.text, "hel");
    EXPECT_EQ(c.finish, finish_reason::stop);
    EXPECT_EQ(c.stats.generated_tokens, 7u);  // h e l l o ' ' w: generation stopped there
    auto unmatched = request("p");
    unmatched.stop = {"lox"};
    EXPECT_EQ(run_alone(model, unmatched).text, "hello world");
}

TEST(generation_engine, streamed_pieces_are_whole_utf8) {
    std::string script = "a\xC3\xA9\xE2\x82\xAC!";
    fake_decoder model(test::scripted(script));
    auto c = run_alone(model, request("p"));
    EXPECT_EQ(c.text, script);
    EXPECT_EQ(c.pieces, (std::vector<std::string>{"a", "\xC3\xA9", "\xE2\x82\xAC", "!"}));
}

TEST(generation_engine, same_seed_same_tokens) {
    fake_decoder model(test::hashed_logits);
    auto sampled = [&](std::uint64_t seed) {
        auto r = request("seed", 24);
        r.sampling.temperature = 1.0;
        r.seed = seed;
        return run_alone(model, r).tokens;
    };
    EXPECT_EQ(sampled(5), sampled(5));
    EXPECT_NE(sampled(5), sampled(6));
    EXPECT_EQ(sampled(5).size(), 24u);
}

TEST(generation_engine, sequences_join_and_leave_the_batch_and_match_running_alone) {
    fake_decoder model(test::hashed_logits);
    fake_tokenizer tok;
    generation_engine engine(model, tok, 8, 1 << 20);
    auto make = [](std::string prompt, std::size_t n, std::uint64_t seed) {
        auto r = request(prompt, n);
        r.sampling.temperature = 0.8;
        r.seed = seed;
        return r;
    };
    std::vector<generation_request> reqs{make("one", 6, 1), make("two", 3, 9), make("three", 7, 2)};
    std::vector<std::shared_ptr<generation_stream>> streams;
    std::vector<collected> got(3);
    for (std::size_t i = 0; i < 3; ++i) streams.push_back(std::make_shared<generation_stream>());
    engine.add(streams[0], reqs[0]);
    engine.step();  // 0 prefilled + one decode alone
    engine.add(streams[1], reqs[1]);
    engine.add(streams[2], reqs[2]);
    while (!engine.idle()) {
        engine.step();
        for (std::size_t i = 0; i < 3; ++i) got[i] = drain(*streams[i], std::move(got[i]));
    }
    auto sizes = model.batches();
    EXPECT_EQ(sizes.front(), 1u);
    EXPECT_EQ(*std::max_element(sizes.begin(), sizes.end()), 3u);  // one step for all three
    EXPECT_EQ(sizes.back(), 1u);                                   // the longest alone
    EXPECT_EQ(model.prefills.load(), 3);
    for (std::size_t i = 0; i < 3; ++i) {
        fake_decoder alone(test::hashed_logits);
        auto solo = run_alone(alone, reqs[i]);
        EXPECT_EQ(got[i].tokens, solo.tokens) << i;
        EXPECT_EQ(got[i].finish, finish_reason::length);
    }
}

TEST(generation_engine, at_most_max_running_the_rest_wait) {
    fake_decoder model(test::scripted("abcdef"));
    fake_tokenizer tok;
    generation_engine engine(model, tok, 2, 1 << 20);
    std::vector<std::shared_ptr<generation_stream>> streams;
    for (int i = 0; i < 3; ++i) {
        streams.push_back(std::make_shared<generation_stream>());
        engine.add(streams.back(), request("p", 4));
    }
    engine.step();
    EXPECT_EQ(engine.running(), 2u);
    EXPECT_EQ(engine.waiting(), 1u);
    while (!engine.idle()) engine.step();
    for (auto& s : streams) EXPECT_EQ(drain(*s).text, "abcd");
    for (auto n : model.batches()) EXPECT_LE(n, 2u);
}

TEST(generation_engine, cancelled_sequence_leaves_at_the_next_step) {
    fake_decoder model(test::hashed_logits);
    fake_tokenizer tok;
    generation_engine engine(model, tok, 4, 1 << 20);
    auto a = std::make_shared<generation_stream>();
    auto b = std::make_shared<generation_stream>();
    engine.add(a, request("a", 1000));
    engine.add(b, request("b", 1000));
    engine.step();
    engine.step();
    a->cancel();
    engine.step();
    EXPECT_EQ(engine.running(), 1u);
    EXPECT_EQ(model.live.load(), 1);
    auto c = drain(*a);
    EXPECT_EQ(c.finish, finish_reason::cancelled);
    EXPECT_EQ(c.stats.generated_tokens, 3u);  // first token at prefill, then two steps
    EXPECT_EQ(model.batches().back(), 1u);
}

TEST(generation_engine, a_failing_prefill_ends_that_request_only) {
    fake_decoder model(test::scripted("ab"));
    fake_tokenizer tok;
    generation_engine engine(model, tok, 4, 1 << 20);
    auto bad = std::make_shared<generation_stream>();
    auto good = std::make_shared<generation_stream>();
    auto empty = request("");
    empty.prompt.clear();
    engine.add(bad, empty);
    engine.add(good, request("x"));
    while (!engine.idle()) engine.step();
    auto events = bad->take();
    ASSERT_EQ(events.size(), 1u);
    EXPECT_EQ(events[0].finish, finish_reason::error);
    EXPECT_FALSE(events[0].error.empty());
    EXPECT_EQ(drain(*good).text, "ab");
}

}  // namespace
}  // namespace solar::runner
