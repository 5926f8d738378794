// GPT-2's weights under HF's names, brought into decoder_weights' Llama-shaped layout: Conv1D
// weights ([in, out], x W + b) transposed to nn.Linear's [out, in], c_attn split into q, k, v.
#include <string>

#include "llama_decoder.hpp"

namespace solar::runner::torch_impl {

namespace {

// GPT2LMHeadModel.save_pretrained writes "transformer.h.0..."; the original OpenAI checkpoints
// (e.g. openai-community/gpt2) have no prefix.
std::vector<std::string> names(const std::string& name) { return {"transformer." + name, name}; }

// A Conv1D weight [in, out] as a Linear weight [out, in].
at::Tensor conv1d(
    const tensor_source& source, const std::string& name, std::int64_t in, std::int64_t out
) {
    return source.get(names(name), {in, out}).t().contiguous();
}

}  // namespace

decoder_weights load_gpt2_weights(const tensor_source& source, const decoder_config& c) {
    decoder_weights w;
    auto n = c.hidden_size;
    auto ff = c.intermediate_size;
    w.embed = source.get(names("wte.weight"), {c.vocab_size, n});
    w.positions = source.get(names("wpe.weight"), {c.max_position_embeddings, n});
    for (std::int64_t i = 0; i < c.num_hidden_layers; ++i) {
        auto base = "h." + std::to_string(i) + ".";
        decoder_layer_weights layer;
        layer.input_norm = source.get(names(base + "ln_1.weight"), {n});
        layer.input_norm_bias = source.get(names(base + "ln_1.bias"), {n});
        layer.post_attention_norm = source.get(names(base + "ln_2.weight"), {n});
        layer.post_attention_norm_bias = source.get(names(base + "ln_2.bias"), {n});
        // c_attn's output columns are q, k, v, each n wide.
        auto qkv = conv1d(source, base + "attn.c_attn.weight", n, 3 * n);
        auto qkv_bias = source.get(names(base + "attn.c_attn.bias"), {3 * n});
        layer.q = qkv.narrow(0, 0, n);
        layer.k = qkv.narrow(0, n, n);
        layer.v = qkv.narrow(0, 2 * n, n);
        layer.q_bias = qkv_bias.narrow(0, 0, n);
        layer.k_bias = qkv_bias.narrow(0, n, n);
        layer.v_bias = qkv_bias.narrow(0, 2 * n, n);
        layer.o = conv1d(source, base + "attn.c_proj.weight", n, n);
        layer.o_bias = source.get(names(base + "attn.c_proj.bias"), {n});
        layer.up = conv1d(source, base + "mlp.c_fc.weight", n, ff);
        layer.up_bias = source.get(names(base + "mlp.c_fc.bias"), {ff});
        layer.down = conv1d(source, base + "mlp.c_proj.weight", ff, n);
        layer.down_bias = source.get(names(base + "mlp.c_proj.bias"), {n});
        w.layers.push_back(std::move(layer));
    }
    w.norm = source.get(names("ln_f.weight"), {n});
    w.norm_bias = source.get(names("ln_f.bias"), {n});
    bool tied = c.tie_word_embeddings && !source.has("lm_head.weight");
    w.lm_head = tied ? w.embed : source.get({"lm_head.weight"}, {c.vocab_size, n});
    return w;
}

}  // namespace solar::runner::torch_impl
