// The `input` field every model endpoint takes, and its conversion to model sequences: text
// through the tokenizer, token ids as given, truncated to max_length or refused.
#pragma once

#include <solar/core/json_error.hpp>
#include <solar/runner/inference_backend.hpp>

#include <boost/system/result.hpp>

#include <nlohmann/json.hpp>

#include <cstdint>
#include <string>
#include <variant>
#include <vector>

namespace solar::runner {

template <class T>
using api_result = boost::system::result<T, core::api_error>;

// One input: text, or token ids (as OpenAI's embeddings endpoint allows).
using model_input = std::variant<std::string, std::vector<std::int32_t>>;

constexpr std::size_t max_inputs_per_request = 2048;

// `input` as a string, an array of strings, an array of token ids or an array of such arrays.
// Fails with 400 naming "input" when absent, empty, of another type, or longer than
// max_inputs_per_request; token ids must be integers in [0, vocab_size) (0 = unchecked).
api_result<std::vector<model_input>> parse_inputs(
    const nlohmann::json& body, bool allow_token_ids, std::size_t vocab_size
);

// `truncate` (default true): whether over-long inputs are cut to max_length or refused.
api_result<bool> parse_truncate(const nlohmann::json& body);

// Sequences ready for the batcher, and their token counts.
struct prepared_inputs {
    std::vector<std::vector<std::int32_t>> ids;
    std::vector<std::vector<std::int32_t>> type_ids;
    std::size_t tokens = 0;  // all sequences together, special tokens included
};

// Tokenizes text inputs (special tokens added) and takes token-id inputs as they are, each cut
// to `max_length` tokens. When `truncate` is false, an input that would be cut fails the
// request with 400 (param "input", code "context_length_exceeded") naming its index.
api_result<prepared_inputs> prepare_inputs(
    const std::vector<model_input>& inputs,
    const text_tokenizer& tokenizer,
    std::size_t max_length,
    bool truncate
);

}  // namespace solar::runner
