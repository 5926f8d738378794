// solar-host instance management end to end: create with validation, start to readiness,
// the child's command line, edits refused while running, stop, delete; auth everywhere.
#include <gtest/gtest.h>

#include <fstream>
#include <set>

#include "harness/net_util.hpp"
#include "harness/wait.hpp"
#include "harness/ws_client.hpp"
#include "host/host_process.hpp"

namespace solar::test {
namespace {

using namespace std::chrono_literals;
using nlohmann::json;

// The argv of a running process, from /proc/<pid>/cmdline.
std::vector<std::string> command_line_of(int pid) {
    std::ifstream in("/proc/" + std::to_string(pid) + "/cmdline", std::ios::binary);
    std::string text((std::istreambuf_iterator<char>(in)), std::istreambuf_iterator<char>());
    std::vector<std::string> argv;
    std::string current;
    for (char c : text) {
        if (c == '\0') {
            argv.push_back(current);
            current.clear();
        } else {
            current += c;
        }
    }
    return argv;
}

// The value after `flag` in argv, or "" when the flag is absent.
std::string flag_value(const std::vector<std::string>& argv, const std::string& flag) {
    for (std::size_t i = 0; i + 1 < argv.size(); ++i) {
        if (argv[i] == flag) return argv[i + 1];
    }
    return {};
}

bool has_flag(const std::vector<std::string>& argv, const std::string& flag) {
    return std::find(argv.begin(), argv.end(), flag) != argv.end();
}

std::set<std::string> error_fields(const http_result& answer) {
    std::set<std::string> fields;
    auto body = answer.json();
    for (const auto& item : body.at("detail")) {
        const auto& loc = item.at("loc");
        fields.insert(loc.back().get<std::string>());
    }
    return fields;
}

class host_instances_test : public ::testing::Test {
protected:
    void SetUp() override { host_.start(); }
    host_process host_;
};

TEST_F(host_instances_test, health_is_public_and_has_the_seed_shape) {
    auto answer = http_request("127.0.0.1", host_.port(), http::verb::get, "/health");
    ASSERT_EQ(answer.status, 200);
    EXPECT_EQ(
        answer.json(),
        json({{"status", "healthy"}, {"service", "solar-host"}, {"version", "2.0.0"}})
    );
}

TEST_F(host_instances_test, every_route_needs_the_key) {
    auto model = host_.model_file("m.gguf");
    auto id = host_.create(llama_config(model, "tiny:1m"))["id"].get<std::string>();
    const std::vector<std::pair<http::verb, std::string>> routes = {
        {http::verb::get, "/instances"},
        {http::verb::post, "/instances"},
        {http::verb::get, "/instances/" + id},
        {http::verb::put, "/instances/" + id},
        {http::verb::delete_, "/instances/" + id},
        {http::verb::post, "/instances/" + id + "/start"},
        {http::verb::post, "/instances/" + id + "/stop"},
        {http::verb::post, "/instances/" + id + "/restart"},
        {http::verb::get, "/instances/" + id + "/state"},
        {http::verb::get, "/instances/" + id + "/last-generation"},
        {http::verb::get, "/instances/" + id + "/logs"},
        {http::verb::get, "/memory"},
    };
    for (const auto& [method, target] : routes) {
        for (const auto& headers : std::vector<std::map<std::string, std::string>>{
                 {}, {{"X-API-Key", "wrong"}}, {{"Authorization", "Bearer wrong"}}}) {
            auto answer = http_request("127.0.0.1", host_.port(), method, target, "{}", headers);
            EXPECT_EQ(answer.status, 401) << target;
            auto body = answer.json();
            EXPECT_TRUE(body.contains("detail")) << answer.body;
            EXPECT_EQ(body["error"]["code"], "invalid_api_key") << answer.body;
        }
        // ?api_key= is for browsers' WebSockets only.
        auto query = target + (target.find('?') == std::string::npos ? "?" : "&") +
                     "api_key=" + host_.api_key();
        if (target.find("/logs") == std::string::npos &&
            target.find("/state") == std::string::npos) {
            EXPECT_EQ(http_request("127.0.0.1", host_.port(), method, query).status, 401) << query;
        }
    }
    // The right key, either way, works; the instance still exists after all those attempts.
    EXPECT_EQ(
        http_request(
            "127.0.0.1",
            host_.port(),
            http::verb::get,
            "/instances/" + id,
            "",
            {{"Authorization", "Bearer " + host_.api_key()}}
        ).status,
        200
    );
    ws_client refused;
    EXPECT_FALSE(refused.connect("127.0.0.1", host_.port(), "/instances/" + id + "/logs"));
    EXPECT_EQ(refused.handshake_status(), 401u);
    ws_client by_query;
    EXPECT_TRUE(by_query.connect(
        "127.0.0.1", host_.port(), "/instances/" + id + "/logs?api_key=" + host_.api_key()
    ));
    ws_client by_header;
    EXPECT_TRUE(by_header.connect(
        "127.0.0.1", host_.port(), "/instances/" + id + "/state", {{"X-API-Key", host_.api_key()}}
    ));
}

TEST(host_key_test, without_a_configured_key_one_is_generated_kept_private_and_reused) {
    host_process host;
    host.start("");
    auto file = host.data().file("api_key");
    ASSERT_TRUE(std::filesystem::exists(file));
    auto perms = std::filesystem::status(file).permissions();
    EXPECT_EQ(
        perms & std::filesystem::perms::all,
        std::filesystem::perms::owner_read | std::filesystem::perms::owner_write
    );
    const std::string key = host.api_key();
    EXPECT_GE(key.size(), 32u);
    EXPECT_EQ(host.get("/instances").status, 200);
    EXPECT_EQ(http_request("127.0.0.1", host.port(), http::verb::get, "/instances").status, 401);
    EXPECT_NE(host.process().output().find(file.string()), std::string::npos)
        << "the log says where";
    EXPECT_EQ(host.process().output().find(key), std::string::npos)
        << "the log never shows the key";
    host.stop();
    host.start("");
    EXPECT_EQ(host.api_key(), key);
}

TEST_F(host_instances_test, create_fills_defaults_assigns_a_port_and_reads_the_model) {
    auto model = host_.model_file("m.gguf");
    // No backend_type: a llamacpp config, as configs from before multi-backend support are.
    auto created = host_.create(
        {{"model", model.string()}, {"alias", "tiny:1m"}, {"api_key", "k1"}, {"threads", 3}}
    );
    EXPECT_EQ(created["status"], "stopped");
    EXPECT_EQ(created["backend_type"], "llamacpp");
    EXPECT_EQ(created["endpoints"], json({"/v1/chat/completions", "/v1/completions"}));
    const auto& config = created["config"];
    EXPECT_EQ(config["threads"], 3);
    EXPECT_EQ(config["n_gpu_layers"], 999);
    EXPECT_EQ(config["temp"], 1.0);
    EXPECT_EQ(config["top_p"], 1.0);
    EXPECT_EQ(config["top_k"], 0);
    EXPECT_EQ(config["min_p"], 0.0);
    EXPECT_EQ(config["ctx_size"], 131072);
    EXPECT_EQ(config["host"], "0.0.0.0");
    EXPECT_EQ(config["special"], false);
    EXPECT_GE(created["port"].get<int>(), 3500);
    // n_params as llama-server reports it for this file.
    EXPECT_EQ(created["parameter_count"], 513048);

    auto listed = host_.get("/instances").json();
    ASSERT_EQ(listed.size(), 1u);
    EXPECT_EQ(listed[0]["id"], created["id"]);
    EXPECT_EQ(host_.instance(created["id"])["config"], config);
}

TEST_F(host_instances_test, bad_configs_answer_422_naming_every_field_and_change_nothing) {
    auto model = host_.model_file("m.gguf");
    auto bad = host_.post(
        "/instances",
        {{"config",
          {{"model", (host_.data().path() / "missing.gguf").string()},
           {"temp", 2.5},
           {"top_p", 1.5},
           {"min_p", -0.1},
           {"top_k", -1},
           {"threads", "four"},
           {"ctx_size", 0},
           {"port", 70000}}}}
    );
    ASSERT_EQ(bad.status, 422) << bad.body;
    auto fields = error_fields(bad);
    for (const char* field :
         {"model",
          "alias",
          "api_key",
          "temp",
          "top_p",
          "min_p",
          "top_k",
          "threads",
          "ctx_size",
          "port"}) {
        EXPECT_TRUE(fields.count(field)) << field << " not named in " << bad.body;
    }
    EXPECT_EQ(bad.json()["error"]["code"], "validation_error");

    auto hf = host_.post(
        "/instances",
        {{"config",
          {{"backend_type", "huggingface_embedding"},
           {"model_id", "org/name"},
           {"alias", "e"},
           {"api_key", "k"},
           {"pooling", "max"},
           {"dtype", "float64"},
           {"device", "tpu"}}}}
    );
    ASSERT_EQ(hf.status, 422) << hf.body;
    EXPECT_EQ(error_fields(hf), (std::set<std::string>{"pooling", "dtype", "device"}));

    auto unknown_backend = host_.post(
        "/instances", {{"config", {{"backend_type", "vllm"}, {"alias", "x"}, {"api_key", "k"}}}}
    );
    EXPECT_EQ(unknown_backend.status, 422);
    EXPECT_TRUE(error_fields(unknown_backend).count("backend_type"));

    EXPECT_EQ(host_.post("/instances", json::array()).status, 400);
    EXPECT_EQ(host_.call(http::verb::post, "/instances", "{oops").status, 400);
    EXPECT_EQ(host_.post("/instances", json::object()).status, 422);
    EXPECT_EQ(host_.get("/instances").json(), json::array()) << "nothing was created";
}

TEST_F(host_instances_test, start_runs_llama_server_with_the_configs_flags_until_stopped) {
    auto model = host_.model_file("m.gguf");
    auto config = llama_config(model, "tiny:1m", "secret-instance-key");
    config.update(
        {{"threads", 2},
         {"n_gpu_layers", 7},
         {"temp", 0.7},
         {"top_p", 0.9},
         {"top_k", 40},
         {"min_p", 0.05},
         {"ctx_size", 2048},
         {"special", true}}
    );
    auto id = host_.create(config)["id"].get<std::string>();
    auto started = host_.start_instance(id);
    EXPECT_TRUE(started["status"] == "starting" || started["status"] == "running");
    auto running = host_.wait_for_status(id, "running");
    ASSERT_TRUE(running) << host_.instance(id).dump();
    int pid = (*running)["pid"];
    int port = (*running)["port"];

    auto argv = command_line_of(pid);
    EXPECT_EQ(argv.at(0), SOLAR_LLAMA_STANDIN_BIN);
    EXPECT_EQ(flag_value(argv, "-m"), model.string());
    EXPECT_EQ(flag_value(argv, "--alias"), "tiny:1m");
    EXPECT_EQ(flag_value(argv, "-t"), "2");
    EXPECT_EQ(flag_value(argv, "-ngl"), "7");
    EXPECT_EQ(flag_value(argv, "--temp"), "0.7");
    EXPECT_EQ(flag_value(argv, "--top-p"), "0.9");
    EXPECT_EQ(flag_value(argv, "--top-k"), "40");
    EXPECT_EQ(flag_value(argv, "--min-p"), "0.05");
    EXPECT_EQ(flag_value(argv, "-c"), "2048");
    EXPECT_EQ(flag_value(argv, "--host"), "127.0.0.1");
    EXPECT_EQ(flag_value(argv, "--port"), std::to_string(port));
    EXPECT_EQ(flag_value(argv, "--api-key"), "secret-instance-key");
    EXPECT_TRUE(has_flag(argv, "--special"));
    EXPECT_FALSE(has_flag(argv, "--embeddings"));

    // The child really serves, with its own key.
    auto chat = http_request(
        "127.0.0.1",
        port,
        http::verb::post,
        "/v1/chat/completions",
        json{{"messages", {{{"role", "user"}, {"content", "hi"}}}}, {"max_tokens", 3}}.dump(),
        {{"Authorization", "Bearer secret-instance-key"}}
    );
    EXPECT_EQ(chat.status, 200) << chat.body;

    // Edits and deletion of a running instance are refused, and change nothing.
    auto edit = host_.call(http::verb::put, "/instances/" + id, json{{"config", config}}.dump());
    EXPECT_EQ(edit.status, 409) << edit.body;
    EXPECT_EQ(host_.call(http::verb::delete_, "/instances/" + id).status, 409);
    EXPECT_EQ(host_.instance(id)["status"], "running");
    // Start while running is a no-op, not a second process.
    EXPECT_EQ(host_.start_instance(id)["pid"], pid);

    auto stopped = host_.call(http::verb::post, "/instances/" + id + "/stop");
    ASSERT_EQ(stopped.status, 200) << stopped.body;
    EXPECT_EQ(stopped.json()["status"], "stopped");
    EXPECT_EQ(stopped.json()["error_message"], nullptr)
        << "llama-server dies by SIGABRT on SIGTERM; that is a normal stop";
    EXPECT_FALSE(process_alive(pid));
    EXPECT_TRUE(child_pids(host_.process().pid()).empty()) << "no zombie, no leftover child";

    config["temp"] = 0.2;
    auto edited = host_.call(http::verb::put, "/instances/" + id, json{{"config", config}}.dump());
    ASSERT_EQ(edited.status, 200) << edited.body;
    EXPECT_EQ(edited.json()["config"]["temp"], 0.2);
    EXPECT_EQ(edited.json()["port"], port) << "an instance keeps its port";
    auto removed = host_.call(http::verb::delete_, "/instances/" + id);
    EXPECT_EQ(removed.status, 200);
    EXPECT_EQ(host_.get("/instances/" + id).status, 404);
    EXPECT_EQ(host_.get("/instances/" + id).json()["error"]["code"], "instance_not_found");
}

TEST_F(host_instances_test, restart_gives_a_new_process_and_counts_it) {
    auto id = host_.create(llama_config(host_.model_file("m.gguf"), "tiny:1m"))["id"];
    host_.start_instance(id);
    auto first = host_.wait_for_status(id, "running");
    ASSERT_TRUE(first);
    auto restarted =
        host_.call(http::verb::post, "/instances/" + id.get<std::string>() + "/restart");
    ASSERT_EQ(restarted.status, 200) << restarted.body;
    auto second = host_.wait_for_status(id, "running");
    ASSERT_TRUE(second);
    EXPECT_NE((*second)["pid"], (*first)["pid"]);
    EXPECT_FALSE(process_alive((*first)["pid"]));
    EXPECT_EQ((*second)["restarts"], 1);
}

TEST_F(host_instances_test, huggingface_backends_run_the_runner_with_their_arguments) {
    auto model_dir = host_.data().path() / "minilm";
    std::filesystem::create_directories(model_dir);
    auto id = host_
                  .create(
                      {{"backend_type", "huggingface_embedding"},
                       {"model_id", model_dir.string()},
                       {"alias", "embed:minilm"},
                       {"host", "127.0.0.1"},
                       {"api_key", "ek"},
                       {"pooling", "cls"},
                       {"normalize", false},
                       {"max_length", 256}}
                  )["id"]
                  .get<std::string>();
    EXPECT_EQ(host_.instance(id)["endpoints"], json({"/v1/embeddings"}));
    host_.start_instance(id);
    auto running = host_.wait_for_status(id, "running");
    ASSERT_TRUE(running) << host_.instance(id).dump();
    auto argv = command_line_of((*running)["pid"]);
    EXPECT_EQ(argv.at(0), SOLAR_HF_RUNNER_STANDIN_BIN);
    EXPECT_EQ(flag_value(argv, "--task"), "embedding");
    EXPECT_EQ(flag_value(argv, "--model-id"), model_dir.string());
    EXPECT_EQ(flag_value(argv, "--alias"), "embed:minilm");
    EXPECT_EQ(flag_value(argv, "--pooling"), "cls");
    EXPECT_EQ(flag_value(argv, "--normalize"), "false");
    EXPECT_EQ(flag_value(argv, "--max-length"), "256");
    EXPECT_EQ(flag_value(argv, "--api-key"), "ek");
    auto embedded = http_request(
        "127.0.0.1",
        (*running)["port"].get<unsigned short>(),
        http::verb::post,
        "/v1/embeddings",
        json{{"input", "hello"}}.dump(),
        {{"Authorization", "Bearer ek"}}
    );
    EXPECT_EQ(embedded.status, 200) << embedded.body;

    auto clf = host_
                   .create(
                       {{"backend_type", "huggingface_classification"},
                        {"model_id", model_dir.string()},
                        {"alias", "sentiment"},
                        {"host", "127.0.0.1"},
                        {"api_key", "ck"},
                        {"labels", {"negative", "positive"}}}
                   )["id"]
                   .get<std::string>();
    host_.start_instance(clf);
    auto clf_running = host_.wait_for_status(clf, "running");
    ASSERT_TRUE(clf_running) << host_.instance(clf).dump();
    auto clf_argv = command_line_of((*clf_running)["pid"]);
    EXPECT_EQ(flag_value(clf_argv, "--task"), "classification");
    EXPECT_EQ(flag_value(clf_argv, "--labels"), "negative,positive");
    EXPECT_EQ(host_.instance(clf)["endpoints"], json({"/v1/classify"}));
}

TEST_F(
    host_instances_test, ports_skip_other_instances_and_listeners_and_explicit_ones_are_checked
) {
    auto model = host_.model_file("m.gguf");
    auto auto_port = [&](const std::string& alias) {
        auto config = llama_config(model, alias);
        config.erase("port");
        return config;
    };
    auto first = host_.create(auto_port("a"));
    int first_port = first["port"];
    EXPECT_GE(first_port, 3500);

    // Something outside solar-host listens on the next port.
    asio::io_context ioc;
    asio::ip::tcp::acceptor squatter(ioc);
    unsigned short taken = 0;
    for (unsigned short candidate = first_port + 1; candidate < first_port + 50; ++candidate) {
        boost::system::error_code ec;
        asio::ip::tcp::acceptor probe(ioc);
        probe.open(asio::ip::tcp::v4(), ec);
        probe.bind({asio::ip::address_v4::any(), candidate}, ec);
        if (ec) continue;
        probe.listen(8, ec);
        if (ec) continue;
        squatter = std::move(probe);
        taken = candidate;
        break;
    }
    ASSERT_NE(taken, 0);
    auto second = host_.create(auto_port("b"));
    EXPECT_NE(second["port"], first_port) << "held by the first instance";
    EXPECT_NE(second["port"], taken) << "something else listens there";
    // Not "above the first": the other tests' listeners on 3500.. come and go meanwhile, so the
    // lowest free port may now lie below it.
    EXPECT_GE(second["port"].get<int>(), 3500);

    auto explicit_taken = llama_config(model, "c");
    explicit_taken["port"] = taken;
    auto refused = host_.post("/instances", {{"config", explicit_taken}});
    EXPECT_EQ(refused.status, 409) << refused.body;
    EXPECT_NE(
        refused.json()["error"]["message"].get<std::string>().find(std::to_string(taken)),
        std::string::npos
    );
    auto explicit_held = llama_config(model, "d");
    explicit_held["port"] = first_port;
    EXPECT_EQ(host_.post("/instances", {{"config", explicit_held}}).status, 409);
    EXPECT_EQ(host_.get("/instances").json().size(), 2u);
}

TEST_F(host_instances_test, memory_reports_ram_and_a_gpu_list) {
    auto answer = host_.get("/memory");
    ASSERT_EQ(answer.status, 200);
    auto body = answer.json();
    EXPECT_GT(body["ram"]["total_bytes"].get<std::uint64_t>(), 0u);
    EXPECT_LE(
        body["ram"]["used_bytes"].get<std::uint64_t>(),
        body["ram"]["total_bytes"].get<std::uint64_t>()
    );
    EXPECT_TRUE(body["gpus"].is_array());
}

}  // namespace
}  // namespace solar::test
