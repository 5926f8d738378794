// solar-bench-sse: many concurrent SSE chat streams; measures time to first event, events per
// second, and whether events arrive one by one (unbuffered) or in bursts.
//
// solar-bench-upstream stamps every event with "t" (steady clock, ns, same machine), so each
// event's relay lag is (arrival - t). A buffering proxy shows up twice: large lags, and many
// events landing in a single read ("max events per read").
#include <boost/asio.hpp>
#include <boost/beast/core.hpp>
#include <boost/beast/http.hpp>

#include <CLI/CLI.hpp>

#include <charconv>
#include <cstdio>

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
    unsigned streams = 1;  // at once
    unsigned total = 0;    // in all (default: streams)
    int chunks = 20;
    int chunk_delay_ms = 10;
    std::size_t body_bytes = 1024;
    std::string model = "bench";
    std::vector<std::string> headers;
    std::vector<int> watch_pids;
};

struct totals {
    unsigned next = 0;
    unsigned total = 0;
    unsigned complete = 0;
    unsigned failed = 0;
    std::uint64_t events = 0;
    std::uint64_t reads = 0;
    std::uint64_t max_events_per_read = 0;
    std::vector<std::int64_t> ttfb;  // request written -> first event
    std::vector<std::int64_t> lag;   // event written upstream -> event read here
    std::int64_t first_event = 0;
    std::int64_t last_event = 0;
    long rss_max = 0;
    bool finished = false;
};

// Finds the events completed in `pending`, records them, and keeps the unfinished rest.
void take_events(
    std::string& pending, totals& t, std::int64_t arrived, bool& first, std::int64_t sent
) {
    std::uint64_t in_this_read = 0;
    std::size_t end;
    while ((end = pending.find("\n\n")) != std::string::npos) {
        std::string_view event(pending.data(), end);
        auto at = event.find("\"t\":");
        if (at != std::string_view::npos) {
            std::int64_t stamped = 0;
            std::from_chars(event.data() + at + 4, event.data() + event.size(), stamped);
            t.lag.push_back(arrived - stamped);
            ++t.events;
            ++in_this_read;
            if (first) {
                t.ttfb.push_back(arrived - sent);
                first = false;
            }
            if (t.first_event == 0) t.first_event = arrived;
            t.last_event = std::max(t.last_event, arrived);
        }
        pending.erase(0, end + 2);
    }
    if (in_this_read > 0) {
        ++t.reads;
        t.max_events_per_read = std::max(t.max_events_per_read, in_this_read);
    }
}

asio::awaitable<bool> one_stream(
    beast::tcp_stream& stream, beast::flat_buffer& buffer, const std::string& request, totals& t
) {
    auto sent = now_ns();
    stream.expires_after(std::chrono::seconds(60));
    auto [wec, wn] = co_await asio::async_write(stream, asio::buffer(request), use_tuple);
    if (wec) co_return false;
    http::response_parser<http::buffer_body> parser;
    parser.body_limit(boost::none);
    auto [hec, hn] = co_await http::async_read_header(stream, buffer, parser, use_tuple);
    if (hec || parser.get().result_int() != 200) co_return false;
    std::array<char, 16384> chunk;
    std::string pending;
    bool first = true;
    while (!parser.is_done()) {
        parser.get().body().data = chunk.data();
        parser.get().body().size = chunk.size();
        stream.expires_after(std::chrono::seconds(60));
        auto [ec, n] = co_await http::async_read_some(stream, buffer, parser, use_tuple);
        if (ec && ec != http::error::need_buffer) co_return false;
        auto got = chunk.size() - parser.get().body().size;
        pending.append(chunk.data(), got);
        take_events(pending, t, now_ns(), first, sent);
    }
    co_return parser.get().keep_alive();
}

asio::awaitable<void> worker(totals& t, tcp::endpoint ep, const std::string& request) {
    auto executor = co_await asio::this_coro::executor;
    std::unique_ptr<beast::tcp_stream> stream;
    beast::flat_buffer buffer;
    while (t.next < t.total) {
        ++t.next;
        if (!stream) {
            stream = std::make_unique<beast::tcp_stream>(executor);
            buffer.clear();
            stream->expires_after(std::chrono::seconds(10));
            auto [ec] = co_await stream->async_connect(ep, use_tuple);
            if (ec) {
                ++t.failed;
                stream.reset();
                continue;
            }
            stream->socket().set_option(tcp::no_delay(true));
        }
        if (co_await one_stream(*stream, buffer, request, t)) {
            ++t.complete;
        } else {
            ++t.failed;
            stream.reset();
        }
    }
}

asio::awaitable<void> watch_rss(totals& t, std::vector<int> pids) {
    asio::steady_timer timer{co_await asio::this_coro::executor};
    while (!t.finished && !pids.empty()) {
        t.rss_max = std::max(t.rss_max, rss_kb(pids));
        timer.expires_after(std::chrono::milliseconds(50));
        co_await timer.async_wait(use_tuple);
    }
}

}  // namespace

int main(int argc, char** argv) {
    options opts;
    CLI::App app{"solar-bench-sse: concurrent SSE streams, TTFB, events/s, buffering"};
    app.add_option("--url", opts.url, "http://127.0.0.1:PORT/v1/chat/completions")->required();
    app.add_option("--streams", opts.streams, "streams at once");
    app.add_option("--total", opts.total, "streams in all (default: --streams)");
    app.add_option("--chunks", opts.chunks, "events per stream (sent as bench_chunks)");
    app.add_option("--chunk-delay-ms", opts.chunk_delay_ms, "upstream pause between events");
    app.add_option("--body-bytes", opts.body_bytes);
    app.add_option("--model", opts.model);
    app.add_option("-H,--header", opts.headers, "extra request header, 'Name: value'");
    app.add_option("--watch-pid", opts.watch_pids, "report the peak RSS of these processes");
    CLI11_PARSE(app, argc, argv);
    if (opts.total == 0) opts.total = opts.streams;
    try {
        auto target = parse_target(opts.url);
        tcp::endpoint ep{asio::ip::make_address(target.host), target.port};
        // The settings travel in the body: the gateway forwards neither headers nor the query.
        std::string extra = R"("stream":true,"bench_chunks":)" + std::to_string(opts.chunks) +
                            R"(,"bench_chunk_delay_ms":)" + std::to_string(opts.chunk_delay_ms);
        auto headers = opts.headers;
        headers.push_back("Accept: text/event-stream");
        std::string request =
            raw_request("POST", target, headers, chat_body(opts.model, opts.body_bytes, extra));

        asio::io_context ioc{1};
        totals t;
        t.total = opts.total;
        t.ttfb.reserve(opts.total);
        t.lag.reserve(static_cast<std::size_t>(opts.total) * opts.chunks);
        unsigned running = std::min(opts.streams, opts.total);
        auto started = now_ns();
        for (unsigned i = 0; i < std::min(opts.streams, opts.total); ++i) {
            asio::co_spawn(ioc, worker(t, ep, request), [&](std::exception_ptr) {
                if (--running == 0) t.finished = true;
            });
        }
        asio::co_spawn(ioc, watch_rss(t, opts.watch_pids), asio::detached);
        ioc.run();
        double wall_s = static_cast<double>(now_ns() - started) / 1e9;
        double span_s = static_cast<double>(t.last_event - t.first_event) / 1e9;
        nlohmann::json out = {
            {"streams", opts.streams},
            {"total", opts.total},
            {"chunks", opts.chunks},
            {"chunk_delay_ms", opts.chunk_delay_ms},
            {"complete", t.complete},
            {"failed", t.failed},
            {"events", t.events},
            {"events_per_s", span_s > 0 ? static_cast<double>(t.events) / span_s : 0.0},
            {"events_per_read", t.reads ? static_cast<double>(t.events) / t.reads : 0.0},
            {"max_events_per_read", t.max_events_per_read},
            {"wall_s", wall_s},
            {"ttfb_ms", percentiles_ms(t.ttfb)},
            {"lag_ms", percentiles_ms(t.lag)},
            {"rss_max_kb", t.rss_max}};
        std::printf("%s\n", out.dump().c_str());
        return t.complete > 0 && t.failed == 0 ? 0 : 1;
    } catch (const std::exception& e) {
        std::fprintf(stderr, "solar-bench-sse: %s\n", e.what());
        return 1;
    }
}
