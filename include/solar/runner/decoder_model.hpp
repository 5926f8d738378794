// A causal language model (Llama, Mistral, Qwen2, Phi-3, GPT-2) loaded from a HuggingFace model
// directory: next-token logits over sequences that keep their key/value cache between calls. The
// interface holds no torch types; load() is defined in src/runner/torch/ (solar_runner_torch).
#pragma once

#include <solar/runner/decoder_config.hpp>
#include <solar/runner/encoder_model.hpp>

#include <boost/system/result.hpp>

#include <cstdint>
#include <filesystem>
#include <memory>
#include <span>
#include <string>
#include <vector>

namespace solar::runner {

struct decoder_description {
    decoder_config config;
    std::uint64_t parameter_count = 0;
    std::string dtype;   // the compute dtype: "float32", "bfloat16", "float16"
    std::string device;  // "cpu", "cuda:0"
};

// One sequence's state: the tokens it has seen and their keys and values in every layer.
// Created by decoder_model::new_sequence and usable only with that model. Sequences are
// independent, so a scheduler may hold many and step any subset of them together.
class decoder_sequence {
public:
    virtual ~decoder_sequence() = default;
    // Tokens processed so far, i.e. the position of the next one.
    virtual std::size_t length() const = 0;
    // Forgets every token, keeping the allocated cache for reuse.
    virtual void clear() = 0;
};

// Not thread-safe: one caller at a time (the server's scheduler serialises forward passes).
class decoder_model {
public:
    virtual ~decoder_model() = default;

    // Loads config.json and the safetensors weights of a local model directory. Fails with a
    // message naming the problem: unsupported architecture, missing tensor, shape mismatch,
    // unknown dtype or device.
    static boost::system::result<std::unique_ptr<decoder_model>, std::string> load(
        const std::filesystem::path& model_dir, const model_load_options& options
    );

    virtual std::unique_ptr<decoder_sequence> new_sequence() = 0;

    // Appends `ids` to the sequence in one forward pass and returns the float32 logits
    // (vocab_size) for the token after the last one. Throws std::invalid_argument when `ids` is
    // empty, an id is outside the vocabulary or the sequence would exceed
    // max_position_embeddings; the sequence is then unchanged.
    virtual std::vector<float> prefill(
        decoder_sequence& sequence, std::span<const std::int32_t> ids
    ) = 0;

    // Appends one token to each sequence (distinct sequences of this model, any lengths) in
    // one batched forward pass and returns each one's next-token logits. Throws as prefill
    // (and when a sequence appears twice); no sequence changes then.
    virtual std::vector<std::vector<float>> decode_step(
        std::span<decoder_sequence* const> sequences, std::span<const std::int32_t> tokens
    ) = 0;

    // decode_step for a single sequence.
    std::vector<float> decode_step(decoder_sequence& sequence, std::int32_t token);

    virtual const decoder_description& description() const = 0;
};

// The highest logit's index (the first on ties), as llama.cpp's greedy sampler picks.
std::int32_t argmax_token(std::span<const float> logits);

// Greedy decoding: prefills `prompt` into a new sequence, then appends the argmax token up to
// `max_new_tokens` times, stopping after a token in `stop_ids`. Returns the generated tokens
// (a stop token included).
std::vector<std::int32_t> greedy_generate(
    decoder_model& model,
    std::span<const std::int32_t> prompt,
    std::size_t max_new_tokens,
    std::span<const std::int32_t> stop_ids = {}
);

}  // namespace solar::runner
