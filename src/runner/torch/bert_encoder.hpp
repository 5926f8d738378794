// The transformer encoder shared by BERT, RoBERTa, XLM-RoBERTa and DistilBERT: embeddings, then
// post-LayerNorm layers of masked self-attention and a feed-forward block. Only the weight names
// and the embedding inputs differ between the families.
#pragma once

#include <solar/runner/model_config.hpp>

#include <ATen/ATen.h>
#include <string>
#include <vector>

#include "tensor_source.hpp"

namespace solar::runner::torch_impl {

struct linear_weights {
    at::Tensor weight;  // [out, in]
    at::Tensor bias;    // [out]
};

struct layer_norm_weights {
    at::Tensor weight;
    at::Tensor bias;
};

struct encoder_layer_weights {
    linear_weights query, key, value, attention_output;
    layer_norm_weights attention_norm;
    linear_weights intermediate, output;
    layer_norm_weights output_norm;
};

struct encoder_weights {
    at::Tensor word_embeddings;
    at::Tensor position_embeddings;
    at::Tensor token_type_embeddings;  // undefined for DistilBERT
    layer_norm_weights embedding_norm;
    std::vector<encoder_layer_weights> layers;
};

// The padded inputs of one forward pass, all [batch, length] int64 on the model's device.
struct encoder_inputs {
    at::Tensor ids;
    at::Tensor type_ids;
    at::Tensor mask;  // 1 for tokens, 0 for padding
};

// The checkpoint's name prefix for the encoder: "bert.", "roberta.", "distilbert." or "" for a
// bare encoder saved on its own. Throws weight_error when neither layout is present.
std::string encoder_prefix(const tensor_source& source, const model_config& config);

// Reads the encoder's weights under `prefix`, checking every shape against the config.
// Throws weight_error naming a missing or misshapen tensor.
encoder_weights load_encoder(
    const tensor_source& source, const model_config& config, const std::string& prefix
);

// Hidden states [batch, length, hidden] in the weights' dtype; padded positions hold values
// that callers must mask.
at::Tensor encode(
    const encoder_weights& weights, const model_config& config, const encoder_inputs& inputs
);

inline at::Tensor apply(const linear_weights& w, const at::Tensor& x) {
    return at::linear(x, w.weight, w.bias);
}

}  // namespace solar::runner::torch_impl
