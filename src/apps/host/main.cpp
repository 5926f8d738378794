// solar-host entry point: configuration, API key, then the instance manager.
#include <solar/core/api_key.hpp>
#include <solar/core/logging.hpp>
#include <solar/host/app.hpp>
#include <solar/host/host_config.hpp>

#include <cstdlib>
#include <filesystem>
#include <iostream>

int main(int argc, char** argv) {
    solar::host::host_config_env env;
    env.getenv = [](const std::string& name) {
        const char* value = std::getenv(name.c_str());
        return value ? std::optional<std::string>(value) : std::nullopt;
    };
    std::error_code ec;
    env.executable = std::filesystem::read_symlink("/proc/self/exe", ec);
    auto outcome = solar::host::parse_host_config(argc, argv, env);
    if (!outcome.config) {
        (outcome.exit_code == 0 ? std::cout : std::cerr) << outcome.message << std::endl;
        return outcome.exit_code;
    }
    auto config = std::move(*outcome.config);
    solar::core::init_logging(config.log_level);
    auto log = solar::core::component_logger("host");

    std::filesystem::create_directories(config.data_dir / "logs", ec);
    if (ec) {
        log->critical(
            "cannot create data directory {}: {}", config.data_dir.string(), ec.message()
        );
        return 1;
    }
    auto key = solar::core::resolve_api_key(config.api_key, config.data_dir, *log);
    if (!key) return 1;
    config.api_key = std::move(*key);
    if (config.llama_server_path.empty()) {
        log->warn("llama-server not found on PATH: llamacpp instances will fail to start");
    }
    if (config.hf_runner_path.empty()) {
        log->warn("solar-hf-runner not found: HuggingFace instances will fail to start");
    }
    return solar::host::run_host(config);
}
