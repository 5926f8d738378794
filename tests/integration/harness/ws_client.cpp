// A blocking WebSocket client for tests: callbacks on a private io_context run inside calls.
#include "harness/ws_client.hpp"

#include <boost/beast/websocket.hpp>

#include "harness/net_util.hpp"

namespace solar::test {

namespace websocket = beast::websocket;
using clock = std::chrono::steady_clock;

ws_client::ws_client() : ws_(ioc_) {}

ws_client::~ws_client() {
    boost::system::error_code ignored;
    beast::get_lowest_layer(ws_).socket().close(ignored);
}

template <class Done>
bool ws_client::run_until(Done done, clock::time_point deadline) {
    while (!done()) {
        if (ioc_.stopped()) ioc_.restart();
        if (ioc_.run_one_until(deadline) == 0 && !done()) return false;
    }
    return true;
}

bool ws_client::connect(
    const std::string& host,
    unsigned short port,
    const std::string& target,
    const std::map<std::string, std::string>& headers,
    std::chrono::milliseconds timeout
) {
    auto deadline = clock::now() + timeout;
    ws_.set_option(websocket::stream_base::decorator([headers](websocket::request_type& req) {
        for (const auto& [name, value] : headers) req.set(name, value);
    }));
    websocket::response_type response;
    bool done = false;
    boost::system::error_code error;
    std::string host_field = host + ":" + std::to_string(port);
    auto& lowest = beast::get_lowest_layer(ws_);
    lowest.async_connect(resolve_loopback(ioc_, host, port), [&](boost::system::error_code ec) {
        if (ec) {
            error = ec;
            done = true;
            return;
        }
        ws_.async_handshake(response, host_field, target, [&](boost::system::error_code ec) {
            error = ec;
            done = true;
        });
    });
    bool in_time = run_until([&] { return done; }, deadline);
    if (!in_time) {
        // The handlers refer to this frame's locals: let them finish before leaving.
        lowest.close();
        ioc_.restart();
        ioc_.run();
    }
    handshake_status_ = response.result_int();
    connected_ = in_time && !error;
    closed_ = !connected_;
    return connected_;
}

void ws_client::start_read() {
    reading_ = true;
    ws_.async_read(buffer_, [this](boost::system::error_code ec, std::size_t) {
        reading_ = false;
        if (ec) {
            closed_ = true;
            return;
        }
        messages_.push_back(beast::buffers_to_string(buffer_.data()));
        buffer_.consume(buffer_.size());
    });
}

std::optional<std::string> ws_client::next_message(std::chrono::milliseconds timeout) {
    run_until(
        [this] {
            if (!messages_.empty() || closed_) return true;
            if (!reading_) start_read();
            return false;
        },
        clock::now() + timeout
    );
    if (messages_.empty()) return std::nullopt;
    std::string message = std::move(messages_.front());
    messages_.pop_front();
    return message;
}

void ws_client::close() {
    if (connected_ && !closed_) {
        bool done = false;
        ws_.async_close(websocket::close_code::normal, [&](boost::system::error_code) {
            done = true;
        });
        // The server's close frame arrives through the pending read, if any.
        run_until([&] { return done && !reading_; }, clock::now() + std::chrono::seconds(2));
    }
    boost::system::error_code ignored;
    beast::get_lowest_layer(ws_).socket().close(ignored);
    // Every pending operation now fails at once; run them out so none refers to a dead local.
    ioc_.restart();
    ioc_.run();
    closed_ = true;
}

}  // namespace solar::test
