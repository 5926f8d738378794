// The decoder on ATen: pre-norm layers of RMSNorm, rotary grouped-query attention over the cached
// keys and values, and a SwiGLU feed-forward block, as HF's LlamaModel computes; GPT-2's switches
// swap in LayerNorm, learned positions and a biased fc -> gelu -> proj block.
#include "llama_decoder.hpp"

#include <algorithm>
#include <cmath>
#include <limits>
#include <string>
#include <tuple>
#include <utility>

namespace solar::runner::torch_impl {

namespace {

constexpr double pi = 3.14159265358979323846;

// HF's LlamaRMSNorm: normalised in float32, cast back, then scaled.
at::Tensor rms_norm(const at::Tensor& x, const at::Tensor& weight, double eps) {
    auto wide = x.to(at::kFloat);
    auto scaled = wide * at::rsqrt(wide.pow(2).mean(-1, true) + eps);
    return weight * scaled.to(x.scalar_type());
}

// LayerNorm (GPT-2) or RMSNorm (the Llama family), as the config says.
at::Tensor norm(
    const at::Tensor& x, const at::Tensor& weight, const at::Tensor& bias, const decoder_config& c
) {
    if (!c.layer_norm) return rms_norm(x, weight, c.rms_norm_eps);
    return at::layer_norm(x, {x.size(-1)}, weight, bias, c.rms_norm_eps);
}

at::Tensor activate(const at::Tensor& x, decoder_activation kind) {
    switch (kind) {
        case decoder_activation::gelu_tanh:
            return at::gelu(x, "tanh");
        case decoder_activation::gelu:
            return at::gelu(x);
        case decoder_activation::silu:
            break;
    }
    return at::silu(x);
}

// The positions [N] (int64) of every row: each segment continues its cache.
at::Tensor row_positions(std::span<const forward_segment> segments, const at::Tensor& like) {
    std::vector<at::Tensor> parts;
    auto options = at::TensorOptions().dtype(at::kLong).device(like.device());
    for (const auto& s : segments) {
        parts.push_back(at::arange(s.cache->length, s.cache->length + s.count, options));
    }
    return at::cat(parts, 0);
}

// x: [heads, T, head_dim]; cos/sin: [T, head_dim]. Rotates the halves (HF's rotate_half).
at::Tensor apply_rope(const at::Tensor& x, const at::Tensor& cos, const at::Tensor& sin) {
    auto half = x.size(-1) / 2;
    auto rotated = at::cat({-x.narrow(-1, half, half), x.narrow(-1, 0, half)}, -1);
    return x * cos + rotated * sin;
}

// Doubles the cache (up to the model's context) until it holds `needed` positions.
void reserve(
    kv_cache& cache, const decoder_config& config, std::int64_t needed, const at::Tensor& like
) {
    if (needed <= cache.capacity) return;
    auto capacity = std::max<std::int64_t>(cache.capacity, 16);
    while (capacity < needed) capacity *= 2;
    capacity = std::min(capacity, std::max(needed, config.max_position_embeddings));
    cache.layers.resize(static_cast<std::size_t>(config.num_hidden_layers));
    for (auto& layer : cache.layers) {
        for (auto* tensor : {&layer.keys, &layer.values}) {
            auto grown =
                at::empty({config.num_key_value_heads, capacity, config.head_dim}, like.options());
            if (tensor->defined() && cache.length > 0) {
                grown.narrow(1, 0, cache.length).copy_(tensor->narrow(1, 0, cache.length));
            }
            *tensor = grown;
        }
    }
    cache.capacity = capacity;
}

at::Tensor project(const at::Tensor& x, const at::Tensor& weight, const at::Tensor& bias = {}) {
    return bias.defined() ? at::linear(x, weight, bias) : at::linear(x, weight);
}

// One segment's attention: its queries q [T, heads, d] against its cache, into which its keys
// and values k, v [T, kv_heads, d] are written first. Returns [T, heads * d].
at::Tensor attend(
    const decoder_config& c,
    std::size_t layer_index,
    const at::Tensor& q,
    const at::Tensor& k,
    const at::Tensor& v,
    kv_cache& cache
) {
    auto t = q.size(0);
    auto heads = c.num_attention_heads;
    auto kv_heads = c.num_key_value_heads;
    auto d = c.head_dim;
    auto past = cache.length;
    auto total = past + t;
    auto& layer = cache.layers[layer_index];
    layer.keys.narrow(1, past, t).copy_(k.transpose(0, 1));
    layer.values.narrow(1, past, t).copy_(v.transpose(0, 1));
    auto keys = layer.keys.narrow(1, 0, total).unsqueeze(1);      // [kv, 1, S, d]
    auto values = layer.values.narrow(1, 0, total).unsqueeze(1);  // [kv, 1, S, d]

    // Grouped-query attention without copying keys: each key/value head serves `group` query
    // heads, HF's repeat_kv order (query head i uses key head i / group).
    auto group = heads / kv_heads;
    auto grouped = q.transpose(0, 1).reshape({kv_heads, group, t, d});
    auto scores = at::matmul(grouped, keys.transpose(-1, -2)) * (1.0 / std::sqrt(double(d)));

    // Query i sits at position past + i and sees keys j <= past + i (within the window).
    auto options = at::TensorOptions().dtype(at::kLong).device(q.device());
    auto query_pos = at::arange(past, total, options).unsqueeze(1);
    auto key_pos = at::arange(0, total, options).unsqueeze(0);
    auto hidden = key_pos > query_pos;
    bool windowed =
        c.sliding_window && static_cast<std::int64_t>(layer_index) >= c.sliding_window_first_layer;
    if (windowed) hidden = hidden.logical_or(key_pos <= query_pos - *c.sliding_window);
    scores = scores.masked_fill(hidden, -std::numeric_limits<double>::infinity());
    auto probs = at::softmax(scores, -1, at::kFloat).to(q.scalar_type());
    auto out = at::matmul(probs, values);  // [kv, group, T, d]
    return out.reshape({heads, t, d}).transpose(0, 1).reshape({t, heads * d});
}

// cos/sin [N, head_dim] for every row: each segment's positions continue its cache, float32 as
// in HF, then in the compute dtype. Dynamic scaling gives each segment its own frequencies.
std::pair<at::Tensor, at::Tensor> rope_tables(
    const decoder_config& c, std::span<const forward_segment> segments, const at::Tensor& like
) {
    std::vector<at::Tensor> parts;
    for (const auto& s : segments) {
        auto start = s.cache->length;
        auto inv_freq = rope_inverse_frequencies(c, start + s.count).to(like.device());
        auto positions = at::arange(start, start + s.count, like.options().dtype(at::kFloat));
        parts.push_back(at::outer(positions, inv_freq));
    }
    auto angles = at::cat(parts, 0);
    auto emb = at::cat({angles, angles}, -1);
    return {emb.cos().to(like.scalar_type()), emb.sin().to(like.scalar_type())};
}

}  // namespace

decoder_weights load_decoder_weights(const tensor_source& source, const decoder_config& c) {
    if (c.model_type == "gpt2") return load_gpt2_weights(source, c);
    decoder_weights w;
    bool phi3 = c.model_type == "phi3";
    auto hidden = c.hidden_size;
    auto q_size = c.num_attention_heads * c.head_dim;
    auto kv_size = c.num_key_value_heads * c.head_dim;
    w.embed = source.get({"model.embed_tokens.weight"}, {c.vocab_size, hidden});
    for (std::int64_t i = 0; i < c.num_hidden_layers; ++i) {
        auto base = "model.layers." + std::to_string(i) + ".";
        decoder_layer_weights layer;
        layer.input_norm = source.get({base + "input_layernorm.weight"}, {hidden});
        layer.post_attention_norm =
            source.get({base + "post_attention_layernorm.weight"}, {hidden});
        if (phi3) {
            // Phi-3 stores q, k, v stacked in one qkv_proj (rows in that order).
            auto qkv =
                source.get({base + "self_attn.qkv_proj.weight"}, {q_size + 2 * kv_size, hidden});
            layer.q = qkv.narrow(0, 0, q_size);
            layer.k = qkv.narrow(0, q_size, kv_size);
            layer.v = qkv.narrow(0, q_size + kv_size, kv_size);
        } else {
            layer.q = source.get({base + "self_attn.q_proj.weight"}, {q_size, hidden});
            layer.k = source.get({base + "self_attn.k_proj.weight"}, {kv_size, hidden});
            layer.v = source.get({base + "self_attn.v_proj.weight"}, {kv_size, hidden});
        }
        layer.o = source.get({base + "self_attn.o_proj.weight"}, {hidden, q_size});
        if (c.qkv_bias) {
            layer.q_bias = source.get({base + "self_attn.q_proj.bias"}, {q_size});
            layer.k_bias = source.get({base + "self_attn.k_proj.bias"}, {kv_size});
            layer.v_bias = source.get({base + "self_attn.v_proj.bias"}, {kv_size});
        }
        if (phi3) {
            // gate_up_proj: the gate's rows first (Phi3MLP chunks the output in two).
            auto gate_up =
                source.get({base + "mlp.gate_up_proj.weight"}, {2 * c.intermediate_size, hidden});
            layer.gate = gate_up.narrow(0, 0, c.intermediate_size);
            layer.up = gate_up.narrow(0, c.intermediate_size, c.intermediate_size);
        } else {
            layer.gate = source.get({base + "mlp.gate_proj.weight"}, {c.intermediate_size, hidden});
            layer.up = source.get({base + "mlp.up_proj.weight"}, {c.intermediate_size, hidden});
        }
        layer.down = source.get({base + "mlp.down_proj.weight"}, {hidden, c.intermediate_size});
        w.layers.push_back(std::move(layer));
    }
    w.norm = source.get({"model.norm.weight"}, {hidden});
    // Tied checkpoints usually omit lm_head; one that stores it anyway is used as stored.
    bool tied = c.tie_word_embeddings && !source.has("lm_head.weight");
    w.lm_head = tied ? w.embed : source.get({"lm_head.weight"}, {c.vocab_size, hidden});
    return w;
}

at::Tensor rope_inverse_frequencies(const decoder_config& c, std::int64_t sequence_length) {
    const auto& scaling = c.rope_scaling;
    auto d = static_cast<double>(c.head_dim);
    double base = c.rope_theta;
    auto original = static_cast<double>(scaling.original_max_position_embeddings);
    if (scaling.kind == rope_scaling_kind::dynamic && sequence_length > original) {
        // HF's dynamic NTK: the base grows with the length reached past the original context.
        base *= std::pow(
            scaling.factor * sequence_length / original - (scaling.factor - 1), d / (d - 2)
        );
    }
    auto exponents = at::arange(0, c.head_dim, 2, at::kLong).to(at::kFloat) / static_cast<float>(d);
    auto inv_freq = 1.0 / at::pow(base, exponents);
    if (scaling.kind == rope_scaling_kind::linear) return inv_freq / scaling.factor;
    if (scaling.kind != rope_scaling_kind::llama3) return inv_freq;
    // Llama 3.1: long wavelengths slowed by factor, short ones kept, the band between blended.
    auto low_wavelen = original / scaling.low_freq_factor;
    auto high_wavelen = original / scaling.high_freq_factor;
    auto wavelen = 2 * pi / inv_freq;
    auto scaled = at::where(wavelen > low_wavelen, inv_freq / scaling.factor, inv_freq);
    auto smooth = (original / wavelen - scaling.low_freq_factor) /
                  (scaling.high_freq_factor - scaling.low_freq_factor);
    auto blended = (1 - smooth) * scaled / scaling.factor + smooth * scaled;
    auto medium = (wavelen >= high_wavelen).logical_and(wavelen <= low_wavelen);
    return at::where(medium, blended, scaled);
}

at::Tensor decoder_forward(
    const decoder_weights& w,
    const decoder_config& c,
    const at::Tensor& ids,
    std::span<const forward_segment> segments
) {
    auto n = ids.size(0);
    auto x = w.embed.index_select(0, ids);  // [N, hidden]
    for (const auto& s : segments) reserve(*s.cache, c, s.cache->length + s.count, x);
    at::Tensor cos, sin;
    if (c.learned_positions) {
        x = x + w.positions.index_select(0, row_positions(segments, x));
    } else {
        std::tie(cos, sin) = rope_tables(c, segments, x);
        cos = cos.unsqueeze(1);  // [N, 1, d]: one row per token, shared by the heads
        sin = sin.unsqueeze(1);
    }
    auto rope = [&](const at::Tensor& t) {
        return c.learned_positions ? t : apply_rope(t, cos, sin);
    };
    auto heads = c.num_attention_heads;
    auto kv_heads = c.num_key_value_heads;
    auto d = c.head_dim;

    // Projections, MLP and norms run over all N rows at once; attention per segment.
    for (std::size_t i = 0; i < w.layers.size(); ++i) {
        const auto& layer = w.layers[i];
        auto h = norm(x, layer.input_norm, layer.input_norm_bias, c);
        auto q = rope(project(h, layer.q, layer.q_bias).view({n, heads, d}));
        auto k = rope(project(h, layer.k, layer.k_bias).view({n, kv_heads, d}));
        auto v = project(h, layer.v, layer.v_bias).view({n, kv_heads, d});
        std::vector<at::Tensor> outputs;
        std::int64_t row = 0;
        for (const auto& s : segments) {
            outputs.push_back(attend(
                c,
                i,
                q.narrow(0, row, s.count),
                k.narrow(0, row, s.count),
                v.narrow(0, row, s.count),
                *s.cache
            ));
            row += s.count;
        }
        x = x + project(at::cat(outputs, 0), layer.o, layer.o_bias);
        h = norm(x, layer.post_attention_norm, layer.post_attention_norm_bias, c);
        auto up = project(h, layer.up, layer.up_bias);
        auto inner = c.gated_mlp ? activate(project(h, layer.gate), c.activation) * up
                                 : activate(up, c.activation);
        x = x + project(inner, layer.down, layer.down_bias);
    }
    // Each segment's last row predicts its next token.
    std::vector<std::int64_t> last;
    std::int64_t row = 0;
    for (const auto& s : segments) {
        s.cache->length += s.count;
        row += s.count;
        last.push_back(row - 1);
    }
    auto index = at::tensor(last, at::kLong).to(x.device());
    return norm(x.index_select(0, index), w.norm, w.norm_bias, c);
}

}  // namespace solar::runner::torch_impl
