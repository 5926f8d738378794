// Unit tests for hand-written HTTP heads: byte for byte what Beast's serializer writes.
#include <solar/core/http_head.hpp>

#include <boost/asio/co_spawn.hpp>
#include <boost/asio/detached.hpp>
#include <boost/asio/io_context.hpp>
#include <boost/asio/read.hpp>
#include <boost/asio/steady_timer.hpp>
#include <boost/asio/write.hpp>

#include <gtest/gtest.h>

#include <sstream>
#include <vector>

namespace solar::core {
namespace {

std::string beast_head(const response& res) {
    std::ostringstream out;
    out << res.base();
    return out.str();
}

std::string our_head(const response& res) {
    std::string out;
    append_response_head(out, res.base());
    return out;
}

TEST(http_head, writes_the_response_head_beast_writes) {
    response ok{http::status::ok, 11};
    ok.set(http::field::content_type, "application/json");
    ok.set("x-request-id", "abc123");
    ok.set("x-ratelimit-remaining", "41");
    ok.body() = R"({"ok":true})";
    ok.prepare_payload();
    EXPECT_EQ(our_head(ok), beast_head(ok));

    response old{http::status::not_found, 10};
    old.keep_alive(true);
    old.set(http::field::content_type, "text/plain");
    EXPECT_EQ(our_head(old), beast_head(old));
    EXPECT_EQ(our_head(old).rfind("HTTP/1.0 404 Not Found\r\n", 0), 0u);

    response custom{http::status::bad_gateway, 11};
    custom.reason("Upstream Gone");
    custom.keep_alive(false);
    EXPECT_EQ(our_head(custom), beast_head(custom));

    response unknown{static_cast<http::status>(499), 11};
    EXPECT_EQ(our_head(unknown), beast_head(unknown));
}

TEST(http_head, ends_the_head_with_a_blank_line) {
    response empty{http::status::no_content, 11};
    EXPECT_EQ(our_head(empty), "HTTP/1.1 204 No Content\r\n\r\n");
}

TEST(http_head, leaves_out_values_that_would_split_the_head) {
    EXPECT_TRUE(is_safe_field_value("Bearer abc"));
    EXPECT_FALSE(is_safe_field_value("a\r\nX-Injected: 1"));
    EXPECT_FALSE(is_safe_field_value("a\nb"));
    EXPECT_FALSE(is_safe_field_value(std::string("a\0b", 3)));

    std::string out;
    append_field(out, "Accept", "text/event-stream");
    append_field(out, "X-Evil", "v\r\nInjected: yes");
    EXPECT_EQ(out, "Accept: text/event-stream\r\n");

    response res{http::status::ok, 11};
    res.set("x-upstream", "fine");
    res.set("x-broken", "bad\r\nSet-Cookie: stolen");
    auto head = our_head(res);
    EXPECT_NE(head.find("x-upstream: fine\r\n"), std::string::npos);
    EXPECT_EQ(head.find("Set-Cookie"), std::string::npos);
}

// Over a real loopback socket: an answer far larger than the socket buffer is sent partly at
// once and the rest asynchronously, and arrives whole and in order; a small one at once.
TEST(http_head, write_all_sends_everything_whether_or_not_the_socket_takes_it_at_once) {
    asio::io_context ioc;
    asio::ip::tcp::acceptor acceptor(ioc, {asio::ip::make_address("127.0.0.1"), 0});
    asio::ip::tcp::socket client(ioc);
    client.connect(acceptor.local_endpoint());
    beast::tcp_stream server(acceptor.accept());

    std::string small = "HTTP/1.1 200 OK\r\n\r\n";
    std::string large(8 * 1024 * 1024, '\0');
    for (std::size_t i = 0; i < large.size(); ++i) large[i] = static_cast<char>('a' + i % 26);

    std::pair<beast::error_code, std::size_t> small_result, large_result;
    std::string received;
    asio::co_spawn(
        ioc,
        [&]() -> asio::awaitable<void> {
            small_result = co_await write_all(server, asio::buffer(small), std::chrono::seconds(5));
            std::array<asio::const_buffer, 2> pieces{asio::buffer(large), asio::buffer(small)};
            large_result = co_await write_all(server, pieces, std::chrono::seconds(5));
        },
        asio::detached
    );
    asio::co_spawn(
        ioc,
        [&]() -> asio::awaitable<void> {
            // Read slowly at first, so the writer finds the socket buffer full.
            asio::steady_timer pause(ioc, std::chrono::milliseconds(50));
            co_await pause.async_wait(asio::use_awaitable);
            received.resize(small.size() + large.size() + small.size());
            auto [ec, n] = co_await asio::async_read(
                client, asio::buffer(received), asio::as_tuple(asio::use_awaitable)
            );
            EXPECT_FALSE(ec) << ec.message();
        },
        asio::detached
    );
    ioc.run();

    EXPECT_FALSE(small_result.first);
    EXPECT_EQ(small_result.second, small.size());
    EXPECT_FALSE(large_result.first);
    EXPECT_EQ(large_result.second, large.size() + small.size());
    EXPECT_TRUE(received == small + large + small);
}

// read_head over a real loopback socket: the client's bytes arrive as `pieces` (with a pause
// between them), then the client closes if `close_after`. Returns the error, the parser's
// head and what is left in the buffer.
struct head_read {
    beast::error_code ec;
    std::string method, target, host;
    std::string left_over;
};

head_read read_head_from(
    std::vector<std::string> pieces, bool close_after, std::size_t limit = 8192
) {
    asio::io_context ioc;
    asio::ip::tcp::acceptor acceptor(ioc, {asio::ip::make_address("127.0.0.1"), 0});
    asio::ip::tcp::socket client(ioc);
    client.connect(acceptor.local_endpoint());
    asio::ip::tcp::socket server(acceptor.accept());

    head_read out;
    beast::flat_buffer buffer;
    http::request_parser<http::string_body> parser;
    parser.header_limit(static_cast<std::uint32_t>(limit));
    asio::co_spawn(
        ioc,
        [&]() -> asio::awaitable<void> {
            out.ec = co_await read_head(server, buffer, parser);
            if (!out.ec) {
                out.method = std::string(parser.get().method_string());
                out.target = std::string(parser.get().target());
                out.host = std::string(parser.get()[http::field::host]);
            }
            out.left_over = beast::buffers_to_string(buffer.data());
        },
        asio::detached
    );
    asio::co_spawn(
        ioc,
        [&]() -> asio::awaitable<void> {
            for (const auto& piece : pieces) {
                co_await asio::async_write(client, asio::buffer(piece), asio::use_awaitable);
                asio::steady_timer pause(ioc, std::chrono::milliseconds(20));
                co_await pause.async_wait(asio::use_awaitable);
            }
            if (close_after) client.shutdown(asio::ip::tcp::socket::shutdown_send);
        },
        asio::detached
    );
    ioc.run_for(std::chrono::seconds(5));
    return out;
}

TEST(read_head, assembles_a_head_sent_in_pieces_and_keeps_what_follows_it) {
    auto r = read_head_from(
        {"POST /v1/chat/comp",
         "letions HTTP/1.1\r\nHo",
         "st: a\r\nContent-Length: 5\r\n",
         "\r\nhelloGET /next HTTP/1.1\r\n"},
        false
    );
    ASSERT_FALSE(r.ec) << r.ec.message();
    EXPECT_EQ(r.method, "POST");
    EXPECT_EQ(r.target, "/v1/chat/completions");
    EXPECT_EQ(r.host, "a");
    EXPECT_EQ(r.left_over, "helloGET /next HTTP/1.1\r\n");  // the body and the next request
}

TEST(read_head, parses_a_head_already_buffered_without_reading) {
    asio::io_context ioc;
    asio::ip::tcp::acceptor acceptor(ioc, {asio::ip::make_address("127.0.0.1"), 0});
    asio::ip::tcp::socket client(ioc);
    client.connect(acceptor.local_endpoint());
    asio::ip::tcp::socket server(acceptor.accept());
    beast::flat_buffer buffer;
    std::string pipelined = "GET /a HTTP/1.1\r\nHost: x\r\n\r\n";
    asio::buffer_copy(buffer.prepare(pipelined.size()), asio::buffer(pipelined));
    buffer.commit(pipelined.size());
    http::request_parser<http::empty_body> parser;
    beast::error_code ec = http::error::need_more;
    asio::co_spawn(
        ioc,
        [&]() -> asio::awaitable<void> { ec = co_await read_head(server, buffer, parser); },
        asio::detached
    );
    ioc.run_for(std::chrono::seconds(2));  // the client never writes: a read would hang
    EXPECT_FALSE(ec) << ec.message();
    EXPECT_EQ(parser.get().target(), "/a");
    EXPECT_EQ(buffer.size(), 0u);
}

TEST(read_head, a_close_before_any_byte_is_the_end_of_the_stream) {
    auto r = read_head_from({}, true);
    EXPECT_EQ(r.ec, http::error::end_of_stream);
}

TEST(read_head, a_close_in_the_middle_of_a_head_is_a_partial_message) {
    auto r = read_head_from({"GET / HTTP/1.1\r\nHost"}, true);
    EXPECT_EQ(r.ec, http::error::partial_message);
}

TEST(read_head, reports_what_the_parser_refuses) {
    EXPECT_EQ(
        read_head_from({"GET / HTTP/1.1\r\nBad Name: x\r\n\r\n"}, false).ec, http::error::bad_field
    );
    std::string huge = "GET / HTTP/1.1\r\nX-Big: " + std::string(20000, 'a') + "\r\n\r\n";
    EXPECT_EQ(read_head_from({huge}, false).ec, http::error::header_limit);
}

}  // namespace
}  // namespace solar::core
