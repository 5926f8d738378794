// The OpenAI-style endpoints the gateway proxies, and which backend types serve which.
#pragma once

#include <array>
#include <optional>
#include <string_view>
#include <vector>

namespace solar::control {

// Declaration order is the order used wherever endpoints are listed (GET /v1/models, errors).
enum class endpoint { chat_completions, completions, embeddings, classify };

inline constexpr std::array<endpoint, 4> all_endpoints{
    endpoint::chat_completions,
    endpoint::completions,
    endpoint::embeddings,
    endpoint::classify,
};

// The request path of the endpoint, e.g. "/v1/chat/completions".
std::string_view endpoint_path(endpoint ep);

// The endpoint whose path is exactly `path`; nullopt for any other path (e.g. "/v1/models").
std::optional<endpoint> endpoint_from_path(std::string_view path);

// The endpoints a solar-host backend type serves, in enum order; empty for an unknown type.
std::vector<endpoint> endpoints_for_backend(std::string_view backend_type);

}  // namespace solar::control
