// OpenAI's response and stream-chunk objects for /v1/completions ("text_completion", ids
// "cmpl-…") and /v1/chat/completions ("chat.completion" / "chat.completion.chunk", "chatcmpl-…").
#pragma once

#include <solar/runner/completion_request.hpp>
#include <solar/runner/generation.hpp>

#include <nlohmann/json.hpp>

#include <cstdint>
#include <functional>
#include <optional>
#include <string>
#include <vector>

namespace solar::runner {

// The envelope every object of one request shares.
struct completion_envelope {
    completion_kind kind = completion_kind::text;
    std::string id;  // "cmpl-…" or "chatcmpl-…"
    std::int64_t created = 0;
    std::string model;
};

// The text of one token id, for logprobs.
using token_text_fn = std::function<std::string(std::int32_t)>;

// {"prompt_tokens","completion_tokens","total_tokens"}.
nlohmann::ordered_json usage_json(std::size_t prompt_tokens, std::size_t completion_tokens);

// The choice's logprobs: chat {"content":[{token, logprob, bytes, top_logprobs}]}, completions
// {tokens, token_logprobs, top_logprobs: [{token: logprob}], text_offset} (offsets from
// `text_offset`).
nlohmann::ordered_json logprobs_json(
    completion_kind kind,
    const std::vector<sampled_token>& tokens,
    const token_text_fn& text_of,
    std::size_t text_offset = 0
);

// The whole answer: one choice with the text (or assistant message), logprobs (null unless
// asked), finish_reason, and usage.
std::string completion_body(
    const completion_envelope& envelope,
    const std::string& text,
    const std::optional<nlohmann::ordered_json>& logprobs,
    finish_reason finish,
    std::size_t prompt_tokens,
    std::size_t completion_tokens
);

// One SSE chunk object. Chat: `role_delta` gives {"role":"assistant","content":""}, otherwise
// {"content": text} or {} for the finishing chunk. Completions: {"text": text}. `finish` none
// is null. `usage`: the include_usage chunk (choices empty).
std::string completion_chunk(
    const completion_envelope& envelope,
    const std::string& text,
    const std::optional<nlohmann::ordered_json>& logprobs,
    finish_reason finish,
    bool role_delta = false
);
std::string usage_chunk(
    const completion_envelope& envelope, std::size_t prompt_tokens, std::size_t completion_tokens
);

}  // namespace solar::runner
