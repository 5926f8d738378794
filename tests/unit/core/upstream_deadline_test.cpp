// The pooled upstream connection's deadlines over real loopback sockets: no answer within the
// first-byte timeout, or an answer that stalls, ends the read with its own error; a keep-alive
// connection whose exchanges together last longer than a timeout, or that rests in the pool
// past one, is not cut off.
#include <solar/core/upstream.hpp>

#include <boost/asio/as_tuple.hpp>
#include <boost/asio/co_spawn.hpp>
#include <boost/asio/detached.hpp>
#include <boost/asio/io_context.hpp>
#include <boost/asio/steady_timer.hpp>
#include <boost/asio/use_awaitable.hpp>
#include <boost/asio/write.hpp>

#include <gtest/gtest.h>

#include <string>

namespace solar::core {
namespace {

using tcp = asio::ip::tcp;
using namespace std::chrono_literals;
using clock = std::chrono::steady_clock;
constexpr auto use_tuple = asio::as_tuple(asio::use_awaitable);

// Answers each request on a connection by its path: /silent never answers, /stall sends the
// head and half the body, /slow answers after 120 ms; anything else at once.
asio::awaitable<void> serve(tcp::socket socket) {
    beast::flat_buffer buffer;
    for (;;) {
        http::request<http::string_body> req;
        auto [ec, n] = co_await http::async_read(socket, buffer, req, use_tuple);
        if (ec) co_return;
        std::string path(req.target());
        if (path == "/silent") {
            asio::steady_timer forever(socket.get_executor(), 60s);
            co_await forever.async_wait(use_tuple);
            co_return;
        }
        if (path == "/slow") {
            asio::steady_timer wait(socket.get_executor(), 120ms);
            co_await wait.async_wait(use_tuple);
        }
        std::string answer = path == "/stall" ? "HTTP/1.1 200 OK\r\nContent-Length: 10\r\n\r\nhello"
                                              : "HTTP/1.1 200 OK\r\nContent-Length: 2\r\n\r\nok";
        auto [wec, wn] = co_await asio::async_write(socket, asio::buffer(answer), use_tuple);
        if (wec) co_return;
        if (path == "/stall") {
            asio::steady_timer forever(socket.get_executor(), 60s);
            co_await forever.async_wait(use_tuple);
            co_return;
        }
    }
}

class upstream_deadline_test : public ::testing::Test {
protected:
    upstream_deadline_test() : acceptor_(ioc_, {asio::ip::make_address("127.0.0.1"), 0}) {
        asio::co_spawn(
            ioc_,
            [this]() -> asio::awaitable<void> {
                for (;;) {
                    auto [ec, socket] = co_await acceptor_.async_accept(use_tuple);
                    if (ec) co_return;
                    asio::co_spawn(ioc_, serve(std::move(socket)), asio::detached);
                }
            },
            asio::detached
        );
        target_.url = *parse_base_url(
            "http://127.0.0.1:" + std::to_string(acceptor_.local_endpoint().port())
        );
    }

    // One exchange on `connection`: the status or error, and the body read.
    struct exchange_result {
        boost::system::error_code ec;
        std::string body;
    };
    asio::awaitable<exchange_result> exchange(
        upstream_connection& connection, std::string path, std::chrono::milliseconds timeout
    ) {
        std::string head = "GET " + path + " HTTP/1.1\r\nHost: x\r\nContent-Length: 0\r\n\r\n";
        exchange_result out;
        out.ec = co_await connection.write(head, {}, timeout);
        if (out.ec) co_return out;
        upstream_parser parser;
        out.ec = co_await connection.read_header(parser, timeout);
        if (out.ec) co_return out;
        auto chunk = connection.relay_buffer();
        while (!parser.is_done()) {
            auto [ec, n] = co_await connection.read_body_some(parser, chunk, timeout);
            if (ec) {
                out.ec = ec;
                co_return out;
            }
            out.body.append(chunk.data(), n);
        }
        co_return out;
    }

    // Runs `scenario` with a fresh connection; returns how long it took.
    template <typename Scenario>
    std::chrono::milliseconds run(Scenario scenario) {
        auto start = clock::now();
        bool done = false;
        asio::co_spawn(
            ioc_,
            [&]() -> asio::awaitable<void> {
                auto acquired = co_await pool_.acquire(target_, 1s);
                EXPECT_TRUE(acquired.has_value());
                if (acquired) co_await scenario(**acquired);
                done = true;
                ioc_.stop();  // the server's stalled answers would hold run_for() to its end
            },
            asio::detached
        );
        ioc_.run_for(10s);
        EXPECT_TRUE(done);
        return std::chrono::duration_cast<std::chrono::milliseconds>(clock::now() - start);
    }

    asio::io_context ioc_;
    tcp::acceptor acceptor_;
    upstream_pool pool_{ioc_.get_executor()};
    upstream_target target_;
};

TEST_F(upstream_deadline_test, no_answer_within_the_first_byte_timeout_is_a_first_byte_timeout) {
    exchange_result result;
    auto took = run([&](upstream_connection& c) -> asio::awaitable<void> {
        result = co_await exchange(c, "/silent", 200ms);
    });
    EXPECT_EQ(result.ec, upstream_errc::first_byte_timeout) << result.ec.message();
    EXPECT_GE(took, 200ms);
    EXPECT_LT(took, 3s);
}

TEST_F(upstream_deadline_test, an_answer_that_stalls_is_an_idle_timeout) {
    exchange_result result;
    auto took = run([&](upstream_connection& c) -> asio::awaitable<void> {
        result = co_await exchange(c, "/stall", 200ms);
    });
    EXPECT_EQ(result.ec, upstream_errc::idle_timeout) << result.ec.message();
    EXPECT_GE(took, 200ms);
    EXPECT_LT(took, 3s);
}

// Five 120 ms exchanges under a 200 ms timeout: 600 ms in all, each within its own deadline.
TEST_F(upstream_deadline_test, exchanges_that_together_outlast_the_timeout_are_not_cut_off) {
    std::vector<exchange_result> results;
    run([&](upstream_connection& c) -> asio::awaitable<void> {
        for (int i = 0; i < 5; ++i) results.push_back(co_await exchange(c, "/slow", 200ms));
    });
    ASSERT_EQ(results.size(), 5u);
    for (const auto& r : results) {
        EXPECT_FALSE(r.ec) << r.ec.message();
        EXPECT_EQ(r.body, "ok");
    }
}

// Resting longer than the last timeout between exchanges (as in the pool) closes nothing.
TEST_F(upstream_deadline_test, a_connection_resting_past_a_timeout_stays_open) {
    exchange_result first, second;
    run([&](upstream_connection& c) -> asio::awaitable<void> {
        first = co_await exchange(c, "/fast", 100ms);
        asio::steady_timer rest(ioc_, 300ms);
        co_await rest.async_wait(use_tuple);
        second = co_await exchange(c, "/fast", 100ms);
    });
    EXPECT_FALSE(first.ec) << first.ec.message();
    EXPECT_FALSE(second.ec) << second.ec.message();
    EXPECT_EQ(second.body, "ok");
}

}  // namespace
}  // namespace solar::core
