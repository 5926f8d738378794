// solar-host's HTTP and WebSocket routes (seed 002): instances, their logs and state, health
// and memory.
#pragma once

#include <solar/core/router.hpp>
#include <solar/host/host_error.hpp>
#include <solar/host/net_types.hpp>

#include <boost/system/result.hpp>

#include <nlohmann/json.hpp>

#include <chrono>

namespace solar::host {

class instance_manager;

// The manager's answer as a response: its document with `ok`, or its failure's error.
core::response answer(
    const boost::system::result<nlohmann::json, host_failure>& outcome,
    const core::request& req,
    http::status ok = http::status::ok
);

// GET /health, GET /memory.
void add_system_routes(core::router& routes);

// /instances CRUD and actions, /state and /last-generation.
void add_instance_routes(core::router& routes, instance_manager& manager);

// WS /instances/{id}/logs; GET /instances/{id}/state, plain or as a WebSocket.
void add_instance_socket_routes(core::router& routes, instance_manager& manager);

// Every route solar-host serves: the groups above and the API docs (/openapi.json, /docs).
void add_all_routes(core::router& routes, instance_manager& manager);

}  // namespace solar::host
