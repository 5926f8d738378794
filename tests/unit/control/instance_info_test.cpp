// Unit tests for parsing solar-host GET /instances bodies into instance_info.
#include <solar/control/instance_info.hpp>

#include <gtest/gtest.h>
#include <nlohmann/json.hpp>

namespace solar::control {
namespace {

using nlohmann::json;
using endpoints = std::vector<endpoint>;

const host_ref gpu1{"h1", "GPU Server 1", "http://192.168.1.100:8001"};

json llama_instance(const std::string& id, const std::string& alias, int port = 3500) {
    return {
        {"id", id},
        {"config",
         {{"backend_type", "llamacpp"},
          {"model", "/models/x.gguf"},
          {"alias", alias},
          {"api_key", "instance-key"},
          {"port", port}}},
        {"status", "running"},
        {"port", port},
    };
}

std::vector<instance_info> parse_ok(const json& body, const host_ref& host = gpu1) {
    auto parsed = parse_host_instances(body, host);
    EXPECT_TRUE(parsed.has_value()) << parsed.error().message();
    return parsed ? *parsed : std::vector<instance_info>{};
}

TEST(instance_info, parses_a_bare_array) {
    auto instances = parse_ok(json::array({llama_instance("i1", "llama3:8b")}));
    ASSERT_EQ(instances.size(), 1u);
    const auto& i = instances[0];
    EXPECT_EQ(i.host_id, "h1");
    EXPECT_EQ(i.host_name, "GPU Server 1");
    EXPECT_EQ(i.instance_id, "i1");
    EXPECT_EQ(i.alias, "llama3:8b");
    EXPECT_EQ(i.backend_type, "llamacpp");
    EXPECT_EQ(i.status, "running");
    EXPECT_EQ(i.port, 3500);
    EXPECT_EQ(i.base_url, "http://192.168.1.100:3500");
    ASSERT_TRUE(i.url);  // parsed once here, not on every proxied request
    EXPECT_EQ(i.url->host, "192.168.1.100");
    EXPECT_EQ(i.url->port, 3500);
    EXPECT_EQ(i.url->to_string(), i.base_url);
    EXPECT_EQ(i.api_key, "instance-key");
    EXPECT_EQ(i.endpoints, (endpoints{endpoint::chat_completions, endpoint::completions}));
    EXPECT_EQ(i.parameter_count, 8e9);
    EXPECT_TRUE(i.routable());
}

TEST(instance_info, parses_an_object_with_instances) {
    json body = {{"instances", {llama_instance("i1", "a:1b"), llama_instance("i2", "b:2b", 3501)}}};
    auto instances = parse_ok(body);
    ASSERT_EQ(instances.size(), 2u);
    EXPECT_EQ(instances[0].instance_id, "i1");
    EXPECT_EQ(instances[1].instance_id, "i2");
    EXPECT_EQ(instances[1].base_url, "http://192.168.1.100:3501");
}

TEST(instance_info, empty_lists_are_fine) {
    EXPECT_TRUE(parse_ok(json::array()).empty());
    EXPECT_TRUE(parse_ok(json{{"instances", json::array()}}).empty());
}

TEST(instance_info, other_body_shapes_are_errors) {
    for (const json& body :
         {json::object(),
          json{{"instances", "nope"}},
          json{{"items", json::array()}},
          json("text"),
          json(42),
          json(nullptr)}) {
        auto parsed = parse_host_instances(body, gpu1);
        ASSERT_FALSE(parsed.has_value()) << body.dump();
        EXPECT_EQ(parsed.error(), instance_list_errc::not_an_instance_list);
        EXPECT_STREQ(parsed.error().category().name(), "solar.control.instance_list");
    }
}

TEST(instance_info, malformed_instances_are_skipped) {
    json no_id = llama_instance("", "a:1b");
    no_id.erase("id");
    json empty_id = llama_instance("", "a:1b");
    json numeric_id = llama_instance("x", "a:1b");
    numeric_id["id"] = 7;
    json no_alias = llama_instance("i3", "");
    no_alias["config"].erase("alias");
    json empty_alias = llama_instance("i4", "");
    json body = json::array(
        {no_id,
         empty_id,
         numeric_id,
         no_alias,
         empty_alias,
         "junk",
         5,
         nullptr,
         llama_instance("ok", "good:1b")}
    );
    auto instances = parse_ok(body);
    ASSERT_EQ(instances.size(), 1u);
    EXPECT_EQ(instances[0].instance_id, "ok");
}

TEST(instance_info, missing_backend_type_means_llamacpp) {
    json item = llama_instance("i1", "old:7b");
    item["config"].erase("backend_type");
    auto instances = parse_ok(json::array({item}));
    ASSERT_EQ(instances.size(), 1u);
    EXPECT_EQ(instances[0].backend_type, "llamacpp");
    EXPECT_EQ(
        instances[0].endpoints, (endpoints{endpoint::chat_completions, endpoint::completions})
    );
}

TEST(instance_info, backend_type_decides_endpoints) {
    json classifier = llama_instance("c", "sentiment:roberta");
    classifier["config"]["backend_type"] = "huggingface_classification";
    json embedder = llama_instance("e", "embed:minilm");
    embedder["config"]["backend_type"] = "huggingface_embedding";
    json unknown = llama_instance("u", "mystery");
    unknown["config"]["backend_type"] = "something_new";
    auto instances = parse_ok(json::array({classifier, embedder, unknown}));
    ASSERT_EQ(instances.size(), 3u);
    EXPECT_EQ(instances[0].endpoints, endpoints{endpoint::classify});
    EXPECT_EQ(instances[1].endpoints, endpoints{endpoint::embeddings});
    EXPECT_TRUE(instances[2].endpoints.empty());
    EXPECT_FALSE(instances[2].routable());  // kept (alias known) but never routed to
}

TEST(instance_info, explicit_endpoints_win_over_backend_type) {
    json item = llama_instance("i1", "hybrid:1b");
    item["endpoints"] = {"/v1/embeddings", "/v1/models", "/v1/unknown", "/v1/chat/completions", 12};
    auto instances = parse_ok(json::array({item}));
    ASSERT_EQ(instances.size(), 1u);
    // In enum order; unknown paths and non-strings ignored; /v1/completions not claimed.
    EXPECT_EQ(
        instances[0].endpoints, (endpoints{endpoint::chat_completions, endpoint::embeddings})
    );
}

TEST(instance_info, explicit_empty_endpoints_mean_none) {
    json item = llama_instance("i1", "a:1b");
    item["endpoints"] = json::array({"/v1/models"});
    auto instances = parse_ok(json::array({item}));
    ASSERT_EQ(instances.size(), 1u);
    EXPECT_TRUE(instances[0].endpoints.empty());
    EXPECT_FALSE(instances[0].routable());
}

TEST(instance_info, top_level_port_wins_over_config_port) {
    json item = llama_instance("i1", "a:1b");
    item["port"] = 4000;
    item["config"]["port"] = 3999;
    json config_only = llama_instance("i2", "b:1b");
    config_only.erase("port");
    config_only["config"]["port"] = 3600;
    json null_port = llama_instance("i3", "c:1b");
    null_port["port"] = nullptr;
    null_port["config"]["port"] = 3700;
    auto instances = parse_ok(json::array({item, config_only, null_port}));
    ASSERT_EQ(instances.size(), 3u);
    EXPECT_EQ(instances[0].base_url, "http://192.168.1.100:4000");
    EXPECT_EQ(instances[1].base_url, "http://192.168.1.100:3600");
    EXPECT_EQ(instances[2].base_url, "http://192.168.1.100:3700");
}

TEST(instance_info, unknown_port_is_not_routable) {
    json item = llama_instance("i1", "a:1b");
    item.erase("port");
    item["config"].erase("port");
    json bad_port = llama_instance("i2", "b:1b");
    bad_port["port"] = 70000;
    bad_port["config"].erase("port");
    auto instances = parse_ok(json::array({item, bad_port}));
    ASSERT_EQ(instances.size(), 2u);
    for (const auto& i : instances) {
        EXPECT_EQ(i.port, 0);
        EXPECT_EQ(i.base_url, "");
        EXPECT_FALSE(i.routable());
    }
}

TEST(instance_info, only_running_instances_are_routable) {
    json stopped = llama_instance("i1", "a:1b");
    stopped["status"] = "stopped";
    json starting = llama_instance("i2", "a:1b");
    starting["status"] = "starting";
    json no_status = llama_instance("i3", "a:1b");
    no_status.erase("status");
    auto instances = parse_ok(json::array({stopped, starting, no_status}));
    ASSERT_EQ(instances.size(), 3u);
    EXPECT_EQ(instances[0].status, "stopped");
    for (const auto& i : instances) EXPECT_FALSE(i.routable()) << i.instance_id;
}

TEST(instance_info, base_url_uses_the_host_address_over_plain_http) {
    json item = llama_instance("i1", "a:1b", 3555);
    struct url_case {
        std::string host_url;
        std::string base_url;
    };
    for (const auto& c : std::vector<url_case>{
             {"https://gpu.example.com:8443/api/", "http://gpu.example.com:3555"},
             {"http://user:pw@10.0.0.5:8001", "http://10.0.0.5:3555"},
             {"http://[::1]:8001", "http://[::1]:3555"},
             {"http://[fe80::1]", "http://[fe80::1]:3555"},
             {"gpu2:8001", "http://gpu2:3555"},
             {"http://gpu3", "http://gpu3:3555"},
         }) {
        auto instances = parse_ok(json::array({item}), host_ref{"h", "n", c.host_url});
        ASSERT_EQ(instances.size(), 1u);
        EXPECT_EQ(instances[0].base_url, c.base_url) << c.host_url;
    }
}

TEST(instance_info, parameter_count_sources_in_order) {
    json top = llama_instance("i1", "a:8b");
    top["parameter_count"] = 3e9;
    top["n_params"] = 4e9;
    top["config"]["parameter_count"] = 5e9;
    json n_params = llama_instance("i2", "a:8b");
    n_params["n_params"] = 4e9;
    n_params["config"]["parameter_count"] = 5e9;
    json config = llama_instance("i3", "a:8b");
    config["config"]["parameter_count"] = 5e9;
    json zero = llama_instance("i4", "a:8b");
    zero["parameter_count"] = 0;
    json none = llama_instance("i5", "untagged");
    auto instances = parse_ok(json::array({top, n_params, config, zero, none}));
    ASSERT_EQ(instances.size(), 5u);
    EXPECT_EQ(instances[0].parameter_count, 3e9);
    EXPECT_EQ(instances[1].parameter_count, 4e9);
    EXPECT_EQ(instances[2].parameter_count, 5e9);
    EXPECT_EQ(instances[3].parameter_count, 8e9);  // from the alias
    EXPECT_EQ(instances[4].parameter_count, 1.0);
}

TEST(instance_info, missing_api_key_is_empty) {
    json item = llama_instance("i1", "a:1b");
    item["config"].erase("api_key");
    auto instances = parse_ok(json::array({item}));
    ASSERT_EQ(instances.size(), 1u);
    EXPECT_EQ(instances[0].api_key, "");
    EXPECT_TRUE(instances[0].routable());
}

TEST(instance_info, url_host_extracts_the_address) {
    EXPECT_EQ(url_host("http://192.168.1.100:8001"), "192.168.1.100");
    EXPECT_EQ(url_host("https://[2001:db8::1]:8443/x"), "[2001:db8::1]");
    EXPECT_EQ(url_host("http://[::1"), "");
    EXPECT_EQ(url_host(""), "");
}

}  // namespace
}  // namespace solar::control
