// The gateway watches each client while an instance works on its request: a client that leaves
// (even in the same instant it sent the request) drops the upstream request, one that waits
// gets its answer, and bytes of a request pipelined behind a slow one are kept for it. Run with
// one I/O thread (no strands) and with several.
#include <gtest/gtest.h>

#include "harness/control_process.hpp"
#include "harness/fake_host.hpp"
#include "harness/raw_connection.hpp"
#include "harness/wait.hpp"

namespace solar::test {
namespace {

using namespace std::chrono_literals;
using nlohmann::json;

std::string chat_body(const std::string& model) {
    return json{{"model", model}, {"messages", {{{"role", "user"}, {"content", "hi"}}}}}.dump();
}

class client_watch_test : public ::testing::TestWithParam<int> {
protected:
    void SetUp() override {
        host_.start("host-key");
        host_.add_instance(
            {{"id", "slow-1"},
             {"alias", "slow:1b"},
             {"backend_type", "llamacpp"},
             {"api_key", "k"},
             {"delay_ms", 5000}}
        );
        host_.add_instance(
            {{"id", "steady-1"},
             {"alias", "steady:1b"},
             {"backend_type", "llamacpp"},
             {"api_key", "k"},
             {"delay_ms", 700}}
        );
        host_.add_instance(
            {{"id", "quick-1"},
             {"alias", "quick:1b"},
             {"backend_type", "llamacpp"},
             {"api_key", "k"}}
        );
        control_.start("gateway-key", {}, {{"THREADS", std::to_string(GetParam())}});
        control_.add_host("gpu-1", host_.url(), "host-key");
        ASSERT_TRUE(control_.wait_for_model("quick:1b"));
        ASSERT_TRUE(control_.wait_for_model("slow:1b"));
        ASSERT_TRUE(control_.wait_for_model("steady:1b"));
    }

    std::string request(const std::string& model) const {
        return post_request("/v1/chat/completions", "gateway-key", chat_body(model));
    }

    bool upstream_dropped(const std::string& instance) const {
        return wait_until(
            [&] {
                auto seen = host_.requests(instance);
                return seen.size() == 1 && seen[0]["disconnected"] == true;
            },
            3s
        );
    }

    fake_host host_;
    control_process control_;
};

TEST_P(client_watch_test, a_client_closing_in_the_same_instant_as_it_sends_drops_the_request) {
    raw_connection c(control_.port());
    auto body = chat_body("slow:1b");
    c.send(
        post_head(
            "/v1/chat/completions",
            "gateway-key",
            "X-Request-Id: instant-leave\r\nContent-Length: " + std::to_string(body.size()) + "\r\n"
        ) +
        body
    );
    c.close_sending();  // the end of the stream travels right behind the request
    // Logged as 499 long before the instance's five seconds are up...
    EXPECT_TRUE(wait_until(
        [&] {
            return control_.process().output().find(
                       "instant-leave POST /v1/chat/completions "
                       "model=slow:1b"
                   ) != std::string::npos;
        },
        3s
    )) << control_.process().output();
    auto log = control_.process().output();
    EXPECT_NE(log.find("status=499"), std::string::npos) << log;
    // ...and the instance either never got it or saw it dropped.
    EXPECT_TRUE(wait_until(
        [&] {
            auto seen = host_.requests("slow-1");
            return seen.empty() || (seen.size() == 1 && seen[0]["disconnected"] == true);
        },
        3s
    )) << host_.requests("slow-1").dump();
}

TEST_P(client_watch_test, a_client_closing_while_the_instance_works_drops_the_request) {
    raw_connection c(control_.port());
    c.send(request("slow:1b"));
    ASSERT_TRUE(wait_until([&] { return host_.requests("slow-1").size() == 1; }, 3s));
    c.close_sending();
    EXPECT_TRUE(upstream_dropped("slow-1")) << host_.requests("slow-1").dump();
}

TEST_P(client_watch_test, a_client_that_waits_gets_its_answer) {
    raw_connection c(control_.port());
    c.send(request("steady:1b"));
    auto res = c.read();
    EXPECT_EQ(res.result_int(), 200u) << res.body();
    auto seen = host_.requests("steady-1");
    ASSERT_EQ(seen.size(), 1u);
    EXPECT_EQ(seen[0]["completed"], true);
}

TEST_P(client_watch_test, a_request_pipelined_behind_a_slow_one_is_answered_after_it) {
    raw_connection c(control_.port());
    c.send(request("steady:1b"));
    ASSERT_TRUE(wait_until([&] { return host_.requests("steady-1").size() == 1; }, 3s));
    c.send(request("quick:1b"));  // arrives while the gateway waits on the first
    auto first = c.read();
    auto second = c.read();
    EXPECT_EQ(first.result_int(), 200u) << first.body();
    EXPECT_EQ(first["x-test-instance"], "steady-1");
    EXPECT_EQ(second.result_int(), 200u) << second.body();
    EXPECT_EQ(second["x-test-instance"], "quick-1");
    EXPECT_EQ(host_.requests("steady-1")[0]["completed"], true) << "not mistaken for a leave";
}

INSTANTIATE_TEST_SUITE_P(threads, client_watch_test, ::testing::Values(1, 4), [](const auto& info) {
    return "threads_" + std::to_string(info.param);
});

}  // namespace
}  // namespace solar::test
