// solar-bench-load: an open-loop HTTP load generator (constant arrival rate, wrk2-style), and a
// holder of many idle keep-alive connections.
//
// Open loop: request i is due at t0 + i/rate whatever happened before; a connection takes the
// next due request when it is free, waits until it is due, sends it, and records
// (answer time - due time). A stalled server therefore shows up as queueing delay in every
// request scheduled behind it, which is the coordinated-omission correction: a closed-loop
// client would simply send less and report the stall once.
//
// Hold (--hold N): opens N connections, makes one request on each, keeps them all open for
// --duration seconds, then makes a second request on each; a connection the server dropped in
// between fails the second request.
#include <boost/asio.hpp>
#include <boost/beast/core.hpp>
#include <boost/beast/http.hpp>

#include <CLI/CLI.hpp>

#include <cstdio>
#include <memory>

#include "bench_util.hpp"

namespace {

namespace asio = boost::asio;
namespace beast = boost::beast;
namespace http = boost::beast::http;
using tcp = asio::ip::tcp;
using namespace solar::bench;
constexpr auto use_tuple = asio::as_tuple(asio::use_awaitable);

struct options {
    std::string url;
    double rate = 1000;
    double duration_s = 5;
    double warmup_s = 1;
    unsigned connections = 64;
    std::size_t body_bytes = 1024;
    std::string model = "bench";
    std::string method = "POST";
    std::vector<std::string> headers;
    std::size_t hold = 0;
    std::vector<int> watch_pids;
};

struct run_state {
    std::int64_t t0 = 0;
    double period_ns = 0;
    std::uint64_t next = 0;
    std::uint64_t total = 0;
    std::uint64_t warm = 0;  // requests before this index are not recorded
    std::uint64_t errors = 0;
    std::uint64_t done = 0;
    std::vector<std::int64_t> latencies;
    long rss_max = 0;
    bool finished = false;
};

// One request/response exchange on an open stream; false on any failure or non-2xx.
asio::awaitable<bool> exchange(
    beast::tcp_stream& stream, beast::flat_buffer& buffer, const std::string& request
) {
    stream.expires_after(std::chrono::seconds(30));
    auto [wec, wn] = co_await asio::async_write(stream, asio::buffer(request), use_tuple);
    if (wec) co_return false;
    http::response_parser<http::string_body> parser;
    parser.body_limit(64 * 1024 * 1024);
    auto [rec, rn] = co_await http::async_read(stream, buffer, parser, use_tuple);
    if (rec) co_return false;
    co_return parser.get().result_int() / 100 == 2 && parser.get().keep_alive();
}

asio::awaitable<bool> connect(beast::tcp_stream& stream, const tcp::endpoint& ep) {
    stream.expires_after(std::chrono::seconds(10));
    auto [ec] = co_await stream.async_connect(ep, use_tuple);
    if (ec) co_return false;
    stream.socket().set_option(tcp::no_delay(true));
    co_return true;
}

asio::awaitable<void> open_loop_worker(run_state& s, tcp::endpoint ep, const std::string& request) {
    auto executor = co_await asio::this_coro::executor;
    auto stream = std::make_unique<beast::tcp_stream>(executor);
    beast::flat_buffer buffer;
    bool connected = co_await connect(*stream, ep);
    asio::steady_timer timer{executor};
    while (s.next < s.total) {
        std::uint64_t i = s.next++;
        auto due = s.t0 + static_cast<std::int64_t>(static_cast<double>(i) * s.period_ns);
        if (now_ns() < due) {
            timer.expires_at(std::chrono::steady_clock::time_point(std::chrono::nanoseconds(due)));
            co_await timer.async_wait(use_tuple);
        }
        bool ok = connected && co_await exchange(*stream, buffer, request);
        auto latency = now_ns() - due;
        ++s.done;
        if (!ok) {
            ++s.errors;
            stream = std::make_unique<beast::tcp_stream>(executor);
            buffer.clear();
            connected = co_await connect(*stream, ep);
            continue;
        }
        if (i >= s.warm) s.latencies.push_back(latency);
    }
}

asio::awaitable<void> watch_rss(run_state& s, std::vector<int> pids) {
    asio::steady_timer timer{co_await asio::this_coro::executor};
    while (!s.finished && !pids.empty()) {
        s.rss_max = std::max(s.rss_max, rss_kb(pids));
        timer.expires_after(std::chrono::milliseconds(50));
        co_await timer.async_wait(use_tuple);
    }
}

nlohmann::json open_loop(asio::io_context& ioc, const options& opts, const tcp::endpoint& ep) {
    auto t = parse_target(opts.url);
    std::string body =
        opts.method == "POST" ? chat_body(opts.model, opts.body_bytes, "") : std::string{};
    std::string request = raw_request(opts.method, t, opts.headers, body);
    run_state s;
    s.period_ns = 1e9 / opts.rate;
    s.total = static_cast<std::uint64_t>(opts.rate * (opts.warmup_s + opts.duration_s));
    s.warm = static_cast<std::uint64_t>(opts.rate * opts.warmup_s);
    s.latencies.reserve(s.total);
    s.t0 = now_ns() + 200'000'000;  // connections open first
    std::size_t running = opts.connections;
    for (unsigned c = 0; c < opts.connections; ++c) {
        asio::co_spawn(ioc, open_loop_worker(s, ep, request), [&](std::exception_ptr) {
            if (--running == 0) s.finished = true;
        });
    }
    asio::co_spawn(ioc, watch_rss(s, opts.watch_pids), asio::detached);
    ioc.run();
    double elapsed_s = static_cast<double>(now_ns() - s.t0) / 1e9;
    auto measured = s.latencies.size();
    nlohmann::json out = {
        {"mode", "open_loop"},
        {"rate", opts.rate},
        {"connections", opts.connections},
        {"requests", s.done},
        {"measured", measured},
        {"errors", s.errors},
        {"achieved_rps", static_cast<double>(s.done) / elapsed_s},
        {"latency_ms", percentiles_ms(s.latencies)},
        {"rss_max_kb", s.rss_max}};
    return out;
}

struct hold_state {
    std::vector<std::unique_ptr<beast::tcp_stream>> streams;
    std::vector<beast::flat_buffer> buffers;
    std::size_t next = 0;
    std::size_t ok = 0;
    std::size_t failed = 0;
};

// Runs phase `first` (connect + request) or the second request over every connection, with
// `parallel` workers.
asio::awaitable<void> hold_worker(
    hold_state& h, tcp::endpoint ep, const std::string& request, bool first
) {
    auto executor = co_await asio::this_coro::executor;
    while (h.next < h.streams.size()) {
        std::size_t i = h.next++;
        if (first) {
            h.streams[i] = std::make_unique<beast::tcp_stream>(executor);
            if (!co_await connect(*h.streams[i], ep)) {
                h.streams[i].reset();
                ++h.failed;
                continue;
            }
        }
        if (!h.streams[i]) {
            ++h.failed;
            continue;
        }
        bool ok = co_await exchange(*h.streams[i], h.buffers[i], request);
        ok ? ++h.ok : ++h.failed;
        h.streams[i]->expires_never();
    }
}

nlohmann::json hold(asio::io_context& ioc, const options& opts, const tcp::endpoint& ep) {
    auto t = parse_target(opts.url);
    std::string request = raw_request("GET", t, opts.headers, "");
    hold_state h;
    h.streams.resize(opts.hold);
    h.buffers.resize(opts.hold);
    auto phase = [&](bool first) {
        h.next = 0;
        h.ok = 0;
        h.failed = 0;
        for (unsigned c = 0; c < 256; ++c) {
            asio::co_spawn(ioc, hold_worker(h, ep, request, first), asio::detached);
        }
        ioc.restart();
        ioc.run();
        return std::pair{h.ok, h.failed};
    };
    auto started = now_ns();
    auto [first_ok, first_failed] = phase(true);
    double open_s = static_cast<double>(now_ns() - started) / 1e9;
    // Let the server settle (allocators, buffers) before its memory is read.
    std::this_thread::sleep_for(std::chrono::milliseconds(500));
    long rss_held = rss_kb(opts.watch_pids);
    std::this_thread::sleep_for(std::chrono::duration<double>(opts.duration_s));
    long rss_after = rss_kb(opts.watch_pids);
    auto [second_ok, second_failed] = phase(false);
    return {
        {"mode", "hold"},
        {"connections", opts.hold},
        {"opened_ok", first_ok},
        {"open_failed", first_failed},
        {"open_s", open_s},
        {"held_s", opts.duration_s},
        {"reuse_ok", second_ok},
        {"reuse_failed", second_failed},
        {"rss_held_kb", rss_held},
        {"rss_after_hold_kb", rss_after}};
}

}  // namespace

int main(int argc, char** argv) {
    options opts;
    CLI::App app{"solar-bench-load: open-loop load generator / idle connection holder"};
    app.add_option("--url", opts.url, "http://127.0.0.1:PORT/path")->required();
    app.add_option("--rate", opts.rate, "requests per second (open loop)");
    app.add_option("--duration", opts.duration_s, "seconds measured (hold: seconds held)");
    app.add_option("--warmup", opts.warmup_s, "seconds at the rate before measuring");
    app.add_option("--connections", opts.connections);
    app.add_option("--body-bytes", opts.body_bytes);
    app.add_option("--model", opts.model);
    app.add_option("--method", opts.method);
    app.add_option("-H,--header", opts.headers, "extra request header, 'Name: value'");
    app.add_option("--hold", opts.hold, "hold this many idle keep-alive connections instead");
    app.add_option("--watch-pid", opts.watch_pids, "report the peak RSS of these processes");
    CLI11_PARSE(app, argc, argv);
    try {
        auto t = parse_target(opts.url);
        tcp::endpoint ep{asio::ip::make_address(t.host), t.port};
        asio::io_context ioc{1};
        auto result = opts.hold > 0 ? hold(ioc, opts, ep) : open_loop(ioc, opts, ep);
        std::printf("%s\n", result.dump().c_str());
        bool failed = opts.hold > 0 ? result["opened_ok"] == 0 : result["measured"] == 0;
        return failed ? 1 : 0;
    } catch (const std::exception& e) {
        std::fprintf(stderr, "solar-bench-load: %s\n", e.what());
        return 1;
    }
}
