// solar-control configuration: defaults, then .env, environment and command line on top.
#pragma once

#include <solar/core/settings.hpp>

#include <chrono>
#include <cstddef>
#include <cstdint>
#include <filesystem>
#include <optional>
#include <string>

namespace solar::control {

struct control_config {
    std::string api_key;  // resolved key (never logged); "" = use DATA_DIR/api_key
    std::string host = "0.0.0.0";
    std::uint16_t port = 8000;  // 0 = pick a free port (tests)
    std::filesystem::path data_dir = "./data";
    bool alias_prefix_fallback = false;
    std::chrono::milliseconds refresh_interval{10000};
    std::chrono::milliseconds connect_timeout{3000};
    std::chrono::milliseconds first_byte_timeout{300000};
    std::chrono::milliseconds idle_timeout{120000};
    std::chrono::milliseconds shutdown_grace{10000};  // 0 = cancel in-flight work at once
    std::size_t max_body_bytes = 16 * 1024 * 1024;
    std::size_t threads = 0;  // 0 = hardware concurrency
    std::string log_level = "info";
};

// Either a configuration to run with, or a message to print and an exit code.
struct parse_outcome {
    std::optional<control_config> config;
    int exit_code = 0;    // 0 for --help / --version, 2 for a bad flag or value
    std::string message;  // help text, version, or an error naming the setting
};

// Fills the configuration from argv, the environment (via `getenv`) and the .env file named by
// --env-file (default ./.env; a missing default file is fine, a missing named one is an
// error). Precedence: flag > environment > .env > default. Never throws for bad input.
parse_outcome parse_control_config(
    int argc, const char* const* argv, const core::env_lookup& getenv
);

}  // namespace solar::control
