// The HTTP/1.1 server every daemon runs: accept loop, one coroutine per connection,
// authentication, routing, access log and graceful shutdown.
#pragma once

#include <solar/core/connection_registry.hpp>
#include <solar/core/json_error.hpp>
#include <solar/core/router.hpp>

#include <boost/asio/ip/tcp.hpp>
#include <boost/asio/steady_timer.hpp>

#include <spdlog/logger.h>

#include <atomic>
#include <chrono>
#include <functional>
#include <memory>
#include <string>

namespace solar::core {

struct server_options {
    std::string address = "0.0.0.0";
    std::uint16_t port = 0;
    std::size_t max_body_bytes = 16 * 1024 * 1024;
    std::chrono::milliseconds keep_alive_timeout{60000};  // idle wait for the next request
    std::chrono::milliseconds read_timeout{30000};        // the rest of a request once it started
    std::chrono::milliseconds write_timeout{30000};
    // Each connection's handlers run on a strand of their own, as several threads may run the
    // io_context. Where exactly one thread runs it they are serialised already, and the strand
    // would only add a queue and a lock to every completion: the daemons clear this then.
    bool strand_per_connection = true;
    // The JSON body of the errors the server itself answers (401, 404, 405, 413, 500):
    // OpenAI's shape by default; solar-host adds FastAPI's "detail" for its existing clients.
    std::function<std::string(const api_error&)> error_body = core::error_body;
};

class http_server {
public:
    // The router and key must outlive the server.
    http_server(
        asio::io_context& ioc, server_options options, const router& routes, std::string api_key
    );

    // Binds and listens; returns the bound endpoint (port 0 becomes the real port). Throws
    // boost::system::system_error when the address cannot be bound.
    asio::ip::tcp::endpoint listen();

    // Starts accepting connections on the io_context.
    void start();

    // Stops accepting, closes idle connections, lets busy ones finish until the grace
    // period ends, then closes the rest. Completes when no connection is left.
    asio::awaitable<void> shutdown(std::chrono::milliseconds grace);

    std::size_t open_connections() const { return connections_.size(); }

private:
    asio::awaitable<void> accept_loop();
    // Closes connections idle past keep_alive_timeout, a few times per timeout.
    asio::awaitable<void> idle_sweep_loop();
    asio::awaitable<void> session(asio::ip::tcp::socket socket);
    response error_answer(const api_error& error, const request& req) const;
    asio::awaitable<bool> serve_one(
        request& req, beast::tcp_stream& stream, beast::flat_buffer& buffer, connection_slot& slot
    );

    asio::io_context& ioc_;
    server_options options_;
    const router& routes_;
    std::string api_key_;
    asio::ip::tcp::acceptor acceptor_;
    asio::steady_timer idle_sweep_;
    connection_registry connections_;
    std::atomic<bool> stopping_{false};
    std::shared_ptr<spdlog::logger> log_;
    std::shared_ptr<spdlog::logger> access_log_;
};

// The request id to use: a sane incoming X-Request-Id, else a new random one.
std::string request_id_for(const request& req);

}  // namespace solar::core
