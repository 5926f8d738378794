// The test's handle on a solar-test-host process (tests/fixtures/fake_host): a fake solar-host
// with scriptable fake llama-server instances, and the /_test calls that script it.
#pragma once

#include <nlohmann/json.hpp>

#include <memory>
#include <string>
#include <vector>

#include "harness/child_process.hpp"
#include "harness/http_client.hpp"
#include "harness/temp_dir.hpp"

namespace solar::test {

class fake_host {
public:
    // Creates the host's own temp dir (its output logs and state file); starts nothing.
    fake_host();
    // Kills the process if it is still running.
    ~fake_host();
    fake_host(const fake_host&) = delete;
    fake_host& operator=(const fake_host&) = delete;

    // Starts solar-test-host with `api_key` on `port` (0 = ephemeral) and a state file, and
    // waits for its "listening on" line. Throws std::runtime_error when it does not come in time.
    void start(const std::string& api_key = "host-key", unsigned short port = 0);
    // SIGTERM, then SIGKILL after a grace period.
    void stop();
    // kill -9, then start again on the same port with the same state file: instances, their
    // ports where they can be re-bound, and logs (seq numbering continues) survive.
    void restart_same_port();

    unsigned short port() const { return port_; }
    std::string url() const;  // "http://127.0.0.1:<port>"
    const std::string& api_key() const { return api_key_; }
    child_process& process() { return *process_; }

    // A host API request carrying the host key (X-API-Key).
    http_result call(http::verb method, const std::string& target, std::string body = "") const;

    // POST /_test/instances: creates or replaces an instance, e.g.
    // {"id":"a","alias":"m:1","api_key":"k","backend_type":"llamacpp"}; returns its JSON with the
    // real "port". Throws std::runtime_error on any answer but 200 (also for the calls below).
    nlohmann::json add_instance(const nlohmann::json& instance);
    nlohmann::json patch_instance(const std::string& id, const nlohmann::json& fields);
    void remove_instance(const std::string& id);
    // The port an instance listens (or pretends to listen) on.
    unsigned short instance_port(const std::string& id) const;

    // Appends log lines to an instance and pushes them to live WS subscribers.
    void log(
        const std::string& instance_id,
        const std::vector<std::string>& lines,
        const std::string& stream = "stdout"
    );

    // The requests an instance received (all instances' when `instance_id` is empty), each
    // {"instance_id","method","path","target","headers","body","status","disconnected","completed"}.
    nlohmann::json requests(const std::string& instance_id = "") const;
    void clear_requests();
    // Host API calls seen: [{"method","path","target","has_credentials","authorized"}].
    nlohmann::json calls() const;
    // {"<instance id>": requests being processed now}.
    nlohmann::json in_flight() const;
    // GET /instances as solar-control sees it.
    nlohmann::json instances() const;
    // While failing, GET /instances answers 500.
    void set_failing(bool failing);

private:
    nlohmann::json checked(http_result result, const std::string& what) const;
    void launch(unsigned short port);

    temp_dir dir_;
    std::string api_key_;
    unsigned short port_ = 0;
    int launches_ = 0;
    std::unique_ptr<child_process> process_;
};

}  // namespace solar::test
