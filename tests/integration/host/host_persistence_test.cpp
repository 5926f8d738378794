// config.json end to end: instances survive restarts and kill -9 at any moment, running ones
// start again on boot, and a corrupt file is kept aside rather than overwritten.
#include <gtest/gtest.h>

#include <atomic>
#include <fstream>
#include <thread>

#include "harness/wait.hpp"
#include "host/host_process.hpp"

namespace solar::test {
namespace {

using namespace std::chrono_literals;
using nlohmann::json;

std::string read_file(const std::filesystem::path& path) {
    std::ifstream in(path, std::ios::binary);
    return {std::istreambuf_iterator<char>(in), std::istreambuf_iterator<char>()};
}

// The configs by id, as GET /instances shows them.
std::map<std::string, json> configs_by_id(const host_process& host) {
    std::map<std::string, json> out;
    for (const auto& instance : host.get("/instances").json())
        out[instance["id"]] = instance["config"];
    return out;
}

TEST(host_persistence_test, instances_survive_a_restart_and_running_ones_start_again) {
    host_process host;
    host.start();
    auto model = host.model_file("m.gguf");
    auto kept = host.create(llama_config(model, "stopped:1m"))["id"].get<std::string>();
    auto running = host.create(llama_config(model, "running:1m"))["id"].get<std::string>();
    host.start_instance(running);
    auto before = host.wait_for_status(running, "running");
    ASSERT_TRUE(before);
    auto configs = configs_by_id(host);

    host.stop();
    EXPECT_FALSE(process_alive((*before)["pid"]));
    host.restart();
    EXPECT_EQ(configs_by_id(host), configs);
    EXPECT_EQ(host.instance(kept)["status"], "stopped");
    auto after = host.wait_for_status(running, "running");
    ASSERT_TRUE(after) << host.instance(running).dump();
    EXPECT_EQ((*after)["port"], (*before)["port"]) << "it keeps its port when it is free";

    // Stopped by the user: not started at the next boot.
    host.call(http::verb::post, "/instances/" + running + "/stop");
    host.stop();
    host.restart();
    EXPECT_EQ(host.instance(running)["status"], "stopped");
    auto file = json::parse(read_file(host.data().file("config.json")));
    EXPECT_EQ(file["instances"].size(), 2u);
}

TEST(host_persistence_test, kill_9_at_any_moment_never_corrupts_or_loses_an_acknowledged_instance) {
    host_process host;
    host.start();
    auto model = host.model_file("m.gguf");
    for (int round = 0; round < 3; ++round) {
        std::atomic<bool> go{true};
        std::vector<std::string> acknowledged;
        std::mutex acknowledged_mutex;
        std::thread writer([&] {
            int n = 0;
            while (go) {
                auto answer = host.post(
                    "/instances", {{"config", llama_config(model, "m" + std::to_string(n++))}}
                );
                if (answer.status != 201) continue;  // the kill landed mid-request
                std::lock_guard lock(acknowledged_mutex);
                acknowledged.push_back(answer.json()["id"]);
            }
        });
        // Let a few creates through, then kill in the middle of the stream of writes.
        wait_until([&] {
            std::lock_guard lock(acknowledged_mutex);
            return acknowledged.size() >= static_cast<std::size_t>(3 + round * 2);
        });
        host.kill();
        go = false;
        writer.join();

        // The file parses, no temporary is left, and every acknowledged instance is in it.
        auto text = read_file(host.data().file("config.json"));
        ASSERT_NO_THROW((void)json::parse(text)) << text;
        host.restart();
        auto ids = configs_by_id(host);
        for (const auto& id : acknowledged) EXPECT_TRUE(ids.count(id)) << "lost " << id;
    }
    for (const auto& entry : std::filesystem::directory_iterator(host.data().path())) {
        auto name = entry.path().filename().string();
        EXPECT_EQ(name.find("config.json.corrupt"), std::string::npos) << name;
    }
}

TEST(host_persistence_test, a_corrupt_config_is_kept_aside_reported_and_not_overwritten) {
    host_process host;
    const std::string garbage = "{\"instances\": [ {\"id\": \"half-writ";
    { std::ofstream(host.data().file("config.json")) << garbage; }
    host.start();
    EXPECT_EQ(host.get("/instances").json(), json::array());
    std::filesystem::path aside;
    for (const auto& entry : std::filesystem::directory_iterator(host.data().path())) {
        if (entry.path().filename().string().rfind("config.json.corrupt", 0) == 0)
            aside = entry.path();
    }
    ASSERT_FALSE(aside.empty()) << "the corrupt file was not kept";
    EXPECT_EQ(read_file(aside), garbage);
    EXPECT_NE(host.process().output().find(aside.filename().string()), std::string::npos)
        << "the log says where it went:\n"
        << host.process().output();
    // New work goes to a fresh file; the kept one stays as it was.
    host.create(llama_config(host.model_file("m.gguf"), "fresh:1m"));
    EXPECT_EQ(read_file(aside), garbage);
}

TEST(host_persistence_test, the_python_tools_config_json_is_read) {
    host_process host;
    auto model = host.model_file("m.gguf");
    json legacy = {
        {"instances",
         {{{"id", "legacy-1"},
           {"config", {{"model", model.string()}, {"alias", "old:7b"}, {"api_key", "k"}}},
           {"status", "stopped"}}}}};
    { std::ofstream(host.data().file("config.json")) << legacy.dump(); }
    host.start();
    auto instance = host.instance("legacy-1");
    EXPECT_EQ(instance["backend_type"], "llamacpp");
    EXPECT_EQ(instance["config"]["alias"], "old:7b");
}

}  // namespace
}  // namespace solar::test
