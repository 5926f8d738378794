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
    if (config.api_key.empty()) {
        // Never run open: make a key once and keep it beside the database.
        try {
            auto key = solar::core::load_or_create_key_file(config.data_dir, "api_key");
            config.api_key = key.key;
            log->warn(
                "no API_KEY configured; using the key {} in {}",
                key.generated ? "generated" : "stored",
                key.file.string()
            );
            if (key.insecure_permissions) {
                log->warn("{} is readable by other users; chmod 600 it", key.file.string());
            }
        } catch (const std::exception& e) {
            log->critical("cannot create the API key file: {}", e.what());
            return 1;
        }
    }
    return solar::control::run_control(config);
}
