// API key authentication shared by every daemon: X-API-Key, Bearer, and ?api_key= for WebSockets.
#pragma once

#include <solar/core/http_types.hpp>

#include <optional>
#include <string>
#include <string_view>

namespace solar::core {

// The key a request presents: X-API-Key first, then "Authorization: Bearer", then (when
// allowed) the already-decoded api_key query parameter. Empty when none is presented.
std::string presented_key(const request& req, const std::optional<std::string>& query_key);

// True when the presented key equals the configured one; constant time in the key contents.
bool key_matches(std::string_view presented, std::string_view configured);

}  // namespace solar::core
