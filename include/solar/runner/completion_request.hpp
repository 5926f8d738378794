// The request bodies of /v1/completions and /v1/chat/completions: OpenAI's fields and
// llama-server's extras, checked into plain values; a bad field is a 400 naming it.
#pragma once

#include <solar/runner/request_inputs.hpp>
#include <solar/runner/token_sampler.hpp>

#include <nlohmann/json.hpp>

#include <cstdint>
#include <optional>
#include <string>
#include <variant>
#include <vector>

namespace solar::runner {

// The instance's defaults (generation_config.json), which request fields override.
struct generation_defaults {
    sampling_params sampling;
    std::optional<std::size_t> max_tokens;  // nullopt: up to the context limit
};

enum class completion_kind { text, chat };

struct completion_options {
    sampling_params sampling;
    std::optional<std::uint64_t> seed;
    std::optional<std::size_t> max_tokens;
    std::vector<std::string> stop;
    bool logprobs = false;
    std::size_t top_logprobs = 0;
    bool stream = false;
    bool include_usage = false;  // stream_options.include_usage
};

// The sampling, limit, stop, logprobs and streaming fields. `kind` decides logprobs' shape:
// an integer count for completions, a boolean plus top_logprobs for chat.
api_result<completion_options> parse_completion_options(
    const nlohmann::json& body, completion_kind kind, const generation_defaults& defaults
);

// /v1/completions' `prompt`: a string, an array of token ids, or an array of one of those
// (several prompts are refused: n and batching of prompts are not supported).
api_result<model_input> parse_prompt(const nlohmann::json& body, std::size_t vocab_size);

// /v1/chat/completions' `messages`: a non-empty array of {role, content} objects, content a
// string or an array of {"type":"text","text"} parts (joined). Returned with string contents.
api_result<nlohmann::ordered_json> parse_messages(const nlohmann::json& body);

}  // namespace solar::runner
