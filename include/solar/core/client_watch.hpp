// Noticing that a client went away while its request is still being served: the runner's
// generation routes race their work against client_gone, the gateway's proxy uses client_watch.
#pragma once

#include <solar/core/http_types.hpp>
#include <solar/core/request_context.hpp>

#include <boost/asio/awaitable.hpp>

#include <functional>
#include <memory>

namespace solar::core {

// Completes when the client closed its side (or the connection broke). Bytes of a pipelined
// next request are kept in ctx.buffer for the session to parse afterwards; past 64 KiB it
// stops reading and waits until cancelled.
asio::awaitable<void> client_gone(request_context& ctx);

// The same watch for a handler on the hot path, without a coroutine, a consuming read or a
// parallel group: a one-byte peek on the client socket (one recv that finds it empty, or finds a
// close that came with the request), and non-blocking reads only once it turns readable. The
// handler checks gone() after each step and gives on_gone the means to end what it waits on.
// Bytes of a pipelined next request go to ctx.buffer, as with client_gone.
class client_watch {
public:
    explicit client_watch(request_context& ctx);
    ~client_watch();
    client_watch(const client_watch&) = delete;
    client_watch& operator=(const client_watch&) = delete;

    bool gone() const;
    // Runs once, on the socket's executor, when the client leaves while the watch is on; empty
    // to clear. It must not throw.
    void on_gone(std::function<void()> action);
    // Ends the watch; no callback runs afterwards, and nothing more is read.
    void stop();

private:
    struct state;
    std::shared_ptr<state> state_;
};

}  // namespace solar::core
