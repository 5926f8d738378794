// A client for one streamed (SSE) response: callbacks on a private io_context that is run
// only inside the calls, so a read left pending by a timeout simply continues on the next call.
#include "harness/sse_reader.hpp"

#include <limits>
#include <memory>
#include <stdexcept>

#include "harness/net_util.hpp"

namespace solar::test {

using clock = std::chrono::steady_clock;

sse_reader::sse_reader(
    const std::string& host,
    unsigned short port,
    const std::string& target,
    std::string body,
    const std::map<std::string, std::string>& headers,
    std::chrono::milliseconds timeout
)
    : stream_(ioc_) {
    parser_.body_limit(std::numeric_limits<std::uint64_t>::max());
    auto deadline = clock::now() + timeout;
    auto req = std::make_shared<http::request<http::string_body>>(
        make_request(host, port, http::verb::post, target, std::move(body), headers)
    );
    bool done = false;
    boost::system::error_code error;
    auto finish = [&](boost::system::error_code ec) {
        error = ec;
        done = true;
    };
    stream_.async_connect(resolve_loopback(ioc_, host, port), [&, req](auto ec) {
        if (ec) return finish(ec);
        http::async_write(stream_, *req, [&, req](auto ec, std::size_t) {
            if (ec) return finish(ec);
            http::async_read_header(stream_, buffer_, parser_, [&](auto ec, std::size_t) {
                finish(ec);
            });
        });
    });
    bool in_time = run_until([&] { return done; }, deadline);
    if (!in_time || error) {
        // The pending handlers refer to this frame's locals: let them finish before leaving.
        stream_.close();
        ioc_.restart();
        ioc_.run();
        throw std::runtime_error(
            "sse_reader: " + (in_time ? error.message() : std::string("no response header in time"))
        );
    }
    status_ = parser_.get().result_int();
    headers_ = header_map(parser_.get().base());
    if (parser_.is_done()) ended_ = complete_ = true;
}

sse_reader::~sse_reader() {
    boost::system::error_code ignored;
    stream_.socket().close(ignored);
}

template <class Done>
bool sse_reader::run_until(Done done, clock::time_point deadline) {
    while (!done()) {
        if (ioc_.stopped()) ioc_.restart();
        if (ioc_.run_one_until(deadline) == 0 && !done()) {
            // Either the deadline passed, or nothing is pending that could change anything.
            return false;
        }
    }
    return true;
}

void sse_reader::start_read() {
    reading_ = true;
    parser_.get().body().data = chunk_;
    parser_.get().body().size = sizeof chunk_;
    http::async_read_some(
        stream_,
        buffer_,
        parser_,
        [this](boost::system::error_code ec, std::size_t) {
            reading_ = false;
            pending_.append(chunk_, sizeof chunk_ - parser_.get().body().size);
            if (ec == http::error::need_buffer) ec = {};
            if (ec) {
                ended_ = true;
            } else if (parser_.is_done()) {
                ended_ = complete_ = true;
            }
            split_events();
        }
    );
}

void sse_reader::split_events() {
    for (std::size_t cr; (cr = pending_.find("\r\n")) != std::string::npos;) pending_.erase(cr, 1);
    auto take_block = [this](std::string block) {
        std::string data;
        bool has_data = false;
        std::size_t start = 0;
        while (start <= block.size()) {
            std::size_t end = block.find('\n', start);
            std::string line = block.substr(start, end == std::string::npos ? end : end - start);
            if (line.rfind("data:", 0) == 0) {
                std::string value = line.substr(5);
                if (!value.empty() && value[0] == ' ') value.erase(0, 1);
                data += (has_data ? "\n" : "") + value;
                has_data = true;
            }
            if (end == std::string::npos) break;
            start = end + 1;
        }
        // Blocks without data (comments, keep-alives) are not events.
        if (has_data) events_.push_back({std::move(data), clock::now()});
    };
    for (std::size_t end; (end = pending_.find("\n\n")) != std::string::npos;) {
        take_block(pending_.substr(0, end));
        pending_.erase(0, end + 2);
    }
    // A last event not followed by a blank line still counts once the body is over.
    if (ended_ && pending_.find("data:") != std::string::npos) {
        take_block(std::move(pending_));
        pending_.clear();
    }
}

std::optional<sse_event> sse_reader::next_event_timed(std::chrono::milliseconds timeout) {
    run_until(
        [this] {
            if (!events_.empty() || ended_) return true;
            if (!reading_) start_read();
            return false;
        },
        clock::now() + timeout
    );
    if (events_.empty()) return std::nullopt;
    sse_event event = std::move(events_.front());
    events_.pop_front();
    last_event_at_ = event.received;
    return event;
}

std::optional<std::string> sse_reader::next_event(std::chrono::milliseconds timeout) {
    auto event = next_event_timed(timeout);
    if (!event) return std::nullopt;
    return std::move(event->data);
}

std::string sse_reader::read_rest(std::chrono::milliseconds timeout) {
    run_until(
        [this] {
            if (ended_) return true;
            if (!reading_) start_read();
            return false;
        },
        clock::now() + timeout
    );
    std::string rest;
    for (const auto& event : events_) rest += "data: " + event.data + "\n\n";
    events_.clear();
    rest += pending_;
    pending_.clear();
    return rest;
}

void sse_reader::close() {
    boost::system::error_code ignored;
    stream_.socket().shutdown(asio::ip::tcp::socket::shutdown_both, ignored);
    stream_.socket().close(ignored);
    // Deliver the aborted read, so no handler is left that could run later.
    ioc_.restart();
    ioc_.poll();
    ended_ = true;
}

}  // namespace solar::test
