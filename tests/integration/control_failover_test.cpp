// Failure handling end to end: hosts going down and coming back, instances that cannot be
// reached (next candidate, 502), instances too slow to answer (504), bodies too large (413).
#include <gtest/gtest.h>

#include <regex>

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

json instance(const std::string& id, const std::string& alias, json extra = json::object()) {
    json spec = {{"id", id}, {"alias", alias}, {"backend_type", "llamacpp"}, {"api_key", "k"}};
    spec.update(extra);
    return spec;
}

void expect_error(const http_result& answer, unsigned status, const std::string& code) {
    EXPECT_EQ(answer.status, status) << answer.body << answer.error;
    auto body = json::parse(answer.body, nullptr, false);
    ASSERT_TRUE(body.is_object() && body.contains("error")) << answer.body;
    EXPECT_TRUE(body["error"].value("message", json()).is_string());
    EXPECT_TRUE(body["error"].value("type", json()).is_string());
    EXPECT_TRUE(body["error"].contains("param"));
    EXPECT_EQ(body["error"].value("code", json()), code) << answer.body;
}

std::size_t count_matches(const std::string& text, const std::regex& pattern) {
    return static_cast<std::size_t>(std::distance(
        std::sregex_iterator(text.begin(), text.end(), pattern), std::sregex_iterator()
    ));
}

class failover_test : public ::testing::Test {
protected:
    void start_control(std::vector<std::string> extra = {}) {
        std::vector<std::string> args = {
            "--refresh-interval-ms", "200", "--connect-timeout-ms", "1000"};
        args.insert(args.end(), extra.begin(), extra.end());
        control_.start("gateway-key", args);
    }

    json host_view(const std::string& id) const { return control_.get("/hosts/" + id).json(); }

    bool wait_for_status(const std::string& id, const std::string& status) const {
        return wait_until([&] { return host_view(id).value("status", "") == status; }, 15s);
    }

    http_result send(const std::string& model) const {
        return control_.post("/v1/chat/completions", chat(model));
    }

    fake_host a_;
    fake_host b_;
    control_process control_;
};

TEST_F(failover_test, a_host_that_goes_down_is_offline_and_its_models_503_until_it_returns) {
    a_.start("key-a");
    b_.start("key-b");
    a_.add_instance(instance("a-1", "shared:1b"));
    a_.add_instance(instance("a-2", "only-a:1b"));
    b_.add_instance(instance("b-1", "shared:1b"));
    start_control();
    auto id_a = control_.add_host("host-a", a_.url(), "key-a");
    auto id_b = control_.add_host("host-b", b_.url(), "key-b");
    ASSERT_TRUE(control_.wait_for_model("shared:1b", 2));
    ASSERT_EQ(send("only-a:1b").status, 200u);

    a_.stop();
    ASSERT_TRUE(wait_for_status(id_a, "offline")) << host_view(id_a).dump();
    auto down = host_view(id_a);
    ASSERT_TRUE(down["last_error"].is_string()) << down.dump();
    EXPECT_FALSE(down["last_error"].get<std::string>().empty());
    EXPECT_TRUE(down["last_seen"].is_string()) << "the last success is kept";
    EXPECT_EQ(host_view(id_b)["status"], "online");

    // Known, but not routable: 503, not 404; and not listed while nothing backs it.
    expect_error(send("only-a:1b"), 503, "no_running_instance");
    ASSERT_TRUE(control_.wait_for_model("shared:1b", 1));
    auto models = control_.get("/v1/models").json();
    for (const auto& model : models["data"]) EXPECT_NE(model["id"], "only-a:1b");
    // The alias the other host also serves keeps working, there only.
    for (int i = 0; i < 4; ++i) {
        auto answer = send("shared:1b");
        ASSERT_EQ(answer.status, 200u) << answer.body;
        EXPECT_EQ(answer.header("x-test-instance"), "b-1");
    }

    a_.restart_same_port();
    ASSERT_TRUE(wait_for_status(id_a, "online")) << host_view(id_a).dump();
    EXPECT_TRUE(host_view(id_a)["last_error"].is_null());
    ASSERT_TRUE(control_.wait_for_model("shared:1b", 2));
    EXPECT_TRUE(wait_until([&] { return send("only-a:1b").status == 200; }, 10s));
    auto answer = send("only-a:1b");
    EXPECT_EQ(answer.status, 200u) << answer.body;
    EXPECT_EQ(answer.header("x-test-instance"), "a-2");
}

TEST_F(failover_test, after_a_gateway_restart_a_host_that_is_down_still_answers_503_not_404) {
    a_.start("key-a");
    a_.add_instance(instance("a-1", "m:1b"));
    start_control();
    auto id = control_.add_host("host-a", a_.url(), "key-a");
    ASSERT_TRUE(control_.wait_for_model("m:1b"));

    // The host goes down while the gateway is down too: the new process has never seen it
    // online, and knows its aliases only from the list stored at the last successful poll.
    control_.stop();
    a_.stop();
    start_control();
    ASSERT_TRUE(wait_for_status(id, "offline")) << host_view(id).dump();
    expect_error(send("m:1b"), 503, "no_running_instance");
    expect_error(send("never-served:1b"), 404, "model_not_found");

    a_.restart_same_port();
    ASSERT_TRUE(wait_for_status(id, "online")) << host_view(id).dump();
    EXPECT_TRUE(wait_until([&] { return send("m:1b").status == 200; }, 10s));
}

TEST_F(failover_test, a_host_whose_instance_list_fails_is_offline_until_it_answers_again) {
    a_.start("key-a");
    a_.add_instance(instance("a-1", "m:1b"));
    start_control();
    auto id = control_.add_host("host-a", a_.url(), "key-a");
    ASSERT_TRUE(control_.wait_for_model("m:1b"));

    a_.set_failing(true);
    ASSERT_TRUE(wait_for_status(id, "offline")) << host_view(id).dump();
    auto error = host_view(id)["last_error"];
    ASSERT_TRUE(error.is_string());
    EXPECT_NE(error.get<std::string>().find("500"), std::string::npos) << error;
    // The instance itself would still answer; the gateway must not route to it anyway.
    a_.clear_requests();
    expect_error(send("m:1b"), 503, "no_running_instance");
    EXPECT_TRUE(a_.requests().empty());

    a_.set_failing(false);
    ASSERT_TRUE(wait_for_status(id, "online")) << host_view(id).dump();
    EXPECT_TRUE(host_view(id)["last_error"].is_null());
    EXPECT_TRUE(wait_until([&] { return send("m:1b").status == 200; }, 10s));
}

TEST_F(failover_test, an_instance_that_refuses_connections_is_skipped_for_the_next_candidate) {
    a_.start("key-a");
    a_.add_instance(instance("live-1", "m:1b"));
    a_.add_instance(instance("dead-1", "m:1b", {{"listen", false}}));
    start_control();
    control_.add_host("host-a", a_.url(), "key-a");
    ASSERT_TRUE(control_.wait_for_model("m:1b", 2));

    auto started = std::chrono::steady_clock::now();
    // Round-robin between the two sends one of the first two requests to the dead one first.
    for (int i = 0; i < 4; ++i) {
        auto answer = send("m:1b");
        ASSERT_EQ(answer.status, 200u) << "request " << i << ": " << answer.body;
        EXPECT_EQ(answer.header("x-test-instance"), "live-1");
    }
    auto elapsed = std::chrono::steady_clock::now() - started;
    std::regex retried("instance dead-1 on host host-a unreachable, trying another");
    ASSERT_TRUE(control_.process().wait_for_output_line(retried, 5s))
        << "the dead instance was never tried:\n"
        << control_.process().output();
    if (elapsed < 4s) {
        // Within its 5 s back-off the failed instance is left out: tried once, not per request.
        EXPECT_EQ(count_matches(control_.process().output(), retried), 1u)
            << control_.process().output();
    }
    EXPECT_EQ(a_.requests("live-1").size(), 4u);
}

TEST_F(failover_test, the_only_instance_refusing_connections_answers_502) {
    a_.start("key-a");
    a_.add_instance(instance("dead-1", "dead:1b", {{"listen", false}}));
    start_control();
    control_.add_host("host-a", a_.url(), "key-a");
    ASSERT_TRUE(control_.wait_for_model("dead:1b"));
    expect_error(send("dead:1b"), 502, "upstream_unreachable");
    // Also once it is in back-off: tried anyway rather than refused outright.
    expect_error(send("dead:1b"), 502, "upstream_unreachable");
    // The gateway itself is fine.
    EXPECT_EQ(control_.get("/v1/models").status, 200u);
}

TEST_F(failover_test, an_instance_silent_past_the_first_byte_timeout_answers_504) {
    a_.start("key-a");
    a_.add_instance(instance("slow-1", "slow:1b", {{"delay_ms", 5000}}));
    a_.add_instance(instance("quick-1", "quick:1b"));
    start_control({"--first-byte-timeout-ms", "400"});
    control_.add_host("host-a", a_.url(), "key-a");
    ASSERT_TRUE(control_.wait_for_model("slow:1b"));

    auto started = std::chrono::steady_clock::now();
    auto answer = send("slow:1b");
    auto elapsed = std::chrono::steady_clock::now() - started;
    expect_error(answer, 504, "upstream_timeout");
    EXPECT_GE(elapsed, 350ms);
    EXPECT_LT(elapsed, 4500ms) << "the gateway waited for the instance instead of timing out";
    // The gateway gave up on the upstream request rather than leaving it running.
    EXPECT_TRUE(wait_until(
        [&] {
            auto seen = a_.requests("slow-1");
            return seen.size() == 1 && seen[0]["disconnected"] == true;
        },
        6s
    )) << a_.requests("slow-1").dump();
    // Timeouts are per instance: a quick one on the same host answers.
    EXPECT_EQ(send("quick:1b").status, 200u);
}

TEST_F(failover_test, a_body_over_max_body_bytes_answers_413) {
    a_.start("key-a");
    a_.add_instance(instance("a-1", "m:1b"));
    start_control({"--max-body-bytes", "4096"});
    control_.add_host("host-a", a_.url(), "key-a");
    ASSERT_TRUE(control_.wait_for_model("m:1b"));

    auto small = chat("m:1b");
    small["messages"][0]["content"] = std::string(3000, 'x');
    ASSERT_LE(small.dump().size(), 4096u);
    EXPECT_EQ(control_.post("/v1/chat/completions", small).status, 200u);

    auto big = chat("m:1b");
    big["messages"][0]["content"] = std::string(6000, 'x');
    a_.clear_requests();
    expect_error(control_.post("/v1/chat/completions", big), 413, "request_too_large");
    // Far over the limit too, and on another route.
    auto huge = chat("m:1b");
    huge["messages"][0]["content"] = std::string(32 * 1024 * 1024, 'x');
    expect_error(control_.post("/v1/chat/completions", huge), 413, "request_too_large");
    expect_error(
        control_.post(
            "/hosts", {{"name", std::string(8000, 'n')}, {"url", "http://h:1"}, {"api_key", "k"}}
        ),
        413,
        "request_too_large"
    );
    EXPECT_TRUE(a_.requests().empty()) << "nothing over the limit reached the instance";
    EXPECT_EQ(control_.get("/v1/models").status, 200u);
}

}  // namespace
}  // namespace solar::test
