// Background poller: asks every registered host for its instances and rebuilds the routing
// table; hosts that fail are marked offline and their instances stop being routable.
#pragma once

#include <solar/control/config.hpp>
#include <solar/control/host_store.hpp>
#include <solar/control/instance_info.hpp>
#include <solar/control/model_registry.hpp>
#include <solar/control/net_types.hpp>
#include <solar/core/upstream.hpp>

#include <boost/asio/steady_timer.hpp>
#include <boost/asio/strand.hpp>
#include <boost/asio/thread_pool.hpp>

#include <spdlog/logger.h>

#include <functional>
#include <map>

namespace solar::control {

class refresher {
public:
    // Called after each refresh with every known instance and the hosts they live on
    // (log fan-in follows these).
    using instances_listener =
        std::function<void(const std::vector<instance_info>&, const std::vector<host_record>&)>;

    refresher(
        asio::io_context& ioc,
        asio::thread_pool& db_pool,
        host_store& store,
        core::upstream_pool& pool,
        model_registry& registry,
        const control_config& config
    );

    void set_listener(instances_listener listener) { listener_ = std::move(listener); }

    // Starts the periodic loop (first refresh immediately).
    void start();
    // Asks for a refresh as soon as possible (coalesced with one already pending).
    void trigger();
    // Runs one refresh now and completes when its table is published.
    asio::awaitable<void> refresh_now();
    void stop();

private:
    asio::awaitable<void> loop();
    asio::awaitable<void> refresh_once();

    struct host_poll {
        host_record host;
        bool online = false;
        std::string error;
        std::vector<instance_info> instances;
        std::string body;  // the raw GET /instances answer when online
    };
    asio::awaitable<void> poll_host(host_poll& poll);

    asio::strand<asio::io_context::executor_type> strand_;
    asio::thread_pool& db_pool_;
    host_store& store_;
    core::upstream_pool& pool_;
    model_registry& registry_;
    const control_config& config_;
    asio::steady_timer wake_;
    bool pending_ = false;
    bool stopped_ = false;
    std::uint64_t next_ticket_ = 0;
    std::uint64_t published_ticket_ = 0;
    // Last instances each host reported, kept (not routable) while the host is offline so
    // that its aliases stay known (503 rather than 404).
    std::map<std::string, std::vector<instance_info>> last_known_;
    // The instance list body last written to the store per host, so that an unchanged answer
    // costs no database write.
    std::map<std::string, std::string> stored_bodies_;
    instances_listener listener_;
    std::shared_ptr<spdlog::logger> log_;
};

}  // namespace solar::control
