// One /ws/logs client: WebSocket upgrade, then the hub's matching lines until it leaves.
#pragma once

#include <solar/control/log_hub.hpp>
#include <solar/control/net_types.hpp>
#include <solar/core/router.hpp>

#include <chrono>
#include <memory>

namespace solar::control {

struct log_client_options {
    // A client that sends nothing (not even a pong to our pings, sent at half this) for this
    // long is disconnected.
    std::chrono::milliseconds idle_timeout{60000};
    // One message may take this long to send; a client that stopped reading is disconnected.
    std::chrono::milliseconds write_timeout{10000};
    std::size_t max_client_message_bytes = 64 * 1024;  // clients have nothing to say
};

// Serves GET /ws/logs: answers 400 unless the request is a WebSocket upgrade; otherwise
// accepts it and streams the hub's lines matching ?host_id= and ?instance_id= (both
// optional) as text messages, until the client leaves, falls behind its bounded queue (close
// 1008 "client too slow"), stalls a write past write_timeout (dropped), or the gateway shuts
// down (close 1001). Returns nullopt once it took the stream.
asio::awaitable<core::handler_result> serve_log_client(
    core::request_context& ctx, std::shared_ptr<log_hub> hub, log_client_options options
);

}  // namespace solar::control
