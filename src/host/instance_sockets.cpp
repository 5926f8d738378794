// WS /instances/{id}/logs (replay from ?since=SEQ or the last N, then live lines) and
// /instances/{id}/state (the state document now, then after every change). Producers run on
// other threads; they only wake this connection's timer, and the socket is touched only here.
#include <solar/core/connection_registry.hpp>
#include <solar/host/instance_manager.hpp>
#include <solar/host/log_ring.hpp>
#include <solar/host/routes.hpp>

#include <boost/asio/experimental/awaitable_operators.hpp>
#include <boost/asio/steady_timer.hpp>
#include <boost/beast/websocket.hpp>

#include <charconv>
#include <deque>
#include <mutex>

namespace solar::host {
namespace {

using namespace asio::experimental::awaitable_operators;
namespace websocket = beast::websocket;
using ws_stream = websocket::stream<beast::tcp_stream>;
using nlohmann::json;
constexpr auto use_tuple = asio::as_tuple(asio::use_awaitable);

// Lines replayed when the client names neither since nor last.
constexpr std::size_t default_replay_lines = 100;
// A client that cannot take a message within this time is disconnected so a stalled
// reader never holds a session (and its backlog) open.
constexpr auto write_deadline = std::chrono::seconds(10);
// Live state documents waiting for a slow client; older ones are dropped (the newest wins).
constexpr std::size_t max_pending_states = 16;

std::optional<std::uint64_t> uint_param(const core::request_context& ctx, std::string_view name) {
    auto text = ctx.query_param(name);
    if (!text || text->empty()) return std::nullopt;
    std::uint64_t value = 0;
    auto [end, ec] = std::from_chars(text->data(), text->data() + text->size(), value);
    if (ec != std::errc{} || end != text->data() + text->size()) return std::nullopt;
    return value;
}

void drop_connection(ws_stream& ws) {
    boost::system::error_code ignored;
    beast::get_lowest_layer(ws).socket().shutdown(asio::ip::tcp::socket::shutdown_both, ignored);
    beast::get_lowest_layer(ws).socket().close(ignored);
}

// Takes the stream from the HTTP session and accepts the upgrade; false when it failed.
asio::awaitable<std::unique_ptr<ws_stream>> accept_socket(core::request_context& ctx) {
    auto ws = std::make_unique<ws_stream>(std::move(ctx.stream));
    ctx.stream_released = true;
    ctx.connection.set_phase(core::connection_slot::phase::long_lived);
    beast::get_lowest_layer(*ws).expires_never();
    websocket::stream_base::timeout timeouts;
    timeouts.handshake_timeout = std::chrono::seconds(10);
    timeouts.idle_timeout = std::chrono::seconds(60);
    timeouts.keep_alive_pings = true;
    ws->set_option(timeouts);
    ws->read_message_max(64 * 1024);
    ws->text(true);
    auto [ec] = co_await ws->async_accept(ctx.req, use_tuple);
    if (ec) {
        ctx.written_status = 400;
        drop_connection(*ws);
        co_return nullptr;
    }
    ctx.written_status = 101;
    co_return ws;
}

// Reads (and ignores) client messages until it closes; Beast answers pings and the close.
asio::awaitable<void> read_until_closed(ws_stream& ws) {
    beast::flat_buffer buffer;
    for (;;) {
        auto [ec, n] = co_await ws.async_read(buffer, use_tuple);
        if (ec) co_return;
        buffer.consume(buffer.size());
    }
}

// Writes one message with a deadline; false when the client is gone or too slow.
asio::awaitable<bool> send(ws_stream& ws, const std::string& text) {
    asio::steady_timer deadline{co_await asio::this_coro::executor, write_deadline};
    auto outcome =
        co_await (ws.async_write(asio::buffer(text), use_tuple) || deadline.async_wait(use_tuple));
    if (outcome.index() == 0 && !std::get<0>(std::get<0>(outcome))) co_return true;
    // Gone, or too slow: either way the connection ends here.
    drop_connection(ws);
    co_return false;
}

// Waits for the next wake-up, or forever when cancelled by the other branch.
asio::awaitable<void> wait_for_wake(asio::steady_timer& wake) {
    wake.expires_at(asio::steady_timer::time_point::max());
    co_await wake.async_wait(use_tuple);
}

asio::awaitable<void> push_lines(
    ws_stream& ws, log_ring& ring, asio::steady_timer& wake, std::uint64_t after, bool& woken
) {
    for (;;) {
        woken = false;
        auto batch = ring.since(after, 256);
        for (const auto& entry : batch) {
            auto text = to_json(entry).dump(-1, ' ', false, json::error_handler_t::replace);
            if (!co_await send(ws, text)) co_return;
            after = entry.seq;
        }
        if (batch.size() == 256 || woken) continue;
        co_await wait_for_wake(wake);
    }
}

asio::awaitable<core::handler_result> serve_logs(
    core::request_context& ctx, instance_manager& manager
) {
    std::string id(ctx.param("id"));
    auto ring = manager.logs(id);
    if (!ring) co_return host_error_response(instance_not_found(id), ctx.req);
    if (!websocket::is_upgrade(ctx.req)) {
        // Plain GET: the held lines as JSON, for curl users.
        auto since = uint_param(ctx, "since").value_or(0);
        auto entries = ring->since(since == 0 ? 0 : since - 1, 10000);
        json lines = json::array();
        for (const auto& entry : entries) lines.push_back(to_json(entry));
        co_return core::json_response(
            http::status::ok,
            json{{"instance_id", id}, {"lines", lines}}.dump(
                -1, ' ', false, json::error_handler_t::replace
            ),
            ctx.req
        );
    }

    // ?since=SEQ replays from SEQ on (what solar-control asks after a reconnect); ?last=N the
    // newest N; neither: the newest default_replay_lines.
    std::uint64_t after = 0;
    if (auto since = uint_param(ctx, "since")) {
        after = *since == 0 ? 0 : *since - 1;
    } else {
        auto last = uint_param(ctx, "last").value_or(default_replay_lines);
        auto newest = ring->last(static_cast<std::size_t>(std::min<std::uint64_t>(last, 1u << 20)));
        after = newest.empty() ? ring->next_seq() - 1 : newest.front().seq - 1;
    }

    auto ws = co_await accept_socket(ctx);
    if (!ws) co_return std::nullopt;
    auto wake = std::make_shared<asio::steady_timer>(ws->get_executor());
    auto woken = std::make_shared<bool>(false);
    auto token = ring->subscribe([wake, woken](std::uint64_t) {
        asio::post(wake->get_executor(), [wake, woken] {
            *woken = true;
            wake->cancel();
        });
    });
    co_await (read_until_closed(*ws) || push_lines(*ws, *ring, *wake, after, *woken));
    ring->unsubscribe(token);
    drop_connection(*ws);
    co_return std::nullopt;
}

// State documents from the manager's listener, handed to the socket's strand.
struct state_queue {
    std::mutex mutex;
    std::deque<json> pending;
};

asio::awaitable<void> push_states(
    ws_stream& ws, state_queue& queue, asio::steady_timer& wake, const json& first
) {
    std::string text = first.dump(-1, ' ', false, json::error_handler_t::replace);
    if (!co_await send(ws, text)) co_return;
    for (;;) {
        std::deque<json> ready;
        {
            std::lock_guard lock(queue.mutex);
            ready.swap(queue.pending);
        }
        for (const auto& state : ready) {
            text = state.dump(-1, ' ', false, json::error_handler_t::replace);
            if (!co_await send(ws, text)) co_return;
        }
        if (!ready.empty()) continue;
        co_await wait_for_wake(wake);
    }
}

asio::awaitable<core::handler_result> serve_state(
    core::request_context& ctx, instance_manager& manager
) {
    std::string id(ctx.param("id"));
    if (!websocket::is_upgrade(ctx.req)) co_return answer(manager.state(id), ctx.req);
    auto now = manager.state(id);
    if (!now) co_return host_error_response(now.error(), ctx.req);

    auto ws = co_await accept_socket(ctx);
    if (!ws) co_return std::nullopt;
    auto wake = std::make_shared<asio::steady_timer>(ws->get_executor());
    auto queue = std::make_shared<state_queue>();
    auto token = manager.watch_state(id, [wake, queue](const json& state) {
        {
            std::lock_guard lock(queue->mutex);
            queue->pending.push_back(state);
            while (queue->pending.size() > max_pending_states) queue->pending.pop_front();
        }
        asio::post(wake->get_executor(), [wake] { wake->cancel(); });
    });
    // Read the document after subscribing, so no change falls between the two.
    auto latest = manager.state(id);
    const json& first = latest ? *latest : *now;
    co_await (read_until_closed(*ws) || push_states(*ws, *queue, *wake, first));
    manager.unwatch_state(id, token);
    drop_connection(*ws);
    co_return std::nullopt;
}

}  // namespace

void add_instance_socket_routes(core::router& routes, instance_manager& manager) {
    core::route_options sockets{.allow_query_key = true};
    routes.add(
        http::verb::get,
        "/instances/{id}/logs",
        [&manager](core::request_context& ctx) { return serve_logs(ctx, manager); },
        sockets
    );
    routes.add(
        http::verb::get,
        "/instances/{id}/state",
        [&manager](core::request_context& ctx) { return serve_state(ctx, manager); },
        sockets
    );
}

}  // namespace solar::host
