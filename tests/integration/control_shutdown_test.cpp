// Graceful shutdown on SIGTERM: new connections are refused at once, in-flight requests and
// streams finish within --shutdown-grace-ms, a stream that outlasts it is cut, and the process
// exits 0 either way.
#include <gtest/gtest.h>

#include <csignal>
#include <future>

#include "harness/control_process.hpp"
#include "harness/fake_host.hpp"
#include "harness/sse_reader.hpp"
#include "harness/wait.hpp"
#include "harness/ws_client.hpp"

namespace solar::test {
namespace {

using namespace std::chrono_literals;
using nlohmann::json;
using clock = std::chrono::steady_clock;

const json stream_body = {
    {"model", "llama3:8b"},
    {"stream", true},
    {"messages", {{{"role", "user"}, {"content", "hi"}}}}};

class shutdown_test : public ::testing::Test {
protected:
    void start(int chunks, int chunk_delay_ms, int grace_ms) {
        host_.start("host-key");
        host_.add_instance(
            {{"id", "chat-1"},
             {"alias", "llama3:8b"},
             {"backend_type", "llamacpp"},
             {"api_key", "k"},
             {"stream_chunks", chunks},
             {"chunk_delay_ms", chunk_delay_ms}}
        );
        host_.add_instance(
            {{"id", "slow-1"},
             {"alias", "slow:1b"},
             {"backend_type", "llamacpp"},
             {"api_key", "k"},
             {"delay_ms", 1500}}
        );
        control_.start("gateway-key", {"--shutdown-grace-ms", std::to_string(grace_ms)});
        control_.add_host("gpu-1", host_.url(), "host-key");
        ASSERT_TRUE(control_.wait_for_model("llama3:8b"));
    }

    std::map<std::string, std::string> auth() const {
        return {{"X-API-Key", control_.api_key()}, {"Content-Type", "application/json"}};
    }

    void sigterm() { ASSERT_EQ(::kill(control_.process().pid(), SIGTERM), 0); }

    // Whether a new connection to the gateway is refused (the listener is closed).
    bool refuses_new_connections() const {
        auto answer =
            http_request("127.0.0.1", control_.port(), http::verb::get, "/health", "", {}, 1s);
        return answer.status == 0;
    }

    fake_host host_;
    control_process control_;
};

TEST_F(shutdown_test, an_in_flight_stream_completes_while_new_connections_are_refused) {
    start(10, 250, 15000);
    sse_reader reader(
        "127.0.0.1", control_.port(), "/v1/chat/completions", stream_body.dump(), auth()
    );
    ASSERT_EQ(reader.status(), 200u);
    std::vector<std::string> events;
    auto first = reader.next_event(5s);
    ASSERT_TRUE(first);
    events.push_back(*first);

    auto signalled = clock::now();
    sigterm();
    EXPECT_TRUE(wait_until([&] { return refuses_new_connections(); }, 5s))
        << "the gateway still accepts connections after SIGTERM";
    EXPECT_TRUE(control_.process().running()) << "it must not exit with a stream in flight";

    while (auto event = reader.next_event(5s)) {
        events.push_back(*event);
        if (*event == "[DONE]") break;
    }
    ASSERT_EQ(events.size(), 12u) << "10 content chunks, the finish chunk, [DONE]";
    for (int i = 0; i < 10; ++i) {
        EXPECT_EQ(
            json::parse(events[i])["choices"][0]["delta"]["content"],
            "tok" + std::to_string(i) + " "
        );
    }
    EXPECT_EQ(events.back(), "[DONE]");
    reader.read_rest(5s);
    EXPECT_TRUE(reader.complete()) << "the chunked body ended properly";

    ASSERT_TRUE(control_.process().wait_for_exit(10s)) << "it exits once the stream is done";
    EXPECT_EQ(control_.process().exit_code(), 0);
    EXPECT_LT(clock::now() - signalled, 12s) << "it did not wait out the whole grace period";
    auto seen = host_.requests("chat-1");
    ASSERT_EQ(seen.size(), 1u);
    EXPECT_EQ(seen[0]["completed"], true);
}

TEST_F(shutdown_test, an_in_flight_plain_request_gets_its_answer) {
    start(3, 0, 15000);
    auto pending = std::async(std::launch::async, [&] {
        json body = {{"model", "slow:1b"}, {"messages", {{{"role", "user"}, {"content", "x"}}}}};
        return http_request(
            "127.0.0.1",
            control_.port(),
            http::verb::post,
            "/v1/chat/completions",
            body.dump(),
            auth(),
            10s
        );
    });
    ASSERT_TRUE(wait_until([&] { return host_.in_flight().value("slow-1", 0) == 1; }, 5s));
    sigterm();
    auto answer = pending.get();
    EXPECT_EQ(answer.status, 200u) << answer.error << answer.body;
    EXPECT_EQ(answer.header("x-test-instance"), "slow-1");
    EXPECT_EQ(answer.header("connection"), "close") << "a closing server offers no keep-alive";
    ASSERT_TRUE(control_.process().wait_for_exit(10s));
    EXPECT_EQ(control_.process().exit_code(), 0);
}

TEST_F(shutdown_test, a_stream_that_outlasts_the_grace_period_is_cut_and_the_process_exits) {
    start(200, 100, 1000);
    sse_reader reader(
        "127.0.0.1", control_.port(), "/v1/chat/completions", stream_body.dump(), auth()
    );
    ASSERT_EQ(reader.status(), 200u);
    ASSERT_TRUE(reader.next_event(5s));

    auto signalled = clock::now();
    sigterm();
    ASSERT_TRUE(control_.process().wait_for_exit(10s)) << "the grace period was not enforced";
    auto took = clock::now() - signalled;
    EXPECT_EQ(control_.process().exit_code(), 0);
    EXPECT_GE(took, 800ms) << "the stream got its grace period first";
    EXPECT_LT(took, 8s);

    // The client sees the stream end without [DONE] and without a proper last chunk.
    bool done = false;
    while (auto event = reader.next_event(2s)) {
        if (*event == "[DONE]") done = true;
    }
    EXPECT_TRUE(reader.ended());
    EXPECT_FALSE(done);
    EXPECT_FALSE(reader.complete());
    // And the upstream request was dropped with it rather than left running.
    EXPECT_TRUE(wait_until(
        [&] {
            auto seen = host_.requests("chat-1");
            return seen.size() == 1 && seen[0]["disconnected"] == true;
        },
        5s
    )) << host_.requests("chat-1").dump();
}

TEST_F(shutdown_test, with_nothing_in_flight_it_exits_at_once_and_closes_log_clients) {
    start(3, 0, 15000);
    // A log client must not hold the shutdown up: it is told the gateway is going away.
    ws_client logs;
    ASSERT_TRUE(
        logs.connect("127.0.0.1", control_.port(), "/ws/logs", {{"X-API-Key", control_.api_key()}})
    );
    auto signalled = clock::now();
    sigterm();
    // Read like a real client, which answers the close handshake.
    ASSERT_TRUE(wait_until(
        [&] {
            logs.next_message(100ms);
            return logs.closed();
        },
        5s
    ));
    EXPECT_EQ(logs.close_reason().code, boost::beast::websocket::close_code::going_away)
        << "reason: " << logs.close_reason().reason;
    ASSERT_TRUE(control_.process().wait_for_exit(10s));
    EXPECT_LT(clock::now() - signalled, 5s) << "idle connections do not use up the grace";
    EXPECT_EQ(control_.process().exit_code(), 0);
    EXPECT_NE(control_.process().output().find("solar-control stopped"), std::string::npos);
}

}  // namespace
}  // namespace solar::test
