// Starts and drives a real solar-control binary for integration tests.
#include "harness/control_process.hpp"

#include <algorithm>
#include <fstream>
#include <regex>
#include <stdexcept>

#include "harness/wait.hpp"

#ifndef SOLAR_CONTROL_BIN
#error "SOLAR_CONTROL_BIN must name the solar-control binary (see tests/CMakeLists.txt)"
#endif

namespace solar::test {

using namespace std::chrono_literals;

control_process::control_process() = default;
control_process::~control_process() = default;

void control_process::start(
    const std::string& api_key,
    std::vector<std::string> extra_args,
    std::map<std::string, std::string> extra_env
) {
    api_key_ = api_key;
    args_ = std::move(extra_args);
    env_ = std::move(extra_env);
    std::vector<std::string> argv = {
        SOLAR_CONTROL_BIN,
        "--host",
        "127.0.0.1",
        "--port",
        "0",
        "--data-dir",
        data_.path().string(),
        "--env-file",
        ""};
    // An empty --env-file would be refused; point it at a file that does not set anything.
    argv[8] = data_.file("empty.env").string();
    { std::ofstream touch(argv[8]); }
    if (!api_key.empty()) {
        argv.push_back("--api-key");
        argv.push_back(api_key);
    }
    // Tests drive refreshes themselves unless they ask for a period.
    if (std::find(args_.begin(), args_.end(), "--refresh-interval-ms") == args_.end()) {
        argv.insert(argv.end(), {"--refresh-interval-ms", "60000"});
    }
    for (const auto& arg : args_) argv.push_back(arg);
    auto log = data_.file("control-" + std::to_string(++starts_) + ".log");
    process_ = std::make_unique<child_process>(argv, log, env_);
    auto match =
        process_->wait_for_output_line(std::regex(R"(listening on 127\.0\.0\.1:(\d+))"), 20s);
    if (!match) throw std::runtime_error("solar-control did not start:\n" + process_->output());
    port_ = static_cast<unsigned short>(std::stoi((*match)[1]));
    if (api_key_.empty()) {
        std::ifstream in(data_.file("api_key"));
        std::getline(in, api_key_);
        // Keep the generated key for later calls but let restarts generate nothing new.
    }
}

int control_process::stop() {
    if (!process_) return 0;
    return process_->terminate(15s);
}

void control_process::restart() {
    stop();
    auto key = api_key_;
    start(key, args_, env_);
}

http_result control_process::call(
    http::verb method,
    const std::string& target,
    std::string body,
    std::map<std::string, std::string> headers
) const {
    headers.emplace("X-API-Key", api_key_);
    if (!body.empty()) headers.emplace("Content-Type", "application/json");
    return http_request("127.0.0.1", port_, method, target, std::move(body), std::move(headers));
}

std::string control_process::add_host(
    const std::string& name, const std::string& url, const std::string& key
) {
    auto answer = post("/hosts", {{"name", name}, {"url", url}, {"api_key", key}});
    if (answer.status != 201) {
        throw std::runtime_error(
            "POST /hosts answered " + std::to_string(answer.status) + ": " + answer.body
        );
    }
    return answer.json().at("id").get<std::string>();
}

bool control_process::wait_for_model(const std::string& alias, std::size_t instances) const {
    return wait_until([&] {
        auto models = get("/v1/models");
        if (models.status != 200) return false;
        auto body = models.json();  // named: a range-for over a temporary's member dangles
        for (const auto& model : body.at("data")) {
            if (model.at("id") == alias)
                return model.at("instances").get<std::size_t>() == instances;
        }
        return false;
    });
}

}  // namespace solar::test
