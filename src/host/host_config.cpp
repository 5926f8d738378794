// solar-host's flags and environment variables, resolved by precedence and validated.
#include <solar/core/dotenv.hpp>
#include <solar/host/host_config.hpp>

#include <CLI/CLI.hpp>

#include <map>
#include <system_error>
#include <unistd.h>
#include <utility>
#include <vector>

namespace solar::host {

namespace {

using std::chrono::milliseconds;

constexpr milliseconds max_duration = std::chrono::hours(24 * 30);
constexpr std::size_t max_threads = 1024;

// Thrown inside resolve() only, turned into exit code 2 with the message.
struct config_error {
    std::string message;
};

template <class T>
T value_or_throw(core::setting_result<T> result) {
    if (!result) throw config_error{result.error().message};
    return std::move(*result);
}

// An explicitly configured program: a path is checked, a bare name is looked up on PATH.
std::filesystem::path resolve_program(
    const core::raw_setting& raw, const std::string& path_variable, const executable_check& check
) {
    auto text = value_or_throw(core::read_non_empty(raw));
    if (text.find('/') != std::string::npos) {
        if (!check(text)) {
            throw config_error{raw.name + ": " + text + " is not an executable file"};
        }
        return text;
    }
    if (auto found = find_in_path(text, path_variable, check)) return *found;
    throw config_error{raw.name + ": " + text + " was not found on PATH"};
}

struct cli_values {
    std::map<std::string, std::string, std::less<>> text;

    std::optional<std::string> get(std::string_view flag) const {
        auto it = text.find(flag);
        if (it == text.end()) return std::nullopt;
        return it->second;
    }
};

host_config resolve(
    const cli_values& cli, const core::setting_sources& sources, const host_config_env& env
) {
    host_config config;
    auto find = [&](std::string_view flag, std::string_view env_name) {
        return sources.find(cli.get(flag), flag, {env_name});
    };
    executable_check check = env.is_executable ? env.is_executable : is_executable_file;
    std::string path_variable;
    if (env.getenv) path_variable = env.getenv("PATH").value_or("");

    if (auto raw = find("--api-key", "API_KEY")) {
        config.api_key = std::string(core::trim_setting(raw->text));
    }
    if (auto raw = find("--host", "HOST")) config.host = value_or_throw(core::read_non_empty(*raw));
    if (auto raw = find("--port", "PORT")) {
        config.port = static_cast<std::uint16_t>(value_or_throw(core::read_uint(*raw, 0, 65535)));
    }
    if (auto raw = find("--data-dir", "DATA_DIR")) {
        config.data_dir = value_or_throw(core::read_non_empty(*raw));
    }

    if (auto raw = find("--llama-server-path", "LLAMA_SERVER_PATH")) {
        config.llama_server_path = resolve_program(*raw, path_variable, check);
    } else if (auto found = find_in_path("llama-server", path_variable, check)) {
        config.llama_server_path = *found;
    }
    if (auto raw = find("--hf-runner-path", "HF_RUNNER_PATH")) {
        config.hf_runner_path = resolve_program(*raw, path_variable, check);
    } else if (auto beside = env.executable.parent_path() / "solar-hf-runner";
               !env.executable.empty() && check(beside)) {
        config.hf_runner_path = beside;
    } else if (auto found = find_in_path("solar-hf-runner", path_variable, check)) {
        config.hf_runner_path = *found;
    }

    if (auto raw = find("--readiness-timeout-s", "READINESS_TIMEOUT_S")) {
        config.readiness_timeout =
            value_or_throw(core::read_seconds(*raw, milliseconds{1000}, max_duration));
    }
    if (auto raw = find("--stop-grace-s", "STOP_GRACE_S")) {
        config.stop_grace =
            value_or_throw(core::read_seconds(*raw, milliseconds{0}, std::chrono::hours(1)));
    }
    if (auto raw = find("--start-retries", "START_RETRIES")) {
        config.start_retries = static_cast<unsigned>(value_or_throw(core::read_uint(*raw, 0, 100)));
    }
    if (auto raw = find("--log-max-bytes", "LOG_MAX_BYTES")) {
        config.log_max_bytes = value_or_throw(core::read_uint(*raw, 4096, std::uint64_t{1} << 40));
    }
    if (auto raw = find("--log-files", "LOG_FILES")) {
        config.log_files = static_cast<unsigned>(value_or_throw(core::read_uint(*raw, 0, 1000)));
    }
    if (auto raw = find("--log-ring-lines", "LOG_RING_LINES")) {
        config.log_ring_lines = value_or_throw(core::read_uint(*raw, 1, 10'000'000));
    }
    if (auto raw = find("--threads", "THREADS")) {
        config.threads = value_or_throw(core::read_uint(*raw, 0, max_threads));
    }
    if (auto raw = find("--log-level", "LOG_LEVEL")) {
        config.log_level = value_or_throw(core::read_log_level(*raw));
    }
    return config;
}

}  // namespace

bool is_executable_file(const std::filesystem::path& path) {
    std::error_code ec;
    return std::filesystem::is_regular_file(path, ec) && ::access(path.c_str(), X_OK) == 0;
}

std::optional<std::filesystem::path> find_in_path(
    std::string_view name, std::string_view path_variable, const executable_check& is_executable
) {
    if (name.empty() || path_variable.empty()) return std::nullopt;
    std::size_t start = 0;
    while (start <= path_variable.size()) {
        auto end = path_variable.find(':', start);
        if (end == std::string_view::npos) end = path_variable.size();
        auto dir = path_variable.substr(start, end - start);
        auto candidate = std::filesystem::path(dir.empty() ? "." : std::string(dir)) / name;
        if (is_executable(candidate)) return candidate;
        start = end + 1;
    }
    return std::nullopt;
}

host_parse_outcome parse_host_config(
    int argc, const char* const* argv, const host_config_env& env
) {
    CLI::App app{
        "solar-host: starts, watches and stops model servers (llama-server, solar-hf-runner)\n"
        "on this machine. Every flag can also be set by the environment variable in capitals\n"
        "(--data-dir as DATA_DIR) or in the .env file; a flag beats the environment, which\n"
        "beats .env.",
        "solar-host"};
    app.set_version_flag("--version", std::string("solar-host ") + SOLAR_VERSION);

    struct flag_spec {
        const char* name;
        const char* help;
    };
    static constexpr flag_spec flags[] = {
        {"--api-key", "Key clients must present (default: generated into DATA_DIR/api_key)"},
        {"--host", "Address to listen on (default 0.0.0.0)"},
        {"--port", "Port to listen on, 0 = any free port (default 8001)"},
        {"--data-dir", "Directory for config.json and logs/ (default .)"},
        {"--llama-server-path", "llama-server program (default: llama-server on PATH)"},
        {"--hf-runner-path", "solar-hf-runner program (default: beside solar-host, then PATH)"},
        {"--readiness-timeout-s", "Seconds a child may take to become healthy (default 600)"},
        {"--stop-grace-s", "Seconds between SIGTERM and SIGKILL on stop (default 10)"},
        {"--start-retries", "Extra start attempts after a failed start (default 2)"},
        {"--log-max-bytes", "Size of an instance log file before rotation (default 10485760)"},
        {"--log-files", "Rotated log files kept per instance (default 3)"},
        {"--log-ring-lines", "Log lines kept in memory per instance (default 5000)"},
        {"--threads", "I/O threads, 0 = one per CPU (default 0)"},
        {"--log-level", "trace, debug, info, warn, error, critical or off (default info)"},
    };
    // Values stay text here so one place validates them with messages naming the setting.
    std::map<std::string, std::string> storage;
    std::vector<std::pair<std::string, CLI::Option*>> options;
    for (const auto& flag : flags) {
        auto& slot = storage[flag.name];
        options.emplace_back(flag.name, app.add_option(flag.name, slot, flag.help));
    }
    std::string env_file = "./.env";
    auto* env_file_option =
        app.add_option("--env-file", env_file, "The .env file to read (default ./.env)");

    try {
        app.parse(argc, argv);
    } catch (const CLI::CallForHelp&) {
        return {std::nullopt, 0, app.help()};
    } catch (const CLI::CallForAllHelp&) {
        return {std::nullopt, 0, app.help("", CLI::AppFormatMode::All)};
    } catch (const CLI::CallForVersion& e) {
        return {std::nullopt, 0, e.what()};
    } catch (const CLI::ParseError& e) {
        return {std::nullopt, 2, std::string(e.what()) + "\nRun with --help for usage."};
    }

    cli_values cli;
    for (const auto& [name, option] : options) {
        if (option->count() > 0) cli.text[name] = storage[name];
    }

    std::map<std::string, std::string> dotenv;
    try {
        std::error_code ec;
        if (env_file_option->count() > 0 && !std::filesystem::exists(env_file, ec)) {
            return {std::nullopt, 2, "--env-file: " + env_file + " does not exist"};
        }
        dotenv = core::load_dotenv_file(env_file);
    } catch (const std::exception& e) {
        return {std::nullopt, 2, std::string("--env-file: ") + e.what()};
    }

    try {
        return {resolve(cli, core::setting_sources(env.getenv, std::move(dotenv)), env), 0, {}};
    } catch (const config_error& e) {
        return {std::nullopt, 2, e.message};
    }
}

}  // namespace solar::host
