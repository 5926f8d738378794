// The scheduler's worker thread: events reach coroutines on their own executor, concurrent
// requests equal the same requests one by one, cancel stops a generation, stop fails the rest.
#include <solar/runner/generation_scheduler.hpp>

#include <boost/asio/co_spawn.hpp>
#include <boost/asio/io_context.hpp>

#include <gtest/gtest.h>

#include <future>
#include <thread>

#include "fake_decoder.hpp"

namespace solar::runner {
namespace {

using test::fake_decoder;
using test::fake_tokenizer;

struct result {
    std::string text;
    finish_reason finish = finish_reason::none;
    std::size_t generated = 0;
    bool aborted = false;
};

asio::awaitable<void> consume(std::shared_ptr<generation_stream> s, result& out) {
    try {
        while (out.finish == finish_reason::none) {
            std::vector<generation_event> events;
            auto next = s->next();
            events = co_await std::move(next);
            if (events.empty()) break;
            for (auto& e : events) {
                out.text += e.text;
                if (e.finish != finish_reason::none) {
                    out.finish = e.finish;
                    out.generated = e.stats.generated_tokens;
                }
            }
        }
    } catch (const boost::system::system_error&) {
        out.aborted = true;
    }
}

generation_request sampled(std::string prompt, std::uint64_t seed, std::size_t n) {
    generation_request r;
    r.prompt = fake_tokenizer{}.encode(prompt, true, 0).ids;
    r.max_tokens = n;
    r.sampling.temperature = 0.9;
    r.sampling.top_k = 10;
    r.seed = seed;
    r.eos_ids = {test::eos_id};
    return r;
}

// Submits every request, then opens `gate` (if any) so the worker starts with all of them.
std::vector<result> run_all(
    generation_scheduler& sched, std::vector<generation_request> reqs, std::promise<void>* gate = {}
) {
    asio::io_context ioc;
    std::vector<result> out(reqs.size());
    for (std::size_t i = 0; i < reqs.size(); ++i) {
        asio::co_spawn(ioc, consume(sched.submit(reqs[i]), out[i]), asio::detached);
    }
    if (gate) gate->set_value();
    ioc.run();
    return out;
}

// hashed_logits, but the first call waits for `opened`: the worker holds its first prefill
// until the test has submitted everything.
test::logits_fn gated(std::shared_future<void> opened) {
    return [opened](const test::fake_sequence& s) {
        opened.wait();
        return test::hashed_logits(s);
    };
}

TEST(generation_scheduler, concurrent_requests_equal_sequential_ones) {
    std::vector<generation_request> reqs;
    for (int i = 0; i < 5; ++i) reqs.push_back(sampled("prompt " + std::to_string(i), i, 8 + i));
    fake_tokenizer tok;
    std::promise<void> gate;
    fake_decoder together_model(gated(gate.get_future().share()));
    generation_scheduler together(together_model, tok, 8, 1 << 20);
    auto concurrent = run_all(together, reqs, &gate);

    fake_decoder alone_model(test::hashed_logits);
    generation_scheduler alone(alone_model, tok, 8, 1 << 20);
    for (std::size_t i = 0; i < reqs.size(); ++i) {
        auto one = run_all(alone, {reqs[i]});
        EXPECT_EQ(concurrent[i].text, one[0].text) << i;
        EXPECT_EQ(concurrent[i].finish, finish_reason::length);
        EXPECT_EQ(concurrent[i].generated, 8u + i);
    }
    // All five decoded together by the second step at the latest (the worker may have taken
    // the first request alone), so the longest (12 tokens) bounds the steps; alone at the end.
    auto sizes = together_model.batches();
    EXPECT_EQ(*std::max_element(sizes.begin(), sizes.end()), 5u);
    EXPECT_LE(sizes.size(), 12u);
    EXPECT_EQ(sizes.back(), 1u);
}

TEST(generation_scheduler, cancel_stops_the_generation) {
    fake_tokenizer tok;
    fake_decoder model(test::hashed_logits);
    generation_scheduler sched(model, tok, 4, 1 << 20);
    auto stream = sched.submit(sampled("long", 1, 1 << 30));
    asio::io_context ioc;
    result got;
    // Cancel after the first event arrived, like a client that read one chunk and left.
    asio::co_spawn(
        ioc,
        [&]() -> asio::awaitable<void> {
            auto first = stream->next();
            auto events = co_await std::move(first);
            EXPECT_FALSE(events.empty());
            stream->cancel();
            co_await consume(stream, got);
        },
        asio::detached
    );
    ioc.run();
    EXPECT_TRUE(got.aborted);
    // The worker drops it at its next step: the sequence is freed long before 2^30 tokens.
    for (int i = 0; i < 2000 && model.live.load() != 0; ++i) {
        std::this_thread::sleep_for(std::chrono::milliseconds(1));  // bounded wait, not sync
    }
    EXPECT_EQ(model.live.load(), 0);
}

TEST(generation_scheduler, stop_fails_running_and_later_requests) {
    fake_tokenizer tok;
    fake_decoder model(test::hashed_logits);
    generation_scheduler sched(model, tok, 4, 1 << 20);
    auto running = sched.submit(sampled("a", 1, 1 << 30));
    sched.stop();
    auto late = sched.submit(sampled("b", 1, 4));
    asio::io_context ioc;
    result r1, r2;
    asio::co_spawn(ioc, consume(running, r1), asio::detached);
    asio::co_spawn(ioc, consume(late, r2), asio::detached);
    ioc.run();
    EXPECT_EQ(r1.finish, finish_reason::error);
    EXPECT_EQ(r2.finish, finish_reason::error);
}

}  // namespace
}  // namespace solar::runner
