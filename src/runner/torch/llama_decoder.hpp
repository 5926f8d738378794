// The decoder network on ATen (Llama family, and GPT-2 through the config's switches): weights,
// rotary embeddings and one forward pass over new tokens that appends to a sequence's key/value
// cache. Included only by src/runner/torch/ (it carries ATen).
#pragma once

#include <solar/runner/decoder_config.hpp>

#include <ATen/ATen.h>
#include <cstdint>
#include <span>
#include <vector>

#include "tensor_source.hpp"

namespace solar::runner::torch_impl {

// Biases are undefined where the architecture has none; GPT-2's Conv1D weights are stored here
// transposed to nn.Linear's [out, in] and its c_attn split into q, k, v.
struct decoder_layer_weights {
    at::Tensor input_norm, post_attention_norm;            // [hidden]
    at::Tensor input_norm_bias, post_attention_norm_bias;  // LayerNorm (GPT-2)
    at::Tensor q, k, v, o;                                 // nn.Linear weights [out, in]
    at::Tensor q_bias, k_bias, v_bias, o_bias;
    at::Tensor gate, up, down;  // gate undefined without a gated MLP (GPT-2's c_fc is up)
    at::Tensor up_bias, down_bias;
};

struct decoder_weights {
    at::Tensor embed;      // [vocab, hidden]
    at::Tensor positions;  // [max_positions, hidden], learned positions only (GPT-2's wpe)
    std::vector<decoder_layer_weights> layers;
    at::Tensor norm, norm_bias;  // [hidden]
    at::Tensor lm_head;          // [vocab, hidden]; the embedding itself when tied
};

// One layer's cache: keys (already rotated) and values for positions [0, capacity), of which
// the sequence's first `length` are valid. [kv_heads, capacity, head_dim], contiguous.
struct layer_cache {
    at::Tensor keys, values;
};

struct kv_cache {
    std::vector<layer_cache> layers;
    std::int64_t length = 0;
    std::int64_t capacity = 0;
};

// Reads every weight under HF's names for the config's architecture: Llama's
// (model.layers.N.self_attn.q_proj, ...), Phi-3's fused qkv_proj and gate_up_proj (split here),
// or GPT-2's (load_gpt2_weights). Throws weight_error on a missing tensor or shape mismatch.
decoder_weights load_decoder_weights(const tensor_source& source, const decoder_config& config);

// GPT-2's transformer.h.N.attn.c_attn, ... (with or without the "transformer." prefix), in
// gpt2_weights.cpp.
decoder_weights load_gpt2_weights(const tensor_source& source, const decoder_config& config);

// The rotary inverse frequencies [head_dim / 2] (float32) with the config's rope_scaling; for
// dynamic scaling they depend on the sequence length the pass reaches.
at::Tensor rope_inverse_frequencies(const decoder_config& config, std::int64_t sequence_length);

// `count` consecutive rows of a forward pass's ids that extend one sequence's cache.
struct forward_segment {
    kv_cache* cache;
    std::int64_t count;
};

// Runs `ids` ([N] int64, on the model's device), the concatenation of the segments' new
// tokens: each segment's rows sit at positions cache->length .. + count - 1 of its own
// sequence, so prompts (count > 1) and decode steps (count 1) of different sequences share one
// pass. Appends each segment's keys and values to its cache (growing it as needed) and returns
// the final hidden states after the last norm of each segment's last row, [segments, hidden].
// The segments' caches must be distinct.
at::Tensor decoder_forward(
    const decoder_weights& weights,
    const decoder_config& config,
    const at::Tensor& ids,
    std::span<const forward_segment> segments
);

}  // namespace solar::runner::torch_impl
