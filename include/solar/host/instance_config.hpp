// Per-instance configuration: one struct per backend, validated from JSON with FastAPI-style
// field errors, serialised back with every default filled in.
#pragma once

#include <boost/assert/source_location.hpp>
#include <boost/system/result.hpp>

#include <nlohmann/json.hpp>

#include <cstdint>
#include <functional>
#include <optional>
#include <string>
#include <string_view>
#include <variant>
#include <vector>

namespace solar::host {

// Fields every backend has.
struct instance_base {
    std::string alias;                  // required, non-empty: the name clients route by
    std::string host = "0.0.0.0";       // address the child binds
    std::optional<std::uint16_t> port;  // requested port (1-65535); nullopt = auto-assign
    std::string api_key;                // required, non-empty: the child's own Bearer key
    bool auto_restart = false;          // restart the child when it dies unexpectedly
};

// backend_type "llamacpp" (also any config without backend_type): a llama-server child.
struct llamacpp_config : instance_base {
    std::string model;                              // required: path of an existing GGUF file
    int threads = 1;                                // >= 1
    int n_gpu_layers = 999;                         // >= 0; 999 = all
    double temp = 1.0;                              // 0 to 2
    double top_p = 1.0;                             // 0 to 1
    int top_k = 0;                                  // >= 0; 0 = disabled
    double min_p = 0.0;                             // 0 to 1
    int ctx_size = 131072;                          // > 0
    std::optional<std::string> chat_template_file;  // must exist when given
    bool special = false;                           // llama-server --special
    bool embeddings = false;  // serve /v1/embeddings instead of chat and completions
    // llama-server --pooling: none, mean, cls, last or rank; nullopt = the model's own. Models
    // whose own pooling is none cannot serve OpenAI embeddings without it.
    std::optional<std::string> pooling;
};

// backend_type "huggingface_causal": a solar-hf-runner child with --task causal.
struct hf_causal_config : instance_base {
    std::string model_id;         // required: hub id or local path
    std::string device = "auto";  // auto, cuda, mps, cpu
    std::string dtype = "auto";   // auto, float16, bfloat16, float32
    int max_length = 4096;        // > 0
    bool trust_remote_code = false;
    bool use_flash_attention = true;
};

// backend_type "huggingface_classification": solar-hf-runner --task classification.
struct hf_classification_config : instance_base {
    std::string model_id;
    std::string device = "auto";
    std::string dtype = "auto";
    int max_length = 512;
    std::optional<std::vector<std::string>> labels;  // nullopt = the model's own labels
    bool trust_remote_code = false;
};

// backend_type "huggingface_embedding": solar-hf-runner --task embedding.
struct hf_embedding_config : instance_base {
    std::string model_id;
    std::string device = "auto";
    std::string dtype = "auto";
    int max_length = 512;
    bool normalize = true;
    std::string pooling = "mean";  // mean, cls, last
    bool trust_remote_code = false;
};

using instance_config =
    std::variant<llamacpp_config, hf_causal_config, hf_classification_config, hf_embedding_config>;

// One rejected field, shaped like a pydantic error.
struct field_error {
    std::vector<std::string> loc;  // path from the request body, e.g. {"config", "temp"}
    std::string msg;               // for people: the rule and what was given
    std::string type;              // pydantic's error type: missing, less_than_equal, ...
    nlohmann::json input;          // the offending value; null when missing or secret (api_key)
    nlohmann::json ctx;            // the limit, e.g. {"le": 2}; null when there is none
};

using field_errors = std::vector<field_error>;

// Lets result<T, field_errors>::value() throw std::invalid_argument; found by ADL.
[[noreturn]] void throw_exception_from_error(
    const field_errors& errors, const boost::source_location& loc
);

using config_result = boost::system::result<instance_config, field_errors>;

// What validation may ask of the machine, injected so tests need no files.
struct validation_env {
    // True when a regular file exists at the path. Empty: skip existence checks (used when
    // loading config.json, so a model file that vanished fails at start, not at boot).
    std::function<bool(const std::string&)> file_exists;
};

// file_exists backed by std::filesystem::is_regular_file.
validation_env filesystem_validation_env();

// The backend_type values, in variant order.
inline constexpr std::string_view backend_types[] = {
    "llamacpp", "huggingface_causal", "huggingface_classification", "huggingface_embedding"};

// Validates one instance config object (the "config" member of a request). A missing
// backend_type means llamacpp. Unknown fields are ignored; a known field of the wrong type or
// out of range is an error. Fails with every offending field at once, locs starting "config".
config_result parse_instance_config(const nlohmann::json& config, const validation_env& env);

// Validates a POST/PUT /instances body {"config": {...}}; fails like parse_instance_config,
// plus loc {} when the body is not an object and {"config"} when config is missing.
config_result parse_instance_body(const nlohmann::json& body, const validation_env& env);

// Every field with defaults filled, backend_type included, absent optionals as null; the
// api_key is included (config.json needs it; hiding it is the route's choice).
nlohmann::json to_json(const instance_config& config);

// "llamacpp", "huggingface_causal", ...
std::string_view backend_type_of(const instance_config& config);

// The fields all backends share.
const instance_base& common(const instance_config& config);
instance_base& common(instance_config& config);

// The OpenAI-style paths the instance serves, e.g. {"/v1/chat/completions", "/v1/completions"}.
std::vector<std::string> endpoints_for(const instance_config& config);

// FastAPI's 422 body: {"detail":[{"loc":["body",...],"msg","type","input"[,"ctx"]}]}.
nlohmann::json error_body(const field_errors& errors);

// One line for logs and status messages, without input values: "config.temp: Input ...; ...".
std::string describe(const field_errors& errors);

}  // namespace solar::host
