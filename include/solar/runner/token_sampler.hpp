// Picks the next token from a decoder's logits as llama.cpp's default chain does: penalties,
// top-k, top-p, min-p, temperature, then a draw from a seeded generator (temperature 0 =
// greedy). Pure apart from its own generator: the same seed and logits give the same tokens.
#pragma once

#include <cstddef>
#include <cstdint>
#include <random>
#include <span>
#include <vector>

namespace solar::runner {

struct sampling_params {
    double temperature = 1.0;         // <= 0: greedy (argmax after penalties)
    double top_p = 1.0;               // nucleus mass kept, (0, 1]
    std::int64_t top_k = 0;           // 0 = off
    double min_p = 0.0;               // tokens below min_p * p(best) dropped
    double presence_penalty = 0.0;    // OpenAI: minus this once per generated token seen
    double frequency_penalty = 0.0;   // OpenAI: minus this per occurrence in the generation
    double repetition_penalty = 1.0;  // HF/llama.cpp: seen tokens' logits divided (or times)
};

struct token_logprob {
    std::int32_t id = 0;
    float logprob = 0;
};

struct sampled_token {
    std::int32_t id = 0;
    float logprob = 0;               // log-softmax of the penalised logits
    std::vector<token_logprob> top;  // the best `top_logprobs` alternatives, best first
};

class token_sampler {
public:
    token_sampler(sampling_params params, std::uint64_t seed);

    // Samples from `logits` (one per vocabulary id). `history` is every token of the sequence
    // (prompt and generation), `generated` the count at its end that was generated: repetition
    // penalty looks at all of them, presence and frequency at the generated ones only.
    // Without `with_logprobs`, logprob and top stay empty (a log-softmax over the vocabulary
    // per token saved).
    sampled_token sample(
        std::span<const float> logits,
        std::span<const std::int32_t> history,
        std::size_t generated,
        std::size_t top_logprobs,
        bool with_logprobs = true
    );

private:
    double uniform();

    sampling_params params_;
    std::mt19937_64 rng_;  // fixed algorithm, so a seed means the same draws everywhere
};

}  // namespace solar::runner
