// The sampler chain over one logits row; candidates are sorted once and cut in place.
#include <solar/runner/token_sampler.hpp>

#include <algorithm>
#include <cmath>
#include <limits>
#include <numeric>
#include <stdexcept>
#include <unordered_map>

namespace solar::runner {

namespace {

struct candidate {
    std::int32_t id;
    float logit;
};

void apply_penalties(
    std::vector<float>& logits,
    const sampling_params& p,
    std::span<const std::int32_t> history,
    std::size_t generated
) {
    auto vocab = static_cast<std::int32_t>(logits.size());
    if (p.repetition_penalty != 1.0 && p.repetition_penalty > 0) {
        std::vector<bool> seen(logits.size(), false);
        for (auto id : history) {
            if (id < 0 || id >= vocab || seen[id]) continue;
            seen[id] = true;
            auto& l = logits[id];
            l = l > 0 ? static_cast<float>(l / p.repetition_penalty)
                      : static_cast<float>(l * p.repetition_penalty);
        }
    }
    if (p.presence_penalty != 0.0 || p.frequency_penalty != 0.0) {
        std::unordered_map<std::int32_t, std::size_t> counts;
        generated = std::min(generated, history.size());
        for (auto id : history.subspan(history.size() - generated)) {
            if (id >= 0 && id < vocab) ++counts[id];
        }
        for (auto [id, n] : counts) {
            logits[id] -= static_cast<float>(
                p.presence_penalty + p.frequency_penalty * static_cast<double>(n)
            );
        }
    }
}

// log-softmax of the whole row, for logprobs.
std::vector<float> log_softmax(const std::vector<float>& logits) {
    float top = *std::max_element(logits.begin(), logits.end());
    double sum = 0;
    for (float l : logits) sum += std::exp(static_cast<double>(l - top));
    auto log_sum = static_cast<float>(std::log(sum));
    std::vector<float> out(logits.size());
    for (std::size_t i = 0; i < logits.size(); ++i) out[i] = logits[i] - top - log_sum;
    return out;
}

}  // namespace

token_sampler::token_sampler(sampling_params params, std::uint64_t seed)
    : params_(params), rng_(seed) {}

double token_sampler::uniform() {
    // 53 random bits: std::uniform_real_distribution's output is not specified across libraries.
    return static_cast<double>(rng_() >> 11) * 0x1.0p-53;
}

sampled_token token_sampler::sample(
    std::span<const float> raw,
    std::span<const std::int32_t> history,
    std::size_t generated,
    std::size_t top_logprobs,
    bool with_logprobs
) {
    if (raw.empty()) throw std::invalid_argument("sampling from empty logits");
    std::vector<float> logits(raw.begin(), raw.end());
    apply_penalties(logits, params_, history, generated);

    sampled_token out;
    std::vector<float> logprobs;
    if (with_logprobs) logprobs = log_softmax(logits);

    std::int32_t chosen = 0;
    if (params_.temperature <= 0) {
        chosen = static_cast<std::int32_t>(
            std::max_element(logits.begin(), logits.end()) - logits.begin()
        );
    } else {
        std::vector<candidate> cands(logits.size());
        for (std::size_t i = 0; i < logits.size(); ++i) {
            cands[i] = {static_cast<std::int32_t>(i), logits[i]};
        }
        auto by_logit = [](const candidate& a, const candidate& b) {
            return a.logit > b.logit || (a.logit == b.logit && a.id < b.id);
        };
        // Sorting 32k-150k candidates per token costs more than the model step of a small
        // model: sort only what top-k or top-p need; otherwise just put the best first.
        std::size_t keep = cands.size();
        if (params_.top_k > 0) keep = std::min<std::size_t>(keep, params_.top_k);
        if (keep < cands.size()) {
            std::partial_sort(cands.begin(), cands.begin() + keep, cands.end(), by_logit);
            cands.resize(keep);
        } else if (params_.top_p < 1.0) {
            std::sort(cands.begin(), cands.end(), by_logit);
        } else {
            std::iter_swap(cands.begin(), std::min_element(cands.begin(), cands.end(), by_logit));
        }
        // top-p and min-p on the temperature-1 distribution, as llama.cpp orders its chain.
        std::vector<double> probs;
        double sum = 0;
        if (params_.top_p < 1.0 || params_.min_p > 0.0) {
            probs.resize(cands.size());
            for (std::size_t i = 0; i < cands.size(); ++i) {
                probs[i] = std::exp(static_cast<double>(cands[i].logit - cands[0].logit));
                sum += probs[i];
            }
        }
        if (params_.top_p < 1.0) {
            double mass = 0;
            for (std::size_t i = 0; i < cands.size(); ++i) {
                mass += probs[i] / sum;
                if (mass >= params_.top_p) {
                    cands.resize(i + 1);
                    probs.resize(i + 1);
                    break;
                }
            }
        }
        if (params_.min_p > 0.0) {
            // probs[0] is the best candidate's (1.0); keep the others at or above min_p of it.
            std::size_t kept = 1;
            for (std::size_t i = 1; i < cands.size(); ++i) {
                if (probs[i] >= params_.min_p * probs[0]) cands[kept++] = cands[i];
            }
            cands.resize(kept);
        }
        std::vector<double> weights(cands.size());
        double total = 0;
        for (std::size_t i = 0; i < cands.size(); ++i) {
            weights[i] = std::exp(
                static_cast<double>(cands[i].logit - cands[0].logit) / params_.temperature
            );
            total += weights[i];
        }
        double target = uniform() * total;
        chosen = cands.back().id;
        for (std::size_t i = 0; i < cands.size(); ++i) {
            target -= weights[i];
            if (target < 0) {
                chosen = cands[i].id;
                break;
            }
        }
    }
    out.id = chosen;
    if (!with_logprobs) return out;
    out.logprob = logprobs[chosen];
    if (top_logprobs > 0) {
        std::vector<std::int32_t> ids(logprobs.size());
        std::iota(ids.begin(), ids.end(), 0);
        auto n = std::min(top_logprobs, ids.size());
        std::partial_sort(ids.begin(), ids.begin() + n, ids.end(), [&](auto a, auto b) {
            return logprobs[a] > logprobs[b] || (logprobs[a] == logprobs[b] && a < b);
        });
        for (std::size_t i = 0; i < n; ++i) out.top.push_back({ids[i], logprobs[ids[i]]});
    }
    return out;
}

}  // namespace solar::runner
