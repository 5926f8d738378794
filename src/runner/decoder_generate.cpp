// Torch-free helpers over decoder_model: the single-sequence step, argmax and greedy decoding.
#include <solar/runner/decoder_model.hpp>

#include <algorithm>
#include <stdexcept>

namespace solar::runner {

std::vector<float> decoder_model::decode_step(decoder_sequence& sequence, std::int32_t token) {
    decoder_sequence* one[] = {&sequence};
    std::int32_t tokens[] = {token};
    auto logits =
        decode_step(std::span<decoder_sequence* const>(one), std::span<const std::int32_t>(tokens));
    return std::move(logits.front());
}

std::int32_t argmax_token(std::span<const float> logits) {
    if (logits.empty()) throw std::invalid_argument("argmax of empty logits");
    return static_cast<std::int32_t>(
        std::max_element(logits.begin(), logits.end()) - logits.begin()
    );
}

std::vector<std::int32_t> greedy_generate(
    decoder_model& model,
    std::span<const std::int32_t> prompt,
    std::size_t max_new_tokens,
    std::span<const std::int32_t> stop_ids
) {
    std::vector<std::int32_t> out;
    if (max_new_tokens == 0) return out;
    auto sequence = model.new_sequence();
    auto logits = model.prefill(*sequence, prompt);
    while (true) {
        auto token = argmax_token(logits);
        out.push_back(token);
        bool stop = std::find(stop_ids.begin(), stop_ids.end(), token) != stop_ids.end();
        if (stop || out.size() >= max_new_tokens) break;
        logits = model.decode_step(*sequence, token);
    }
    return out;
}

}  // namespace solar::runner
