// Noticing that a client went away while its request is still being served (the gateway's
// proxy and the runner's generation routes race their work against it).
#pragma once

#include <solar/core/http_types.hpp>
#include <solar/core/request_context.hpp>

#include <boost/asio/awaitable.hpp>

namespace solar::core {

// Completes when the client closed its side (or the connection broke). Bytes of a pipelined
// next request are kept in ctx.buffer for the session to parse afterwards; past 64 KiB it
// stops reading and waits until cancelled.
asio::awaitable<void> client_gone(request_context& ctx);

}  // namespace solar::core
