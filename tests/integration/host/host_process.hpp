// The test's handle on a real solar-host process on 127.0.0.1 with its own data directory,
// pointed at the llama-server and solar-hf-runner stand-ins.
#pragma once

#include <nlohmann/json.hpp>

#include <filesystem>
#include <map>
#include <memory>
#include <optional>
#include <string>
#include <vector>

#include "harness/child_process.hpp"
#include "harness/http_client.hpp"
#include "harness/temp_dir.hpp"

namespace solar::test {

class host_process {
public:
    // Creates the data directory; starts nothing.
    host_process();
    ~host_process();
    host_process(const host_process&) = delete;
    host_process& operator=(const host_process&) = delete;

    // Starts solar-host with `api_key` ("" = none configured, so it generates one) and extra
    // flags, and waits for its "listening on" line. Throws std::runtime_error otherwise.
    void start(
        const std::string& api_key = "host-key",
        std::vector<std::string> extra_args = {},
        std::map<std::string, std::string> extra_env = {}
    );
    // SIGTERM and wait; returns the raw wait status.
    int stop();
    // kill -9: solar-host gets no chance to clean up.
    void kill();
    // Starts again with the same data directory, key, arguments and environment (new port).
    void restart();

    unsigned short port() const { return port_; }
    std::string url() const { return "http://127.0.0.1:" + std::to_string(port_); }
    const std::string& api_key() const { return api_key_; }
    const temp_dir& data() const { return data_; }
    child_process& process() { return *process_; }

    // A request carrying the host key as X-API-Key.
    http_result call(http::verb method, const std::string& target, std::string body = "") const;
    http_result get(const std::string& target) const { return call(http::verb::get, target); }
    http_result post(const std::string& target, const nlohmann::json& body) const {
        return call(http::verb::post, target, body.dump());
    }

    // A copy of the tiny GGUF fixture in the data directory, with the stand-in's misbehaviour
    // switches (tests/fixtures/llama_stub/README.md) in its sidecar file when given.
    std::filesystem::path model_file(
        const std::string& name, const nlohmann::json& standin_switches = nullptr
    ) const;

    // POST /instances {"config": config}; returns the instance (throws unless 201).
    nlohmann::json create(const nlohmann::json& config) const;
    // POST /instances/{id}/start (throws unless 200).
    nlohmann::json start_instance(const std::string& id) const;
    // GET /instances/{id} (throws unless 200).
    nlohmann::json instance(const std::string& id) const;
    // Waits until the instance's status is `status`; returns the last document seen.
    std::optional<nlohmann::json> wait_for_status(
        const std::string& id,
        const std::string& status,
        std::chrono::milliseconds timeout = std::chrono::seconds(20)
    ) const;

private:
    temp_dir data_;
    std::unique_ptr<child_process> process_;
    std::string api_key_;
    std::vector<std::string> args_;
    std::map<std::string, std::string> env_;
    unsigned short port_ = 0;
    int starts_ = 0;
};

// A port nothing listens on now, picked by the kernel from the ephemeral range. Tests that
// start instances give them such explicit ports: tests run in parallel, and two solar-hosts
// auto-assigning from 3500 at the same moment would race for the same port.
unsigned short free_port();

// A llamacpp instance config for the stand-in with the given model file, on a free_port().
nlohmann::json llama_config(
    const std::filesystem::path& model, const std::string& alias, const std::string& key = "k1"
);

// The pids of the processes whose parent is `parent` (from /proc).
std::vector<int> child_pids(int parent);
// Whether a process with this pid exists and is not a zombie.
bool process_alive(int pid);

}  // namespace solar::test
