// solar-host configuration: defaults, then .env, environment and command line on top.
#pragma once

#include <solar/core/settings.hpp>

#include <chrono>
#include <cstddef>
#include <cstdint>
#include <filesystem>
#include <functional>
#include <optional>
#include <string>
#include <string_view>

namespace solar::host {

struct host_config {
    std::string api_key;  // resolved key (never logged); "" = use DATA_DIR/api_key
    std::string host = "0.0.0.0";
    std::uint16_t port = 8001;             // 0 = pick a free port (tests)
    std::filesystem::path data_dir = ".";  // config.json and logs/ live here
    // Empty when not configured and not found: starting such an instance then fails.
    std::filesystem::path llama_server_path;  // default: `llama-server` on PATH
    std::filesystem::path hf_runner_path;     // default: solar-hf-runner beside solar-host
    std::chrono::milliseconds readiness_timeout{600000};  // spawn to healthy
    std::chrono::milliseconds stop_grace{10000};          // SIGTERM to SIGKILL
    unsigned start_retries = 2;                           // extra attempts after a failed start
    std::uint64_t log_max_bytes = 10 * 1024 * 1024;       // per log file before rotation
    unsigned log_files = 3;                               // rotated files kept per instance
    std::size_t log_ring_lines = 5000;                    // lines kept in memory per instance
    std::size_t threads = 0;                              // 0 = hardware concurrency
    std::string log_level = "info";
};

// Either a configuration to run with, or a message to print and an exit code.
struct host_parse_outcome {
    std::optional<host_config> config;
    int exit_code = 0;    // 0 for --help / --version, 2 for a bad flag or value
    std::string message;  // help text, version, or an error naming the setting
};

// True when the path is a regular file this process may execute; injected for tests.
using executable_check = std::function<bool(const std::filesystem::path&)>;

// What parse_host_config needs from the machine besides argv.
struct host_config_env {
    core::env_lookup getenv;           // environment variables (PATH included)
    std::filesystem::path executable;  // solar-host's own path (/proc/self/exe); may be empty
    executable_check is_executable;    // empty = is_executable_file
};

// access(X_OK) on a regular file.
bool is_executable_file(const std::filesystem::path& path);

// The first directory of `path_variable` (colon-separated, as PATH; empty entries mean ".")
// holding an executable `name`; nullopt when none does.
std::optional<std::filesystem::path> find_in_path(
    std::string_view name, std::string_view path_variable, const executable_check& is_executable
);

// Fills the configuration from argv, the environment and the .env file named by --env-file
// (default ./.env; a missing default file is fine, a missing named one is an error).
// Precedence: flag > environment > .env > default. LLAMA_SERVER_PATH / HF_RUNNER_PATH given
// with a '/' must be executable files; given as a bare name they are looked up on PATH; unset,
// llama-server is looked up on PATH and solar-hf-runner is taken from beside the executable,
// then PATH, and left empty when absent. Never throws for bad input.
host_parse_outcome parse_host_config(int argc, const char* const* argv, const host_config_env& env);

}  // namespace solar::host
