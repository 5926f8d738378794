// What the runner knows of a causal model besides its weights: the end-of-sequence ids, the
// sampling defaults of generation_config.json, and its chat template.
#pragma once

#include <solar/runner/chat_prompt.hpp>
#include <solar/runner/completion_request.hpp>
#include <solar/runner/decoder_model.hpp>

#include <nlohmann/json.hpp>

#include <cstdint>
#include <filesystem>
#include <memory>
#include <optional>
#include <vector>

namespace solar::runner {

struct causal_settings {
    std::vector<std::int32_t> eos_ids;
    generation_defaults defaults;
    std::optional<chat_prompt> chat;  // nullopt: chat requests get a 400
};

// generation_config.json's eos_token_id (a number or a list), else config.json's; its
// temperature, top_p, top_k, min_p, repetition_penalty and max_new_tokens as defaults, and
// do_sample false as greedy (temperature 0) unless it names a temperature. Both objects may
// be empty (null) when the files are absent.
causal_settings causal_settings_from(
    const nlohmann::json& generation_config, const decoder_config& config
);

// Reads generation_config.json (if any) and the chat template from `dir`. Throws
// std::runtime_error for a malformed generation_config.json or chat template.
causal_settings read_causal_settings(
    const std::filesystem::path& dir, const decoder_config& config
);

}  // namespace solar::runner
