// Pieces every runner handler shares: the readiness/task gate, the JSON body, the model name
// echoed back, the clock, and noticing a client that went away.
#pragma once

#include <solar/core/client_watch.hpp>
#include <solar/core/json_error.hpp>
#include <solar/core/router.hpp>
#include <solar/runner/request_inputs.hpp>
#include <solar/runner/runner_service.hpp>

#include <nlohmann/json.hpp>

#include <cstdint>
#include <optional>
#include <string>

namespace solar::runner {

// A 503 while loading, a 404 for another task's endpoint; nullopt when the request may go on.
std::optional<core::response> gate(
    runner_service& s, const core::request_context& ctx, std::optional<runner_task> task
);

// The body as a JSON object, or a 400.
api_result<nlohmann::json> parse_body(const core::request_context& ctx);

// The request's `model` when it is a non-empty string, else the alias.
std::string model_name(const runner_service& s, const nlohmann::json& body);

std::int64_t unix_now();

using core::client_gone;  // the routes race their work against the client leaving

}  // namespace solar::runner
