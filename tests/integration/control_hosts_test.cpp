// The host registry over HTTP: validation in the OpenAI error shape, duplicate URLs (also after
// normalisation), the public view without keys, PATCH of each field, DELETE, status
// bookkeeping, and hosts kept across a gateway restart.
#include <gtest/gtest.h>

#include <regex>
#include <set>

#include "harness/control_process.hpp"
#include "harness/fake_host.hpp"
#include "harness/wait.hpp"

namespace solar::test {
namespace {

using namespace std::chrono_literals;
using nlohmann::json;

const std::string host_key = "secret-host-key-4711";

json chat(const std::string& model) {
    return {{"model", model}, {"messages", {{{"role", "user"}, {"content", "hello"}}}}};
}

// Checks the OpenAI error shape and returns the error object.
json expect_error(
    const http_result& answer,
    unsigned status,
    const std::string& code,
    const std::string& what = ""
) {
    EXPECT_EQ(answer.status, status) << what << ": " << answer.body;
    auto body = json::parse(answer.body, nullptr, false);
    if (!body.is_object() || !body.contains("error")) {
        ADD_FAILURE() << what << ": not an error body: " << answer.body;
        return json::object();
    }
    const auto& error = body["error"];
    EXPECT_TRUE(error.value("message", json()).is_string()) << what;
    EXPECT_TRUE(error.value("type", json()).is_string()) << what;
    EXPECT_TRUE(error.contains("param")) << what;
    EXPECT_EQ(error.value("code", json()), code) << what << ": " << answer.body;
    return error;
}

// A 400 that names `field` in param and in the message, with one of the validation codes.
void expect_field_error(
    const http_result& answer, const std::string& field, const std::string& what
) {
    EXPECT_EQ(answer.status, 400u) << what << ": " << answer.body;
    auto body = json::parse(answer.body, nullptr, false);
    if (!body.is_object() || !body.contains("error")) {
        ADD_FAILURE() << what << ": not an error body: " << answer.body;
        return;
    }
    const auto& error = body["error"];
    EXPECT_EQ(error.value("type", json()), "invalid_request_error") << what;
    EXPECT_EQ(error.value("param", json()), field) << what << ": " << answer.body;
    EXPECT_NE(error.value("message", std::string()).find(field), std::string::npos)
        << what << ": the message names the field: " << answer.body;
    static const std::set<std::string> codes = {
        "missing_field", "invalid_type", "invalid_value", "invalid_url"};
    EXPECT_TRUE(codes.count(error.value("code", std::string()))) << what << ": " << answer.body;
}

bool is_iso8601_utc(const json& value) {
    static const std::regex pattern(R"(^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\dZ$)");
    return value.is_string() && std::regex_match(value.get<std::string>(), pattern);
}

std::set<std::string> model_ids(const control_process& control) {
    std::set<std::string> out;
    auto body = control.get("/v1/models").json();
    for (const auto& model : body["data"]) out.insert(model["id"].get<std::string>());
    return out;
}

class hosts_test : public ::testing::Test {
protected:
    void SetUp() override {
        a_.start(host_key);
        a_.add_instance(
            {{"id", "a-1"}, {"alias", "alpha:1b"}, {"backend_type", "llamacpp"}, {"api_key", "ka"}}
        );
        a_.add_instance(
            {{"id", "a-2"},
             {"alias", "alpha-embed:1b"},
             {"backend_type", "huggingface_embedding"},
             {"api_key", "ka2"}}
        );
        control_.start("gateway-key");
    }

    http_result create(const json& body) const { return control_.post("/hosts", body); }

    http_result patch(const std::string& id, const json& body) const {
        return control_.call(http::verb::patch, "/hosts/" + id, body.dump());
    }

    json host_body(const std::string& url, const std::string& name = "gpu-1") const {
        return {{"name", name}, {"url", url}, {"api_key", host_key}};
    }

    // Every answer about hosts must keep the host's key to itself.
    void expect_no_key(const http_result& answer) const {
        EXPECT_EQ(answer.body.find(host_key), std::string::npos) << answer.body;
        EXPECT_EQ(answer.body.find("\"api_key\""), std::string::npos) << answer.body;
    }

    fake_host a_;
    control_process control_;
};

TEST_F(hosts_test, create_validates_every_field_and_names_it) {
    const std::string url = a_.url();
    struct bad_case {
        json body;
        std::string field;
        std::string what;
    };
    std::vector<bad_case> cases = {
        {{{"url", url}, {"api_key", host_key}}, "name", "missing name"},
        {{{"name", ""}, {"url", url}, {"api_key", host_key}}, "name", "empty name"},
        {{{"name", "   "}, {"url", url}, {"api_key", host_key}}, "name", "blank name"},
        {{{"name", 42}, {"url", url}, {"api_key", host_key}}, "name", "numeric name"},
        {{{"name", nullptr}, {"url", url}, {"api_key", host_key}}, "name", "null name"},
        {{{"name", "n"}, {"api_key", host_key}}, "url", "missing url"},
        {{{"name", "n"}, {"url", ""}, {"api_key", host_key}}, "url", "empty url"},
        {{{"name", "n"}, {"url", "ftp://10.0.0.1:8001"}, {"api_key", host_key}}, "url", "ftp"},
        {{{"name", "n"}, {"url", "10.0.0.1:8001"}, {"api_key", host_key}}, "url", "no scheme"},
        {{{"name", "n"}, {"url", "http://"}, {"api_key", host_key}}, "url", "no host"},
        {{{"name", "n"}, {"url", "http://:8001"}, {"api_key", host_key}}, "url", "empty host"},
        {{{"name", "n"}, {"url", "http://h:0"}, {"api_key", host_key}}, "url", "port 0"},
        {{{"name", "n"}, {"url", "http://h:65536"}, {"api_key", host_key}}, "url", "port 65536"},
        {{{"name", "n"}, {"url", "http://h:abc"}, {"api_key", host_key}}, "url", "port abc"},
        {{{"name", "n"}, {"url", 8001}, {"api_key", host_key}}, "url", "numeric url"},
        {{{"name", "n"}, {"url", "http://h:1?x=1"}, {"api_key", host_key}}, "url", "query"},
        {{{"name", "n"}, {"url", "http://u:p@h:1"}, {"api_key", host_key}}, "url", "userinfo"},
        {{{"name", "n"}, {"url", url}}, "api_key", "missing api_key"},
        {{{"name", "n"}, {"url", url}, {"api_key", ""}}, "api_key", "empty api_key"},
        {{{"name", "n"}, {"url", url}, {"api_key", 7}}, "api_key", "numeric api_key"},
        {{{"name", "n"}, {"url", url}, {"api_key", "a\r\nX-Evil: 1"}}, "api_key", "CRLF key"},
        {{{"name", "n"}, {"url", url}, {"api_key", host_key}, {"ca_file", 3}},
         "ca_file",
         "numeric ca_file"},
    };
    for (const auto& c : cases) {
        auto answer = create(c.body);
        expect_field_error(answer, c.field, c.what);
        EXPECT_EQ(answer.header("content-type"), "application/json") << c.what;
    }

    // Bodies that are no JSON object at all.
    for (const std::string raw : {"{not json", "[1,2]", "\"text\"", "42", ""}) {
        auto answer =
            control_.call(http::verb::post, "/hosts", raw, {{"Content-Type", "application/json"}});
        expect_error(answer, 400, "invalid_json", "body " + raw);
    }

    // Nothing of that was stored, and the host was never called.
    auto hosts = control_.get("/hosts");
    ASSERT_EQ(hosts.status, 200u);
    EXPECT_EQ(hosts.json(), json::array());
    EXPECT_TRUE(a_.calls().empty()) << a_.calls().dump();
}

TEST_F(hosts_test, create_answers_201_with_the_polled_host_and_never_its_key) {
    auto answer = create(host_body(a_.url() + "/"));
    ASSERT_EQ(answer.status, 201u) << answer.body;
    expect_no_key(answer);
    auto host = answer.json();
    EXPECT_TRUE(host["id"].is_string());
    EXPECT_FALSE(host["id"].get<std::string>().empty());
    EXPECT_EQ(host["name"], "gpu-1");
    EXPECT_EQ(host["url"], a_.url()) << "stored normalised, without the trailing slash";
    EXPECT_EQ(host["api_key_set"], true);
    EXPECT_EQ(host["status"], "online") << "polled before the answer";
    EXPECT_TRUE(is_iso8601_utc(host["last_seen"])) << host.dump();
    EXPECT_TRUE(host["last_error"].is_null()) << host.dump();
    EXPECT_EQ(host["instance_count"], 2);
    EXPECT_TRUE(host["ca_file"].is_null());

    // The first poll used the host's key.
    bool polled = false;
    for (const auto& call : a_.calls()) {
        EXPECT_EQ(call["authorized"], true) << call.dump();
        polled = polled || call["path"] == "/instances";
    }
    EXPECT_TRUE(polled) << a_.calls().dump();

    // Its instances are routable at once.
    EXPECT_EQ(model_ids(control_), (std::set<std::string>{"alpha:1b", "alpha-embed:1b"}));

    auto id = host["id"].get<std::string>();
    auto one = control_.get("/hosts/" + id);
    ASSERT_EQ(one.status, 200u);
    expect_no_key(one);
    EXPECT_EQ(one.json(), host);
    auto all = control_.get("/hosts");
    ASSERT_EQ(all.status, 200u);
    expect_no_key(all);
    ASSERT_EQ(all.json().size(), 1u);
    EXPECT_EQ(all.json()[0], host);

    auto instances = control_.get("/hosts/" + id + "/instances");
    ASSERT_EQ(instances.status, 200u) << instances.body;
    std::set<std::string> ids;
    for (const auto& instance : instances.json()) ids.insert(instance["id"].get<std::string>());
    EXPECT_EQ(ids, (std::set<std::string>{"a-1", "a-2"}));
}

TEST_F(hosts_test, duplicate_urls_are_refused_with_409_also_after_normalisation) {
    ASSERT_EQ(create(host_body(a_.url())).status, 201u);
    std::string port = std::to_string(a_.port());
    for (const std::string same :
         {a_.url(),
          a_.url() + "/",
          a_.url() + "//",
          "HTTP://127.0.0.1:" + port,
          " " + a_.url() + " "}) {
        auto answer = create(host_body(same, "again"));
        auto error = expect_error(answer, 409, "duplicate_url", same);
        EXPECT_EQ(error.value("param", json()), "url") << same;
    }
    // Host name case and the scheme's default port (closed ports: these polls fail at once).
    ASSERT_EQ(create(host_body("http://localhost:9", "named")).status, 201u);
    expect_error(create(host_body("http://LocalHost:9/", "x")), 409, "duplicate_url");
    ASSERT_EQ(create(host_body("http://localhost", "default")).status, 201u);
    expect_error(create(host_body("http://localhost:80", "x")), 409, "duplicate_url");
    // Another scheme or port is another host.
    EXPECT_EQ(create(host_body("https://localhost:9", "tls")).status, 201u);
    EXPECT_EQ(create(host_body("http://localhost:7", "p")).status, 201u);
    EXPECT_EQ(control_.get("/hosts").json().size(), 5u);
}

TEST_F(hosts_test, unknown_ids_answer_404_on_every_host_route) {
    const std::string id = "00000000-0000-4000-8000-000000000000";
    std::vector<std::pair<http::verb, std::string>> routes = {
        {http::verb::get, "/hosts/" + id},
        {http::verb::patch, "/hosts/" + id},
        {http::verb::delete_, "/hosts/" + id},
        {http::verb::get, "/hosts/" + id + "/instances"},
        {http::verb::post, "/hosts/" + id + "/instances/a-1/start"},
        {http::verb::post, "/hosts/" + id + "/instances/a-1/stop"},
        {http::verb::post, "/hosts/" + id + "/instances/a-1/restart"},
    };
    for (const auto& [method, target] : routes) {
        std::string body = method == http::verb::patch ? R"({"name":"x"})" : "";
        auto answer = control_.call(method, target, body);
        auto what = std::string(http::to_string(method)) + " " + target;
        auto error = expect_error(answer, 404, "host_not_found", what);
        EXPECT_NE(error.value("message", std::string()).find(id), std::string::npos) << what;
    }
}

TEST_F(hosts_test, patch_changes_each_field_and_validates_like_create) {
    fake_host b;
    b.start("key-b");
    b.add_instance(
        {{"id", "b-1"}, {"alias", "beta:1b"}, {"backend_type", "llamacpp"}, {"api_key", "kb"}}
    );
    auto id = control_.add_host("gpu-1", a_.url(), host_key);
    auto other = control_.add_host("gpu-other", "http://localhost:9", "x");
    ASSERT_TRUE(control_.wait_for_model("alpha:1b"));

    // name: shown by the host and by the models it backs.
    auto renamed = patch(id, {{"name", "  renamed  "}});
    ASSERT_EQ(renamed.status, 200u) << renamed.body;
    expect_no_key(renamed);
    EXPECT_EQ(renamed.json()["name"], "renamed");
    EXPECT_EQ(control_.get("/hosts/" + id).json()["name"], "renamed");
    EXPECT_EQ(control_.get("/v1/models/alpha:1b").json()["hosts"], json({"renamed"}));

    // An empty patch changes nothing.
    auto same = patch(id, json::object());
    ASSERT_EQ(same.status, 200u);
    EXPECT_EQ(same.json()["name"], "renamed");
    EXPECT_EQ(same.json()["url"], a_.url());

    // api_key: a wrong key makes the host offline with the reason; the right one brings it back.
    auto wrong_key = patch(id, {{"api_key", "not-the-key"}});
    ASSERT_EQ(wrong_key.status, 200u) << wrong_key.body;
    expect_no_key(wrong_key);
    EXPECT_EQ(wrong_key.json()["api_key_set"], true);
    EXPECT_EQ(wrong_key.json()["status"], "offline");
    EXPECT_NE(wrong_key.json()["last_error"].get<std::string>().find("401"), std::string::npos)
        << wrong_key.body;
    EXPECT_TRUE(is_iso8601_utc(wrong_key.json()["last_seen"])) << "kept from the last success";
    EXPECT_EQ(control_.post("/v1/chat/completions", chat("alpha:1b")).status, 503u)
        << "an offline host's models are known but not routable";
    auto right_key = patch(id, {{"api_key", host_key}});
    ASSERT_EQ(right_key.status, 200u);
    EXPECT_EQ(right_key.json()["status"], "online");
    EXPECT_TRUE(right_key.json()["last_error"].is_null());
    EXPECT_EQ(control_.post("/v1/chat/completions", chat("alpha:1b")).status, 200u);

    // url: the registry follows the host to its new address (with that host's key).
    auto moved = patch(id, {{"url", b.url() + "/"}, {"api_key", "key-b"}});
    ASSERT_EQ(moved.status, 200u) << moved.body;
    EXPECT_EQ(moved.json()["url"], b.url());
    EXPECT_EQ(moved.json()["status"], "online");
    EXPECT_EQ(moved.json()["instance_count"], 1);
    EXPECT_EQ(model_ids(control_), std::set<std::string>{"beta:1b"});
    auto answer = control_.post("/v1/chat/completions", chat("beta:1b"));
    EXPECT_EQ(answer.status, 200u) << answer.body;
    EXPECT_EQ(answer.header("x-test-instance"), "b-1");
    expect_error(control_.post("/v1/chat/completions", chat("alpha:1b")), 404, "model_not_found");

    // ca_file: set, then cleared with null.
    auto with_ca = patch(id, {{"ca_file", "/etc/ssl/certs/ca-certificates.crt"}});
    ASSERT_EQ(with_ca.status, 200u) << with_ca.body;
    EXPECT_EQ(with_ca.json()["ca_file"], "/etc/ssl/certs/ca-certificates.crt");
    auto without_ca = patch(id, {{"ca_file", nullptr}});
    ASSERT_EQ(without_ca.status, 200u) << without_ca.body;
    EXPECT_TRUE(without_ca.json()["ca_file"].is_null());

    // Validation: the same rules as POST; nothing changes on failure.
    expect_field_error(patch(id, {{"name", ""}}), "name", "empty name");
    expect_field_error(patch(id, {{"name", 5}}), "name", "numeric name");
    expect_field_error(patch(id, {{"url", "ftp://x:1"}}), "url", "ftp url");
    expect_field_error(patch(id, {{"url", "http://h:99999"}}), "url", "bad port");
    expect_field_error(patch(id, {{"url", nullptr}}), "url", "null url");
    expect_field_error(patch(id, {{"api_key", ""}}), "api_key", "empty key");
    expect_error(
        control_.call(http::verb::patch, "/hosts/" + id, "{oops"), 400, "invalid_json", "not JSON"
    );
    auto taken = patch(id, {{"url", "http://LOCALHOST:9/"}});
    auto error = expect_error(taken, 409, "duplicate_url", "url of another host");
    EXPECT_EQ(error.value("param", json()), "url");
    // A host may keep its own URL.
    EXPECT_EQ(patch(other, {{"url", "http://localhost:9"}}).status, 200u);

    auto after = control_.get("/hosts/" + id).json();
    EXPECT_EQ(after["name"], "renamed");
    EXPECT_EQ(after["url"], b.url());
    EXPECT_EQ(after["status"], "online");
}

TEST_F(hosts_test, delete_removes_the_host_and_its_models) {
    fake_host b;
    b.start("key-b");
    b.add_instance(
        {{"id", "b-1"}, {"alias", "beta:1b"}, {"backend_type", "llamacpp"}, {"api_key", "kb"}}
    );
    auto id = control_.add_host("gpu-1", a_.url(), host_key);
    auto keep = control_.add_host("gpu-2", b.url(), "key-b");
    ASSERT_TRUE(control_.wait_for_model("alpha:1b"));
    ASSERT_TRUE(control_.wait_for_model("beta:1b"));

    auto removed = control_.call(http::verb::delete_, "/hosts/" + id);
    ASSERT_EQ(removed.status, 200u) << removed.body;
    EXPECT_EQ(removed.json()["id"], id);

    expect_error(control_.get("/hosts/" + id), 404, "host_not_found");
    auto all = control_.get("/hosts").json();
    ASSERT_EQ(all.size(), 1u);
    EXPECT_EQ(all[0]["id"], keep);
    // The models leave with the answer, not one refresh later.
    EXPECT_EQ(model_ids(control_), std::set<std::string>{"beta:1b"});
    expect_error(control_.post("/v1/chat/completions", chat("alpha:1b")), 404, "model_not_found");
    expect_error(control_.get("/v1/models/alpha:1b"), 404, "model_not_found");
    expect_error(control_.call(http::verb::delete_, "/hosts/" + id), 404, "host_not_found");

    // The URL is free again.
    EXPECT_EQ(create(host_body(a_.url(), "back")).status, 201u);
}

TEST_F(hosts_test, an_unreachable_host_is_registered_offline_with_the_reason) {
    fake_host gone;
    gone.start("k");
    auto url = gone.url();
    gone.stop();

    auto answer = create(host_body(url, "down"));
    ASSERT_EQ(answer.status, 201u) << answer.body;
    auto host = answer.json();
    EXPECT_EQ(host["status"], "offline");
    EXPECT_TRUE(host["last_seen"].is_null()) << "never seen";
    ASSERT_TRUE(host["last_error"].is_string()) << host.dump();
    EXPECT_FALSE(host["last_error"].get<std::string>().empty());
    EXPECT_EQ(host["instance_count"], 0);

    auto instances = control_.get("/hosts/" + host["id"].get<std::string>() + "/instances");
    EXPECT_EQ(instances.status, 502u) << instances.body;
    EXPECT_TRUE(instances.json().contains("error"));
}

TEST_F(hosts_test, hosts_survive_a_gateway_restart_and_still_route) {
    auto id = control_.add_host("gpu-1", a_.url(), host_key);
    ASSERT_EQ(patch(id, {{"name", "kept-name"}}).status, 200u);
    ASSERT_TRUE(control_.wait_for_model("alpha:1b"));
    auto before = control_.get("/hosts/" + id).json();

    control_.restart();

    auto after = control_.get("/hosts/" + id);
    ASSERT_EQ(after.status, 200u) << after.body;
    expect_no_key(after);
    auto host = after.json();
    EXPECT_EQ(host["id"], id);
    EXPECT_EQ(host["name"], "kept-name");
    EXPECT_EQ(host["url"], a_.url());
    EXPECT_EQ(host["api_key_set"], true);
    EXPECT_EQ(host["created_at"], before["created_at"]);
    EXPECT_EQ(control_.get("/hosts").json().size(), 1u);

    // The stored key still works: the first refresh after the start finds the instances.
    ASSERT_TRUE(control_.wait_for_model("alpha:1b"));
    EXPECT_TRUE(wait_until([&] { return control_.get("/hosts/" + id).json()["status"] == "online"; }
    ));
    a_.clear_requests();
    auto answer = control_.post("/v1/chat/completions", chat("alpha:1b"));
    ASSERT_EQ(answer.status, 200u) << answer.body;
    EXPECT_EQ(answer.header("x-test-instance"), "a-1");
    auto seen = a_.requests("a-1");
    ASSERT_EQ(seen.size(), 1u);
    EXPECT_EQ(seen[0]["headers"]["authorization"], "Bearer ka");
    auto calls = a_.calls();
    ASSERT_FALSE(calls.empty());
    for (const auto& call : calls) EXPECT_EQ(call["authorized"], true) << call.dump();
}

}  // namespace
}  // namespace solar::test
