// generation_config.json and the chat template, read once at load.
#include <solar/runner/causal_model.hpp>

#include <fstream>
#include <stdexcept>

namespace solar::runner {

namespace {

std::vector<std::int32_t> ids_of(const nlohmann::json& v) {
    std::vector<std::int32_t> out;
    if (v.is_number_integer()) out.push_back(v.get<std::int32_t>());
    if (v.is_array()) {
        for (const auto& id : v) {
            if (id.is_number_integer()) out.push_back(id.get<std::int32_t>());
        }
    }
    return out;
}

}  // namespace

causal_settings causal_settings_from(
    const nlohmann::json& generation, const decoder_config& config
) {
    causal_settings out;
    if (generation.is_object() && generation.contains("eos_token_id")) {
        out.eos_ids = ids_of(generation["eos_token_id"]);
    }
    if (out.eos_ids.empty()) out.eos_ids = config.eos_token_ids;
    if (!generation.is_object()) return out;
    auto& s = out.defaults.sampling;
    auto number = [&](const char* name, double& field) {
        auto it = generation.find(name);
        if (it != generation.end() && it->is_number()) field = it->get<double>();
    };
    number("temperature", s.temperature);
    number("top_p", s.top_p);
    number("min_p", s.min_p);
    number("repetition_penalty", s.repetition_penalty);
    if (auto it = generation.find("top_k"); it != generation.end() && it->is_number_integer()) {
        s.top_k = it->get<std::int64_t>();
    }
    if (auto it = generation.find("max_new_tokens");
        it != generation.end() && it->is_number_integer() && it->get<std::int64_t>() > 0) {
        out.defaults.max_tokens = it->get<std::size_t>();
    }
    auto sample = generation.find("do_sample");
    if (sample != generation.end() && sample->is_boolean() && !sample->get<bool>() &&
        !generation.contains("temperature")) {
        s.temperature = 0;
    }
    return out;
}

causal_settings read_causal_settings(
    const std::filesystem::path& dir, const decoder_config& config
) {
    nlohmann::json generation;
    std::ifstream in(dir / "generation_config.json");
    if (in) {
        generation = nlohmann::json::parse(in, nullptr, false);
        if (generation.is_discarded()) {
            throw std::runtime_error("generation_config.json is not valid JSON");
        }
    }
    auto out = causal_settings_from(generation, config);
    out.chat = chat_prompt::from_directory(dir);
    return out;
}

}  // namespace solar::runner
