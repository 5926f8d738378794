// A HuggingFace config.json for the causal decoders the runner serves (Llama, Mistral, Qwen2,
// Phi-3, GPT-2), read into one plain struct whose switches select each family's differences.
#pragma once

#include <boost/system/result.hpp>

#include <nlohmann/json.hpp>

#include <cstdint>
#include <filesystem>
#include <optional>
#include <string>
#include <vector>

namespace solar::runner {

// config.json's rope_scaling: none, "linear" (positions divided by factor), "dynamic" (NTK
// base growth past the original context) or "llama3" (per-frequency smoothing).
enum class rope_scaling_kind { none, linear, dynamic, llama3 };

// The feed-forward activation: SiLU (Llama family), GPT-2's tanh approximation "gelu_new"
// (also "gelu_pytorch_tanh"), or the exact erf "gelu".
enum class decoder_activation { silu, gelu_tanh, gelu };

struct rope_scaling {
    rope_scaling_kind kind = rope_scaling_kind::none;
    double factor = 1.0;
    double low_freq_factor = 1.0;   // llama3
    double high_freq_factor = 4.0;  // llama3
    // llama3: the context the frequencies were trained on; dynamic: the length past which the
    // base grows (max_position_embeddings when the scaling names none).
    std::int64_t original_max_position_embeddings = 0;
};

struct decoder_config {
    std::string architecture;  // e.g. "LlamaForCausalLM"
    std::string model_type;    // "llama", "mistral", "qwen2", "phi3", "gpt2"

    std::int64_t vocab_size = 32000;
    std::int64_t hidden_size = 4096;
    std::int64_t intermediate_size = 11008;
    std::int64_t num_hidden_layers = 32;
    std::int64_t num_attention_heads = 32;
    std::int64_t num_key_value_heads = 32;  // grouped-query attention when fewer than the heads
    std::int64_t head_dim = 128;            // hidden_size / heads unless config.json says otherwise
    double rms_norm_eps = 1e-6;
    double rope_theta = 10000.0;
    struct rope_scaling rope_scaling;
    std::int64_t max_position_embeddings = 2048;

    // Mistral (and Qwen2 with use_sliding_window): each query sees at most this many positions,
    // itself included, in the layers from sliding_window_first_layer on.
    std::optional<std::int64_t> sliding_window;
    std::int64_t sliding_window_first_layer = 0;

    bool qkv_bias = false;  // Qwen2; Llama's attention_bias
    bool tie_word_embeddings = false;

    // GPT-2's differences from the Llama family, all false there: LayerNorm with a bias (eps in
    // rms_norm_eps) instead of RMSNorm, learned absolute positions instead of RoPE, a bias on the
    // output and feed-forward projections, and fc -> activation -> proj instead of gate/up/down.
    bool layer_norm = false;
    bool learned_positions = false;
    bool linear_bias = false;
    bool gated_mlp = true;
    decoder_activation activation = decoder_activation::silu;

    std::optional<std::int32_t> bos_token_id;
    std::vector<std::int32_t> eos_token_ids;  // a single id or a list in config.json
    std::string torch_dtype;                  // as the checkpoint declares it, "" when absent
};

// The decoder architectures load() accepts, for messages.
std::string supported_decoder_architectures();

// Whether config.json's first architecture (or, without one, its model_type) is a decoder
// this runner serves, so the caller can choose between decoder and encoder loading.
bool is_decoder_config(const nlohmann::json& config);

// Reads a parsed config.json with the defaults of the HuggingFace config class of its
// architecture. Fails with a message naming the problem: an unsupported architecture or
// activation or rope_scaling type, a malformed field, heads that do not divide the sizes.
boost::system::result<decoder_config, std::string> parse_decoder_config(const nlohmann::json& config
);

// Reads `model_dir`/config.json; fails when it is missing or not JSON, or as
// parse_decoder_config.
boost::system::result<decoder_config, std::string> read_decoder_config(
    const std::filesystem::path& model_dir
);

}  // namespace solar::runner
