// solar-control routing end to end: endpoint-aware routing, alias resolution, error cases and
// what reaches the instance (resolved alias, instance key, request id).
#include <gtest/gtest.h>

#include <regex>

#include "harness/control_process.hpp"
#include "harness/fake_host.hpp"
#include "harness/raw_connection.hpp"
#include "harness/wait.hpp"

namespace solar::test {
namespace {

using namespace std::chrono_literals;
using nlohmann::json;

json chat(const std::string& model) {
    return {{"model", model}, {"messages", {{{"role", "user"}, {"content", "hello"}}}}};
}

void expect_error_shape(const http_result& answer, unsigned status, const std::string& code) {
    EXPECT_EQ(answer.status, status) << answer.body;
    auto body = answer.json();
    ASSERT_TRUE(body.contains("error")) << answer.body;
    const auto& error = body["error"];
    EXPECT_TRUE(error.at("message").is_string());
    EXPECT_TRUE(error.at("type").is_string());
    EXPECT_TRUE(error.contains("param"));
    EXPECT_EQ(error.at("code"), code) << answer.body;
}

class routing_test : public ::testing::Test {
protected:
    void SetUp() override {
        host_.start("host-key");
        host_.add_instance(
            {{"id", "chat-1"},
             {"alias", "llama3:8b"},
             {"backend_type", "llamacpp"},
             {"api_key", "k-chat"}}
        );
        host_.add_instance(
            {{"id", "embed-1"},
             {"alias", "embed:minilm"},
             {"backend_type", "huggingface_embedding"},
             {"api_key", "k-embed"}}
        );
        host_.add_instance(
            {{"id", "clf-1"},
             {"alias", "sentiment:distilbert"},
             {"backend_type", "huggingface_classification"},
             {"api_key", "k-clf"}}
        );
        host_.add_instance(
            {{"id", "causal-1"},
             {"alias", "phi-2:2.7b"},
             {"backend_type", "huggingface_causal"},
             {"api_key", "k-causal"}}
        );
        host_.add_instance(
            {{"id", "stopped-1"}, {"alias", "sleepy:1b"}, {"status", "stopped"}, {"api_key", "k-s"}}
        );
        host_.add_instance({{"id", "legacy-1"}, {"alias", "legacy:7b"}, {"api_key", "k-legacy"}}
        );  // no backend_type
        host_.add_instance(
            {{"id", "custom-1"},
             {"alias", "custom:1b"},
             {"backend_type", "llamacpp"},
             {"endpoints", {"/v1/embeddings"}},
             {"api_key", "k-custom"}}
        );
    }

    void start_control(std::vector<std::string> args = {}) {
        control_.start("gateway-key", std::move(args));
        host_id_ = control_.add_host("gpu-1", host_.url(), "host-key");
    }

    std::string answered_by(const http_result& answer) { return answer.header("x-test-instance"); }

    fake_host host_;
    control_process control_;
    std::string host_id_;
};

TEST_F(routing_test, each_endpoint_reaches_only_the_backends_that_serve_it) {
    start_control();
    auto a = control_.post("/v1/chat/completions", chat("llama3:8b"));
    EXPECT_EQ(a.status, 200) << a.body;
    EXPECT_EQ(answered_by(a), "chat-1");
    EXPECT_EQ(a.json()["choices"][0]["message"]["content"], "reply from chat-1");

    auto c = control_.post("/v1/completions", {{"model", "phi-2:2.7b"}, {"prompt", "x"}});
    EXPECT_EQ(c.status, 200) << c.body;
    EXPECT_EQ(answered_by(c), "causal-1");

    auto e = control_.post("/v1/embeddings", {{"model", "embed:minilm"}, {"input", {"a", "b"}}});
    EXPECT_EQ(e.status, 200) << e.body;
    EXPECT_EQ(answered_by(e), "embed-1");
    EXPECT_EQ(e.json()["data"].size(), 2u);

    auto k = control_.post("/v1/classify", {{"model", "sentiment:distilbert"}, {"input", "great"}});
    EXPECT_EQ(k.status, 200) << k.body;
    EXPECT_EQ(answered_by(k), "clf-1");

    // A config without backend_type is llamacpp; an explicit endpoints list wins.
    EXPECT_EQ(answered_by(control_.post("/v1/chat/completions", chat("legacy:7b"))), "legacy-1");
    EXPECT_EQ(
        answered_by(control_.post("/v1/embeddings", {{"model", "custom:1b"}, {"input", "x"}})),
        "custom-1"
    );
    expect_error_shape(
        control_.post("/v1/chat/completions", chat("custom:1b")), 400, "unsupported_endpoint"
    );
}

TEST_F(routing_test, error_cases_answer_in_the_openai_shape) {
    start_control();
    expect_error_shape(
        control_.call(http::verb::post, "/v1/chat/completions", "{not json"), 400, "invalid_json"
    );
    expect_error_shape(
        control_.call(http::verb::post, "/v1/chat/completions", "[1,2]"), 400, "invalid_json"
    );
    auto missing = control_.post("/v1/chat/completions", {{"messages", json::array()}});
    expect_error_shape(missing, 400, "missing_model");
    EXPECT_EQ(missing.json()["error"]["param"], "model");
    expect_error_shape(
        control_.post("/v1/chat/completions", {{"model", 42}}), 400, "missing_model"
    );

    auto unknown = control_.post("/v1/chat/completions", chat("nope:1b"));
    expect_error_shape(unknown, 404, "model_not_found");

    auto wrong = control_.post("/v1/chat/completions", chat("embed:minilm"));
    expect_error_shape(wrong, 400, "unsupported_endpoint");
    EXPECT_NE(
        wrong.json()["error"]["message"].get<std::string>().find("/v1/embeddings"),
        std::string::npos
    ) << "the message names the endpoints the alias does serve";

    expect_error_shape(
        control_.post("/v1/chat/completions", chat("sleepy:1b")), 503, "no_running_instance"
    );
    // Nothing reached an instance for these.
    EXPECT_TRUE(host_.requests("chat-1").empty());
}

TEST_F(routing_test, upstream_request_carries_instance_key_request_id_and_body) {
    start_control();
    auto answer = control_.call(
        http::verb::post,
        "/v1/chat/completions",
        chat("llama3:8b").dump(),
        {{"X-Request-Id", "trace-abc-123"}}
    );
    ASSERT_EQ(answer.status, 200) << answer.body;
    EXPECT_EQ(answer.header("x-request-id"), "trace-abc-123");
    auto seen = host_.requests("chat-1");
    ASSERT_EQ(seen.size(), 1u);
    EXPECT_EQ(seen[0]["path"], "/v1/chat/completions");
    EXPECT_EQ(seen[0]["headers"]["authorization"], "Bearer k-chat");
    EXPECT_EQ(seen[0]["headers"]["x-request-id"], "trace-abc-123");
    EXPECT_FALSE(seen[0]["headers"].contains("x-api-key"))
        << "the gateway key must not leak upstream";
    EXPECT_EQ(json::parse(seen[0]["body"].get<std::string>()), chat("llama3:8b"));

    // Without an incoming id the gateway makes one and sends the same one both ways.
    auto fresh = control_.post("/v1/chat/completions", chat("llama3:8b"));
    auto made = fresh.header("x-request-id");
    EXPECT_FALSE(made.empty());
    EXPECT_EQ(host_.requests("chat-1")[1]["headers"]["x-request-id"], made);
}

TEST_F(routing_test, instance_status_codes_and_bodies_pass_through) {
    host_.patch_instance("chat-1", {{"status_code", 429}});
    start_control();
    auto answer = control_.post("/v1/chat/completions", chat("llama3:8b"));
    EXPECT_EQ(answer.status, 429);
    EXPECT_EQ(answer.header("x-test-instance"), "chat-1");
    EXPECT_TRUE(answer.json().contains("error"));
}

TEST_F(routing_test, models_list_has_one_entry_per_routable_alias_with_endpoints) {
    start_control();
    auto models = control_.get("/v1/models");
    ASSERT_EQ(models.status, 200);
    auto body = models.json();
    EXPECT_EQ(body["object"], "list");
    std::map<std::string, json> by_id;
    for (const auto& entry : body["data"]) by_id[entry["id"]] = entry;
    EXPECT_FALSE(by_id.count("sleepy:1b")) << "stopped instances are not routable";
    ASSERT_TRUE(by_id.count("llama3:8b"));
    const auto& llama = by_id["llama3:8b"];
    EXPECT_EQ(llama["object"], "model");
    EXPECT_TRUE(llama["owned_by"].is_string());
    EXPECT_TRUE(llama["created"].is_number_integer());
    EXPECT_EQ(llama["endpoints"], json({"/v1/chat/completions", "/v1/completions"}));
    EXPECT_EQ(llama["instances"], 1);
    EXPECT_EQ(by_id["embed:minilm"]["endpoints"], json({"/v1/embeddings"}));
    EXPECT_EQ(by_id["sentiment:distilbert"]["endpoints"], json({"/v1/classify"}));

    EXPECT_EQ(control_.get("/v1/models/llama3:8b").json()["id"], "llama3:8b");
    expect_error_shape(control_.get("/v1/models/unknown"), 404, "model_not_found");
}

TEST_F(routing_test, prefix_fallback_is_off_by_default) {
    start_control();
    expect_error_shape(
        control_.post("/v1/chat/completions", chat("llama3")), 404, "model_not_found"
    );
}

TEST_F(routing_test, prefix_fallback_resolves_and_sends_the_resolved_alias) {
    host_.add_instance(
        {{"id", "chat-2"},
         {"alias", "llama3.1:70b"},
         {"backend_type", "llamacpp"},
         {"api_key", "k2"}}
    );
    start_control({"--alias-prefix-fallback"});
    auto answer = control_.post("/v1/chat/completions", chat("llama3"));
    ASSERT_EQ(answer.status, 200) << answer.body;
    // "llama3:8b" wins over "llama3.1:70b": the request ends at a ':' tag boundary.
    EXPECT_EQ(answer.header("x-test-instance"), "chat-1");
    auto seen = host_.requests("chat-1");
    ASSERT_EQ(seen.size(), 1u);
    EXPECT_EQ(json::parse(seen[0]["body"].get<std::string>())["model"], "llama3:8b");
}

TEST_F(routing_test, each_request_leaves_one_access_line) {
    start_control();
    ASSERT_TRUE(control_.wait_for_model("llama3:8b"));
    auto answer = control_.call(
        http::verb::post,
        "/v1/chat/completions",
        chat("llama3:8b").dump(),
        {{"x-request-id", "trace-routed-1"}}
    );
    ASSERT_EQ(answer.status, 200u) << answer.body;
    auto missing = control_.call(
        http::verb::post,
        "/v1/chat/completions",
        chat("nobody:1b").dump(),
        {{"x-request-id", "trace-missing-1"}}
    );
    ASSERT_EQ(missing.status, 404u);

    // The same line shape as every other log line: local time to the millisecond with its
    // offset, the level, the component.
    const std::regex routed(
        R"(\n\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\.\d{3}[+-]\d\d:\d\d info )"
        R"(\[access\] trace-routed-1 POST /v1/chat/completions model=llama3:8b )"
        R"(upstream=gpu-1/chat-1 status=200 \d+\.\d\dms)"
    );
    const std::regex unrouted(
        R"(\[access\] trace-missing-1 POST /v1/chat/completions model=nobody:1b )"
        R"(upstream=- status=404 \d+\.\d\dms)"
    );
    std::string log;
    EXPECT_TRUE(wait_until(
        [&] {
            log = control_.process().output();
            return std::regex_search(log, routed) && std::regex_search(log, unrouted);
        },
        5s
    )) << log;
    EXPECT_EQ(log.find("k-chat"), std::string::npos) << "the instance key is never logged";
}

TEST_F(routing_test, a_relayed_answer_keeps_an_http_1_0_connection_only_when_asked) {
    start_control();
    ASSERT_TRUE(control_.wait_for_model("llama3:8b"));
    auto body = chat("llama3:8b").dump();
    auto request = [&](const std::string& connection) {
        return "POST /v1/chat/completions HTTP/1.0\r\nHost: gateway\r\nX-API-Key: gateway-key\r\n"
               "Content-Type: application/json\r\n" +
               connection + "Content-Length: " + std::to_string(body.size()) + "\r\n\r\n" + body;
    };
    raw_connection c(control_.port());
    c.send(request("Connection: keep-alive\r\n"));
    auto kept = c.read();
    EXPECT_EQ(kept.result_int(), 200u) << kept.body();
    EXPECT_EQ(kept.version(), 10u);
    EXPECT_EQ(kept[http::field::connection], "keep-alive");
    EXPECT_EQ(kept["x-test-instance"], "chat-1");
    EXPECT_EQ(kept[http::field::content_length], std::to_string(kept.body().size()));
    EXPECT_FALSE(kept["x-request-id"].empty());
    EXPECT_TRUE(json::parse(kept.body()).contains("choices")) << kept.body();

    c.send(request(""));
    auto last = c.read();
    EXPECT_EQ(last.result_int(), 200u) << last.body();
    EXPECT_FALSE(last.keep_alive());
    EXPECT_THROW(c.read(), boost::system::system_error) << "closed after an HTTP/1.0 answer";
}

TEST_F(routing_test, starting_an_instance_through_the_gateway_makes_it_routable) {
    start_control();
    expect_error_shape(
        control_.post("/v1/chat/completions", chat("sleepy:1b")), 503, "no_running_instance"
    );
    auto started =
        control_.call(http::verb::post, "/hosts/" + host_id_ + "/instances/stopped-1/start");
    ASSERT_EQ(started.status, 200) << started.body;
    EXPECT_EQ(started.json()["status"], "running");
    ASSERT_TRUE(wait_until(
        [&] { return control_.post("/v1/chat/completions", chat("sleepy:1b")).status == 200; }, 5s
    ));

    auto stopped =
        control_.call(http::verb::post, "/hosts/" + host_id_ + "/instances/stopped-1/stop");
    ASSERT_EQ(stopped.status, 200);
    EXPECT_TRUE(wait_until(
        [&] { return control_.post("/v1/chat/completions", chat("sleepy:1b")).status == 503; }, 5s
    ));
}

}  // namespace
}  // namespace solar::test
