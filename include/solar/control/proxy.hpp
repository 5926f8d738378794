// The OpenAI proxy: resolves the model, picks an instance, relays the request and its answer
// (server-sent events chunk by chunk), retrying other instances when one cannot be reached.
#pragma once

#include <solar/control/balancer.hpp>
#include <solar/control/config.hpp>
#include <solar/control/endpoint.hpp>
#include <solar/control/model_registry.hpp>
#include <solar/control/net_types.hpp>
#include <solar/core/client_watch.hpp>
#include <solar/core/router.hpp>
#include <solar/core/upstream.hpp>

#include <spdlog/logger.h>

#include <atomic>

namespace solar::control {

class openai_proxy {
public:
    openai_proxy(model_registry& registry, core::upstream_pool& pool, const control_config& config);

    // Handles POST /v1/<endpoint>: answers errors in the OpenAI shape, or relays the upstream
    // answer (returning nullopt once it wrote a streamed response itself).
    asio::awaitable<core::handler_result> handle(core::request_context& ctx, endpoint ep);

    const load_tracker& load() const { return load_; }

private:
    struct attempt_outcome;
    asio::awaitable<attempt_outcome> try_instance(
        core::request_context& ctx,
        core::client_watch& watch,
        const instance_info& instance,
        endpoint ep,
        std::string_view body
    );

    model_registry& registry_;
    core::upstream_pool& pool_;
    const control_config& config_;
    load_tracker& load_;  // registry_'s
    backoff_list backoff_;
    std::shared_ptr<spdlog::logger> log_;
};

}  // namespace solar::control
