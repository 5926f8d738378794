// POST /v1/embeddings in OpenAI's shape: the request's options and the response body.
#pragma once

#include <solar/runner/request_inputs.hpp>

#include <optional>
#include <string>
#include <vector>

namespace solar::runner {

struct embedding_options {
    bool base64 = false;                    // encoding_format "base64": little-endian float32 bytes
    std::optional<std::size_t> dimensions;  // keep the first N components
};

// `encoding_format` ("float" default, or "base64") and `dimensions` (1 to `width`; 0 =
// unchecked). Fails with 400 naming the field.
api_result<embedding_options> parse_embedding_options(
    const nlohmann::json& body, std::size_t width
);

// Cuts each vector to `dimensions` and, when `normalize`, scales it back to unit length, as
// OpenAI does for text-embedding-3 (a zero vector stays zero).
void shorten_embeddings(
    std::vector<std::vector<float>>& rows, std::size_t dimensions, bool normalize
);

// The bytes of `values` as little-endian float32, base64-encoded.
std::string base64_floats(const std::vector<float>& values);

// {"object":"list","data":[{"object":"embedding","index":i,"embedding":[...] or "..."}],
//  "model":model,"usage":{"prompt_tokens":n,"total_tokens":n}}; floats in their shortest form.
std::string embeddings_body(
    const std::vector<std::vector<float>>& rows,
    bool base64,
    const std::string& model,
    std::size_t prompt_tokens
);

}  // namespace solar::runner
