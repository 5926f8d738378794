// HTTP/1.1 message heads written straight into a string, for the proxy's hot path: Beast's
// generic serializer walks nested buffer-sequence views per field and cost about a tenth of
// the gateway's CPU per proxied request (bench/README.md, "Profile of the hot path").
#pragma once

#include <solar/core/http_types.hpp>

#include <boost/asio/as_tuple.hpp>
#include <boost/asio/ip/tcp.hpp>
#include <boost/asio/use_awaitable.hpp>
#include <boost/asio/write.hpp>
#include <boost/beast/core/buffers_suffix.hpp>
#include <boost/beast/core/read_size.hpp>

#include <chrono>
#include <concepts>
#include <cstdint>
#include <string>
#include <string_view>
#include <utility>

namespace solar::core {

// False for values that would split the head: CR, LF or NUL anywhere.
bool is_safe_field_value(std::string_view value);

// Appends "name: value\r\n"; a value that is not safe is left out with its name.
void append_field(std::string& out, std::string_view name, std::string_view value);

// Appends the decimal digits of `value`.
void append_number(std::string& out, std::uint64_t value);

// Appends "HTTP/1.x <status> <reason>\r\n".
void append_status_line(
    std::string& out, unsigned version, unsigned status, std::string_view reason
);

// Appends the status line and every field of `head`, then the blank line that ends the head:
// the bytes Beast's serializer writes for the same header.
void append_response_head(std::string& out, const http::response_header<>& head);

// Writes what the socket takes right now, without waiting: the number of bytes sent (0 when it
// would block or failed; a failure shows again in the asynchronous write that follows).
template <typename Buffers>
std::size_t write_now(asio::ip::tcp::socket& socket, const Buffers& buffers) {
    beast::error_code ec;
    // User-level non-blocking mode makes this one call return instead of waiting; Asio's own
    // asynchronous operations work the same either way. Set once per socket.
    if (!socket.non_blocking()) socket.non_blocking(true, ec);
    if (ec) return 0;
    auto sent = socket.write_some(buffers, ec);
    return ec ? 0 : sent;
}

// Writes all of `buffers`: straight away when the socket takes them (the usual case for an
// answer or an event), otherwise the rest asynchronously, after `before_waiting()` has set the
// deadline. Skipping the asynchronous operation saves its timer, its allocation and a trip
// through the scheduler; the deadline is set only then, since setting one reads the clock
// (and Beast's expires_after re-arms two timers).
template <typename Buffers, std::invocable BeforeWaiting>
asio::awaitable<std::pair<beast::error_code, std::size_t>> write_all(
    beast::tcp_stream& stream, const Buffers& buffers, BeforeWaiting before_waiting
) {
    std::size_t total = asio::buffer_size(buffers);
    std::size_t sent = write_now(stream.socket(), buffers);
    if (sent == total) co_return std::pair{beast::error_code{}, sent};
    beast::buffers_suffix<Buffers> rest(buffers);
    rest.consume(sent);
    before_waiting();
    auto [ec, n] = co_await asio::async_write(stream, rest, asio::as_tuple(asio::use_awaitable));
    co_return std::pair{ec, sent + n};
}

// The same under the stream's own timer: what the socket does not take at once must be written
// within `timeout`.
template <typename Buffers>
asio::awaitable<std::pair<beast::error_code, std::size_t>> write_all(
    beast::tcp_stream& stream, const Buffers& buffers, std::chrono::milliseconds timeout
) {
    return write_all(stream, buffers, [&stream, timeout] { stream.expires_after(timeout); });
}

// Reads until `parser` holds a whole head, like http::async_read_header, with the same errors
// (end_of_stream before any byte, partial_message for a head cut short). It is one coroutine
// over the stream's own reads: Beast's stacks two composed operations per read, each tracking
// work on its own copy of the executor, which cost more than the parse. Deadlines are the
// stream's (a beast::tcp_stream's timer, or the caller's sweep for a bare socket).
template <typename Stream, bool isRequest>
asio::awaitable<beast::error_code> read_head(
    Stream& stream, beast::flat_buffer& buffer, http::basic_parser<isRequest>& parser
) {
    beast::error_code ec;
    for (;;) {
        if (buffer.size() > 0) {
            buffer.consume(parser.put(buffer.data(), ec));
            if (ec && ec != http::error::need_more) co_return ec;
            ec = {};
            if (parser.is_header_done()) co_return ec;
        }
        auto size = beast::read_size(buffer, 65536);
        if (size == 0) co_return beast::error_code{http::error::buffer_overflow};
        auto [rec, n] = co_await stream.async_read_some(
            buffer.prepare(size), asio::as_tuple(asio::use_awaitable)
        );
        buffer.commit(n);
        if (rec == asio::error::eof) {
            if (!parser.got_some() && buffer.size() == 0)
                co_return beast::error_code{http::error::end_of_stream};
            parser.put_eof(ec);
            co_return ec ? ec : beast::error_code{http::error::partial_message};
        }
        if (rec) co_return rec;
    }
}

// Writes a complete response (head, then body) in one gathered write. Responses marked
// chunked go through Beast's serializer, which owns the chunk framing. `timeout` bounds what
// the socket does not take at once.
asio::awaitable<std::pair<beast::error_code, std::size_t>> write_response(
    beast::tcp_stream& stream, const response& res, std::chrono::milliseconds timeout
);

}  // namespace solar::core
