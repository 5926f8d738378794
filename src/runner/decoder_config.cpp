// config.json for Llama, Mistral, Qwen2, Phi-3 and GPT-2, with the defaults of the HuggingFace
// config classes (LlamaConfig, MistralConfig, Qwen2Config, Phi3Config, GPT2Config) where a field
// is absent.
#include <solar/runner/decoder_config.hpp>
#include <solar/runner/model_config.hpp>

#include <array>
#include <string_view>

namespace solar::runner {

namespace {

using config_result = boost::system::result<decoder_config, std::string>;

config_result config_error(std::string message) {
    return config_result(boost::system::in_place_error, std::move(message));
}

struct family_defaults {
    std::string_view architecture;
    std::string_view model_type;
    std::int64_t vocab_size;
    std::int64_t hidden_size;
    std::int64_t intermediate_size;
    std::int64_t num_key_value_heads;  // 0: as many as the attention heads
    std::int64_t max_position_embeddings;
    double rms_norm_eps;
    bool qkv_bias;
};

// GPT-2's row is read by read_gpt2 (its own field names); only its names are used from here.
constexpr std::array<family_defaults, 5> families{{
    {"LlamaForCausalLM", "llama", 32000, 4096, 11008, 0, 2048, 1e-6, false},
    {"MistralForCausalLM", "mistral", 32000, 4096, 14336, 8, 4096 * 32, 1e-6, false},
    {"Qwen2ForCausalLM", "qwen2", 151936, 4096, 22016, 0, 32768, 1e-6, true},
    {"Phi3ForCausalLM", "phi3", 32064, 3072, 8192, 0, 4096, 1e-5, false},
    {"GPT2LMHeadModel", "gpt2", 50257, 768, 3072, 0, 1024, 1e-5, true},
}};

const family_defaults* find_family(const nlohmann::json& config) {
    auto architectures = config.find("architectures");
    if (architectures != config.end() && architectures->is_array() && !architectures->empty()) {
        const auto& first = (*architectures)[0];
        if (!first.is_string()) return nullptr;
        for (const auto& f : families) {
            if (f.architecture == first.get<std::string>()) return &f;
        }
        return nullptr;
    }
    auto model_type = config.find("model_type");
    if (model_type == config.end() || !model_type->is_string()) return nullptr;
    for (const auto& f : families) {
        if (f.model_type == model_type->get<std::string>()) return &f;
    }
    return nullptr;
}

// Field readers: absent or null gives the fallback; present with the wrong type fails.
struct reader {
    const nlohmann::json& config;
    std::string failure;

    const nlohmann::json* find(const char* key) const {
        auto it = config.find(key);
        return it == config.end() || it->is_null() ? nullptr : &*it;
    }

    std::int64_t integer(const char* key, std::int64_t fallback) {
        const auto* value = find(key);
        if (!value) return fallback;
        if (!value->is_number_integer()) {
            fail(std::string(key) + " is not an integer");
            return fallback;
        }
        return value->get<std::int64_t>();
    }

    double number(const nlohmann::json& object, const char* key, double fallback) {
        auto it = object.find(key);
        if (it == object.end() || it->is_null()) return fallback;
        if (!it->is_number()) {
            fail(std::string(key) + " is not a number");
            return fallback;
        }
        return it->get<double>();
    }

    bool boolean(const char* key, bool fallback) {
        const auto* value = find(key);
        if (!value) return fallback;
        if (!value->is_boolean()) {
            fail(std::string(key) + " is not a boolean");
            return fallback;
        }
        return value->get<bool>();
    }

    std::string string(const char* key) const {
        const auto* value = find(key);
        return value && value->is_string() ? value->get<std::string>() : std::string();
    }

    void fail(std::string message) {
        if (failure.empty()) failure = "config.json: " + std::move(message);
    }
};

void read_rope_scaling(reader& r, decoder_config& out) {
    const auto* scaling = r.find("rope_scaling");
    if (!scaling) return;
    if (!scaling->is_object()) return r.fail("rope_scaling is not an object");
    // Older configs name the kind "type", newer ones "rope_type".
    std::string kind = scaling->value("rope_type", scaling->value("type", std::string()));
    auto& rope = out.rope_scaling;
    if (kind == "default" || kind.empty()) return;
    if (kind == "linear") {
        rope.kind = rope_scaling_kind::linear;
    } else if (kind == "dynamic") {
        rope.kind = rope_scaling_kind::dynamic;
    } else if (kind == "llama3") {
        rope.kind = rope_scaling_kind::llama3;
    } else {
        return r.fail(
            "unsupported rope_scaling type " + kind + " (supported: linear, dynamic, llama3)"
        );
    }
    rope.factor = r.number(*scaling, "factor", 1.0);
    rope.low_freq_factor = r.number(*scaling, "low_freq_factor", 1.0);
    rope.high_freq_factor = r.number(*scaling, "high_freq_factor", 4.0);
    auto original = scaling->find("original_max_position_embeddings");
    rope.original_max_position_embeddings =
        original != scaling->end() && original->is_number_integer() ? original->get<std::int64_t>()
                                                                    : out.max_position_embeddings;
    if (rope.factor <= 0) r.fail("rope_scaling factor must be positive");
    if (rope.kind == rope_scaling_kind::llama3 && rope.high_freq_factor <= rope.low_freq_factor) {
        r.fail("rope_scaling high_freq_factor must exceed low_freq_factor");
    }
}

void read_token_ids(reader& r, decoder_config& out, const family_defaults& family) {
    const auto& type = family.model_type;
    bool llama = type == "llama" || type == "phi3";
    auto bos = r.integer("bos_token_id", llama ? 1 : type == "gpt2" ? 50256 : -1);
    if (bos >= 0) out.bos_token_id = static_cast<std::int32_t>(bos);
    const auto* eos = r.find("eos_token_id");
    if (!eos) {
        if (type == "llama" || type == "mistral") out.eos_token_ids = {2};
        if (type == "phi3") out.eos_token_ids = {32000};
        if (type == "gpt2") out.eos_token_ids = {50256};
    } else if (eos->is_number_integer()) {
        out.eos_token_ids = {eos->get<std::int32_t>()};
    } else if (eos->is_array()) {
        for (const auto& id : *eos) {
            if (!id.is_number_integer()) return r.fail("eos_token_id holds a non-integer");
            out.eos_token_ids.push_back(id.get<std::int32_t>());
        }
    } else {
        r.fail("eos_token_id is neither an integer nor a list");
    }
}

std::string check_sizes(const decoder_config& c) {
    if (c.vocab_size < 1 || c.hidden_size < 1 || c.intermediate_size < 1 ||
        c.num_hidden_layers < 0 || c.num_attention_heads < 1 || c.num_key_value_heads < 1 ||
        c.head_dim < 2 || c.max_position_embeddings < 1) {
        return "config.json: sizes must be positive";
    }
    if (c.num_attention_heads % c.num_key_value_heads != 0) {
        return "config.json: " + std::to_string(c.num_attention_heads) +
               " attention heads are not a multiple of the " +
               std::to_string(c.num_key_value_heads) + " key/value heads";
    }
    if (!c.learned_positions && c.head_dim % 2 != 0)
        return "config.json: head_dim must be even for rotary embeddings";
    if (c.sliding_window && *c.sliding_window < 1) {
        return "config.json: sliding_window must be positive";
    }
    return {};
}

// Llama, Mistral, Qwen2 and Phi-3: LlamaConfig's field names.
void read_llama_family(reader& r, decoder_config& out, const family_defaults& family) {
    const auto& config = r.config;
    out.hidden_size = r.integer("hidden_size", family.hidden_size);
    out.intermediate_size = r.integer("intermediate_size", family.intermediate_size);
    out.num_hidden_layers = r.integer("num_hidden_layers", 32);
    out.num_attention_heads = r.integer("num_attention_heads", 32);
    out.num_key_value_heads = r.integer(
        "num_key_value_heads",
        family.num_key_value_heads ? family.num_key_value_heads : out.num_attention_heads
    );
    out.head_dim = r.integer(
        "head_dim", out.num_attention_heads > 0 ? out.hidden_size / out.num_attention_heads : 0
    );
    out.rms_norm_eps = r.number(config, "rms_norm_eps", family.rms_norm_eps);
    out.rope_theta = r.number(config, "rope_theta", 10000.0);
    out.max_position_embeddings =
        r.integer("max_position_embeddings", family.max_position_embeddings);
    read_rope_scaling(r, out);

    if (family.model_type == "mistral") {
        auto window = r.integer("sliding_window", 4096);
        if (r.find("sliding_window") || !config.contains("sliding_window"))
            out.sliding_window = window;
    } else if (family.model_type == "qwen2" && r.boolean("use_sliding_window", false)) {
        out.sliding_window = r.integer("sliding_window", 4096);
        out.sliding_window_first_layer = r.integer("max_window_layers", 28);
    } else if (family.model_type == "phi3" && r.find("sliding_window")) {
        // Phi3Config defaults to none; Phi-3-mini-4k's config.json sets 2047, which HF applies.
        out.sliding_window = r.integer("sliding_window", 0);
    }
    // Phi-3 (mini, medium) rotates whole heads; Phi-3.5/4-mini's partial rotation is not here.
    if (r.number(config, "partial_rotary_factor", 1.0) != 1.0) {
        r.fail("partial_rotary_factor other than 1 is not supported");
    }
    out.qkv_bias = family.qkv_bias || r.boolean("attention_bias", false);
    out.tie_word_embeddings = r.boolean("tie_word_embeddings", false);
    std::string act = r.string("hidden_act");
    if (!act.empty() && act != "silu")
        r.fail("unsupported activation " + act + " (supported: silu)");
    if (r.boolean("mlp_bias", false)) r.fail("mlp_bias is not supported");
}

// GPT2Config: n_embd, n_layer, n_head, n_positions, n_inner (none: 4 n_embd),
// layer_norm_epsilon, activation_function; embeddings tied unless it says otherwise.
void read_gpt2(reader& r, decoder_config& out) {
    out.hidden_size = r.integer("n_embd", 768);
    out.num_hidden_layers = r.integer("n_layer", 12);
    out.num_attention_heads = r.integer("n_head", 12);
    out.num_key_value_heads = out.num_attention_heads;
    out.head_dim = out.num_attention_heads > 0 ? out.hidden_size / out.num_attention_heads : 0;
    out.intermediate_size = r.integer("n_inner", 4 * out.hidden_size);
    out.max_position_embeddings = r.integer("n_positions", 1024);
    out.rms_norm_eps = r.number(r.config, "layer_norm_epsilon", 1e-5);
    out.tie_word_embeddings = r.boolean("tie_word_embeddings", true);
    out.qkv_bias = out.linear_bias = out.layer_norm = out.learned_positions = true;
    out.gated_mlp = false;
    std::string act = r.string("activation_function");
    if (act.empty() || act == "gelu_new" || act == "gelu_pytorch_tanh") {
        out.activation = decoder_activation::gelu_tanh;
    } else if (act == "gelu") {
        out.activation = decoder_activation::gelu;
    } else {
        r.fail("unsupported activation_function " + act + " (supported: gelu_new, gelu)");
    }
    if (!r.boolean("scale_attn_weights", true)) r.fail("scale_attn_weights false is not supported");
    if (r.boolean("scale_attn_by_inverse_layer_idx", false)) {
        r.fail("scale_attn_by_inverse_layer_idx is not supported");
    }
    if (out.hidden_size > 0 && out.num_attention_heads > 0 &&
        out.hidden_size % out.num_attention_heads != 0) {
        r.fail("n_embd is not a multiple of n_head");
    }
}

}  // namespace

std::string supported_decoder_architectures() {
    std::string names;
    for (const auto& f : families)
        names += (names.empty() ? "" : ", ") + std::string(f.architecture);
    return names;
}

bool is_decoder_config(const nlohmann::json& config) {
    return config.is_object() && find_family(config) != nullptr;
}

config_result parse_decoder_config(const nlohmann::json& config) {
    if (!config.is_object()) return config_error("config.json is not a JSON object");
    const auto* family = find_family(config);
    if (!family) {
        std::string name = config.contains("architectures") ? config["architectures"].dump()
                                                            : config.value("model_type", "");
        return config_error(
            "unsupported decoder architecture " + name +
            "; supported: " + supported_decoder_architectures()
        );
    }
    decoder_config out;
    reader r{config, {}};
    out.architecture = std::string(family->architecture);
    out.model_type = std::string(family->model_type);
    out.vocab_size = r.integer("vocab_size", family->vocab_size);
    if (family->model_type == "gpt2") {
        read_gpt2(r, out);
    } else {
        read_llama_family(r, out, *family);
    }
    read_token_ids(r, out, *family);
    out.torch_dtype = r.string("torch_dtype");

    if (!r.failure.empty()) return config_error(r.failure);
    if (auto failure = check_sizes(out); !failure.empty()) return config_error(failure);
    return out;
}

config_result read_decoder_config(const std::filesystem::path& model_dir) {
    auto config = read_config_json(model_dir);
    if (!config) return config_error(config.error());
    return parse_decoder_config(*config);
}

}  // namespace solar::runner
