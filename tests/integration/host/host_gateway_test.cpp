// The whole path: solar-control in front of a real solar-host running the llama-server
// stand-in; a chat completion, whole and streamed, through the gateway; start/stop through it.
#include <gtest/gtest.h>

#include "harness/control_process.hpp"
#include "harness/sse_reader.hpp"
#include "harness/wait.hpp"
#include "harness/ws_client.hpp"
#include "host/host_process.hpp"

namespace solar::test {
namespace {

using namespace std::chrono_literals;
using nlohmann::json;

TEST(host_gateway_test, chat_through_the_gateway_reaches_the_hosts_instance) {
    host_process host;
    host.start("host-key");
    auto id = host.create(llama_config(host.model_file("m.gguf"), "tiny:1m", "instance-key"))["id"]
                  .get<std::string>();
    host.start_instance(id);
    ASSERT_TRUE(host.wait_for_status(id, "running"));

    control_process control;
    control.start("gateway-key", {"--refresh-interval-ms", "500"});
    control.add_host("gpu-1", host.url(), "host-key");
    ASSERT_TRUE(control.wait_for_model("tiny:1m")) << control.get("/v1/models").body;
    auto models = control.get("/v1/models").json();
    EXPECT_EQ(models["data"][0]["endpoints"], json({"/v1/chat/completions", "/v1/completions"}));

    json request = {
        {"model", "tiny:1m"},
        {"messages", {{{"role", "user"}, {"content", "hello"}}}},
        {"max_tokens", 5}};
    auto whole = control.post("/v1/chat/completions", request);
    ASSERT_EQ(whole.status, 200) << whole.body;
    auto body = whole.json();
    EXPECT_EQ(body["object"], "chat.completion");
    EXPECT_EQ(body["model"], "tiny:1m");
    EXPECT_EQ(body["usage"]["completion_tokens"], 5);
    EXPECT_FALSE(body["choices"][0]["message"]["content"].get<std::string>().empty());

    request["stream"] = true;
    sse_reader stream(
        "127.0.0.1",
        control.port(),
        "/v1/chat/completions",
        request.dump(),
        {{"X-API-Key", "gateway-key"}}
    );
    ASSERT_EQ(stream.status(), 200u);
    std::vector<std::string> events;
    while (auto event = stream.next_event(10s)) {
        events.push_back(*event);
        if (*event == "[DONE]") break;
    }
    ASSERT_GE(events.size(), 3u);
    EXPECT_EQ(events.back(), "[DONE]");
    auto last = json::parse(events[events.size() - 2]);
    EXPECT_EQ(last["choices"][0]["finish_reason"], "length");
    EXPECT_EQ(json::parse(events[0])["object"], "chat.completion.chunk");

    // The generation shows on the host, and the host's log lines reach the gateway's log
    // socket, tagged: connect, then make the child log something.
    EXPECT_TRUE(wait_until([&] {
        return host.get("/instances/" + id + "/last-generation").status == 200;
    }));
    ws_client logs;
    ASSERT_TRUE(logs.connect(
        "127.0.0.1", control.port(), "/ws/logs?instance_id=" + id, {{"X-API-Key", "gateway-key"}}
    ));
    request["stream"] = false;
    bool tagged_line = false;
    for (int attempt = 0; attempt < 20 && !tagged_line; ++attempt) {
        ASSERT_EQ(control.post("/v1/chat/completions", request).status, 200);
        while (auto line = logs.next_message(500ms)) {
            auto tagged = json::parse(*line);
            EXPECT_EQ(tagged["instance_id"], id);
            EXPECT_EQ(tagged["alias"], "tiny:1m");
            EXPECT_EQ(tagged["host_name"], "gpu-1");
            tagged_line = true;
        }
    }
    EXPECT_TRUE(tagged_line) << "no log line reached the gateway's socket";

    // Stop through the gateway: the host stops it and the alias leaves the routing table.
    auto hosts = control.get("/hosts").json();
    std::string host_id = hosts[0]["id"];
    auto stopped =
        control.call(http::verb::post, "/hosts/" + host_id + "/instances/" + id + "/stop");
    EXPECT_EQ(stopped.status, 200) << stopped.body;
    EXPECT_EQ(host.instance(id)["status"], "stopped");
    EXPECT_TRUE(wait_until([&] {
        return control.post("/v1/chat/completions", request).status == 503;
    }));
}

}  // namespace
}  // namespace solar::test
