// The shared encoder: HF weight names per family, and the forward pass in ATen ops.
#include "bert_encoder.hpp"

#include <cmath>
#include <limits>

namespace solar::runner::torch_impl {

namespace {

// The names of one layer's parts, relative to the layer, in BERT's and DistilBERT's layouts.
struct layer_names {
    const char* query;
    const char* key;
    const char* value;
    const char* attention_output;
    const char* attention_norm;
    const char* intermediate;
    const char* output;
    const char* output_norm;
};

constexpr layer_names bert_layer{
    "attention.self.query",
    "attention.self.key",
    "attention.self.value",
    "attention.output.dense",
    "attention.output.LayerNorm",
    "intermediate.dense",
    "output.dense",
    "output.LayerNorm",
};

constexpr layer_names distilbert_layer{
    "attention.q_lin",
    "attention.k_lin",
    "attention.v_lin",
    "attention.out_lin",
    "sa_layer_norm",
    "ffn.lin1",
    "ffn.lin2",
    "output_layer_norm",
};

linear_weights load_linear(
    const tensor_source& source, const std::string& base, std::int64_t in, std::int64_t out
) {
    return {source.weight(base, {out, in}), source.bias(base, out)};
}

layer_norm_weights load_norm(const tensor_source& source, const std::string& base, std::int64_t n) {
    return {source.weight(base, {n}), source.bias(base, n)};
}

at::Tensor layer_norm(const at::Tensor& x, const layer_norm_weights& w, double eps) {
    return at::layer_norm(x, {x.size(-1)}, w.weight, w.bias, eps);
}

at::Tensor activate(const at::Tensor& x, activation act) {
    switch (act) {
        case activation::gelu_new:
            return at::gelu(x, "tanh");
        case activation::relu:
            return at::relu(x);
        case activation::gelu:
        default:
            return at::gelu(x);
    }
}

// Scaled dot-product attention over all heads; padded keys get no weight.
at::Tensor self_attention(
    const at::Tensor& x,
    const encoder_layer_weights& w,
    std::int64_t heads,
    const at::Tensor& key_padding
) {
    auto batch = x.size(0);
    auto length = x.size(1);
    auto hidden = x.size(2);
    auto head_size = hidden / heads;
    auto split = [&](const at::Tensor& t) {
        return t.view({batch, length, heads, head_size}).transpose(1, 2);
    };
    auto q = split(apply(w.query, x));
    auto k = split(apply(w.key, x));
    auto v = split(apply(w.value, x));
    auto scores = at::matmul(q, k.transpose(-1, -2)) / std::sqrt(static_cast<double>(head_size));
    // Every sequence has a token, so no row is all -inf and softmax stays finite.
    scores = scores.masked_fill(key_padding, -std::numeric_limits<float>::infinity());
    auto context = at::matmul(at::softmax(scores, -1), v);
    return apply(w.attention_output, context.transpose(1, 2).reshape({batch, length, hidden}));
}

at::Tensor position_ids(const model_config& config, const encoder_inputs& inputs) {
    if (config.family == encoder_family::roberta) {
        // As HF's create_position_ids_from_input_ids: real tokens count from pad + 1, padding
        // keeps the pad position.
        auto real = inputs.ids.ne(config.pad_token_id).to(at::kLong);
        return at::cumsum(real, 1) * real + config.pad_token_id;
    }
    auto length = inputs.ids.size(1);
    return at::arange(length, inputs.ids.options()).unsqueeze(0).expand_as(inputs.ids);
}

}  // namespace

std::string encoder_prefix(const tensor_source& source, const model_config& config) {
    std::string prefix = config.family == encoder_family::distilbert ? "distilbert."
                         : config.family == encoder_family::roberta  ? "roberta."
                                                                     : "bert.";
    const std::string probe = "embeddings.word_embeddings.weight";
    if (source.has(prefix + probe)) return prefix;
    if (source.has(probe)) return "";
    throw weight_error("missing tensor " + prefix + probe + " (or " + probe + " without prefix)");
}

encoder_weights load_encoder(
    const tensor_source& source, const model_config& config, const std::string& prefix
) {
    auto h = config.hidden_size;
    encoder_weights w;
    auto emb = prefix + "embeddings.";
    w.word_embeddings = source.weight(emb + "word_embeddings", {config.vocab_size, h});
    w.position_embeddings =
        source.weight(emb + "position_embeddings", {config.max_position_embeddings, h});
    if (config.family != encoder_family::distilbert) {
        w.token_type_embeddings =
            source.weight(emb + "token_type_embeddings", {config.type_vocab_size, h});
    }
    w.embedding_norm = load_norm(source, emb + "LayerNorm", h);

    bool distil = config.family == encoder_family::distilbert;
    const layer_names& n = distil ? distilbert_layer : bert_layer;
    auto layers = prefix + (distil ? "transformer.layer." : "encoder.layer.");
    auto inter = config.intermediate_size;
    for (std::int64_t i = 0; i < config.num_hidden_layers; ++i) {
        auto base = layers + std::to_string(i) + ".";
        encoder_layer_weights layer;
        layer.query = load_linear(source, base + n.query, h, h);
        layer.key = load_linear(source, base + n.key, h, h);
        layer.value = load_linear(source, base + n.value, h, h);
        layer.attention_output = load_linear(source, base + n.attention_output, h, h);
        layer.attention_norm = load_norm(source, base + n.attention_norm, h);
        layer.intermediate = load_linear(source, base + n.intermediate, h, inter);
        layer.output = load_linear(source, base + n.output, inter, h);
        layer.output_norm = load_norm(source, base + n.output_norm, h);
        w.layers.push_back(std::move(layer));
    }
    return w;
}

at::Tensor encode(
    const encoder_weights& w, const model_config& config, const encoder_inputs& inputs
) {
    auto x = at::embedding(w.word_embeddings, inputs.ids) +
             at::embedding(w.position_embeddings, position_ids(config, inputs));
    if (w.token_type_embeddings.defined()) {
        x = x + at::embedding(w.token_type_embeddings, inputs.type_ids);
    }
    x = layer_norm(x, w.embedding_norm, config.layer_norm_eps);
    // [batch, 1, 1, length]: broadcast over heads and query positions.
    auto key_padding = inputs.mask.eq(0).unsqueeze(1).unsqueeze(2);
    for (const auto& layer : w.layers) {
        x = layer_norm(
            x + self_attention(x, layer, config.num_attention_heads, key_padding),
            layer.attention_norm,
            config.layer_norm_eps
        );
        auto ffn = apply(layer.output, activate(apply(layer.intermediate, x), config.hidden_act));
        x = layer_norm(x + ffn, layer.output_norm, config.layer_norm_eps);
    }
    return x;
}

}  // namespace solar::runner::torch_impl
