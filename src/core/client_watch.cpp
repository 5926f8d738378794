// client_gone: reads the client socket while a request is served, until it closes.
#include <solar/core/client_watch.hpp>

#include <boost/asio/as_tuple.hpp>
#include <boost/asio/steady_timer.hpp>
#include <boost/asio/this_coro.hpp>
#include <boost/asio/use_awaitable.hpp>

#include <chrono>

namespace solar::core {

asio::awaitable<void> client_gone(request_context& ctx) {
    constexpr auto use_tuple = asio::as_tuple(asio::use_awaitable);
    constexpr std::size_t max_held = 64 * 1024;
    while (ctx.buffer.size() < max_held) {
        auto [ec, n] =
            co_await ctx.stream.socket().async_read_some(ctx.buffer.prepare(4096), use_tuple);
        if (ec) co_return;
        ctx.buffer.commit(n);
    }
    asio::steady_timer forever{
        co_await asio::this_coro::executor, std::chrono::steady_clock::time_point::max()};
    co_await forever.async_wait(use_tuple);
}

}  // namespace solar::core
