// Watching the client socket while a request is served, until it closes: client_gone as a
// coroutine that reads, client_watch as a peek on the socket plus non-blocking reads.
#include <solar/core/client_watch.hpp>

#include <boost/asio/as_tuple.hpp>
#include <boost/asio/steady_timer.hpp>
#include <boost/asio/this_coro.hpp>
#include <boost/asio/use_awaitable.hpp>

#include <cerrno>
#include <chrono>
#include <sys/socket.h>

namespace solar::core {

namespace {

// Pipelined bytes held for the session at most; past this the client is no longer watched.
constexpr std::size_t max_held = 64 * 1024;

}  // namespace

asio::awaitable<void> client_gone(request_context& ctx) {
    constexpr auto use_tuple = asio::as_tuple(asio::use_awaitable);
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

// Shared with the pending wait's handler, which may run after the watch is gone (cancelled).
struct client_watch::state {
    asio::ip::tcp::socket& socket;
    beast::flat_buffer& buffer;
    std::function<void()> on_gone;
    bool gone = false;
    bool stopped = false;
    bool waiting = false;
    char peeked = 0;

    // A one-byte peek rather than async_wait: Asio tries a read op at once (a recv that finds the
    // socket empty, or finds the close that came with the request) and otherwise queues it on
    // the socket's standing edge-triggered registration, where a wait would cost an
    // EPOLL_CTL_MOD on every request. Peeking takes nothing out, so a cancelled peek loses no
    // byte of a pipelined request; drain() then moves what is there into the session's buffer.
    static void arm(const std::shared_ptr<state>& self) {
        self->waiting = true;
        self->socket.async_receive(
            asio::buffer(&self->peeked, 1),
            asio::socket_base::message_peek,
            [self](const boost::system::error_code& ec, std::size_t) {
                self->waiting = false;
                // Cancelled: by stop(), or the session closed the socket.
                if (self->stopped || ec == asio::error::operation_aborted) return;
                if (ec) return self->leave();  // the end of the stream, or a broken connection
                if (self->drain()) arm(self);
            }
        );
    }

    // Non-blocking reads until the socket is empty: data is kept, the end of the stream or an
    // error means the client left. True while the client is still to be watched.
    bool drain() {
        while (buffer.size() < max_held) {
            auto space = buffer.prepare(4096);
            auto n = ::recv(socket.native_handle(), space.data(), space.size(), MSG_DONTWAIT);
            if (n > 0) {
                buffer.commit(static_cast<std::size_t>(n));
                continue;
            }
            if (n < 0 && errno == EINTR) continue;
            if (n < 0 && (errno == EAGAIN || errno == EWOULDBLOCK)) return true;
            leave();
            return false;
        }
        return false;  // too much held: the session reads the rest after this request
    }

    // Only reached from the wait's handler, so no wait is pending any more.
    void leave() {
        if (gone) return;
        gone = true;
        if (on_gone) on_gone();
    }

    void stop_waiting() {
        if (!waiting) return;
        boost::system::error_code ignored;
        socket.cancel(ignored);  // the session has no other operation pending on it meanwhile
    }
};

client_watch::client_watch(request_context& ctx)
    : state_(std::make_shared<state>(state{ctx.stream.socket(), ctx.buffer, {}})) {
    state::arm(state_);
}

client_watch::~client_watch() { stop(); }

bool client_watch::gone() const { return state_->gone; }

void client_watch::on_gone(std::function<void()> action) { state_->on_gone = std::move(action); }

void client_watch::stop() {
    if (state_->stopped) return;
    state_->stopped = true;
    state_->on_gone = {};
    state_->stop_waiting();
}

}  // namespace solar::core
