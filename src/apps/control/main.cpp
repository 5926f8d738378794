// solar-control entry point: configuration, API key, then the gateway.
#include <solar/control/app.hpp>
#include <solar/control/config.hpp>
#include <solar/core/api_key.hpp>
#include <solar/core/logging.hpp>

#include <cstdlib>
#include <filesystem>
#include <iostream>

int main(int argc, char** argv) {
    auto outcome = solar::control::parse_control_config(argc, argv, [](const std::string& name) {
        const char* value = std::getenv(name.c_str());
        return value ? std::optional<std::string>(value) : std::nullopt;
    });
    if (!outcome.config) {
        (outcome.exit_code == 0 ? std::cout : std::cerr) << outcome.message << std::endl;
        return outcome.exit_code;
    }
    auto config = std::move(*outcome.config);
    solar::core::init_logging(config.log_level);
    auto log = solar::core::component_logger("control");

    std::error_code ec;
    std::filesystem::create_directories(config.data_dir, ec);
    if (ec) {
        log->critical(
            "cannot create data directory {}: {}", config.data_dir.string(), ec.message()
        );
        return 1;
    }
    auto key = solar::core::resolve_api_key(config.api_key, config.data_dir, *log);
    if (!key) return 1;
    config.api_key = std::move(*key);
    return solar::control::run_control(config);
}
