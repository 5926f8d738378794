// solar-hf-runner's HTTP API: /health, /v1/models, /v1/embeddings, /v1/classify, /tokenize and
// /detokenize (shapes: seed 000, OpenAI, llama-server; see src/runner/RUNNER_ARCHITECTURE.md).
#pragma once

#include <solar/core/router.hpp>
#include <solar/runner/runner_service.hpp>

namespace solar::runner {

// Registers every route; `service` must outlive the router. Until the service is ready,
// /health answers llama-server's 503 "Loading model" and every other route an OpenAI-shaped
// 503; the endpoint of the other task answers 404 "unsupported_task".
void add_runner_routes(core::router& routes, runner_service& service);

// llama-server's loading body: {"error":{"code":503,"message":"Loading model",
// "type":"unavailable_error"}}.
std::string loading_body();

}  // namespace solar::runner
