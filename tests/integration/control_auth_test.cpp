// Authentication end to end: every route but the health checks refuses a missing or wrong key
// with 401 in the OpenAI shape, accepts X-API-Key and Bearer, and refuses ?api_key= except on
// the /ws/logs upgrade; with no key configured one is generated once into DATA_DIR/api_key.
#include <gtest/gtest.h>

#include <fstream>
#include <sys/stat.h>

#include "harness/control_process.hpp"
#include "harness/fake_host.hpp"
#include "harness/wait.hpp"
#include "harness/ws_client.hpp"

namespace solar::test {
namespace {

using namespace std::chrono_literals;
using nlohmann::json;

struct route_case {
    http::verb method;
    std::string target;
    std::string body;  // "" = none

    std::string name() const { return std::string(http::to_string(method)) + " " + target; }
};

json chat(const std::string& model) {
    return {{"model", model}, {"messages", {{{"role", "user"}, {"content", "hello"}}}}};
}

void expect_unauthorized(const http_result& answer, const std::string& what) {
    ASSERT_EQ(answer.status, 401u) << what << ": " << answer.body << answer.error;
    auto body = json::parse(answer.body, nullptr, false);
    ASSERT_TRUE(body.is_object() && body.contains("error")) << what << ": " << answer.body;
    const auto& error = body["error"];
    EXPECT_TRUE(error.value("message", json()).is_string()) << what;
    EXPECT_EQ(error.value("type", json()), "authentication_error") << what;
    EXPECT_TRUE(error.contains("param")) << what;
    EXPECT_TRUE(error["param"].is_null()) << what;
    EXPECT_EQ(error.value("code", json()), "invalid_api_key") << what;
}

class auth_test : public ::testing::Test {
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
        // The instance actions go to this one, so that chat-1 stays routable throughout.
        host_.add_instance(
            {{"id", "spare-1"},
             {"alias", "spare:1b"},
             {"backend_type", "llamacpp"},
             {"status", "stopped"},
             {"api_key", "k-spare"}}
        );
    }

    // Every authenticated route, with a body that makes it succeed given the right key.
    std::vector<route_case> routes(const std::string& host_id) const {
        std::string host = "/hosts/" + host_id;
        json new_host = {{"name", "other"}, {"url", "http://127.0.0.1:1"}, {"api_key", "x"}};
        return {
            {http::verb::get, "/hosts", ""},
            {http::verb::post, "/hosts", new_host.dump()},
            {http::verb::get, host, ""},
            {http::verb::patch, host, json{{"name", "renamed"}}.dump()},
            {http::verb::get, host + "/instances", ""},
            {http::verb::post, host + "/instances/spare-1/start", ""},
            {http::verb::post, host + "/instances/spare-1/stop", ""},
            {http::verb::post, host + "/instances/spare-1/restart", ""},
            {http::verb::get, "/v1/models", ""},
            {http::verb::get, "/v1/models/llama3:8b", ""},
            {http::verb::post, "/v1/chat/completions", chat("llama3:8b").dump()},
            {http::verb::post,
             "/v1/completions",
             json{{"model", "llama3:8b"}, {"prompt", "x"}}.dump()},
            {http::verb::post,
             "/v1/embeddings",
             json{{"model", "embed:minilm"}, {"input", "x"}}.dump()},
            {http::verb::post,
             "/v1/classify",
             json{{"model", "sentiment:distilbert"}, {"input", "x"}}.dump()},
            // Last: it removes the host the others need.
            {http::verb::delete_, host, ""},
        };
    }

    http_result send(
        const route_case& route,
        std::map<std::string, std::string> headers,
        const std::string& query = ""
    ) const {
        std::string target = route.target + query;
        return http_request(
            "127.0.0.1", control_.port(), route.method, target, route.body, std::move(headers)
        );
    }

    fake_host host_;
    control_process control_;
};

TEST_F(auth_test, every_route_refuses_a_missing_or_wrong_key_with_401) {
    control_.start("gateway-key");
    auto host_id = control_.add_host("gpu-1", host_.url(), "host-key");
    ASSERT_TRUE(control_.wait_for_model("llama3:8b"));
    host_.clear_requests();
    // Host API calls other than the gateway's log subscriptions, which connect on their own.
    auto api_calls = [&] {
        std::size_t n = 0;
        for (const auto& call : host_.calls()) {
            if (!call["path"].get<std::string>().ends_with("/logs")) ++n;
        }
        return n;
    };
    auto calls_before = api_calls();

    for (const auto& route : routes(host_id)) {
        auto what = route.name();
        expect_unauthorized(send(route, {}), what + " without a key");
        expect_unauthorized(send(route, {{"X-API-Key", "wrong-key"}}), what + " wrong X-API-Key");
        expect_unauthorized(
            send(route, {{"Authorization", "Bearer wrong-key"}}), what + " wrong Bearer"
        );
        expect_unauthorized(send(route, {{"X-API-Key", ""}}), what + " empty X-API-Key");
        expect_unauthorized(
            send(route, {{"X-API-Key", "gateway-key-and-more"}}), what + " key with a suffix"
        );
        expect_unauthorized(send(route, {{"X-API-Key", "gateway-ke"}}), what + " key prefix");
        expect_unauthorized(
            send(route, {{"Authorization", "Basic gateway-key"}}), what + " another scheme"
        );
        expect_unauthorized(send(route, {{"Authorization", "gateway-key"}}), what + " no scheme");
        // Query keys are for browsers' WebSockets only; elsewhere they would end up in logs.
        expect_unauthorized(send(route, {}, "?api_key=gateway-key"), what + " ?api_key=");
    }

    // Refused requests had no effect: nothing reached the host or an instance, nothing changed.
    EXPECT_TRUE(host_.requests().empty()) << host_.requests().dump();
    EXPECT_EQ(api_calls(), calls_before) << host_.calls().dump();
    auto hosts = control_.get("/hosts").json();
    ASSERT_EQ(hosts.size(), 1u) << hosts.dump();
    EXPECT_EQ(hosts[0]["name"], "gpu-1");
}

TEST_F(auth_test, every_route_accepts_the_key_as_x_api_key_or_bearer) {
    control_.start("gateway-key");
    auto host_id = control_.add_host("gpu-1", host_.url(), "host-key");
    ASSERT_TRUE(control_.wait_for_model("llama3:8b"));

    int other_hosts = 0;
    for (const auto& route : routes(host_id)) {
        for (bool bearer : {false, true}) {
            std::map<std::string, std::string> headers;
            if (bearer) {
                headers["Authorization"] = "Bearer gateway-key";
            } else {
                headers["X-API-Key"] = "gateway-key";
            }
            auto what = route.name() + (bearer ? " with Bearer" : " with X-API-Key");
            if (route.method == http::verb::post && route.target == "/hosts") {
                // Distinct URLs, or the second registration would be a 409.
                auto body = json::parse(route.body);
                body["url"] = "http://127.0.0.1:" + std::to_string(++other_hosts);
                auto answer = http_request(
                    "127.0.0.1", control_.port(), route.method, route.target, body.dump(), headers
                );
                EXPECT_EQ(answer.status, 201u) << what << ": " << answer.body;
                continue;
            }
            if (route.method == http::verb::delete_ && bearer) {
                // The host is gone after the first DELETE; the second proves auth by its 404.
                auto answer = send(route, headers);
                EXPECT_EQ(answer.status, 404u) << what << ": " << answer.body;
                EXPECT_EQ(answer.json()["error"]["code"], "host_not_found") << what;
                continue;
            }
            auto answer = send(route, headers);
            EXPECT_EQ(answer.status, 200u) << what << ": " << answer.body << answer.error;
        }
    }
}

TEST_F(auth_test, health_checks_are_public) {
    control_.start("gateway-key");
    for (const std::string target : {"/health", "/healthz"}) {
        auto answer = http_request("127.0.0.1", control_.port(), http::verb::get, target);
        EXPECT_EQ(answer.status, 200u) << target << ": " << answer.body;
    }
    EXPECT_EQ(
        http_request("127.0.0.1", control_.port(), http::verb::get, "/health").json()["service"],
        "solar-control"
    );
    EXPECT_TRUE(wait_until(
        [&] {
            return http_request("127.0.0.1", control_.port(), http::verb::get, "/readyz").status ==
                   200;
        },
        10s
    ));
    // Public does not mean "any method": the table still answers 405 for the others.
    EXPECT_EQ(
        http_request("127.0.0.1", control_.port(), http::verb::post, "/health", "{}").status, 405u
    );
}

TEST_F(auth_test, log_websocket_needs_the_key_as_header_bearer_or_query) {
    control_.start("gateway-key");
    auto port = control_.port();
    {
        ws_client ws;
        EXPECT_FALSE(ws.connect("127.0.0.1", port, "/ws/logs"));
        EXPECT_EQ(ws.handshake_status(), 401u);
    }
    {
        ws_client ws;
        EXPECT_FALSE(ws.connect("127.0.0.1", port, "/ws/logs", {{"X-API-Key", "wrong"}}));
        EXPECT_EQ(ws.handshake_status(), 401u);
    }
    {
        ws_client ws;
        EXPECT_FALSE(ws.connect("127.0.0.1", port, "/ws/logs?api_key=wrong"));
        EXPECT_EQ(ws.handshake_status(), 401u);
    }
    {
        ws_client ws;
        EXPECT_FALSE(ws.connect("127.0.0.1", port, "/ws/logs?api_key="));
        EXPECT_EQ(ws.handshake_status(), 401u);
    }
    {
        ws_client ws;
        EXPECT_TRUE(ws.connect("127.0.0.1", port, "/ws/logs", {{"X-API-Key", "gateway-key"}}));
        EXPECT_EQ(ws.handshake_status(), 101u);
        ws.close();
    }
    {
        ws_client ws;
        EXPECT_TRUE(
            ws.connect("127.0.0.1", port, "/ws/logs", {{"Authorization", "Bearer gateway-key"}})
        );
        ws.close();
    }
    {
        ws_client ws;
        EXPECT_TRUE(ws.connect("127.0.0.1", port, "/ws/logs?api_key=gateway-key"));
        EXPECT_EQ(ws.handshake_status(), 101u);
        ws.close();
    }
    {
        // With filters around it.
        ws_client ws;
        EXPECT_TRUE(ws.connect("127.0.0.1", port, "/ws/logs?host_id=x&api_key=gateway-key&y=1"));
        ws.close();
    }
    // A plain GET with the key is no upgrade: refused, but not as an auth failure.
    auto plain = control_.get("/ws/logs");
    EXPECT_EQ(plain.status, 400u) << plain.body;
    expect_unauthorized(
        http_request("127.0.0.1", port, http::verb::get, "/ws/logs"), "plain GET /ws/logs"
    );
}

TEST_F(auth_test, without_a_configured_key_one_is_generated_once_and_kept) {
    // An API_KEY in the test's own environment must not leak in.
    control_.start("", {}, {{"API_KEY", ""}});
    auto key_file = control_.data().file("api_key");
    struct stat info {};
    ASSERT_EQ(::stat(key_file.c_str(), &info), 0) << key_file;
    EXPECT_EQ(info.st_mode & 0777, 0600u) << std::oct << (info.st_mode & 0777);

    std::string key = control_.api_key();
    ASSERT_GE(key.size(), 32u) << "a strong key";
    auto log = control_.process().output();
    EXPECT_NE(log.find(key_file.string()), std::string::npos) << "the log names the file:\n" << log;
    EXPECT_EQ(log.find(key), std::string::npos) << "the key itself must never be logged";

    // It is the key, and the gateway is not open.
    EXPECT_EQ(control_.get("/hosts").status, 200u);
    EXPECT_EQ(
        http_request(
            "127.0.0.1",
            control_.port(),
            http::verb::get,
            "/hosts",
            "",
            {{"Authorization", "Bearer " + key}}
        ).status,
        200u
    );
    expect_unauthorized(
        http_request("127.0.0.1", control_.port(), http::verb::get, "/hosts"), "no key"
    );
    expect_unauthorized(
        http_request(
            "127.0.0.1", control_.port(), http::verb::get, "/hosts", "", {{"X-API-Key", ""}}
        ),
        "empty key"
    );

    // A second start without a key reads the same file instead of making a new key.
    control_.stop();
    control_.start("", {}, {{"API_KEY", ""}});
    EXPECT_EQ(control_.api_key(), key);
    auto reused = http_request(
        "127.0.0.1", control_.port(), http::verb::get, "/hosts", "", {{"X-API-Key", key}}
    );
    EXPECT_EQ(reused.status, 200u) << reused.body;
    std::ifstream in(key_file);
    std::string on_disk;
    std::getline(in, on_disk);
    EXPECT_EQ(on_disk, key);
    auto second_log = control_.process().output();
    EXPECT_NE(second_log.find(key_file.string()), std::string::npos) << second_log;
    EXPECT_EQ(second_log.find(key), std::string::npos);
}

TEST_F(auth_test, a_configured_key_writes_no_key_file) {
    control_.start("configured-key", {}, {});
    EXPECT_FALSE(std::filesystem::exists(control_.data().file("api_key")));
    EXPECT_EQ(
        http_request(
            "127.0.0.1",
            control_.port(),
            http::verb::get,
            "/hosts",
            "",
            {{"X-API-Key", "configured-key"}}
        ).status,
        200u
    );
    EXPECT_EQ(control_.process().output().find("configured-key"), std::string::npos)
        << "the configured key is never logged either";
}

}  // namespace
}  // namespace solar::test
