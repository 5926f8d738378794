// The gateway's long-lived parts, handed to route handlers as one bundle.
#pragma once

#include <solar/control/config.hpp>
#include <solar/control/host_store.hpp>
#include <solar/control/model_registry.hpp>
#include <solar/control/net_types.hpp>
#include <solar/control/proxy.hpp>
#include <solar/control/refresher.hpp>
#include <solar/core/upstream.hpp>

#include <boost/asio/thread_pool.hpp>

#include <chrono>

namespace solar::control {

class log_fanin;

struct control_services {
    const control_config& config;
    asio::thread_pool& db_pool;  // the only place SQLite runs
    host_store& store;
    core::upstream_pool& pool;
    model_registry& registry;
    refresher& refresh;
    openai_proxy& proxy;
    log_fanin& logs;
    std::chrono::system_clock::time_point started;
};

// Route groups; each registers its paths on the router.
void add_health_routes(core::router& routes, control_services& services);
void add_host_routes(core::router& routes, control_services& services);
void add_openai_routes(core::router& routes, control_services& services);
// Every route solar-control serves: the groups above, WS /ws/logs and the API docs.
void add_all_routes(core::router& routes, control_services& services);

}  // namespace solar::control
