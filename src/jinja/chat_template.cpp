// Builds the chat-template context from tokenizer_config.json, as transformers'
// apply_chat_template.
#include "solar/jinja/chat_template.hpp"

#include <fstream>
#include <sstream>

namespace solar::jinja {

std::string special_token(const nlohmann::ordered_json& config, const char* name) {
    const auto it = config.find(name);
    if (it == config.end() || it->is_null()) return "";
    if (it->is_string()) return it->get<std::string>();
    if (it->is_object() && it->contains("content") && (*it)["content"].is_string())
        return (*it)["content"].get<std::string>();
    return "";
}

chat_template::chat_template(std::string text, std::string bos_token, std::string eos_token)
    : program_(text), bos_token_(std::move(bos_token)), eos_token_(std::move(eos_token)) {}

std::optional<chat_template> chat_template::from_tokenizer_config(
    const nlohmann::ordered_json& config
) {
    if (!config.is_object()) return std::nullopt;
    const auto it = config.find("chat_template");
    if (it == config.end() || it->is_null()) return std::nullopt;
    std::string text;
    if (it->is_string()) {
        text = it->get<std::string>();
    } else if (it->is_array()) {
        for (const auto& entry : *it) {
            if (entry.value("name", "") == "default" && entry.contains("template"))
                text = entry["template"].get<std::string>();
        }
        if (text.empty()) return std::nullopt;
    } else {
        return std::nullopt;
    }
    return chat_template(
        std::move(text), special_token(config, "bos_token"), special_token(config, "eos_token")
    );
}

std::optional<chat_template> chat_template::from_directory(const std::filesystem::path& directory) {
    const auto read = [](const std::filesystem::path& path) -> std::optional<std::string> {
        std::ifstream in(path, std::ios::binary);
        if (!in) return std::nullopt;
        std::ostringstream text;
        text << in.rdbuf();
        return text.str();
    };
    nlohmann::ordered_json config = nlohmann::ordered_json::object();
    if (auto text = read(directory / "tokenizer_config.json"))
        config = nlohmann::ordered_json::parse(*text, nullptr, false);
    if (config.is_discarded()) config = nlohmann::ordered_json::object();
    if (auto jinja = read(directory / "chat_template.jinja")) {
        return chat_template(
            std::move(*jinja),
            special_token(config, "bos_token"),
            special_token(config, "eos_token")
        );
    }
    return from_tokenizer_config(config);
}

nlohmann::ordered_json chat_template::context(const chat_request& request) const {
    nlohmann::ordered_json context = nlohmann::ordered_json::object();
    context["messages"] = request.messages;
    if (!request.tools.is_null()) context["tools"] = request.tools;
    context["add_generation_prompt"] = request.add_generation_prompt;
    context["bos_token"] = bos_token_;
    context["eos_token"] = eos_token_;
    if (request.extra.is_object()) {
        for (const auto& [key, item] : request.extra.items()) context[key] = item;
    }
    return context;
}

std::string chat_template::apply(const chat_request& request, const render_options& options) const {
    return program_.render(context(request), options);
}

}  // namespace solar::jinja
