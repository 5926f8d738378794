// Unit tests for hand-written HTTP heads: byte for byte what Beast's serializer writes.
#include <solar/core/http_head.hpp>

#include <boost/asio/co_spawn.hpp>
#include <boost/asio/detached.hpp>
#include <boost/asio/io_context.hpp>
#include <boost/asio/read.hpp>
#include <boost/asio/steady_timer.hpp>

#include <gtest/gtest.h>

#include <sstream>

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
            small_result = co_await write_all(server, asio::buffer(small));
            std::array<asio::const_buffer, 2> pieces{asio::buffer(large), asio::buffer(small)};
            large_result = co_await write_all(server, pieces);
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

}  // namespace
}  // namespace solar::core
