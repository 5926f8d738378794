// The test's handle on a real solar-control process on 127.0.0.1 with its own data directory.
#pragma once

#include <nlohmann/json.hpp>

#include <map>
#include <memory>
#include <string>
#include <vector>

#include "harness/child_process.hpp"
#include "harness/http_client.hpp"
#include "harness/temp_dir.hpp"

namespace solar::test {

class control_process {
public:
    // Creates the data directory; starts nothing.
    control_process();
    ~control_process();
    control_process(const control_process&) = delete;
    control_process& operator=(const control_process&) = delete;

    // Starts solar-control with `api_key` ("" = none configured, so it generates one) plus
    // extra flags, and waits for its "listening on" line. Throws std::runtime_error otherwise.
    void start(
        const std::string& api_key = "gateway-key",
        std::vector<std::string> extra_args = {},
        std::map<std::string, std::string> extra_env = {}
    );
    // SIGTERM and wait; returns the exit status.
    int stop();
    // Stops and starts again with the same data directory, key and arguments (new port).
    void restart();

    unsigned short port() const { return port_; }
    const std::string& api_key() const { return api_key_; }
    const temp_dir& data() const { return data_; }
    child_process& process() { return *process_; }

    // A request carrying the gateway key as X-API-Key.
    http_result call(
        http::verb method,
        const std::string& target,
        std::string body = "",
        std::map<std::string, std::string> headers = {}
    ) const;
    http_result get(const std::string& target) const { return call(http::verb::get, target); }
    http_result post(const std::string& target, const nlohmann::json& body) const {
        return call(http::verb::post, target, body.dump());
    }
    // POST /hosts for a fake host; returns the host id (throws unless 201).
    std::string add_host(const std::string& name, const std::string& url, const std::string& key);
    // Waits until GET /v1/models lists `alias` with `instances` routable instances.
    bool wait_for_model(const std::string& alias, std::size_t instances = 1) const;

private:
    temp_dir data_;
    std::unique_ptr<child_process> process_;
    std::string api_key_;
    std::vector<std::string> args_;
    std::map<std::string, std::string> env_;
    unsigned short port_ = 0;
    int starts_ = 0;
};

}  // namespace solar::test
