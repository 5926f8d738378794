// The sampler chain: greedy, seeded draws, the cut-offs, penalties and logprobs.
#include <solar/runner/token_sampler.hpp>

#include <gtest/gtest.h>

#include <cmath>
#include <set>

namespace solar::runner {
namespace {

std::vector<float> ramp(std::size_t n) {
    std::vector<float> logits(n);
    for (std::size_t i = 0; i < n; ++i) logits[i] = static_cast<float>(i % 7) * 0.5f;
    return logits;
}

std::vector<std::int32_t> draws(sampling_params p, std::uint64_t seed, int n = 40) {
    token_sampler sampler(p, seed);
    auto logits = ramp(30);
    std::vector<std::int32_t> out;
    for (int i = 0; i < n; ++i) out.push_back(sampler.sample(logits, {}, 0, 0).id);
    return out;
}

TEST(token_sampler, temperature_zero_is_argmax_first_on_ties) {
    sampling_params p;
    p.temperature = 0;
    token_sampler sampler(p, 1);
    std::vector<float> logits{0.1f, 2.0f, 2.0f, -1.0f};
    EXPECT_EQ(sampler.sample(logits, {}, 0, 0).id, 1);
}

TEST(token_sampler, same_seed_same_tokens_other_seed_other_tokens) {
    sampling_params p;
    p.temperature = 1.0;
    EXPECT_EQ(draws(p, 7), draws(p, 7));
    EXPECT_NE(draws(p, 7), draws(p, 8));
    auto tokens = draws(p, 7);
    EXPECT_GT(std::set<std::int32_t>(tokens.begin(), tokens.end()).size(), 3u);
}

TEST(token_sampler, top_k_one_and_tiny_top_p_and_high_min_p_are_greedy) {
    auto logits = ramp(30);
    auto best = static_cast<std::int32_t>(6);  // first index with the top logit 3.0
    for (int variant = 0; variant < 3; ++variant) {
        sampling_params p;
        p.temperature = 5.0;
        if (variant == 0) p.top_k = 1;
        if (variant == 1) p.top_p = 1e-6;
        if (variant == 2) p.min_p = 0.99;
        token_sampler sampler(p, 3);
        for (int i = 0; i < 20; ++i) {
            auto id = sampler.sample(logits, {}, 0, 0).id;
            EXPECT_EQ(logits[id], 3.0f) << variant;
        }
        (void)best;
    }
}

TEST(token_sampler, top_k_limits_the_candidates) {
    sampling_params p;
    p.temperature = 10.0;
    p.top_k = 3;
    std::vector<float> logits{5, 4, 3, 2, 1, 0};
    token_sampler sampler(p, 11);
    std::set<std::int32_t> seen;
    for (int i = 0; i < 200; ++i) seen.insert(sampler.sample(logits, {}, 0, 0).id);
    EXPECT_EQ(seen, (std::set<std::int32_t>{0, 1, 2}));
}

TEST(token_sampler, penalties_move_greedy_off_repeated_tokens) {
    std::vector<float> logits{3.0f, 2.9f, 1.0f};
    std::vector<std::int32_t> history{0, 0};
    sampling_params rep;
    rep.temperature = 0;
    rep.repetition_penalty = 1.5;  // 3.0 / 1.5 = 2.0 < 2.9
    EXPECT_EQ(token_sampler(rep, 0).sample(logits, history, 0, 0).id, 1);
    sampling_params freq;
    freq.temperature = 0;
    freq.frequency_penalty = 0.1;  // 3.0 - 0.2 < 2.9, but only for generated tokens
    EXPECT_EQ(token_sampler(freq, 0).sample(logits, history, 2, 0).id, 1);
    EXPECT_EQ(token_sampler(freq, 0).sample(logits, history, 0, 0).id, 0);
    sampling_params presence;
    presence.temperature = 0;
    presence.presence_penalty = 0.05;  // once: 2.95 > 2.9
    EXPECT_EQ(token_sampler(presence, 0).sample(logits, history, 2, 0).id, 0);
}

TEST(token_sampler, logprobs_are_log_softmax_and_top_is_sorted) {
    sampling_params p;
    p.temperature = 0;
    std::vector<float> logits{1.0f, 3.0f, 2.0f};
    auto t = token_sampler(p, 0).sample(logits, {}, 0, 2);
    double z = std::exp(1.0) + std::exp(3.0) + std::exp(2.0);
    EXPECT_EQ(t.id, 1);
    EXPECT_NEAR(t.logprob, 3.0 - std::log(z), 1e-5);
    ASSERT_EQ(t.top.size(), 2u);
    EXPECT_EQ(t.top[0].id, 1);
    EXPECT_EQ(t.top[1].id, 2);
    EXPECT_NEAR(t.top[1].logprob, 2.0 - std::log(z), 1e-5);
}

TEST(token_sampler, logprobs_off_draws_the_same_tokens) {
    sampling_params p;
    p.temperature = 0.7;
    p.min_p = 0.05;
    token_sampler with(p, 21);
    token_sampler without(p, 21);
    auto logits = ramp(50);
    for (int i = 0; i < 30; ++i) {
        auto a = with.sample(logits, {}, 0, 3, true);
        auto b = without.sample(logits, {}, 0, 3, false);
        EXPECT_EQ(a.id, b.id);
        EXPECT_EQ(a.top.size(), 3u);
        EXPECT_TRUE(b.top.empty());
    }
}

}  // namespace
}  // namespace solar::runner
