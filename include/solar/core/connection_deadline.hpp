// A deadline for the operations on one connection, kept by a timer that is rarely re-armed.
#pragma once

#include <boost/asio/any_io_executor.hpp>
#include <boost/asio/steady_timer.hpp>

#include <chrono>
#include <functional>
#include <memory>

namespace solar::core {

namespace asio = boost::asio;

// Beast's tcp_stream arms, cancels and completes a timer for every read and write, which on a
// proxied request cost more than the reads themselves. Here an operation only stores its
// deadline. The one timer waits for the earliest deadline it has been given; when it fires
// early (the deadline moved on, as it does on every request of a keep-alive connection), it
// waits again for the current one, so a busy connection re-arms it about once per timeout
// period instead of per operation. Past the deadline it calls `on_expiry` (which closes the
// socket, ending the pending operation) and reports expired() until the next set().
class connection_deadline {
public:
    using clock = std::chrono::steady_clock;

    connection_deadline(asio::any_io_executor executor, std::function<void()> on_expiry);
    ~connection_deadline();
    connection_deadline(const connection_deadline&) = delete;
    connection_deadline& operator=(const connection_deadline&) = delete;

    // The next operation must end within `timeout` from now.
    void set(std::chrono::milliseconds timeout);
    // No operation pending: nothing expires (an idle pooled connection).
    void clear();
    // Cleared, and the timer's wait given up: a connection put back in the pool must not keep
    // an io_context's run() from returning for a timeout period.
    void rest();
    // The last deadline passed and `on_expiry` ran.
    bool expired() const;

private:
    struct state;
    std::shared_ptr<state> state_;
};

}  // namespace solar::core
