// A blocking WebSocket client for tests: connect with headers, read messages with timeouts,
// close.
#pragma once

#include <boost/asio/io_context.hpp>
#include <boost/beast/core/flat_buffer.hpp>
#include <boost/beast/core/tcp_stream.hpp>
#include <boost/beast/websocket/stream.hpp>

#include <chrono>
#include <deque>
#include <map>
#include <optional>
#include <string>

namespace solar::test {

class ws_client {
public:
    ws_client();
    ~ws_client();
    ws_client(const ws_client&) = delete;
    ws_client& operator=(const ws_client&) = delete;

    // Connects to host:port and upgrades `target` with extra request `headers`; returns whether
    // the upgrade was accepted within `timeout`. On refusal handshake_status() has the HTTP
    // status the server answered with (0 when none came).
    bool connect(
        const std::string& host,
        unsigned short port,
        const std::string& target,
        const std::map<std::string, std::string>& headers = {},
        std::chrono::milliseconds timeout = std::chrono::seconds(10)
    );
    unsigned handshake_status() const { return handshake_status_; }

    // The next text or binary message, or nullopt when `timeout` passes first or the
    // connection is closed (see closed()); a later call may still return one after a timeout.
    std::optional<std::string> next_message(
        std::chrono::milliseconds timeout = std::chrono::seconds(10)
    );

    // Whether the server closed the connection (or it broke) and no message is left.
    bool closed() const { return closed_ && messages_.empty(); }

    // The close frame the server sent (code 0 = none came), meaningful once closed().
    boost::beast::websocket::close_reason close_reason() const { return ws_.reason(); }

    // Sends a close frame and waits briefly for the server's; then drops the connection.
    void close();

private:
    void start_read();
    template <class Done>
    bool run_until(Done done, std::chrono::steady_clock::time_point deadline);

    boost::asio::io_context ioc_;
    boost::beast::websocket::stream<boost::beast::tcp_stream> ws_;
    boost::beast::flat_buffer buffer_;
    std::deque<std::string> messages_;
    bool connected_ = false;
    bool reading_ = false;
    bool closed_ = false;
    unsigned handshake_status_ = 0;
};

}  // namespace solar::test
