// POST /v1/completions and /v1/chat/completions for --task causal: parse, render and tokenize
// on the blocking pool, generate through the scheduler, answer whole or as SSE.
#pragma once

#include <solar/core/router.hpp>
#include <solar/runner/runner_service.hpp>

namespace solar::runner {

void add_generation_routes(core::router& routes, runner_service& service);

}  // namespace solar::runner
