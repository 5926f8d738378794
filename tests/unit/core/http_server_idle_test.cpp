// The server's idle deadline: a connection that sends nothing, or stalls in the middle of a
// request head, is closed once keep_alive_timeout has passed; one being served is not.
#include <solar/core/http_server.hpp>
#include <solar/core/json_error.hpp>

#include <boost/asio/co_spawn.hpp>
#include <boost/asio/executor_work_guard.hpp>
#include <boost/asio/steady_timer.hpp>
#include <boost/asio/use_future.hpp>

#include <gtest/gtest.h>

#include <optional>
#include <sys/socket.h>
#include <sys/time.h>
#include <thread>

namespace solar::core {
namespace {

using tcp = asio::ip::tcp;
using namespace std::chrono_literals;
using clock = std::chrono::steady_clock;

constexpr auto keep_alive = 300ms;

class http_server_idle_test : public ::testing::Test {
protected:
    void SetUp() override {
        routes_.add(
            http::verb::get,
            "/ping",
            [](request_context& ctx) -> asio::awaitable<handler_result> {
                co_return json_response(http::status::ok, R"({"pong":true})", ctx.req);
            },
            route_options{.public_access = true}
        );
        routes_.add(
            http::verb::get,
            "/slow",
            [](request_context& ctx) -> asio::awaitable<handler_result> {
                asio::steady_timer wait{co_await asio::this_coro::executor, 3 * keep_alive};
                co_await wait.async_wait(asio::use_awaitable);
                co_return json_response(http::status::ok, R"({"slow":true})", ctx.req);
            },
            route_options{.public_access = true}
        );
        server_options options;
        options.address = "127.0.0.1";
        options.keep_alive_timeout = keep_alive;
        server_.emplace(ioc_, options, routes_, "secret");
        port_ = server_->listen().port();
        server_->start();
        thread_ = std::thread([this] { ioc_.run(); });
    }

    void TearDown() override {
        asio::co_spawn(ioc_, server_->shutdown(1s), asio::use_future).wait_for(5s);
        work_.reset();
        ioc_.stop();
        thread_.join();
    }

    // A blocking client socket whose reads give up after five seconds.
    tcp::socket connect() {
        tcp::socket socket{client_ioc_};
        socket.connect({asio::ip::make_address("127.0.0.1"), port_});
        timeval limit{5, 0};
        setsockopt(socket.native_handle(), SOL_SOCKET, SO_RCVTIMEO, &limit, sizeof(limit));
        return socket;
    }

    // Reads until the server closes the connection; returns how long that took, or nothing
    // when the read gave up first.
    static std::optional<clock::duration> time_until_closed(tcp::socket& socket) {
        auto start = clock::now();
        std::array<char, 4096> sink;
        for (;;) {
            boost::system::error_code ec;
            socket.read_some(asio::buffer(sink), ec);
            if (ec == asio::error::eof || ec == asio::error::connection_reset) {
                return clock::now() - start;
            }
            if (ec) return std::nullopt;
        }
    }

    static http::response<http::string_body> get(tcp::socket& socket, const std::string& path) {
        http::request<http::empty_body> req{http::verb::get, path, 11};
        req.set(http::field::host, "127.0.0.1");
        http::write(socket, req);
        beast::flat_buffer buffer;
        http::response<http::string_body> res;
        http::read(socket, buffer, res);
        return res;
    }

    asio::io_context ioc_{1};
    asio::executor_work_guard<asio::io_context::executor_type> work_{ioc_.get_executor()};
    router routes_;
    std::optional<http_server> server_;
    std::uint16_t port_ = 0;
    std::thread thread_;
    asio::io_context client_ioc_;
};

TEST_F(http_server_idle_test, a_kept_alive_connection_is_closed_once_idle_past_the_timeout) {
    auto socket = connect();
    auto res = get(socket, "/ping");
    ASSERT_EQ(res.result_int(), 200u);
    ASSERT_TRUE(res.keep_alive());
    auto closed_after = time_until_closed(socket);
    ASSERT_TRUE(closed_after.has_value()) << "still open five seconds later";
    EXPECT_GE(*closed_after, keep_alive * 3 / 4);
}

TEST_F(http_server_idle_test, a_connection_that_stalls_inside_a_request_head_is_closed) {
    auto socket = connect();
    std::string partial = "GET /ping HTTP/1.1\r\nHost: 127.0.0.1\r\n";
    asio::write(socket, asio::buffer(partial));
    auto closed_after = time_until_closed(socket);
    ASSERT_TRUE(closed_after.has_value()) << "still open five seconds later";
    EXPECT_GE(*closed_after, keep_alive * 3 / 4);
}

TEST_F(http_server_idle_test, a_request_served_for_longer_than_the_timeout_gets_its_answer) {
    auto socket = connect();
    auto res = get(socket, "/slow");
    EXPECT_EQ(res.result_int(), 200u);
    EXPECT_EQ(res.body(), R"({"slow":true})");
    // Idle again from the answer on: the next request on the connection is served too.
    EXPECT_EQ(get(socket, "/ping").result_int(), 200u);
}

}  // namespace
}  // namespace solar::core
