// Log aggregation: one upstream WebSocket subscription per instance (solar-host's
// WS /instances/{id}/logs), resumed by sequence number across reconnects, fanned out to the
// gateway's WS /ws/logs clients. Data flow: src/control/log_fanin.md.
#pragma once

#include <solar/control/host_store.hpp>
#include <solar/control/instance_info.hpp>
#include <solar/control/log_hub.hpp>
#include <solar/control/log_session.hpp>
#include <solar/core/router.hpp>
#include <solar/core/upstream.hpp>

#include <boost/asio/io_context.hpp>

#include <spdlog/logger.h>

#include <chrono>
#include <map>
#include <memory>
#include <mutex>
#include <string>
#include <vector>

namespace solar::control {

struct log_fanin_options {
    log_queue_limits client_queue;
    log_client_options client;
    std::chrono::milliseconds connect_timeout{3000};     // resolve + TCP connect, and TLS handshake
    std::chrono::milliseconds handshake_timeout{10000};  // the WebSocket upgrade
    std::chrono::milliseconds backoff_initial{250};
    std::chrono::milliseconds backoff_max{10000};
    // A host that sends nothing, not even a pong to our pings (sent at half this), for this
    // long is treated as gone (half-open TCP after a host crash).
    std::chrono::milliseconds upstream_idle_timeout{60000};
    std::size_t max_line_bytes = 1024 * 1024;  // a longer upstream message is skipped
};

class log_fanin {
public:
    // The pool provides TLS contexts for https hosts; both must outlive this object.
    log_fanin(asio::io_context& ioc, core::upstream_pool& pool, log_fanin_options options = {});
    // Stops every subscription and client (see stop()).
    ~log_fanin();

    log_fanin(const log_fanin&) = delete;
    log_fanin& operator=(const log_fanin&) = delete;

    // Follows the registry (any thread): subscribes to instances not yet followed, drops those
    // that disappeared, and applies changed host URLs, keys and names (reconnecting when the
    // URL, key or CA file changed). Instances whose host is not in `hosts` or has an invalid
    // URL are not followed. Does nothing after stop().
    void update_instances(
        const std::vector<instance_info>& all, const std::vector<host_record>& hosts
    );

    // Handler for GET /ws/logs (see serve_log_client); 503 after stop().
    asio::awaitable<core::handler_result> handle_ws(core::request_context& ctx);

    // Shutdown: closes every upstream subscription, sends close 1001 to every client and
    // refuses new ones. Returns at once; the coroutines finish on the io_context.
    void stop();

    log_hub& hub() { return *hub_; }
    // How many instances are followed.
    std::size_t subscriptions() const;

private:
    class subscription;

    asio::io_context& ioc_;
    core::upstream_pool& pool_;
    const log_fanin_options options_;
    // Shared with the subscription and client coroutines, which may finish after this object.
    std::shared_ptr<log_hub> hub_;
    std::shared_ptr<spdlog::logger> log_;
    mutable std::mutex mutex_;
    bool stopped_ = false;
    // Key: host id, '\n', instance id.
    std::map<std::string, std::shared_ptr<subscription>> subscriptions_;
};

}  // namespace solar::control
