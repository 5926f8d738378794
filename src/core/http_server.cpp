// Accept loop and per-connection session coroutine (Beast server-flex-awaitable style).
#include <solar/core/auth.hpp>
#include <solar/core/http_head.hpp>
#include <solar/core/http_server.hpp>
#include <solar/core/json_error.hpp>
#include <solar/core/logging.hpp>

#include <boost/asio/as_tuple.hpp>
#include <boost/asio/co_spawn.hpp>
#include <boost/asio/post.hpp>
#include <boost/asio/steady_timer.hpp>
#include <boost/asio/strand.hpp>
#include <boost/asio/use_awaitable.hpp>

#include <openssl/rand.h>

#include <algorithm>
#include <array>
#include <charconv>
#include <cstdint>
#include <stdexcept>

namespace solar::core {

namespace {

using tcp = asio::ip::tcp;
using namespace std::string_view_literals;
constexpr auto use_tuple = asio::as_tuple(asio::use_awaitable);
// How long WebSockets may take to close themselves at shutdown before they are closed.
constexpr std::chrono::milliseconds long_lived_close_window{1000};

// Request ids must be unique, not secret: a per-thread xoshiro256** generator seeded once
// from OpenSSL replaces a RAND_bytes call (with its fork check) on every request.
class request_id_source {
public:
    request_id_source() {
        if (RAND_bytes(reinterpret_cast<unsigned char*>(state_.data()), sizeof(state_)) != 1) {
            throw std::runtime_error("OpenSSL RAND_bytes failed: no entropy available");
        }
        if (state_ == std::array<std::uint64_t, 4>{}) state_[0] = 1;  // all-zero never moves
    }

    // 128 random bits as 32 lowercase hex digits.
    std::string next_hex() {
        static constexpr char digits[] = "0123456789abcdef";
        std::string out(32, '0');
        for (int word = 0; word < 2; ++word) {
            std::uint64_t bits = next();
            for (int i = 0; i < 16; ++i) out[word * 16 + i] = digits[(bits >> (60 - 4 * i)) & 15];
        }
        return out;
    }

private:
    static std::uint64_t rotl(std::uint64_t x, int k) { return (x << k) | (x >> (64 - k)); }
    std::uint64_t next() {  // xoshiro256** (Blackman and Vigna), public domain algorithm
        auto& s = state_;
        std::uint64_t result = rotl(s[1] * 5, 7) * 9;
        std::uint64_t t = s[1] << 17;
        s[2] ^= s[0];
        s[3] ^= s[1];
        s[1] ^= s[2];
        s[0] ^= s[3];
        s[2] ^= t;
        s[3] = rotl(s[3], 45);
        return result;
    }

    std::array<std::uint64_t, 4> state_{};
};

bool is_safe_request_id(std::string_view id) {
    if (id.empty() || id.size() > 128) return false;
    for (char c : id) {
        bool ok = std::isalnum(static_cast<unsigned char>(c)) || c == '-' || c == '_' || c == '.' ||
                  c == ':';
        if (!ok) return false;
    }
    return true;
}

bool is_quiet_close(const beast::error_code& ec) {
    return ec == http::error::end_of_stream || ec == asio::error::operation_aborted ||
           ec == beast::error::timeout || ec == asio::error::connection_reset ||
           ec == asio::error::eof || ec == asio::error::bad_descriptor;
}

// A body the parser refused (a bad chunk size, say), as opposed to a connection that broke.
bool is_malformed_body(const beast::error_code& ec) {
    return ec.category() == make_error_code(http::error::bad_chunk).category() &&
           ec != http::error::partial_message && ec != http::error::end_of_stream;
}

response plain_error(const api_error& error, unsigned version, const server_options& options) {
    response res{error.status, version};
    res.set(http::field::content_type, "application/json");
    res.keep_alive(false);
    res.body() = options.error_body(error);
    res.prepare_payload();
    return res;
}

// Reads and drops what the client still sends, for a bounded time and amount, after an answer
// given before its body was read: closing with unread bytes resets the connection, and a
// client still writing its body would never see the answer (nginx's lingering close).
asio::awaitable<void> linger(beast::tcp_stream& stream) {
    constexpr std::size_t max_bytes = 64 * 1024 * 1024;
    beast::error_code ec;
    stream.socket().shutdown(tcp::socket::shutdown_send, ec);
    stream.expires_after(std::chrono::seconds(2));
    std::array<char, 16384> sink;
    for (std::size_t total = 0; total < max_bytes;) {
        auto [rec, n] = co_await stream.async_read_some(asio::buffer(sink), use_tuple);
        if (rec) break;
        total += n;
    }
}

api_error too_large_error(std::size_t limit) {
    return payload_too_large(
        "Request body exceeds the limit of " + std::to_string(limit) + " bytes"
    );
}

// Parses body bytes that arrived with the header, without I/O: a small request comes whole in
// one read, and then the asynchronous read (a composed operation, its timer and a trip through
// the scheduler) is skipped. Returns the parser's error; needing more bytes is not one.
beast::error_code parse_buffered_body(
    http::request_parser<http::string_body>& parser, beast::flat_buffer& buffer
) {
    beast::error_code ec;
    while (!parser.is_done() && buffer.size() > 0) {
        auto used = parser.put(buffer.data(), ec);
        buffer.consume(used);
        if (ec == http::error::need_more) return {};
        if (ec || used == 0) return ec;
    }
    return ec;
}

// "<id> <method> <path> model=<m> upstream=<u> status=<n> <ms>ms", the time to two decimals.
void append_access_line(
    std::string& out, const request_context& ctx, std::string_view method, unsigned status
) {
    auto micros = std::chrono::duration_cast<std::chrono::microseconds>(
                      std::chrono::steady_clock::now() - ctx.started
    )
                      .count();
    auto hundredths = static_cast<std::uint64_t>(std::max<long long>(micros, 0) + 5) / 10;
    out.append(ctx.request_id).append(" "sv).append(method).append(" "sv).append(ctx.path);
    out.append(" model="sv).append(ctx.note.model.empty() ? "-"sv : ctx.note.model);
    out.append(" upstream="sv).append(ctx.note.upstream.empty() ? "-"sv : ctx.note.upstream);
    out.append(" status="sv);
    append_number(out, status);
    out.push_back(' ');
    append_number(out, hundredths / 100);
    out.append(hundredths % 100 < 10 ? ".0"sv : "."sv);
    append_number(out, hundredths % 100);
    out.append("ms"sv);
}

}  // namespace

response http_server::error_answer(const api_error& error, const request& req) const {
    return json_response(error.status, options_.error_body(error), req);
}

std::string request_id_for(const request& req) {
    if (auto it = req.find("x-request-id"); it != req.end() && is_safe_request_id(it->value())) {
        return std::string(it->value());
    }
    thread_local request_id_source source;
    return source.next_hex();
}

http_server::http_server(
    asio::io_context& ioc, server_options options, const router& routes, std::string api_key
)
    : ioc_(ioc),
      options_(std::move(options)),
      routes_(routes),
      api_key_(std::move(api_key)),
      acceptor_(asio::make_strand(ioc)),
      idle_sweep_(acceptor_.get_executor()),
      log_(component_logger("http")),
      access_log_(component_logger("access")) {}

tcp::endpoint http_server::listen() {
    auto address = asio::ip::make_address(options_.address);
    tcp::endpoint endpoint{address, options_.port};
    acceptor_.open(endpoint.protocol());
    acceptor_.set_option(asio::socket_base::reuse_address(true));
    acceptor_.bind(endpoint);
    acceptor_.listen(asio::socket_base::max_listen_connections);
    return acceptor_.local_endpoint();
}

void http_server::start() {
    auto report = [log = log_](const char* what) {
        return [log, what](std::exception_ptr e) {
            if (!e) return;
            try {
                std::rethrow_exception(e);
            } catch (const std::exception& ex) {
                log->error("{} ended: {}", what, ex.what());
            }
        };
    };
    asio::co_spawn(acceptor_.get_executor(), accept_loop(), report("accept loop"));
    asio::co_spawn(acceptor_.get_executor(), idle_sweep_loop(), report("idle sweep"));
}

asio::awaitable<void> http_server::idle_sweep_loop() {
    // A connection is closed between one and 1.125 timeouts after it went idle.
    auto interval = std::clamp<std::chrono::milliseconds>(
        options_.keep_alive_timeout / 8, std::chrono::milliseconds(10), std::chrono::seconds(1)
    );
    while (!stopping_) {
        idle_sweep_.expires_after(interval);
        auto [ec] = co_await idle_sweep_.async_wait(use_tuple);
        if (ec || stopping_) co_return;
        connections_.close_idle_past(std::chrono::steady_clock::now());
    }
}

asio::awaitable<void> http_server::accept_loop() {
    asio::steady_timer pause{acceptor_.get_executor()};
    while (!stopping_) {
        auto connection_executor = options_.strand_per_connection
                                       ? asio::any_io_executor(asio::make_strand(ioc_))
                                       : asio::any_io_executor(ioc_.get_executor());
        auto [ec, socket] = co_await acceptor_.async_accept(connection_executor, use_tuple);
        if (stopping_ || ec == asio::error::operation_aborted) co_return;
        if (ec) {
            // Out of descriptors and similar: back off instead of spinning.
            log_->warn("accept failed: {}", ec.message());
            pause.expires_after(std::chrono::milliseconds(50));
            co_await pause.async_wait(use_tuple);
            continue;
        }
        beast::error_code ignored;
        socket.set_option(tcp::no_delay(true), ignored);
        auto executor = socket.get_executor();
        asio::co_spawn(executor, session(std::move(socket)), [log = log_](std::exception_ptr e) {
            if (!e) return;
            try {
                std::rethrow_exception(e);
            } catch (const std::exception& ex) {
                log->error("session ended by exception: {}", ex.what());
            }
        });
    }
}

asio::awaitable<void> http_server::session(tcp::socket socket) {
    beast::tcp_stream stream{std::move(socket)};
    beast::flat_buffer buffer;
    auto slot = std::make_shared<connection_slot>(stream.get_executor());
    slot->set_closer([&stream] {
        beast::error_code ec;
        stream.socket().close(ec);
    });
    auto handle = connections_.add(slot);
    bool released = false;

    while (!stopping_) {
        // The head is read from the socket itself, under the idle deadline that the sweep
        // enforces, rather than through the stream with a timer of its own.
        slot->set_idle(std::chrono::steady_clock::now() + options_.keep_alive_timeout);
        http::request_parser<http::string_body> parser;
        parser.body_limit(options_.max_body_bytes);
        parser.header_limit(64 * 1024);
        auto ec = co_await read_head(stream.socket(), buffer, parser);
        if (ec == http::error::body_limit) {
            // A Content-Length over the limit fails here already, before any body byte.
            stream.expires_after(options_.write_timeout);
            co_await http::async_write(
                stream,
                plain_error(
                    too_large_error(options_.max_body_bytes), parser.get().version(), options_
                ),
                use_tuple
            );
            co_await linger(stream);
            break;
        }
        if (ec) {
            if (!is_quiet_close(ec) && ec != http::error::partial_message) {
                auto error = bad_request("Malformed HTTP request: " + ec.message());
                stream.expires_after(options_.write_timeout);
                co_await http::async_write(stream, plain_error(error, 11, options_), use_tuple);
            }
            break;
        }
        slot->set_phase(connection_slot::phase::busy);
        auto& header = parser.get();
        // A connection that sends bodies reads 2 KiB at a time from now on, so a typical API
        // request arrives in one recv (Beast's 512 bytes took three for 1 KB of JSON); larger
        // ones grow the buffer. Connections that only GET keep 512 bytes while idle.
        if (buffer.capacity() < 2048 && (parser.chunked() || parser.content_length()))
            buffer.reserve(2048);
        if (auto it = header.find(http::field::expect);
            it != header.end() && beast::iequals(it->value(), "100-continue")) {
            // curl waits a second for this before sending bodies over 1 KiB.
            http::response<http::empty_body> go_on{http::status::continue_, header.version()};
            stream.expires_after(options_.write_timeout);
            auto [wec, wn] = co_await http::async_write(stream, go_on, use_tuple);
            if (wec) break;
        }
        ec = parse_buffered_body(parser, buffer);
        if (!ec && !parser.is_done()) {
            stream.expires_after(options_.read_timeout);
            std::size_t n = 0;
            std::tie(ec, n) = co_await http::async_read(stream, buffer, parser, use_tuple);
        }
        if (ec) {
            if (ec == http::error::body_limit) {
                // A chunked body only shows its size while it is read.
                stream.expires_after(options_.write_timeout);
                co_await http::async_write(
                    stream,
                    plain_error(
                        too_large_error(options_.max_body_bytes), header.version(), options_
                    ),
                    use_tuple
                );
                co_await linger(stream);
            } else if (is_malformed_body(ec)) {
                auto error = bad_request("Malformed HTTP request body: " + ec.message());
                stream.expires_after(options_.write_timeout);
                co_await http::async_write(
                    stream, plain_error(error, header.version(), options_), use_tuple
                );
            }
            break;
        }
        request req = parser.release();
        bool keep = co_await serve_one(req, stream, buffer, *slot);
        if (slot->current_phase() == connection_slot::phase::long_lived) {
            released = true;  // a WebSocket took the stream and has finished with it
            break;
        }
        if (!keep) break;
    }

    slot->set_closer({});
    if (!released) {
        beast::error_code ec;
        stream.socket().shutdown(tcp::socket::shutdown_send, ec);
        stream.socket().close(ec);
    }
    connections_.remove(handle);
}

asio::awaitable<bool> http_server::serve_one(
    request& req, beast::tcp_stream& stream, beast::flat_buffer& buffer, connection_slot& slot
) {
    std::string_view target = req.target();
    auto question = target.find('?');
    request_context ctx{
        req,
        stream,
        buffer,
        slot,
        {},
        request_id_for(req),
        std::string(target.substr(0, question)),
        question == std::string_view::npos ? std::string{}
                                           : std::string(target.substr(question + 1)),
        std::chrono::steady_clock::now(),
        {},
        std::nullopt,
        false,
        false,
        &stopping_};

    handler_result result;
    auto match = routes_.match(req.method(), ctx.path);
    if (!match.matched) {
        if (match.path_known) {
            result = error_answer(
                method_not_allowed(
                    "Method " + std::string(req.method_string()) + " is not allowed on " + ctx.path
                ),
                req
            );
            std::string allow;
            for (const auto& m : match.allowed) allow += (allow.empty() ? "" : ", ") + m;
            result->set(http::field::allow, allow);
        } else {
            result = error_answer(not_found("No route for " + ctx.path), req);
        }
    } else {
        ctx.params = std::move(match.params);
        const auto& options = match.matched->options;
        std::optional<std::string> query_key;
        if (options.allow_query_key) query_key = ctx.query_param("api_key");
        if (!options.public_access && !key_matches(presented_key(req, query_key), api_key_)) {
            result = error_answer(unauthorized(), req);
        } else {
            try {
                result = co_await match.matched->run(ctx);
            } catch (const std::exception& e) {
                log_->error(
                    "request {} {} {} failed: {}",
                    ctx.request_id,
                    std::string(req.method_string()),
                    ctx.path,
                    e.what()
                );
                if (ctx.written_status || ctx.stream_released) {
                    ctx.close_connection = true;
                } else {
                    result = error_answer(internal_error(), req);
                }
            }
        }
    }

    bool keep_alive = false;
    unsigned status = 0;
    if (result) {
        result->set("x-request-id", ctx.request_id);
        status = result->result_int();
        keep_alive = result->keep_alive() && !stopping_;
        result->keep_alive(keep_alive);
        auto [ec, n] = co_await write_response(stream, *result, options_.write_timeout);
        if (ec) keep_alive = false;
    } else {
        status = ctx.written_status.value_or(101);
        keep_alive = !ctx.close_connection && !ctx.stream_released;
        if (ctx.stream_released) slot.set_phase(connection_slot::phase::long_lived);
    }

    if (access_log_->should_log(spdlog::level::info)) {
        // Composed by hand into a reused buffer: fmt's parsing and float formatting, and
        // spdlog's pattern formatter, cost more than the rest of the line.
        thread_local std::string line;
        line.clear();
        append_access_line(line, ctx, req.method_string(), status);
        write_log_line(*access_log_, spdlog::level::info, line);
    }
    co_return keep_alive;
}

asio::awaitable<void> http_server::shutdown(std::chrono::milliseconds grace) {
    stopping_ = true;
    co_await asio::post(acceptor_.get_executor(), asio::use_awaitable);
    beast::error_code ec;
    acceptor_.close(ec);
    idle_sweep_.cancel();

    auto executor = co_await asio::this_coro::executor;
    asio::steady_timer timer{executor};
    auto now = std::chrono::steady_clock::now();
    auto deadline = now + grace;
    // WebSockets get a moment to end themselves first: a service that closes its own on
    // shutdown (log clients hear 1001) must not lose the close frame to a socket close.
    auto long_lived_deadline = now + std::min(grace, long_lived_close_window);
    while (connections_.size() > 0 && std::chrono::steady_clock::now() < deadline) {
        connections_.close_idle(std::chrono::steady_clock::now() >= long_lived_deadline);
        timer.expires_after(std::chrono::milliseconds(25));
        co_await timer.async_wait(use_tuple);
    }
    if (connections_.size() > 0) {
        log_->warn("grace period over, closing {} connection(s)", connections_.size());
        connections_.close_all();
        deadline = std::chrono::steady_clock::now() + std::chrono::seconds(2);
        while (connections_.size() > 0 && std::chrono::steady_clock::now() < deadline) {
            timer.expires_after(std::chrono::milliseconds(10));
            co_await timer.async_wait(use_tuple);
        }
    }
}

}  // namespace solar::core
