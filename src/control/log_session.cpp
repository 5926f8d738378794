// A /ws/logs client session: a reader, a writer and a write watchdog racing on the
// connection's strand; whichever ends first ends the session.
#include <solar/control/log_session.hpp>
#include <solar/core/connection_registry.hpp>
#include <solar/core/json_error.hpp>
#include <solar/core/logging.hpp>

#include <boost/asio/as_tuple.hpp>
#include <boost/asio/experimental/awaitable_operators.hpp>
#include <boost/asio/post.hpp>
#include <boost/asio/steady_timer.hpp>
#include <boost/asio/this_coro.hpp>
#include <boost/asio/use_awaitable.hpp>
#include <boost/beast/websocket.hpp>

#include <optional>

namespace solar::control {

namespace {

namespace websocket = beast::websocket;
using ws_stream = websocket::stream<beast::tcp_stream>;
using clock = std::chrono::steady_clock;
using namespace asio::experimental::awaitable_operators;
constexpr auto use_tuple = asio::as_tuple(asio::use_awaitable);

// Shared by the writer and the watchdog, both on the connection's strand.
struct writer_state {
    std::optional<clock::time_point> busy_since;  // set while a message is being sent
};

// Undoes the session's registrations on every exit, exceptions included: the closer refers
// to a stream that dies with the session.
struct session_cleanup {
    core::connection_slot& connection;
    log_hub& hub;
    std::shared_ptr<log_subscriber> subscriber;

    ~session_cleanup() {
        connection.set_closer({});
        if (subscriber) hub.unsubscribe(subscriber);
    }
};

std::optional<std::string> non_empty(std::optional<std::string> value) {
    if (value && value->empty()) return std::nullopt;
    return value;
}

void drop_connection(ws_stream& ws) {
    beast::error_code ec;
    beast::get_lowest_layer(ws).socket().shutdown(asio::ip::tcp::socket::shutdown_both, ec);
    beast::get_lowest_layer(ws).socket().close(ec);
}

asio::awaitable<bool> cancelled() {
    auto state = co_await asio::this_coro::cancellation_state;
    co_return state.cancelled() != asio::cancellation_type::none;
}

// Reads until the client closes or the connection fails; Beast answers pings and pongs.
asio::awaitable<void> read_until_closed(ws_stream& ws) {
    beast::flat_buffer buffer;
    for (;;) {
        auto [ec, n] = co_await ws.async_read(buffer, use_tuple);
        if (ec) co_return;
        buffer.consume(buffer.size());
    }
}

asio::awaitable<void> write_lines(
    ws_stream& ws, log_subscriber& subscriber, asio::steady_timer& wake, writer_state& state
) {
    for (;;) {
        auto batch = subscriber.take();
        if (batch.overflowed) {
            // The client's queue (log_queue_limits) filled up: it reads slower than the logs
            // arrive. Rather than buffer without bound or silently skip lines, tell it and
            // disconnect; it may reconnect and continue from the live stream.
            co_await ws.async_close(
                websocket::close_reason(websocket::close_code::policy_error, "client too slow"),
                use_tuple
            );
            co_return;
        }
        if (batch.closed) {
            co_await ws.async_close(
                websocket::close_reason(websocket::close_code::going_away, "server shutting down"),
                use_tuple
            );
            co_return;
        }
        if (batch.messages.empty()) {
            wake.expires_at(clock::time_point::max());
            co_await wake.async_wait(use_tuple);  // cancelled by the subscriber's wake
            if (co_await cancelled()) co_return;
            continue;
        }
        for (const auto& message : batch.messages) {
            state.busy_since = clock::now();
            auto [ec, n] = co_await ws.async_write(asio::buffer(*message), use_tuple);
            state.busy_since.reset();
            if (ec) co_return;
        }
    }
}

// Drops a client whose socket stopped taking data: its queue is bounded, but its connection
// must not stay open for ever either. Beast's idle timeout only watches what the client sends,
// and a client may keep sending (pings, pongs) while it no longer reads.
asio::awaitable<void> watch_writes(
    ws_stream& ws,
    const writer_state& state,
    std::chrono::milliseconds limit,
    const std::string& request_id
) {
    asio::steady_timer tick{co_await asio::this_coro::executor};
    auto period = std::max(limit / 4, std::chrono::milliseconds(10));
    for (;;) {
        tick.expires_after(period);
        auto [ec] = co_await tick.async_wait(use_tuple);
        if (ec || co_await cancelled()) co_return;
        if (state.busy_since && clock::now() - *state.busy_since > limit) {
            core::component_logger("logs")->info(
                "log client {} stopped reading for {} ms, disconnecting", request_id, limit.count()
            );
            drop_connection(ws);
            co_return;
        }
    }
}

}  // namespace

asio::awaitable<core::handler_result> serve_log_client(
    core::request_context& ctx, std::shared_ptr<log_hub> hub, log_client_options options
) {
    if (!websocket::is_upgrade(ctx.req)) {
        co_return core::error_response(
            core::bad_request("GET /ws/logs expects a WebSocket upgrade"), ctx.req
        );
    }
    log_filter filter{
        non_empty(ctx.query_param("host_id")), non_empty(ctx.query_param("instance_id"))};

    ws_stream ws{std::move(ctx.stream)};
    ctx.stream_released = true;
    ctx.connection.set_phase(core::connection_slot::phase::long_lived);
    ctx.connection.set_closer([&ws] { drop_connection(ws); });
    session_cleanup cleanup{ctx.connection, *hub, nullptr};

    // The HTTP session's read deadline must not carry over; WebSocket timeouts take over.
    beast::get_lowest_layer(ws).expires_never();
    websocket::stream_base::timeout timeouts;
    timeouts.handshake_timeout = options.write_timeout;  // the upgrade answer and the close
    timeouts.idle_timeout = options.idle_timeout;
    timeouts.keep_alive_pings = true;
    ws.set_option(timeouts);
    ws.read_message_max(options.max_client_message_bytes);
    ws.text(true);

    auto [aec] = co_await ws.async_accept(ctx.req, use_tuple);
    if (aec) {
        ctx.written_status = 400;
        drop_connection(ws);
        co_return std::nullopt;
    }
    ctx.written_status = 101;

    // Producers run on other threads: they only post to this connection's strand.
    auto wake = std::make_shared<asio::steady_timer>(ws.get_executor(), clock::time_point::max());
    cleanup.subscriber = hub->subscribe(filter, [wake] {
        asio::post(wake->get_executor(), [wake] { wake->cancel(); });
    });
    auto log = core::component_logger("logs");
    log->debug(
        "log client {} connected (host_id={}, instance_id={})",
        ctx.request_id,
        filter.host_id.value_or("*"),
        filter.instance_id.value_or("*")
    );

    writer_state state;
    co_await (
        read_until_closed(ws) || write_lines(ws, *cleanup.subscriber, *wake, state) ||
        watch_writes(ws, state, options.write_timeout, ctx.request_id)
    );

    drop_connection(ws);
    log->debug("log client {} disconnected", ctx.request_id);
    co_return std::nullopt;
}

}  // namespace solar::control
