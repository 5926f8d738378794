// What turns hidden states into answers: each family's sequence-classification head, and the
// pooling of token states into one embedding per sequence.
#pragma once

#include <solar/runner/encoder_model.hpp>
#include <solar/runner/model_config.hpp>

#include <ATen/ATen.h>
#include <string>

#include "bert_encoder.hpp"

namespace solar::runner::torch_impl {

// The head on the first token: BERT's pooler (dense + tanh) then classifier, DistilBERT's
// pre_classifier + ReLU then classifier, RoBERTa's classifier.dense + tanh then out_proj.
struct classification_head {
    encoder_family family = encoder_family::bert;
    linear_weights dense;
    linear_weights out;
};

// Reads the head of `config`'s family; BERT's pooler lives under the encoder's `prefix`.
// Throws weight_error naming a missing or misshapen tensor.
classification_head load_classification_head(
    const tensor_source& source, const model_config& config, const std::string& prefix
);

// Logits [batch, num_labels] from hidden states [batch, length, hidden].
at::Tensor classify(const classification_head& head, const at::Tensor& states);

// Float32 embeddings [batch, hidden]: the masked mean, the first token or the last non-padding
// token, then divided by the L2 norm (at least 1e-12) when `normalize`.
at::Tensor pool(const at::Tensor& states, const at::Tensor& mask, pooling how, bool normalize);

}  // namespace solar::runner::torch_impl
