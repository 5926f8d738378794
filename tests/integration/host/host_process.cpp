// Starts and drives a real solar-host binary for integration tests.
#include "host/host_process.hpp"

#include <boost/asio/io_context.hpp>
#include <boost/asio/ip/tcp.hpp>

#include <algorithm>
#include <csignal>
#include <fstream>
#include <regex>
#include <stdexcept>

#include "harness/wait.hpp"

namespace solar::test {

using namespace std::chrono_literals;
using nlohmann::json;

host_process::host_process() = default;
host_process::~host_process() = default;

void host_process::start(
    const std::string& api_key,
    std::vector<std::string> extra_args,
    std::map<std::string, std::string> extra_env
) {
    api_key_ = api_key;
    args_ = std::move(extra_args);
    env_ = std::move(extra_env);
    auto env_file = data_.file("empty.env");
    { std::ofstream touch(env_file); }
    std::vector<std::string> argv = {
        SOLAR_HOST_BIN,
        "--host",
        "127.0.0.1",
        "--port",
        "0",
        "--data-dir",
        data_.path().string(),
        "--env-file",
        env_file.string()};
    // Defaults a test may override with its own flags.
    const std::vector<std::pair<std::string, std::string>> defaults = {
        {"--llama-server-path", SOLAR_LLAMA_STANDIN_BIN},
        {"--hf-runner-path", SOLAR_HF_RUNNER_STANDIN_BIN},
        {"--stop-grace-s", "3"}};
    for (const auto& [flag, value] : defaults) {
        if (std::find(args_.begin(), args_.end(), flag) == args_.end())
            argv.insert(argv.end(), {flag, value});
    }
    if (!api_key.empty()) argv.insert(argv.end(), {"--api-key", api_key});
    for (const auto& arg : args_) argv.push_back(arg);
    auto log = data_.file("host-" + std::to_string(++starts_) + ".log");
    process_ = std::make_unique<child_process>(argv, log, env_);
    auto match =
        process_->wait_for_output_line(std::regex(R"(listening on 127\.0\.0\.1:(\d+))"), 20s);
    if (!match) throw std::runtime_error("solar-host did not start:\n" + process_->output());
    port_ = static_cast<unsigned short>(std::stoi((*match)[1]));
    if (api_key_.empty()) {
        std::ifstream in(data_.file("api_key"));
        std::getline(in, api_key_);
    }
}

int host_process::stop() {
    if (!process_) return 0;
    return process_->terminate(20s);
}

void host_process::kill() {
    if (process_) ::kill(process_->pid(), SIGKILL);
    if (process_) process_->wait_for_exit(10s);
}

void host_process::restart() {
    auto key = api_key_;
    start(key, args_, env_);
}

http_result host_process::call(http::verb method, const std::string& target, std::string body)
    const {
    std::map<std::string, std::string> headers{{"X-API-Key", api_key_}};
    if (!body.empty()) headers.emplace("Content-Type", "application/json");
    return http_request("127.0.0.1", port_, method, target, std::move(body), std::move(headers));
}

std::filesystem::path host_process::model_file(
    const std::string& name, const json& standin_switches
) const {
    auto path = data_.file(name);
    std::filesystem::copy_file(
        std::filesystem::path(SOLAR_FIXTURES_DIR) / "llama-2-tiny-random.gguf",
        path,
        std::filesystem::copy_options::overwrite_existing
    );
    if (!standin_switches.is_null()) {
        std::ofstream(path.string() + ".standin.json") << standin_switches.dump();
    }
    return path;
}

json host_process::create(const json& config) const {
    auto answer = post("/instances", {{"config", config}});
    if (answer.status != 201) {
        throw std::runtime_error(
            "POST /instances answered " + std::to_string(answer.status) + ": " + answer.body
        );
    }
    return answer.json();
}

json host_process::start_instance(const std::string& id) const {
    auto answer = call(http::verb::post, "/instances/" + id + "/start");
    if (answer.status != 200) {
        throw std::runtime_error(
            "start answered " + std::to_string(answer.status) + ": " + answer.body
        );
    }
    return answer.json();
}

json host_process::instance(const std::string& id) const {
    auto answer = get("/instances/" + id);
    if (answer.status != 200) {
        throw std::runtime_error(
            "GET /instances/" + id + " answered " + std::to_string(answer.status)
        );
    }
    return answer.json();
}

std::optional<json> host_process::wait_for_status(
    const std::string& id, const std::string& status, std::chrono::milliseconds timeout
) const {
    json last;
    bool reached = wait_until(
        [&] {
            auto answer = get("/instances/" + id);
            if (answer.status != 200) return false;
            last = answer.json();
            return last.value("status", "") == status;
        },
        timeout,
        50ms
    );
    if (!reached) return std::nullopt;
    return last;
}

unsigned short free_port() {
    boost::asio::io_context ioc;
    boost::asio::ip::tcp::acceptor probe(ioc, {boost::asio::ip::address_v4::loopback(), 0});
    return probe.local_endpoint().port();
}

json llama_config(
    const std::filesystem::path& model, const std::string& alias, const std::string& key
) {
    return {
        {"backend_type", "llamacpp"},
        {"model", model.string()},
        {"alias", alias},
        {"host", "127.0.0.1"},
        {"port", free_port()},
        {"api_key", key}};
}

std::vector<int> child_pids(int parent) {
    std::vector<int> found;
    for (const auto& entry : std::filesystem::directory_iterator("/proc")) {
        const auto name = entry.path().filename().string();
        if (name.find_first_not_of("0123456789") != std::string::npos) continue;
        std::ifstream stat(entry.path() / "stat");
        std::string text;
        std::getline(stat, text);
        // pid (comm) state ppid ...; comm may hold spaces, so parse after the last ')'.
        auto close = text.rfind(')');
        if (close == std::string::npos) continue;
        char state = 0;
        int ppid = 0;
        if (std::sscanf(text.c_str() + close + 1, " %c %d", &state, &ppid) != 2) continue;
        if (ppid == parent) found.push_back(std::stoi(name));
    }
    return found;
}

bool process_alive(int pid) {
    std::ifstream stat("/proc/" + std::to_string(pid) + "/stat");
    std::string text;
    if (!std::getline(stat, text)) return false;
    auto close = text.rfind(')');
    return close != std::string::npos && close + 2 < text.size() && text[close + 2] != 'Z';
}

}  // namespace solar::test
