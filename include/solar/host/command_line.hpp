// The argv a child process is started with, built from its instance config and port.
#pragma once

#include <solar/host/instance_config.hpp>

#include <cstdint>
#include <filesystem>
#include <string>
#include <vector>

namespace solar::host {

// Where the backend programs are (host_config's llama_server_path and hf_runner_path).
struct backend_programs {
    std::filesystem::path llama_server;
    std::filesystem::path hf_runner;
};

// The child's full argv, argv[0] being the program path: llama-server for llamacpp,
// solar-hf-runner --task causal|classification|embedding for the others. `port` is the
// assigned port (which wins over config.port). Pure: checks neither paths nor files.
std::vector<std::string> command_line(
    const instance_config& config, std::uint16_t port, const backend_programs& programs
);

// A number as the shortest text that reads back the same, independent of locale:
// 0.7 -> "0.7", 1.0 -> "1", 0.05 -> "0.05".
std::string format_number(double value);

// The argv with every secret value replaced by "***": the argument after --api-key, and the
// value of --api-key=...
std::vector<std::string> redact_command_line(std::vector<std::string> argv);

// One line for logs: the redacted argv, each argument single-quoted when the shell would need it.
std::string command_line_for_log(const std::vector<std::string>& argv);

}  // namespace solar::host
