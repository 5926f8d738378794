// Pooled HTTP(S) client connections: connect, TLS, request/response exchange.
#include <solar/core/http_head.hpp>
#include <solar/core/upstream.hpp>

#include <boost/asio/as_tuple.hpp>
#include <boost/asio/ip/tcp.hpp>
#include <boost/asio/ssl.hpp>
#include <boost/asio/use_awaitable.hpp>
#include <boost/asio/write.hpp>
#include <boost/beast/http.hpp>

#include <openssl/ssl.h>

namespace solar::core {

namespace {

using tcp = asio::ip::tcp;
constexpr auto use_tuple = asio::as_tuple(asio::use_awaitable);
constexpr auto max_idle_age = std::chrono::seconds(30);
constexpr std::size_t read_buffer_bytes = 16384;

class upstream_category_impl : public boost::system::error_category {
public:
    const char* name() const noexcept override { return "solar.upstream"; }
    std::string message(int value) const override {
        switch (static_cast<upstream_errc>(value)) {
            case upstream_errc::connect_failed:
                return "could not connect to upstream";
            case upstream_errc::connect_timeout:
                return "timed out connecting to upstream";
            case upstream_errc::first_byte_timeout:
                return "upstream did not answer in time";
            case upstream_errc::idle_timeout:
                return "upstream stalled mid-response";
            case upstream_errc::io_error:
                return "upstream connection broke";
            case upstream_errc::response_too_large:
                return "upstream response too large";
        }
        return "unknown upstream error";
    }
};

bool is_stale_keep_alive(const boost::system::error_code& ec) {
    return ec == http::error::end_of_stream || ec == asio::error::eof ||
           ec == asio::error::connection_reset || ec == asio::error::broken_pipe;
}

std::string pool_key_for(const upstream_target& target) {
    std::string key;
    key.reserve(target.url.scheme.size() + target.url.host.size() + target.ca_file.size() + 16);
    key += target.url.scheme;
    key += "://";
    target.url.append_authority(key);
    key += '|';
    key += target.ca_file;
    return key;
}

}  // namespace

const boost::system::error_category& upstream_category() {
    static const upstream_category_impl category;
    return category;
}

boost::system::error_code make_error_code(upstream_errc e) {
    return {static_cast<int>(e), upstream_category()};
}

std::string upstream_path(const base_url& url, std::string_view path) {
    return url.path_prefix + std::string(path);
}

upstream_connection::upstream_connection(
    std::string pool_key, std::variant<plain_stream, tls_stream> stream
)
    : pool_key_(std::move(pool_key)),
      stream_(std::move(stream)),
      deadline_(lowest().get_executor(), [this] { close(); }) {
    // Beast reads at most the buffer's free capacity (and at least 512 bytes): without room up
    // front a 1 KB answer took three recv calls.
    buffer_.reserve(read_buffer_bytes);
    // Deadlines are deadline_'s: the stream's own timer (left set by the connect) stays off.
    lowest().expires_never();
}

boost::system::error_code upstream_connection::finished(
    boost::system::error_code ec, upstream_errc on_timeout
) {
    deadline_.clear();
    if (ec && deadline_.expired()) return make_error_code(on_timeout);
    return ec;
}

beast::tcp_stream& upstream_connection::lowest() {
    return std::visit(
        [](auto& s) -> beast::tcp_stream& { return beast::get_lowest_layer(s); }, stream_
    );
}

asio::awaitable<boost::system::error_code> upstream_connection::write(
    request& req, std::chrono::milliseconds timeout
) {
    deadline_.set(timeout);
    auto [ec, n] =
        co_await std::visit([&](auto& s) { return http::async_write(s, req, use_tuple); }, stream_);
    co_return finished(ec, upstream_errc::io_error);
}

asio::awaitable<boost::system::error_code> upstream_connection::write(
    std::string_view head, std::string_view body, std::chrono::milliseconds timeout
) {
    std::array<asio::const_buffer, 2> pieces{asio::buffer(head), asio::buffer(body)};
    // Plain sockets take the bytes straight away when they can; TLS must go through its stream.
    // Either way the deadline is deadline_'s (the stream's own timer stays off).
    if (auto* plain = std::get_if<plain_stream>(&stream_)) {
        auto [ec, n] =
            co_await write_all(*plain, pieces, [this, timeout] { deadline_.set(timeout); });
        co_return finished(ec, upstream_errc::io_error);
    }
    deadline_.set(timeout);
    auto [ec, n] = co_await asio::async_write(std::get<tls_stream>(stream_), pieces, use_tuple);
    co_return finished(ec, upstream_errc::io_error);
}

asio::awaitable<boost::system::error_code> upstream_connection::read_header(
    upstream_parser& parser, std::chrono::milliseconds timeout
) {
    deadline_.set(timeout);
    auto ec = co_await std::visit([&](auto& s) { return read_head(s, buffer_, parser); }, stream_);
    co_return finished(ec, upstream_errc::first_byte_timeout);
}

asio::awaitable<std::pair<boost::system::error_code, std::size_t>>
upstream_connection::read_body_some(
    upstream_parser& parser, std::span<char> out, std::chrono::milliseconds timeout
) {
    auto& body = parser.get().body();
    body.data = out.data();
    body.size = out.size();
    // Body bytes that arrived with the header need no I/O: parse them in place first. For a
    // small answer that is all of it, and the asynchronous read (with its timer) is skipped.
    if (buffer_.size() > 0 && !parser.is_done()) {
        boost::system::error_code ec;
        buffer_.consume(parser.put(buffer_.data(), ec));
        if (ec && ec != http::error::need_buffer && ec != http::error::need_more) {
            co_return std::pair{ec, out.size() - body.size};
        }
        if (parser.is_done() || body.size == 0) {
            co_return std::pair{boost::system::error_code{}, out.size() - body.size};
        }
    }
    // One deadline for the whole call, as the stream's timer was: the reads until `out` holds
    // something.
    deadline_.set(timeout);
    boost::system::error_code read_ec;
    while (!read_ec && !parser.is_done() && body.size == out.size()) {
        auto [ec, n] = co_await std::visit(
            [&](auto& s) { return http::async_read_some(s, buffer_, parser, use_tuple); }, stream_
        );
        read_ec = ec;
    }
    auto ec = finished(read_ec, upstream_errc::idle_timeout);
    if (ec == http::error::need_buffer) ec = {};  // `out` is full
    if (ec == asio::ssl::error::stream_truncated && parser.need_eof()) {
        // A body delimited by the end of the connection, closed without TLS close_notify
        // (common with HTTP/1.0 servers): the end of the body, not an error.
        ec = {};
        parser.put_eof(ec);
    }
    if (ec == upstream_errc::idle_timeout) co_return std::pair{ec, std::size_t{0}};
    co_return std::pair{ec, out.size() - body.size};
}

void upstream_connection::close() {
    beast::error_code ec;
    lowest().socket().shutdown(tcp::socket::shutdown_both, ec);
    lowest().socket().close(ec);
}

upstream_pool::upstream_pool(asio::any_io_executor executor, std::size_t max_idle_per_target)
    : executor_(std::move(executor)), max_idle_per_target_(max_idle_per_target) {}

std::shared_ptr<asio::ssl::context> upstream_pool::tls_context(const std::string& ca_file) {
    std::lock_guard lock(mutex_);
    if (auto it = tls_contexts_.find(ca_file); it != tls_contexts_.end()) return it->second;
    auto ctx = std::make_shared<asio::ssl::context>(asio::ssl::context::tls_client);
    ctx->set_verify_mode(asio::ssl::verify_peer);
    if (ca_file.empty()) {
        ctx->set_default_verify_paths();
    } else {
        ctx->load_verify_file(ca_file);  // throws on an unreadable file: a configuration fault
    }
    tls_contexts_.emplace(ca_file, ctx);
    return ctx;
}

asio::awaitable<boost::system::result<std::unique_ptr<upstream_connection>>> upstream_pool::acquire(
    const upstream_target& target, std::chrono::milliseconds connect_timeout
) {
    auto key = pool_key_for(target);
    {
        std::lock_guard lock(mutex_);
        if (auto it = idle_.find(key); it != idle_.end()) {
            auto now = std::chrono::steady_clock::now();
            while (!it->second.empty()) {
                auto entry = std::move(it->second.back());
                it->second.pop_back();
                if (now - entry.since < max_idle_age) {
                    entry.connection->reused = true;
                    co_return std::move(entry.connection);
                }
                entry.connection->close();
            }
        }
    }

    tcp::resolver resolver{executor_};
    auto [rec, endpoints] = co_await resolver.async_resolve(
        target.url.host, std::to_string(target.url.port), use_tuple
    );
    if (rec) co_return make_error_code(upstream_errc::connect_failed);

    beast::tcp_stream tcp_stream{executor_};
    tcp_stream.expires_after(connect_timeout);
    auto [cec, connected] = co_await tcp_stream.async_connect(endpoints, use_tuple);
    if (cec == beast::error::timeout) co_return make_error_code(upstream_errc::connect_timeout);
    if (cec) co_return make_error_code(upstream_errc::connect_failed);
    beast::error_code ignored;
    tcp_stream.socket().set_option(tcp::no_delay(true), ignored);

    if (!target.url.is_tls()) {
        co_return std::make_unique<upstream_connection>(
            key,
            std::variant<upstream_connection::plain_stream, upstream_connection::tls_stream>{
                std::in_place_index<0>, std::move(tcp_stream)}
        );
    }

    std::shared_ptr<asio::ssl::context> ctx;
    try {
        ctx = tls_context(target.ca_file);
    } catch (const boost::system::system_error&) {
        co_return make_error_code(upstream_errc::connect_failed);
    }
    upstream_connection::tls_stream tls{std::move(tcp_stream), *ctx};
    if (!SSL_set_tlsext_host_name(tls.native_handle(), target.url.host.c_str())) {
        co_return make_error_code(upstream_errc::connect_failed);
    }
    tls.set_verify_callback(asio::ssl::host_name_verification(target.url.host));
    beast::get_lowest_layer(tls).expires_after(connect_timeout);
    auto [hec] = co_await tls.async_handshake(asio::ssl::stream_base::client, use_tuple);
    if (hec == beast::error::timeout) co_return make_error_code(upstream_errc::connect_timeout);
    if (hec) co_return make_error_code(upstream_errc::connect_failed);
    // The TLS context must outlive the stream; the pool keeps it for the process lifetime.
    co_return std::make_unique<upstream_connection>(
        key,
        std::variant<upstream_connection::plain_stream, upstream_connection::tls_stream>{
            std::in_place_index<1>, std::move(tls)}
    );
}

void upstream_pool::release(std::unique_ptr<upstream_connection> connection) {
    connection->rest();
    std::lock_guard lock(mutex_);
    auto& list = idle_[connection->pool_key()];
    if (list.size() >= max_idle_per_target_) {
        connection->close();
        return;
    }
    list.push_back({std::move(connection), std::chrono::steady_clock::now()});
}

asio::awaitable<boost::system::result<upstream_response>> upstream_pool::fetch(
    const upstream_target& target, request& req, upstream_timeouts timeouts, std::size_t max_body
) {
    req.set(http::field::host, target.url.authority());
    req.keep_alive(true);
    req.prepare_payload();
    for (int attempt = 0;; ++attempt) {
        auto acquired = co_await acquire(target, timeouts.connect);
        if (!acquired) co_return acquired.error();
        auto connection = std::move(*acquired);
        bool may_retry = connection->reused && attempt == 0;

        auto ec = co_await connection->write(req, timeouts.connect + timeouts.idle);
        if (ec) {
            connection->close();
            if (may_retry) continue;
            co_return make_error_code(upstream_errc::io_error);
        }
        upstream_parser parser;
        parser.body_limit(max_body);
        ec = co_await connection->read_header(parser, timeouts.first_byte);
        if (ec) {
            connection->close();
            if (may_retry && is_stale_keep_alive(ec)) continue;
            if (ec == upstream_errc::first_byte_timeout) co_return ec;
            co_return make_error_code(upstream_errc::io_error);
        }
        upstream_response out;
        out.status = parser.get().result_int();
        for (const auto& field : parser.get().base())
            out.headers.insert(field.name_string(), field.value());
        std::array<char, 16384> chunk;
        while (!parser.is_done()) {
            auto [rec, n] = co_await connection->read_body_some(parser, chunk, timeouts.idle);
            if (rec) {
                connection->close();
                if (rec == http::error::body_limit)
                    co_return make_error_code(upstream_errc::response_too_large);
                if (rec == upstream_errc::idle_timeout) co_return rec;
                co_return make_error_code(upstream_errc::io_error);
            }
            out.body.append(chunk.data(), n);
        }
        if (parser.keep_alive()) {
            release(std::move(connection));
        } else {
            connection->close();
        }
        co_return out;
    }
}

}  // namespace solar::core
