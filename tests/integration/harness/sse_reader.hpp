// A client for one streamed (SSE) response that the test reads event by event, with arrival
// times, and may drop mid-stream to play a client that goes away.
#pragma once

#include <boost/asio/io_context.hpp>
#include <boost/beast/core/flat_buffer.hpp>
#include <boost/beast/core/tcp_stream.hpp>
#include <boost/beast/http.hpp>

#include <chrono>
#include <deque>
#include <map>
#include <optional>
#include <string>

namespace solar::test {

namespace http = boost::beast::http;

struct sse_event {
    std::string data;  // the data: lines joined by "\n", e.g. "[DONE]"
    std::chrono::steady_clock::time_point received;  // when its last byte arrived
};

class sse_reader {
public:
    // Connects to host:port, sends a POST of `body` (JSON unless `headers` say otherwise) and
    // waits for the response header. Throws std::runtime_error when any of that fails within
    // `timeout`.
    sse_reader(
        const std::string& host,
        unsigned short port,
        const std::string& target,
        std::string body,
        const std::map<std::string, std::string>& headers = {},
        std::chrono::milliseconds timeout = std::chrono::seconds(10)
    );
    ~sse_reader();
    sse_reader(const sse_reader&) = delete;
    sse_reader& operator=(const sse_reader&) = delete;

    unsigned status() const { return status_; }
    // Response headers, names lowercased.
    const std::map<std::string, std::string>& headers() const { return headers_; }

    // The data of the next event, or nullopt when `timeout` passes first or the stream has
    // ended (see ended()); a later call may still return an event after a timeout.
    std::optional<std::string> next_event(
        std::chrono::milliseconds timeout = std::chrono::seconds(10)
    );
    // Like next_event, with the time the event arrived.
    std::optional<sse_event> next_event_timed(
        std::chrono::milliseconds timeout = std::chrono::seconds(10)
    );
    // When the event last returned arrived.
    std::chrono::steady_clock::time_point last_event_at() const { return last_event_at_; }

    // Reads until the response ends (or `timeout`) and returns the body not yet taken as
    // events: the whole body of a non-SSE answer, such as a JSON error.
    std::string read_rest(std::chrono::milliseconds timeout = std::chrono::seconds(10));

    // Whether the response is complete (true end of body) or the connection failed.
    bool ended() const { return ended_ && events_.empty(); }
    // Whether the body ended properly (the final chunk arrived).
    bool complete() const { return complete_; }

    // Drops the connection now, mid-stream, like a client that went away.
    void close();

private:
    void start_read();
    void split_events();
    // Runs handlers until `done` or the deadline; false on deadline.
    template <class Done>
    bool run_until(Done done, std::chrono::steady_clock::time_point deadline);

    boost::asio::io_context ioc_;
    boost::beast::tcp_stream stream_;
    boost::beast::flat_buffer buffer_;
    http::response_parser<http::buffer_body> parser_;
    char chunk_[16384];
    std::string pending_;  // body bytes not yet split into events
    std::string raw_;      // body bytes never returned as events (for read_rest)
    std::deque<sse_event> events_;
    bool reading_ = false;
    bool ended_ = false;
    bool complete_ = false;
    unsigned status_ = 0;
    std::map<std::string, std::string> headers_;
    std::chrono::steady_clock::time_point last_event_at_{};
};

}  // namespace solar::test
