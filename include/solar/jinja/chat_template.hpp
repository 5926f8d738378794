// Chat prompts from a model's own chat template (tokenizer_config.json or chat_template.jinja).
#pragma once

#include <nlohmann/json.hpp>

#include <filesystem>
#include <optional>
#include <string>

#include "solar/jinja/template.hpp"

namespace solar::jinja {

struct chat_request {
    nlohmann::ordered_json messages = nlohmann::ordered_json::array();
    // Omitted from the context when null, so `tools is defined` / `if tools` behave as in HF.
    nlohmann::ordered_json tools;
    bool add_generation_prompt = true;
    // Extra template variables (enable_thinking, date_string, ...), merged last.
    nlohmann::ordered_json extra = nlohmann::ordered_json::object();
};

class chat_template {
public:
    // From a parsed tokenizer_config.json; nullopt when it has no chat_template.
    // A named-template list ([{name, template}]) uses "default". Throws template_error on bad
    // syntax.
    static std::optional<chat_template> from_tokenizer_config(const nlohmann::ordered_json& config);
    // From a model folder: chat_template.jinja first, then tokenizer_config.json; nullopt if
    // neither.
    static std::optional<chat_template> from_directory(const std::filesystem::path& directory);

    chat_template(std::string text, std::string bos_token, std::string eos_token);

    // The context HF's apply_chat_template builds: messages, tools, add_generation_prompt, bos/eos.
    nlohmann::ordered_json context(const chat_request& request) const;
    // Renders the prompt; throws template_error (raise_exception gives error_kind::raised).
    std::string apply(const chat_request& request, const render_options& options = {}) const;

    const std::string& bos_token() const { return bos_token_; }
    const std::string& eos_token() const { return eos_token_; }

private:
    template_program program_;
    std::string bos_token_;
    std::string eos_token_;
};

// A special token field of tokenizer_config.json: a string, {"content": ...}, or null -> "".
std::string special_token(const nlohmann::ordered_json& config, const char* name);

}  // namespace solar::jinja
