// Logs and state end to end: the log WebSocket replays from ?since= then follows live with no
// gap or duplicate, the log file, the state WebSocket, and last-generation from timing lines.
#include <gtest/gtest.h>

#include <fstream>

#include "harness/sse_reader.hpp"
#include "harness/wait.hpp"
#include "harness/ws_client.hpp"
#include "host/host_process.hpp"

namespace solar::test {
namespace {

using namespace std::chrono_literals;
using nlohmann::json;

class host_logs_test : public ::testing::Test {
protected:
    void SetUp() override {
        host_.start();
        id_ = host_
                  .create(llama_config(host_.model_file("m.gguf", {{"stdout_lines", 3}}), "tiny:1m")
                  )["id"]
                  .get<std::string>();
    }

    unsigned short running_port() {
        host_.start_instance(id_);
        auto running = host_.wait_for_status(id_, "running");
        if (!running) throw std::runtime_error("not running: " + host_.instance(id_).dump());
        return (*running)["port"];
    }

    http_result chat(unsigned short port, int max_tokens = 4) {
        return http_request(
            "127.0.0.1",
            port,
            http::verb::post,
            "/v1/chat/completions",
            json{
                {"messages", {{{"role", "user"}, {"content", "hello there"}}}},
                {"max_tokens", max_tokens}}
                .dump(),
            {{"Authorization", "Bearer k1"}}
        );
    }

    std::string logs_target(const std::string& query) {
        return "/instances/" + id_ + "/logs?" + query + "&api_key=" + host_.api_key();
    }

    host_process host_;
    std::string id_;
};

TEST_F(host_logs_test, log_socket_replays_then_follows_with_consecutive_seqs) {
    auto port = running_port();
    ws_client ws;
    ASSERT_TRUE(ws.connect("127.0.0.1", host_.port(), logs_target("since=1")));
    std::vector<json> seen;
    auto read_until = [&](const std::function<bool(const json&)>& done) {
        while (auto message = ws.next_message(10s)) {
            seen.push_back(json::parse(*message));
            if (done(seen.back())) return true;
        }
        return false;
    };
    ASSERT_TRUE(read_until([](const json& m) {
        return m["line"].get<std::string>().find("starting the main loop") != std::string::npos;
    }));
    EXPECT_EQ(seen.front()["seq"], 1);
    EXPECT_EQ(seen.front()["stream"], "host") << "solar-host notes the start";
    bool saw_stdout = false;
    for (const auto& m : seen) saw_stdout = saw_stdout || m["stream"] == "stdout";
    EXPECT_TRUE(saw_stdout) << "both pipes are captured";
    for (const auto& m : seen) {
        EXPECT_TRUE(m["ts"].is_string());
        EXPECT_TRUE(m["line"].is_string());
    }

    // Live: a request makes the child print its timing block, which arrives on the socket.
    ASSERT_EQ(chat(port).status, 200);
    ASSERT_TRUE(read_until([](const json& m) {
        return m["line"].get<std::string>().find("total time =") != std::string::npos;
    }));
    for (std::size_t i = 0; i < seen.size(); ++i)
        EXPECT_EQ(seen[i]["seq"], i + 1) << "gap or duplicate";

    // A second client resuming from the middle gets exactly the rest.
    std::uint64_t middle = seen.size() / 2;
    ws_client resumed;
    ASSERT_TRUE(
        resumed.connect("127.0.0.1", host_.port(), logs_target("since=" + std::to_string(middle)))
    );
    for (std::uint64_t seq = middle; seq <= seen.size(); ++seq) {
        auto message = resumed.next_message(10s);
        ASSERT_TRUE(message);
        EXPECT_EQ(json::parse(*message)["seq"], seq);
    }
    // ?last=2 gives the newest two (the child prints a few more lines after its timings).
    std::uint64_t latest = 0;
    ASSERT_TRUE(wait_until(
        [&] {
            auto lines = host_.get("/instances/" + id_ + "/logs").json()["lines"];
            auto now = lines.back()["seq"].get<std::uint64_t>();
            bool settled = now == latest;
            latest = now;
            return settled;
        },
        10s,
        200ms
    ));
    ws_client tail;
    ASSERT_TRUE(tail.connect("127.0.0.1", host_.port(), logs_target("last=2")));
    auto newest = tail.next_message(10s);
    ASSERT_TRUE(newest);
    EXPECT_EQ(json::parse(*newest)["seq"], latest - 1);

    // The log file holds the same lines.
    std::ifstream file(host_.data().path() / "logs" / (id_ + ".log"));
    std::string text((std::istreambuf_iterator<char>(file)), std::istreambuf_iterator<char>());
    EXPECT_NE(text.find("starting the main loop"), std::string::npos);
}

TEST_F(host_logs_test, numbering_continues_across_a_solar_host_restart) {
    running_port();
    auto before = host_.get("/instances/" + id_ + "/logs").json()["lines"];
    ASSERT_FALSE(before.empty());
    std::uint64_t last = before.back()["seq"];
    host_.stop();
    host_.restart();
    ASSERT_TRUE(host_.wait_for_status(id_, "running"));
    auto after = host_.get("/instances/" + id_ + "/logs").json()["lines"];
    ASSERT_GT(after.size(), before.size());
    for (std::size_t i = 0; i < after.size(); ++i) EXPECT_EQ(after[i]["seq"], i + 1);
    EXPECT_EQ(after[before.size() - 1]["line"], before.back()["line"]);
    EXPECT_GT(after.back()["seq"].get<std::uint64_t>(), last);
}

TEST_F(host_logs_test, state_socket_pushes_every_change) {
    ws_client ws;
    ASSERT_TRUE(ws.connect(
        "127.0.0.1", host_.port(), "/instances/" + id_ + "/state", {{"X-API-Key", host_.api_key()}}
    ));
    auto first = ws.next_message(10s);
    ASSERT_TRUE(first);
    EXPECT_EQ(json::parse(*first)["status"], "stopped");
    running_port();
    std::vector<std::string> statuses;
    while (auto message = ws.next_message(10s)) {
        statuses.push_back(json::parse(*message)["status"]);
        if (statuses.back() == "running") break;
    }
    ASSERT_FALSE(statuses.empty());
    EXPECT_EQ(statuses.front(), "starting");
    EXPECT_EQ(statuses.back(), "running");
    host_.call(http::verb::post, "/instances/" + id_ + "/stop");
    bool stopped = false;
    while (auto message = ws.next_message(10s)) {
        if (json::parse(*message)["status"] == "stopped") {
            stopped = true;
            break;
        }
    }
    EXPECT_TRUE(stopped);
}

TEST_F(host_logs_test, state_and_last_generation_report_real_figures) {
    EXPECT_EQ(host_.get("/instances/" + id_ + "/last-generation").status, 404);
    auto port = running_port();
    auto state = host_.get("/instances/" + id_ + "/state").json();
    EXPECT_EQ(state["status"], "running");
    EXPECT_GT(state["pid"].get<int>(), 0);
    EXPECT_EQ(state["port"], port);
    EXPECT_GT(state["rss_bytes"].get<std::uint64_t>(), 0u);
    EXPECT_GE(state["uptime_s"].get<double>(), 0.0);
    EXPECT_EQ(state["generation_in_progress"], false);

    auto answer = chat(port, 6);
    ASSERT_EQ(answer.status, 200);
    auto timings = answer.json()["timings"];
    json generation;
    ASSERT_TRUE(wait_until([&] {
        auto reply = host_.get("/instances/" + id_ + "/last-generation");
        if (reply.status != 200) return false;
        generation = reply.json();
        return true;
    }));
    EXPECT_EQ(generation["prompt_tokens"], timings["prompt_n"]);
    EXPECT_EQ(generation["generated_tokens"], 6);
    EXPECT_NEAR(
        generation["generation_tokens_per_second"].get<double>(),
        timings["predicted_per_second"].get<double>(),
        timings["predicted_per_second"].get<double>() * 0.01 + 0.01
    );
    EXPECT_GT(generation["total_ms"].get<double>(), 0.0);
}

TEST_F(host_logs_test, a_generation_in_progress_shows_in_the_state) {
    host_.call(http::verb::post, "/instances/" + id_ + "/stop");
    auto slow = llama_config(host_.model_file("slow.gguf", {{"token_ms", 200}}), "slow:1m");
    auto id = host_.create(slow)["id"].get<std::string>();
    host_.start_instance(id);
    auto running = host_.wait_for_status(id, "running");
    ASSERT_TRUE(running);
    sse_reader stream(
        "127.0.0.1",
        (*running)["port"].get<unsigned short>(),
        "/v1/chat/completions",
        json{
            {"messages", {{{"role", "user"}, {"content", "x"}}}},
            {"max_tokens", 20},
            {"stream", true}}
            .dump(),
        {{"Authorization", "Bearer k1"}}
    );
    ASSERT_TRUE(stream.next_event(10s));
    EXPECT_TRUE(wait_until([&] {
        return host_.get("/instances/" + id + "/state").json()["generation_in_progress"] == true;
    }));
    stream.close();
    EXPECT_TRUE(wait_until(
        [&] {
            return host_.get("/instances/" + id + "/state").json()["generation_in_progress"] ==
                   false;
        },
        15s
    ));
}

}  // namespace
}  // namespace solar::test
