// The balancing rules with real concurrent requests: free hosts first, then the lowest active
// parameter load, round-robin between equals.
#include <gtest/gtest.h>

#include <future>

#include "harness/control_process.hpp"
#include "harness/fake_host.hpp"
#include "harness/wait.hpp"

namespace solar::test {
namespace {

using namespace std::chrono_literals;
using nlohmann::json;

json chat(const std::string& model) {
    return {{"model", model}, {"messages", {{{"role", "user"}, {"content", "hello"}}}}};
}

json instance(const std::string& id, const std::string& alias, int delay_ms = 0) {
    return {
        {"id", id},
        {"alias", alias},
        {"backend_type", "llamacpp"},
        {"api_key", "k"},
        {"delay_ms", delay_ms}};
}

class balancing_test : public ::testing::Test {
protected:
    void SetUp() override {
        a_.start("key-a");
        b_.start("key-b");
        control_.start("gateway-key");
    }

    void register_hosts() {
        control_.add_host("host-a", a_.url(), "key-a");
        control_.add_host("host-b", b_.url(), "key-b");
    }

    std::future<http_result> send_async(const std::string& model) {
        return std::async(std::launch::async, [this, model] {
            return control_.post("/v1/chat/completions", chat(model));
        });
    }

    fake_host a_;
    fake_host b_;
    control_process control_;
};

TEST_F(balancing_test, concurrent_requests_spread_over_free_hosts) {
    a_.add_instance(instance("m-a", "m:1b", 800));
    b_.add_instance(instance("m-b", "m:1b", 800));
    register_hosts();
    ASSERT_TRUE(control_.wait_for_model("m:1b", 2));
    auto first = send_async("m:1b");
    ASSERT_TRUE(wait_until(
        [&] { return a_.in_flight().value("m-a", 0) + b_.in_flight().value("m-b", 0) == 1; }, 5s
    ));
    auto second = send_async("m:1b");
    auto r1 = first.get();
    auto r2 = second.get();
    ASSERT_EQ(r1.status, 200);
    ASSERT_EQ(r2.status, 200);
    EXPECT_NE(r1.header("x-test-instance"), r2.header("x-test-instance"))
        << "the second request must go to the host with nothing in flight";
}

TEST_F(balancing_test, busy_hosts_are_chosen_by_lowest_parameter_load) {
    a_.add_instance(instance("small-a", "small:1b", 3000));
    a_.add_instance(instance("x-a", "x:1b"));
    b_.add_instance(instance("big-b", "big:70b", 3000));
    b_.add_instance(instance("x-b", "x:1b"));
    register_hosts();
    ASSERT_TRUE(control_.wait_for_model("x:1b", 2));
    auto small = send_async("small:1b");
    auto big = send_async("big:70b");
    ASSERT_TRUE(wait_until(
        [&] {
            return a_.in_flight().value("small-a", 0) == 1 && b_.in_flight().value("big-b", 0) == 1;
        },
        5s
    ));
    // Both hosts are busy; host A carries 1B parameters, host B 70B: A wins every time.
    for (int i = 0; i < 4; ++i) {
        auto answer = control_.post("/v1/chat/completions", chat("x:1b"));
        ASSERT_EQ(answer.status, 200) << answer.body;
        EXPECT_EQ(answer.header("x-test-instance"), "x-a");
    }
    EXPECT_EQ(small.get().status, 200);
    EXPECT_EQ(big.get().status, 200);
}

TEST_F(balancing_test, reported_parameter_count_beats_the_alias) {
    // The alias says 1b, the host reports 100B parameters for it.
    a_.add_instance(
        {{"id", "heavy-a"},
         {"alias", "heavy:1b"},
         {"backend_type", "llamacpp"},
         {"api_key", "k"},
         {"delay_ms", 3000},
         {"parameter_count", 1e11}}
    );
    a_.add_instance(instance("x-a", "x:1b"));
    b_.add_instance(instance("mid-b", "mid:8b", 3000));
    b_.add_instance(instance("x-b", "x:1b"));
    register_hosts();
    ASSERT_TRUE(control_.wait_for_model("x:1b", 2));
    auto heavy = send_async("heavy:1b");
    auto mid = send_async("mid:8b");
    ASSERT_TRUE(wait_until(
        [&] {
            return a_.in_flight().value("heavy-a", 0) == 1 && b_.in_flight().value("mid-b", 0) == 1;
        },
        5s
    ));
    auto answer = control_.post("/v1/chat/completions", chat("x:1b"));
    EXPECT_EQ(answer.header("x-test-instance"), "x-b");
    heavy.get();
    mid.get();
}

TEST_F(balancing_test, equal_hosts_take_turns) {
    a_.add_instance(instance("m-a", "m:1b"));
    b_.add_instance(instance("m-b", "m:1b"));
    register_hosts();
    ASSERT_TRUE(control_.wait_for_model("m:1b", 2));
    std::map<std::string, int> count;
    std::string previous;
    for (int i = 0; i < 6; ++i) {
        auto answer = control_.post("/v1/chat/completions", chat("m:1b"));
        ASSERT_EQ(answer.status, 200);
        auto who = answer.header("x-test-instance");
        EXPECT_NE(who, previous) << "round-robin alternates between idle equals";
        previous = who;
        ++count[who];
    }
    EXPECT_EQ(count["m-a"], 3);
    EXPECT_EQ(count["m-b"], 3);
}

}  // namespace
}  // namespace solar::test
