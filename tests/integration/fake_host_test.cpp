// Self-test of the integration fixture: solar-test-host driven through the harness, so that a
// failing gateway test can be trusted to be about the gateway.
#include "harness/fake_host.hpp"

#include <gtest/gtest.h>

#include <future>

#include "harness/child_process.hpp"
#include "harness/http_client.hpp"
#include "harness/sse_reader.hpp"
#include "harness/temp_dir.hpp"
#include "harness/wait.hpp"
#include "harness/ws_client.hpp"

namespace solar::test {
namespace {

using namespace std::chrono_literals;
using nlohmann::json;

http_result post_instance(
    unsigned short port,
    const std::string& target,
    const json& body,
    std::map<std::string, std::string> headers
) {
    return http_request(
        "127.0.0.1", port, http::verb::post, target, body.dump(), std::move(headers)
    );
}

const json chat_body = {
    {"model", "m:1"}, {"messages", {{{"role", "user"}, {"content", "hi there"}}}}};

class fake_host_test : public ::testing::Test {
protected:
    void SetUp() override { host_.start("host-key"); }

    unsigned short add(const std::string& id, json extra = json::object()) {
        json spec = {{"id", id}, {"alias", "m:1"}, {"api_key", "key-" + id}};
        spec.update(extra);
        return host_.add_instance(spec).at("port").get<unsigned short>();
    }

    fake_host host_;
};

TEST(child_process_test, waits_for_output_and_reports_exit) {
    temp_dir dir;
    child_process child(
        {"/bin/sh", "-c", "echo starting; echo ready on 42; exit 3"}, dir.file("sh.log")
    );
    auto match = child.wait_for_output_line(std::regex(R"(ready on (\d+))"), 5s);
    ASSERT_TRUE(match);
    EXPECT_EQ((*match)[1], "42");
    ASSERT_TRUE(child.wait_for_exit(5s));
    EXPECT_EQ(child.exit_code(), 3);
    EXPECT_FALSE(child.wait_for_output_line(std::regex("never printed"), 100ms));
}

TEST(child_process_test, terminate_ends_a_running_child_and_exec_errors_throw) {
    temp_dir dir;
    child_process child({"/bin/sleep", "30"}, dir.file("sleep.log"));
    EXPECT_TRUE(child.running());
    child.terminate(2s);
    EXPECT_FALSE(child.running());
    EXPECT_EQ(child.term_signal(), SIGTERM);
    EXPECT_THROW(child_process({"/nonexistent/program"}, dir.file("x.log")), std::system_error);
}

TEST_F(fake_host_test, host_api_needs_the_key_and_lists_instances_in_seed_shape) {
    EXPECT_EQ(
        http_request("127.0.0.1", host_.port(), http::verb::get, "/health").json(),
        (json{{"status", "healthy"}, {"service", "solar-host"}, {"version", "2.0.0"}})
    );
    auto denied = http_request("127.0.0.1", host_.port(), http::verb::get, "/instances");
    EXPECT_EQ(denied.status, 401);
    EXPECT_EQ(denied.json(), (json{{"detail", "Invalid API key"}}));
    auto bearer = http_request(
        "127.0.0.1",
        host_.port(),
        http::verb::get,
        "/instances",
        "",
        {{"Authorization", "Bearer host-key"}}
    );
    EXPECT_EQ(bearer.status, 200);

    unsigned short port_a =
        add("a", {{"backend_type", "llamacpp"}, {"endpoints", {"/v1/chat/completions"}}});
    add("b", {{"parameter_count", 7000000000LL}});
    json list = host_.instances();
    ASSERT_EQ(list.size(), 2u);
    EXPECT_EQ(list[0]["id"], "a");
    EXPECT_EQ(list[0]["port"], port_a);
    EXPECT_EQ(list[0]["config"]["port"], port_a);
    EXPECT_EQ(list[0]["config"]["backend_type"], "llamacpp");
    EXPECT_EQ(list[0]["config"]["alias"], "m:1");
    EXPECT_EQ(list[0]["config"]["api_key"], "key-a");
    EXPECT_EQ(list[0]["status"], "running");
    EXPECT_EQ(list[0]["endpoints"], json({"/v1/chat/completions"}));
    EXPECT_FALSE(list[0].contains("parameter_count"));
    EXPECT_FALSE(list[1]["config"].contains("backend_type"));
    EXPECT_FALSE(list[1].contains("endpoints"));
    EXPECT_EQ(list[1]["parameter_count"], 7000000000LL);
}

TEST_F(fake_host_test, start_stop_change_status_and_are_recorded) {
    add("a");
    auto stopped = host_.call(http::verb::post, "/instances/a/stop");
    EXPECT_EQ(stopped.status, 200);
    EXPECT_EQ(stopped.json()["status"], "stopped");
    EXPECT_EQ(host_.instances()[0]["status"], "stopped");
    EXPECT_EQ(host_.call(http::verb::post, "/instances/a/restart").json()["status"], "running");
    auto unknown = host_.call(http::verb::post, "/instances/zzz/start");
    EXPECT_EQ(unknown.status, 404);
    EXPECT_EQ(unknown.json(), (json{{"detail", "Instance not found"}}));
    json calls = host_.calls();
    std::vector<std::string> posts;
    for (const auto& call : calls) {
        if (call["method"] == "POST") posts.push_back(call["path"]);
        EXPECT_TRUE(call["has_credentials"]);
    }
    EXPECT_EQ(
        posts,
        (std::vector<std::string>{
            "/instances/a/stop", "/instances/a/restart", "/instances/zzz/start"})
    );
}

TEST_F(fake_host_test, failing_host_answers_500_until_restored) {
    add("a");
    host_.set_failing(true);
    EXPECT_EQ(host_.call(http::verb::get, "/instances").status, 500);
    host_.set_failing(false);
    EXPECT_EQ(host_.call(http::verb::get, "/instances").status, 200);
}

TEST_F(fake_host_test, chat_needs_the_instance_key_and_names_the_instance) {
    unsigned short port = add("a");
    auto denied = post_instance(port, "/v1/chat/completions", chat_body, {});
    EXPECT_EQ(denied.status, 401);
    EXPECT_EQ(
        denied.json()["error"],
        (json{{"code", 401}, {"message", "Invalid API Key"}, {"type", "authentication_error"}})
    );
    auto lowercase_scheme =
        post_instance(port, "/v1/chat/completions", chat_body, {{"Authorization", "bearer key-a"}});
    EXPECT_EQ(lowercase_scheme.status, 401);

    auto ok = post_instance(
        port,
        "/v1/chat/completions",
        chat_body,
        {{"Authorization", "Bearer key-a"}, {"X-Request-Id", "req-1"}}
    );
    ASSERT_EQ(ok.status, 200) << ok.body;
    EXPECT_EQ(ok.header("X-Test-Instance"), "a");
    json body = ok.json();
    EXPECT_EQ(body["object"], "chat.completion");
    EXPECT_EQ(body["model"], "m:1");
    EXPECT_EQ(body["instance_id"], "a");
    EXPECT_EQ(body["choices"][0]["message"]["content"], "reply from a");
    EXPECT_EQ(body["usage"]["prompt_tokens"], 2);

    json requests = host_.requests("a");
    ASSERT_EQ(requests.size(), 3u);
    EXPECT_EQ(requests[2]["path"], "/v1/chat/completions");
    EXPECT_EQ(requests[2]["headers"]["authorization"], "Bearer key-a");
    EXPECT_EQ(requests[2]["headers"]["x-request-id"], "req-1");
    EXPECT_EQ(json::parse(requests[2]["body"].get<std::string>()), chat_body);
    EXPECT_TRUE(requests[2]["completed"]);
    EXPECT_FALSE(requests[2]["disconnected"]);
    EXPECT_EQ(requests[0]["status"], 401);
}

TEST_F(fake_host_test, other_endpoints_answer_in_llama_server_shapes) {
    unsigned short port = add("a", {{"config", {{"labels", {"neg", "pos"}}}}});
    std::map<std::string, std::string> auth = {{"Authorization", "Bearer key-a"}};
    auto bad =
        http_request("127.0.0.1", port, http::verb::post, "/v1/chat/completions", "{bad", auth);
    EXPECT_EQ(bad.status, 500);
    EXPECT_EQ(bad.json()["error"]["type"], "server_error");
    auto embed = post_instance(port, "/v1/embeddings", {{"input", {"one", "two words"}}}, auth);
    ASSERT_EQ(embed.status, 200);
    EXPECT_EQ(embed.json()["data"].size(), 2u);
    EXPECT_EQ(embed.json()["data"][1]["index"], 1);
    auto classify = post_instance(port, "/v1/classify", {{"model", "c"}, {"input", "good"}}, auth);
    ASSERT_EQ(classify.status, 200);
    EXPECT_EQ(classify.json()["object"], "classification");
    EXPECT_EQ(classify.json()["choices"][0]["label"], "neg");
    auto completion = post_instance(port, "/v1/completions", {{"prompt", "x"}}, auth);
    EXPECT_EQ(completion.json()["object"], "text_completion");
    EXPECT_EQ(http_request("127.0.0.1", port, http::verb::get, "/health").json()["status"], "ok");

    host_.patch_instance("a", {{"status_code", 503}});
    auto forced = post_instance(port, "/v1/chat/completions", chat_body, auth);
    EXPECT_EQ(forced.status, 503);
    EXPECT_EQ(forced.json()["error"]["type"], "unavailable_error");
}

TEST_F(fake_host_test, stream_chunks_arrive_one_by_one) {
    unsigned short port = add("a", {{"stream_chunks", 3}, {"chunk_delay_ms", 150}});
    json body = chat_body;
    body["stream"] = true;
    sse_reader reader(
        "127.0.0.1", port, "/v1/chat/completions", body.dump(), {{"Authorization", "Bearer key-a"}}
    );
    ASSERT_EQ(reader.status(), 200);
    EXPECT_EQ(reader.headers().at("content-type"), "text/event-stream");
    EXPECT_EQ(reader.headers().at("x-test-instance"), "a");
    std::vector<sse_event> events;
    while (auto event = reader.next_event_timed(5s)) events.push_back(*event);
    ASSERT_EQ(events.size(), 5u);
    for (int i = 0; i < 3; ++i) {
        json chunk = json::parse(events[i].data);
        EXPECT_EQ(chunk["object"], "chat.completion.chunk");
        EXPECT_EQ(chunk["choices"][0]["delta"]["content"], "tok" + std::to_string(i) + " ");
    }
    EXPECT_EQ(json::parse(events[3].data)["choices"][0]["finish_reason"], "stop");
    EXPECT_EQ(events[4].data, "[DONE]");
    for (int i = 1; i < 4; ++i) EXPECT_GE(events[i].received - events[i - 1].received, 100ms);
    EXPECT_TRUE(reader.complete());
}

TEST_F(fake_host_test, client_leaving_mid_stream_is_recorded) {
    unsigned short port = add("a", {{"stream_chunks", 5}, {"chunk_delay_ms", 300}});
    json body = chat_body;
    body["stream"] = true;
    sse_reader reader(
        "127.0.0.1", port, "/v1/chat/completions", body.dump(), {{"Authorization", "Bearer key-a"}}
    );
    ASSERT_TRUE(reader.next_event(5s));
    EXPECT_EQ(host_.in_flight()["a"], 1);
    reader.close();
    EXPECT_TRUE(wait_until([&] { return host_.requests("a")[0]["disconnected"] == true; }, 5s));
    EXPECT_FALSE(host_.requests("a")[0]["completed"]);
    EXPECT_TRUE(wait_until([&] { return host_.in_flight()["a"] == 0; }, 5s));
}

TEST_F(fake_host_test, delay_holds_the_request_in_flight) {
    unsigned short port = add("a", {{"delay_ms", 400}});
    auto pending = std::async(std::launch::async, [&] {
        return post_instance(
            port, "/v1/chat/completions", chat_body, {{"Authorization", "Bearer key-a"}}
        );
    });
    EXPECT_TRUE(wait_until([&] { return host_.in_flight()["a"] == 1; }, 5s));
    EXPECT_FALSE(host_.requests("a")[0]["completed"]);
    EXPECT_EQ(pending.get().status, 200);
    EXPECT_EQ(host_.in_flight()["a"], 0);
}

TEST_F(fake_host_test, concurrent_requests_are_served_side_by_side) {
    unsigned short port = add("a", {{"delay_ms", 300}});
    std::vector<std::future<http_result>> pending;
    for (int i = 0; i < 16; ++i) {
        pending.push_back(std::async(std::launch::async, [&] {
            return post_instance(
                port, "/v1/chat/completions", chat_body, {{"Authorization", "Bearer key-a"}}
            );
        }));
    }
    EXPECT_TRUE(wait_until([&] { return host_.in_flight()["a"] == 16; }, 5s));
    for (auto& result : pending) EXPECT_EQ(result.get().status, 200);
}

TEST_F(fake_host_test, sigterm_closes_streams_and_sockets_and_exits_cleanly) {
    unsigned short port = add("a", {{"stream_chunks", 50}, {"chunk_delay_ms", 200}});
    json body = chat_body;
    body["stream"] = true;
    sse_reader reader(
        "127.0.0.1", port, "/v1/chat/completions", body.dump(), {{"Authorization", "Bearer key-a"}}
    );
    ASSERT_TRUE(reader.next_event(5s));
    ws_client ws;
    ASSERT_TRUE(
        ws.connect("127.0.0.1", host_.port(), "/instances/a/logs", {{"X-API-Key", "host-key"}})
    );
    host_.stop();
    EXPECT_EQ(host_.process().exit_code(), 0) << host_.process().output();
    EXPECT_FALSE(ws.next_message(2s));
    EXPECT_TRUE(ws.closed());
    while (reader.next_event(2s)) {
    }
    EXPECT_FALSE(reader.complete());
}

TEST_F(fake_host_test, dead_instance_refuses_connections_until_it_listens_again) {
    unsigned short port = add("a", {{"listen", false}});
    ASSERT_NE(port, 0);
    auto refused = http_request("127.0.0.1", port, http::verb::get, "/health");
    EXPECT_EQ(refused.status, 0);
    EXPECT_FALSE(refused.error.empty());
    host_.patch_instance("a", {{"listen", true}});
    EXPECT_EQ(host_.instance_port("a"), port);
    EXPECT_EQ(http_request("127.0.0.1", port, http::verb::get, "/health").status, 200);
}

TEST_F(fake_host_test, logs_socket_replays_from_since_then_follows) {
    add("a");
    host_.log("a", {"one", "two", "three"}, "stderr");
    ws_client denied;
    EXPECT_FALSE(denied.connect("127.0.0.1", host_.port(), "/instances/a/logs"));
    EXPECT_EQ(denied.handshake_status(), 401);

    ws_client ws;
    ASSERT_TRUE(ws.connect(
        "127.0.0.1", host_.port(), "/instances/a/logs?since=2", {{"X-API-Key", "host-key"}}
    ));
    auto first = ws.next_message(5s);
    ASSERT_TRUE(first);
    json line = json::parse(*first);
    EXPECT_EQ(line["seq"], 2);
    EXPECT_EQ(line["line"], "two");
    EXPECT_EQ(line["stream"], "stderr");
    EXPECT_TRUE(line["ts"].is_string());
    EXPECT_EQ(json::parse(*ws.next_message(5s))["seq"], 3);
    EXPECT_FALSE(ws.next_message(100ms));
    host_.log("a", {"four"});
    auto live = ws.next_message(5s);
    ASSERT_TRUE(live);
    EXPECT_EQ(json::parse(*live)["seq"], 4);
    EXPECT_EQ(json::parse(*live)["line"], "four");
    ws.close();

    ws_client by_query;
    ASSERT_TRUE(by_query.connect("127.0.0.1", host_.port(), "/instances/a/logs?api_key=host-key"));
    EXPECT_EQ(json::parse(*by_query.next_message(5s))["seq"], 1);
}

TEST_F(fake_host_test, restart_on_the_same_port_keeps_instances_and_logs) {
    unsigned short instance = add("a");
    host_.log("a", {"before restart"});
    unsigned short port = host_.port();
    ws_client ws;
    ASSERT_TRUE(ws.connect("127.0.0.1", port, "/instances/a/logs", {{"X-API-Key", "host-key"}}));
    ASSERT_TRUE(ws.next_message(5s));

    host_.restart_same_port();
    EXPECT_EQ(host_.port(), port);
    EXPECT_FALSE(ws.next_message(2s));
    EXPECT_TRUE(ws.closed());
    EXPECT_EQ(host_.instances()[0]["port"], instance);
    EXPECT_EQ(
        post_instance(
            instance, "/v1/chat/completions", chat_body, {{"Authorization", "Bearer key-a"}}
        ).status,
        200
    );

    host_.log("a", {"after restart"});
    ws_client again;
    ASSERT_TRUE(
        again.connect("127.0.0.1", port, "/instances/a/logs?since=1", {{"X-API-Key", "host-key"}})
    );
    EXPECT_EQ(json::parse(*again.next_message(5s))["line"], "before restart");
    json after = json::parse(*again.next_message(5s));
    EXPECT_EQ(after["seq"], 2);
    EXPECT_EQ(after["line"], "after restart");
}

}  // namespace
}  // namespace solar::test
