// solar-bench-upstream: a fast stand-in for llama-server plus the solar-host /instances API, so
// that solar-control (or nginx, or a client directly) can be measured against it. Built on
// solar_core's http_server, i.e. the same foundation as the gateway.
//
// Behaviour per request, each setting taken from the first of: query (?delay_ms=), header
// (x-bench-delay-ms), JSON body key ("bench_delay_ms"), process flag (--delay-ms). The body
// keys exist because the gateway forwards neither custom headers nor the query upstream.
//   delay_ms        wait before the response header
//   stream          SSE instead of one JSON answer (body "stream": true, or ?stream=1)
//   chunks          SSE events before [DONE]
//   chunk_delay_ms  pause between SSE events
// Every SSE event carries "t": the steady_clock time (ns) it was written, so a client on the
// same machine can tell how long it spent in a proxy and whether events arrived one by one.
#include <solar/core/http_server.hpp>
#include <solar/core/logging.hpp>

#include <boost/asio/signal_set.hpp>

#include <CLI/CLI.hpp>

#include <charconv>
#include <cstdio>
#include <mutex>
#include <thread>

namespace {

using namespace solar;
namespace asio = core::asio;
namespace beast = core::beast;
namespace http = core::http;
constexpr auto use_tuple = asio::as_tuple(asio::use_awaitable);

struct options {
    std::string bind = "127.0.0.1";
    std::uint16_t port = 0;
    unsigned threads = 1;
    int delay_ms = 0;
    int chunks = 3;
    int chunk_delay_ms = 0;
    std::size_t reply_bytes = 1024;
    unsigned hosts = 0;      // extra listeners, each a separate "host" for /instances
    unsigned instances = 1;  // instances listed per host
    unsigned aliases = 1;    // instance j gets alias "bench" (1) or "bench-<j % aliases>"
    std::string alias = "bench";
};

struct behaviour {
    int delay_ms;
    bool stream;
    int chunks;
    int chunk_delay_ms;
};

std::int64_t now_ns() {
    return std::chrono::duration_cast<std::chrono::nanoseconds>(
               std::chrono::steady_clock::now().time_since_epoch()
    )
        .count();
}

// The text after `"key":` in a JSON body, whitespace skipped; empty when the key is absent.
// Good enough for the flat bodies the benchmark sends, and far cheaper than parsing them.
std::string_view body_value(std::string_view body, std::string_view key) {
    std::string quoted = "\"" + std::string(key) + "\"";
    auto at = body.find(quoted);
    if (at == std::string_view::npos) return {};
    auto rest = body.substr(at + quoted.size());
    auto start = rest.find_first_not_of(" \t\r\n:");
    return start == std::string_view::npos ? std::string_view{} : rest.substr(start);
}

void read_int(std::string_view text, int& out) {
    int value = 0;
    auto [end, ec] = std::from_chars(text.data(), text.data() + text.size(), value);
    if (ec == std::errc() && end != text.data()) out = value;
}

behaviour behaviour_for(const core::request_context& ctx, const options& opts) {
    behaviour b{opts.delay_ms, false, opts.chunks, opts.chunk_delay_ms};
    std::string_view body = ctx.req.body();
    auto stream = body_value(body, "stream");
    b.stream = stream.substr(0, 4) == "true";
    struct setting {
        const char* name;
        int& value;
    };
    setting settings[] = {
        {"delay_ms", b.delay_ms}, {"chunks", b.chunks}, {"chunk_delay_ms", b.chunk_delay_ms}};
    for (auto& s : settings) {
        read_int(body_value(body, std::string("bench_") + s.name), s.value);
        std::string header = "x-bench-" + std::string(s.name);
        std::replace(header.begin(), header.end(), '_', '-');
        if (auto it = ctx.req.find(header); it != ctx.req.end()) read_int(it->value(), s.value);
        if (auto q = ctx.query_param(s.name)) read_int(*q, s.value);
    }
    if (auto q = ctx.query_param("stream")) b.stream = *q == "1" || *q == "true";
    return b;
}

// Counts and the arrival times of /instances polls, grouped into refresh rounds.
class poll_log {
public:
    void record(std::int64_t arrived, std::int64_t answered) {
        std::lock_guard lock(mutex_);
        // A pause of 50 ms between polls starts a new round (refresh intervals are longer).
        if (rounds_.empty() || arrived - rounds_.back().last_arrival > 50'000'000) {
            rounds_.push_back({arrived, arrived, answered, 0});
        }
        auto& r = rounds_.back();
        r.last_arrival = arrived;
        r.last_answer = std::max(r.last_answer, answered);
        r.calls += 1;
    }

    std::string json() const {
        std::lock_guard lock(mutex_);
        nlohmann::json rounds = nlohmann::json::array();
        for (const auto& r : rounds_) {
            rounds.push_back(
                {{"start_ns", r.first_arrival},
                 {"calls", r.calls},
                 {"span_ms", (r.last_answer - r.first_arrival) / 1e6}}
            );
        }
        return nlohmann::json{{"rounds", rounds}}.dump();
    }

private:
    struct round {
        std::int64_t first_arrival;
        std::int64_t last_arrival;
        std::int64_t last_answer;
        int calls;
    };
    mutable std::mutex mutex_;
    std::vector<round> rounds_;
};

// GET /instances of host `index`, in solar-host's shape, all instances on the chat port.
std::string instance_list(const options& opts, unsigned index, std::uint16_t chat_port) {
    nlohmann::json list = nlohmann::json::array();
    for (unsigned j = 0; j < opts.instances; ++j) {
        std::string alias =
            opts.aliases <= 1 ? opts.alias : opts.alias + "-" + std::to_string(j % opts.aliases);
        list.push_back(
            {{"id", "h" + std::to_string(index) + "-i" + std::to_string(j)},
             {"config",
              {{"backend_type", "llamacpp"},
               {"alias", alias},
               {"api_key", ""},
               {"port", chat_port}}},
             {"status", "running"},
             {"port", chat_port},
             {"parameter_count", 8e9}}
        );
    }
    return list.dump();
}

class standin {
public:
    explicit standin(options opts) : opts_(std::move(opts)) {
        std::string filler(opts_.reply_bytes > 200 ? opts_.reply_bytes - 200 : 0, 'x');
        reply_ =
            nlohmann::json{
                {"id", "chatcmpl-bench"},
                {"object", "chat.completion"},
                {"created", 0},
                {"model", opts_.alias},
                {"choices",
                 {{{"index", 0},
                   {"message", {{"role", "assistant"}, {"content", filler}}},
                   {"finish_reason", "stop"}}}},
                {"usage", {{"prompt_tokens", 1}, {"completion_tokens", 1}, {"total_tokens", 2}}}}
                .dump();
    }

    void add_routes(core::router& routes) {
        core::route_options open{.public_access = true};
        auto chat = [this](core::request_context& ctx) { return answer_chat(ctx); };
        routes.add(http::verb::post, "/v1/chat/completions", chat, open);
        routes.add(http::verb::post, "/v1/completions", chat, open);
        routes.add(
            http::verb::get,
            "/instances",
            [this](core::request_context& ctx) -> asio::awaitable<core::handler_result> {
                auto arrived = now_ns();
                auto port = ctx.stream.socket().local_endpoint().port();
                auto it = listings_.find(port);
                auto res = core::json_response(
                    http::status::ok, it == listings_.end() ? "[]" : it->second, ctx.req
                );
                polls_.record(arrived, now_ns());
                co_return res;
            },
            open
        );
        routes.add(
            http::verb::get,
            "/health",
            [](core::request_context& ctx) -> asio::awaitable<core::handler_result> {
                co_return core::json_response(http::status::ok, R"({"status":"ok"})", ctx.req);
            },
            open
        );
        routes.add(
            http::verb::get,
            "/_bench/stats",
            [this](core::request_context& ctx) -> asio::awaitable<core::handler_result> {
                co_return core::json_response(http::status::ok, polls_.json(), ctx.req);
            },
            open
        );
    }

    // Host `index` answers /instances on `port`; every instance points at `chat_port`.
    void add_listing(std::uint16_t port, unsigned index, std::uint16_t chat_port) {
        listings_[port] = instance_list(opts_, index, chat_port);
    }

private:
    asio::awaitable<core::handler_result> answer_chat(core::request_context& ctx) {
        auto b = behaviour_for(ctx, opts_);
        asio::steady_timer timer{co_await asio::this_coro::executor};
        if (b.delay_ms > 0) {
            timer.expires_after(std::chrono::milliseconds(b.delay_ms));
            co_await timer.async_wait(use_tuple);
        }
        if (!b.stream) co_return core::json_response(http::status::ok, reply_, ctx.req);

        http::response<http::empty_body> head{http::status::ok, ctx.req.version()};
        head.set(http::field::content_type, "text/event-stream");
        head.set(http::field::cache_control, "no-cache");
        head.chunked(true);
        head.keep_alive(ctx.req.keep_alive());
        http::response_serializer<http::empty_body> serializer{head};
        ctx.stream.expires_after(std::chrono::seconds(30));
        auto [hec, hn] = co_await http::async_write_header(ctx.stream, serializer, use_tuple);
        ctx.written_status = 200;
        if (hec) {
            ctx.close_connection = true;
            co_return std::nullopt;
        }
        std::string event;
        for (int i = 0; i < b.chunks; ++i) {
            if (i > 0 && b.chunk_delay_ms > 0) {
                timer.expires_after(std::chrono::milliseconds(b.chunk_delay_ms));
                co_await timer.async_wait(use_tuple);
            }
            event = R"(data: {"id":"chatcmpl-bench","object":"chat.completion.chunk","t":)" +
                    std::to_string(now_ns()) + R"(,"choices":[{"index":0,"delta":{"content":"tok)" +
                    std::to_string(i) + " \"}}]}\n\n";
            ctx.stream.expires_after(std::chrono::seconds(30));
            auto [ec, n] = co_await asio::async_write(
                ctx.stream, http::make_chunk(asio::buffer(event)), use_tuple
            );
            if (ec) {
                ctx.close_connection = true;
                co_return std::nullopt;
            }
        }
        static constexpr std::string_view done = "data: [DONE]\n\n";
        co_await asio::async_write(ctx.stream, http::make_chunk(asio::buffer(done)), use_tuple);
        auto [lec, ln] = co_await asio::async_write(ctx.stream, http::make_chunk_last(), use_tuple);
        if (lec || !ctx.req.keep_alive()) ctx.close_connection = true;
        co_return std::nullopt;
    }

    options opts_;
    std::string reply_;
    std::map<std::uint16_t, std::string> listings_;  // filled before the servers start
    poll_log polls_;
};

}  // namespace

int main(int argc, char** argv) {
    options opts;
    CLI::App app{"solar-bench-upstream: fast llama-server + solar-host stand-in"};
    app.add_option("--bind", opts.bind);
    app.add_option("--port", opts.port, "chat + /instances port (0: any)");
    app.add_option("--threads", opts.threads);
    app.add_option("--delay-ms", opts.delay_ms, "wait before answering");
    app.add_option("--chunks", opts.chunks, "SSE events per stream");
    app.add_option("--chunk-delay-ms", opts.chunk_delay_ms, "pause between SSE events");
    app.add_option("--reply-bytes", opts.reply_bytes, "size of a non-streamed answer");
    app.add_option("--hosts", opts.hosts, "extra ports, each serving /instances as its own host");
    app.add_option("--instances", opts.instances, "instances listed per host");
    app.add_option("--aliases", opts.aliases, "distinct aliases among a host's instances");
    app.add_option("--alias", opts.alias);
    CLI11_PARSE(app, argc, argv);
    core::init_logging("warn");  // no access log: the stand-in must cost as little as possible

    asio::io_context ioc{static_cast<int>(opts.threads)};
    standin stand{opts};
    core::router routes;
    stand.add_routes(routes);
    core::server_options server_opts;
    server_opts.address = opts.bind;
    server_opts.keep_alive_timeout = std::chrono::minutes(5);
    std::vector<std::unique_ptr<core::http_server>> servers;
    std::vector<std::uint16_t> ports;
    for (unsigned i = 0; i <= opts.hosts; ++i) {
        server_opts.port = i == 0 ? opts.port : 0;
        servers.push_back(std::make_unique<core::http_server>(ioc, server_opts, routes, "unused"));
        try {
            ports.push_back(servers.back()->listen().port());
        } catch (const std::exception& e) {
            std::fprintf(stderr, "cannot listen: %s\n", e.what());
            return 1;
        }
        stand.add_listing(ports.back(), i, ports.front());
    }
    for (auto& s : servers) s->start();

    std::printf("listening on %s:%u\n", opts.bind.c_str(), ports.front());
    if (opts.hosts > 0) {
        std::printf("host ports");
        for (std::size_t i = 1; i < ports.size(); ++i) std::printf(" %u", ports[i]);
        std::printf("\n");
    }
    std::fflush(stdout);

    asio::signal_set signals{ioc, SIGINT, SIGTERM};
    // Exit at once: sessions suspended in the io_context must not outlive their servers, and a
    // benchmark upstream has nothing to flush.
    signals.async_wait([](const boost::system::error_code&, int) { std::_Exit(0); });
    std::vector<std::thread> workers;
    for (unsigned i = 1; i < opts.threads; ++i) workers.emplace_back([&ioc] { ioc.run(); });
    ioc.run();
    for (auto& w : workers) w.join();
    return 0;
}
