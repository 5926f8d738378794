// Outgoing HTTP(S) connections with keep-alive pooling, used by the proxy and the registry.
#pragma once

#include <solar/core/connection_deadline.hpp>
#include <solar/core/http_types.hpp>
#include <solar/core/url.hpp>

#include <boost/asio/ssl/context.hpp>
#include <boost/beast/ssl/ssl_stream.hpp>
#include <boost/system/result.hpp>

#include <array>
#include <chrono>
#include <map>
#include <memory>
#include <mutex>
#include <span>
#include <variant>
#include <vector>

namespace solar::core {

enum class upstream_errc {
    connect_failed =
        1,  // resolve, connect, TLS handshake: nothing was sent, safe to retry elsewhere
    connect_timeout,
    first_byte_timeout,  // sent, but no response header in time
    idle_timeout,        // response started, then stalled
    io_error,            // connection broke mid-exchange
    response_too_large,
};
const boost::system::error_category& upstream_category();
boost::system::error_code make_error_code(upstream_errc e);

struct upstream_timeouts {
    std::chrono::milliseconds connect{3000};
    std::chrono::milliseconds first_byte{300000};
    std::chrono::milliseconds idle{120000};
};

// Where a request goes: the base URL plus TLS trust settings.
struct upstream_target {
    base_url url;
    std::string ca_file;  // "" = the system trust store
};

using upstream_parser = http::response_parser<http::buffer_body>;

// One open connection, plain or TLS. Not thread-safe; owned by one coroutine at a time.
class upstream_connection {
public:
    using plain_stream = beast::tcp_stream;
    using tls_stream = beast::ssl_stream<beast::tcp_stream>;

    upstream_connection(std::string pool_key, std::variant<plain_stream, tls_stream> stream);

    // Sends the whole request within the given deadline.
    asio::awaitable<boost::system::error_code> write(
        request& req, std::chrono::milliseconds timeout
    );
    // Sends a request whose head was written by hand (http_head.hpp), then its body, in one
    // gathered write within the given deadline.
    asio::awaitable<boost::system::error_code> write(
        std::string_view head, std::string_view body, std::chrono::milliseconds timeout
    );
    // Reads the response header, waiting at most `timeout` for it.
    asio::awaitable<boost::system::error_code> read_header(
        upstream_parser& parser, std::chrono::milliseconds timeout
    );
    // Reads the next piece of body into `out`; returns bytes stored; done when parser.is_done().
    asio::awaitable<std::pair<boost::system::error_code, std::size_t>> read_body_some(
        upstream_parser& parser, std::span<char> out, std::chrono::milliseconds timeout
    );
    void close();
    // Between exchanges (back in the pool): no deadline, no timer waiting.
    void rest() { deadline_.rest(); }

    const std::string& pool_key() const { return pool_key_; }
    bool reused = false;  // came from the idle pool: a stale keep-alive may fail once

    // Scratch space for relaying a response body piece by piece. It lives with the connection
    // so that each request's coroutine frame does not carry (and allocate) 16 KiB.
    std::span<char> relay_buffer() { return relay_buffer_; }

private:
    beast::tcp_stream& lowest();
    // Ends an operation under deadline_: its error, or `on_timeout` if the deadline closed it.
    boost::system::error_code finished(boost::system::error_code ec, upstream_errc on_timeout);

    std::string pool_key_;
    std::variant<plain_stream, tls_stream> stream_;
    beast::flat_buffer buffer_;
    std::array<char, 16384> relay_buffer_;
    connection_deadline deadline_;  // last: destroyed first, so it never closes a dead stream
};

// A complete response read into memory (registry calls, small JSON answers).
struct upstream_response {
    unsigned status = 0;
    http::fields headers;
    std::string body;
};

class upstream_pool {
public:
    explicit upstream_pool(asio::any_io_executor executor, std::size_t max_idle_per_target = 64);

    // An idle pooled connection to the target, or a new one (resolve, connect, TLS handshake).
    asio::awaitable<boost::system::result<std::unique_ptr<upstream_connection>>> acquire(
        const upstream_target& target, std::chrono::milliseconds connect_timeout
    );
    // Returns a connection whose last response was read completely and allows keep-alive.
    void release(std::unique_ptr<upstream_connection> connection);

    // Sends one request and reads the whole response (at most `max_body` bytes). Retries once
    // on a fresh connection when a reused keep-alive connection turns out to be closed.
    asio::awaitable<boost::system::result<upstream_response>> fetch(
        const upstream_target& target,
        request& req,
        upstream_timeouts timeouts,
        std::size_t max_body = 64 * 1024 * 1024
    );

    // The TLS context for a CA file ("" = system trust store), created once and kept.
    std::shared_ptr<asio::ssl::context> tls_context(const std::string& ca_file);

private:
    struct idle_connection {
        std::unique_ptr<upstream_connection> connection;
        std::chrono::steady_clock::time_point since;
    };

    asio::any_io_executor executor_;
    std::size_t max_idle_per_target_;
    std::mutex mutex_;
    std::map<std::string, std::vector<idle_connection>, std::less<>> idle_;
    std::map<std::string, std::shared_ptr<asio::ssl::context>, std::less<>> tls_contexts_;
};

// The request target for a path on a base URL that may carry a path prefix.
std::string upstream_path(const base_url& url, std::string_view path);

}  // namespace solar::core

template <>
struct boost::system::is_error_code_enum<solar::core::upstream_errc> : std::true_type {};
