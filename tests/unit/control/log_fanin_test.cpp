// Loopback tests for log aggregation: an in-process fake solar-host serving
// WS /instances/{id}/logs, the gateway's log_fanin behind core::http_server, and blocking
// WebSocket clients on /ws/logs. Waits are bounded by deadlines; nothing sleeps for a set time.
#include <solar/control/log_fanin.hpp>
#include <solar/core/http_server.hpp>

#include <boost/asio/co_spawn.hpp>
#include <boost/asio/detached.hpp>
#include <boost/asio/executor_work_guard.hpp>
#include <boost/asio/use_future.hpp>
#include <boost/beast/websocket.hpp>

#include <gtest/gtest.h>
#include <nlohmann/json.hpp>

#include <condition_variable>
#include <set>
#include <thread>

namespace solar::control {
namespace {

namespace websocket = beast::websocket;
using tcp = asio::ip::tcp;
using namespace std::chrono_literals;
constexpr auto use_tuple = asio::as_tuple(asio::use_awaitable);

// Polls a condition that another thread makes true; fails the test after the deadline.
template <typename Predicate>
bool eventually(Predicate predicate, std::chrono::seconds limit = 10s) {
    auto deadline = std::chrono::steady_clock::now() + limit;
    while (!predicate()) {
        if (std::chrono::steady_clock::now() > deadline) return false;
        std::this_thread::yield();
    }
    return true;
}

// A solar-host stand-in: holds numbered lines, serves them from ?since=, then live ones.
class fake_host {
public:
    fake_host(asio::io_context& ioc, std::string key)
        : strand_(asio::make_strand(ioc)),
          acceptor_(strand_, {asio::ip::make_address("127.0.0.1"), 0}),
          key_(std::move(key)) {
        asio::co_spawn(strand_, accept_loop(), asio::detached);
    }

    std::uint16_t port() const { return acceptor_.local_endpoint().port(); }

    void append(std::uint64_t seq, std::string line) {
        asio::post(strand_, [this, seq, line = std::move(line)] {
            held_.push_back(nlohmann::json{
                {"seq", seq},
                {"ts", "t" + std::to_string(seq)},
                {"stream", "stdout"},
                {"line", line}});
            for (auto* c : connections_) c->wake.cancel();
        });
    }

    // Closes every connection (a network blip); with `forget`, also its lines (a restart).
    void drop_connections(bool forget = false) {
        asio::post(strand_, [this, forget] {
            if (forget) {
                held_.clear();
                ++epoch_;
            }
            for (auto* c : connections_) {
                c->dropped = true;
                beast::error_code ec;
                beast::get_lowest_layer(*c->ws).socket().close(ec);
                c->wake.cancel();
            }
        });
    }

    // Waits until a connection asked for `target` and is being served.
    bool wait_for_target(const std::string& target) {
        std::unique_lock lock(mutex_);
        return seen_.wait_for(lock, 10s, [&] {
            return std::find(targets_.begin(), targets_.end(), target) != targets_.end();
        });
    }

    std::vector<std::string> keys() {
        std::lock_guard lock(mutex_);
        return keys_;
    }

    void stop() {
        asio::post(strand_, [this] {
            acceptor_.close();
            drop_connections();
        });
    }

private:
    struct connection {
        websocket::stream<beast::tcp_stream>* ws;
        asio::steady_timer wake;
        bool dropped = false;
    };

    asio::awaitable<void> accept_loop() {
        for (;;) {
            auto [ec, socket] = co_await acceptor_.async_accept(use_tuple);
            if (ec) co_return;
            asio::co_spawn(strand_, session(std::move(socket)), asio::detached);
        }
    }

    asio::awaitable<void> session(tcp::socket socket) {
        beast::tcp_stream stream{std::move(socket)};
        beast::flat_buffer buffer;
        http::request<http::string_body> req;
        auto [rec, rn] = co_await http::async_read(stream, buffer, req, use_tuple);
        if (rec) co_return;
        std::string target(req.target());
        {
            std::lock_guard lock(mutex_);
            keys_.emplace_back(req["X-API-Key"]);
        }
        if (req["X-API-Key"] != key_) {
            http::response<http::string_body> res{http::status::unauthorized, req.version()};
            co_await http::async_write(stream, res, use_tuple);
            co_return;
        }
        auto since = std::stoull(target.substr(target.find("since=") + 6));
        websocket::stream<beast::tcp_stream> ws{std::move(stream)};
        auto [aec] = co_await ws.async_accept(req, use_tuple);
        if (aec) co_return;
        connection self{&ws, asio::steady_timer{strand_}};
        connections_.push_back(&self);
        {
            // Only now does a line appended later count as live for this connection.
            std::lock_guard lock(mutex_);
            targets_.push_back(target);
        }
        seen_.notify_all();
        auto epoch = epoch_;
        std::size_t cursor = 0;
        auto held_at_connect = held_.size();  // `since` filters these; live lines always go
        while (!self.dropped && epoch == epoch_) {
            if (cursor < held_.size()) {
                auto line = held_[cursor++];
                if (cursor <= held_at_connect && line["seq"].get<std::uint64_t>() < since) continue;
                auto [wec, wn] = co_await ws.async_write(asio::buffer(line.dump()), use_tuple);
                if (wec) break;
                continue;
            }
            self.wake.expires_at(std::chrono::steady_clock::time_point::max());
            co_await self.wake.async_wait(use_tuple);
        }
        std::erase(connections_, &self);
    }

    asio::strand<asio::io_context::executor_type> strand_;
    tcp::acceptor acceptor_;
    std::string key_;
    // Strand only.
    std::vector<nlohmann::json> held_;
    std::vector<connection*> connections_;
    int epoch_ = 0;
    // Observed by the test thread.
    std::mutex mutex_;
    std::condition_variable seen_;
    std::vector<std::string> targets_;
    std::vector<std::string> keys_;
};

// A /ws/logs client whose calls block the test thread for at most 10 s each.
class log_client {
public:
    log_client(std::uint16_t port, const std::string& target) {
        ws_.next_layer().connect({asio::ip::make_address("127.0.0.1"), port});
        ws_.handshake("127.0.0.1", target);
    }

    nlohmann::json read() {
        beast::flat_buffer buffer;
        auto ec = read_within_deadline(buffer);
        if (ec) throw beast::system_error(ec);
        return nlohmann::json::parse(beast::buffers_to_string(buffer.data()));
    }

    // Reads (and discards) until the server closes; returns its close reason.
    websocket::close_reason read_until_close() {
        beast::flat_buffer buffer;
        for (;;) {
            auto ec = read_within_deadline(buffer);
            if (ec == websocket::error::closed) return ws_.reason();
            if (ec) throw beast::system_error(ec);
            buffer.clear();
        }
    }

private:
    beast::error_code read_within_deadline(beast::flat_buffer& buffer) {
        std::optional<beast::error_code> result;
        ws_.async_read(buffer, [&](beast::error_code ec, std::size_t) { result = ec; });
        ioc_.restart();
        ioc_.run_for(10s);
        if (!result) {
            beast::error_code ignored;
            ws_.next_layer().close(ignored);
            ioc_.restart();
            ioc_.run();
            return asio::error::timed_out;
        }
        return *result;
    }

    asio::io_context ioc_;
    websocket::stream<tcp::socket> ws_{ioc_};
};

class log_fanin_test : public ::testing::Test {
protected:
    log_fanin_test() {
        log_fanin_options options;
        options.backoff_initial = 5ms;
        options.backoff_max = 20ms;
        options.client_queue = {16, 64 * 1024 * 1024};  // more than any burst below
        fanin_.emplace(ioc_, pool_, options);
        routes_.add(
            http::verb::get,
            "/ws/logs",
            [this](core::request_context& ctx) { return fanin_->handle_ws(ctx); },
            core::route_options{.allow_query_key = true}
        );
        core::server_options server_options;
        server_options.address = "127.0.0.1";
        server_.emplace(ioc_, server_options, routes_, "secret");
        port_ = server_->listen().port();
        server_->start();
        for (int i = 0; i < 2; ++i) threads_.emplace_back([this] { ioc_.run(); });
    }

    ~log_fanin_test() override {
        fanin_->stop();
        host_.stop();
        asio::co_spawn(ioc_, server_->shutdown(1s), asio::use_future).wait_for(5s);
        work_.reset();
        if (!eventually([this] { return ioc_.stopped(); }, 5s)) ioc_.stop();
        for (auto& t : threads_) t.join();
    }

    void follow(const std::vector<std::string>& instance_ids) {
        host_record host;
        host.id = "h1";
        host.name = "box-1";
        host.url = "http://127.0.0.1:" + std::to_string(host_.port());
        host.api_key = "host-key";
        std::vector<instance_info> instances;
        for (const auto& id : instance_ids) {
            instance_info info;
            info.host_id = "h1";
            info.host_name = "box-1";
            info.instance_id = id;
            info.alias = "model-" + id;
            info.status = "running";
            instances.push_back(info);
        }
        fanin_->update_instances(instances, {host});
    }

    std::unique_ptr<log_client> connect(const std::string& query = "") {
        auto client = std::make_unique<log_client>(port_, "/ws/logs?api_key=secret" + query);
        auto expected = ++clients_;
        EXPECT_TRUE(eventually([&] { return fanin_->hub().subscribers() == expected; }));
        return client;
    }

    asio::io_context ioc_{2};
    asio::executor_work_guard<asio::io_context::executor_type> work_{ioc_.get_executor()};
    fake_host host_{ioc_, "host-key"};
    core::upstream_pool pool_{ioc_.get_executor()};
    std::optional<log_fanin> fanin_;
    core::router routes_;
    std::optional<core::http_server> server_;
    std::uint16_t port_ = 0;
    std::size_t clients_ = 0;
    std::vector<std::thread> threads_;
};

TEST_F(log_fanin_test, streams_tagged_lines_and_resumes_after_a_reconnect) {
    host_.append(0, "first");
    host_.append(1, "second");
    auto client = connect();
    follow({"i1"});

    auto line = client->read();
    EXPECT_EQ(line["host_id"], "h1");
    EXPECT_EQ(line["host_name"], "box-1");
    EXPECT_EQ(line["instance_id"], "i1");
    EXPECT_EQ(line["alias"], "model-i1");
    EXPECT_EQ(line["seq"], 0);
    EXPECT_EQ(line["ts"], "t0");
    EXPECT_EQ(line["stream"], "stdout");
    EXPECT_EQ(line["line"], "first");
    EXPECT_EQ(client->read()["line"], "second");
    EXPECT_TRUE(host_.wait_for_target("/instances/i1/logs?since=0"));

    host_.append(2, "live");
    EXPECT_EQ(client->read()["seq"], 2);

    host_.drop_connections();
    host_.append(3, "while away");
    EXPECT_TRUE(host_.wait_for_target("/instances/i1/logs?since=3"));
    EXPECT_EQ(client->read()["line"], "while away");
    host_.append(4, "after");
    EXPECT_EQ(client->read()["seq"], 4) << "no line is delivered twice";
    for (const auto& key : host_.keys()) EXPECT_EQ(key, "host-key");
}

TEST_F(log_fanin_test, a_restarted_host_is_read_again_from_its_first_line) {
    auto client = connect();
    follow({"i1"});
    for (std::uint64_t seq = 0; seq < 5; ++seq) host_.append(seq, "old " + std::to_string(seq));
    for (std::uint64_t seq = 0; seq < 5; ++seq) EXPECT_EQ(client->read()["seq"], seq);

    host_.drop_connections(/*forget=*/true);
    host_.append(0, "new 0");
    host_.append(1, "new 1");
    EXPECT_TRUE(host_.wait_for_target("/instances/i1/logs?since=5"));
    host_.append(2, "new 2");  // older than asked for: the host numbers from scratch

    EXPECT_EQ(client->read()["line"], "new 0");
    EXPECT_EQ(client->read()["line"], "new 1");
    EXPECT_EQ(client->read()["line"], "new 2");
}

TEST_F(log_fanin_test, clients_filter_by_instance) {
    auto only_i2 = connect("&instance_id=i2");
    auto everything = connect("&host_id=h1");
    follow({"i1", "i2"});
    host_.append(0, "x");  // the fake host serves the same lines for every instance

    auto line = only_i2->read();
    EXPECT_EQ(line["instance_id"], "i2");
    std::set<std::string> seen{
        everything->read()["instance_id"], everything->read()["instance_id"]};
    EXPECT_EQ(seen, (std::set<std::string>{"i1", "i2"}));

    follow({"i1"});  // i2 disappeared from the registry
    EXPECT_EQ(fanin_->subscriptions(), 1u);
}

TEST_F(log_fanin_test, a_client_that_falls_behind_is_closed_with_1008) {
    auto slow = connect();
    auto big = std::make_shared<const std::string>(64 * 1024, 'x');
    // The client reads nothing: socket buffers fill, then its queue of 16 overflows.
    bool overflowed = eventually([&] { return fanin_->hub().publish("h1", "i1", big) == 0; });
    ASSERT_TRUE(overflowed);
    auto reason = slow->read_until_close();
    EXPECT_EQ(reason.code, websocket::close_code::policy_error);
    EXPECT_EQ(reason.reason, "client too slow");
}

TEST_F(log_fanin_test, stop_closes_clients_with_going_away) {
    auto client = connect();
    fanin_->stop();
    auto reason = client->read_until_close();
    EXPECT_EQ(reason.code, websocket::close_code::going_away);
}

TEST_F(log_fanin_test, plain_http_requests_are_refused) {
    asio::io_context ioc;
    beast::tcp_stream stream{ioc};
    stream.connect(tcp::endpoint{asio::ip::make_address("127.0.0.1"), port_});
    http::request<http::empty_body> req{http::verb::get, "/ws/logs?api_key=secret", 11};
    req.set(http::field::host, "127.0.0.1");
    http::write(stream, req);
    beast::flat_buffer buffer;
    http::response<http::string_body> res;
    http::read(stream, buffer, res);
    EXPECT_EQ(res.result(), http::status::bad_request);
}

}  // namespace
}  // namespace solar::control
