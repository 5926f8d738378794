// solar-host supervision end to end with the llama-server stand-in misbehaving: retries and
// their error_message, readiness timeout, crashes, auto_restart, SIGKILL after the grace
// period, and no child left behind when solar-host stops.
#include <gtest/gtest.h>

#include "harness/wait.hpp"
#include "host/host_process.hpp"

namespace solar::test {
namespace {

using namespace std::chrono_literals;
using nlohmann::json;

class host_supervision_test : public ::testing::Test {
protected:
    void start_host(std::vector<std::string> args = {}) {
        host_.start("host-key", std::move(args));
    }

    std::string create(const json& switches, json extra = json::object()) {
        auto config = llama_config(host_.model_file("m.gguf", switches), "tiny:1m");
        config.update(extra);
        return host_.create(config)["id"].get<std::string>();
    }

    host_process host_;
};

TEST_F(host_supervision_test, exit_during_load_is_retried_twice_then_failed_with_the_reason) {
    start_host();
    auto id = create({{"exit_during_load", 1}});
    host_.start_instance(id);
    auto failed = host_.wait_for_status(id, "failed", 30s);
    ASSERT_TRUE(failed) << host_.instance(id).dump();
    EXPECT_EQ((*failed)["retry_count"], 2);
    auto message = (*failed)["error_message"].get<std::string>();
    EXPECT_NE(message.find("SIGABRT"), std::string::npos) << message;
    // The last log lines say what went wrong.
    EXPECT_NE(message.find("failed to load model"), std::string::npos) << message;
    // Three attempts, each logged by the child.
    auto logs = host_.get("/instances/" + id + "/logs").json()["lines"];
    int loads = 0;
    for (const auto& line : logs) {
        if (line["line"].get<std::string>().find("exiting due to model loading error") !=
            std::string::npos)
            ++loads;
    }
    EXPECT_EQ(loads, 3);
    EXPECT_TRUE(child_pids(host_.process().pid()).empty());
}

TEST_F(host_supervision_test, a_child_that_never_becomes_ready_fails_after_the_timeout) {
    start_host({"--readiness-timeout-s", "1", "--start-retries", "0"});
    auto id = create({{"never_ready", 1}});
    host_.start_instance(id);
    EXPECT_EQ(host_.instance(id)["status"], "starting") << "503 while loading is not running";
    auto failed = host_.wait_for_status(id, "failed", 20s);
    ASSERT_TRUE(failed) << host_.instance(id).dump();
    auto message = (*failed)["error_message"].get<std::string>();
    EXPECT_NE(message.find("not ready within 1 s"), std::string::npos) << message;
    EXPECT_TRUE(wait_until([&] { return child_pids(host_.process().pid()).empty(); }, 10s));
}

TEST_F(host_supervision_test, a_crash_while_running_fails_with_the_signal) {
    start_host();
    auto id = create({{"crash_after_ms", 300}});
    host_.start_instance(id);
    ASSERT_TRUE(host_.wait_for_status(id, "running"));
    auto failed = host_.wait_for_status(id, "failed", 20s);
    ASSERT_TRUE(failed) << host_.instance(id).dump();
    auto message = (*failed)["error_message"].get<std::string>();
    EXPECT_TRUE(message.find("signal") != std::string::npos) << message;
    EXPECT_EQ((*failed)["pid"], nullptr);
}

TEST_F(host_supervision_test, auto_restart_brings_a_crashed_child_back) {
    start_host();
    auto id = create({{"crash_after_ms", 400}}, {{"auto_restart", true}});
    host_.start_instance(id);
    auto first = host_.wait_for_status(id, "running");
    ASSERT_TRUE(first);
    int first_pid = (*first)["pid"];
    bool restarted = wait_until(
        [&] {
            auto now = host_.instance(id);
            return now["status"] == "running" && now["pid"].is_number() &&
                   now["pid"] != first_pid && now["restarts"].get<int>() >= 1;
        },
        20s,
        50ms
    );
    EXPECT_TRUE(restarted) << host_.instance(id).dump();
}

TEST_F(host_supervision_test, stop_kills_a_child_that_ignores_sigterm_after_the_grace_period) {
    start_host();  // the harness sets --stop-grace-s 3
    auto id = create({{"ignore_sigterm", 1}});
    host_.start_instance(id);
    auto running = host_.wait_for_status(id, "running");
    ASSERT_TRUE(running);
    int pid = (*running)["pid"];
    auto began = std::chrono::steady_clock::now();
    auto stopped = host_.call(http::verb::post, "/instances/" + id + "/stop");
    auto took = std::chrono::steady_clock::now() - began;
    ASSERT_EQ(stopped.status, 200) << stopped.body;
    EXPECT_EQ(stopped.json()["status"], "stopped");
    EXPECT_GE(took, 2500ms) << "SIGKILL only after the grace period";
    EXPECT_FALSE(process_alive(pid));
}

TEST_F(host_supervision_test, stopping_solar_host_leaves_no_child_behind) {
    start_host();
    std::vector<int> pids;
    for (int i = 0; i < 2; ++i) {
        auto id = create(i == 0 ? json::object() : json{{"ignore_sigterm", 1}});
        host_.start_instance(id);
        auto running = host_.wait_for_status(id, "running");
        ASSERT_TRUE(running);
        pids.push_back((*running)["pid"]);
    }
    int status = host_.stop();
    EXPECT_TRUE(WIFEXITED(status) && WEXITSTATUS(status) == 0) << status;
    for (int pid : pids) EXPECT_FALSE(process_alive(pid)) << pid;
}

TEST_F(host_supervision_test, kill_9_of_solar_host_takes_its_children_with_it) {
    start_host();
    auto id = create(json::object());
    host_.start_instance(id);
    auto running = host_.wait_for_status(id, "running");
    ASSERT_TRUE(running);
    int pid = (*running)["pid"];
    host_.kill();
    EXPECT_TRUE(wait_until([&] { return !process_alive(pid); }, 10s)) << "orphaned child " << pid;
}

TEST_F(host_supervision_test, a_program_that_cannot_be_executed_fails_at_once_with_the_reason) {
    // solar-host checks the path at start; the program vanishing later is what is left.
    auto program = host_.data().path() / "llama-server";
    std::filesystem::copy_file("/bin/true", program);
    start_host({"--llama-server-path", program.string()});
    std::filesystem::remove(program);
    auto id = create(json::object());
    host_.start_instance(id);
    auto failed = host_.wait_for_status(id, "failed", 10s);
    ASSERT_TRUE(failed) << host_.instance(id).dump();
    auto message = (*failed)["error_message"].get<std::string>();
    EXPECT_NE(message.find("No such file"), std::string::npos) << message;
    EXPECT_EQ((*failed)["retry_count"], 0) << "retrying an exec error cannot help";
}

}  // namespace
}  // namespace solar::test
