// solar-control's flags and environment variables, resolved by precedence and validated.
#include <solar/control/config.hpp>
#include <solar/core/dotenv.hpp>

#include <CLI/CLI.hpp>

#include <limits>
#include <map>
#include <system_error>
#include <utility>
#include <vector>

namespace solar::control {

namespace {

using std::chrono::milliseconds;

// Far above any sensible timeout, and small enough that adding it to a clock cannot overflow.
constexpr milliseconds max_duration = std::chrono::hours(24 * 30);
constexpr std::size_t max_threads = 1024;

// The raw command-line text of every string-valued flag; nullopt when not given.
struct cli_values {
    std::map<std::string, std::string, std::less<>> text;
    std::optional<bool> alias_prefix_fallback;
    std::string env_file = "./.env";
    bool env_file_given = false;

    std::optional<std::string> get(std::string_view flag) const {
        auto it = text.find(flag);
        if (it == text.end()) return std::nullopt;
        return it->second;
    }
};

// Thrown inside resolve() only, turned into exit code 2 with the message.
struct config_error {
    std::string message;
};

template <class T>
T value_or_throw(core::setting_result<T> result) {
    if (!result) throw config_error{result.error().message};
    return std::move(*result);
}

control_config resolve(const cli_values& cli, const core::setting_sources& sources) {
    control_config config;
    auto find = [&](std::string_view flag, std::initializer_list<std::string_view> env_names) {
        return sources.find(cli.get(flag), flag, env_names);
    };

    if (auto raw = find("--api-key", {"API_KEY"})) {
        config.api_key = std::string(core::trim_setting(raw->text));
    }
    if (auto raw = find("--host", {"HOST"}))
        config.host = value_or_throw(core::read_non_empty(*raw));
    if (auto raw = find("--port", {"PORT"})) {
        config.port = static_cast<std::uint16_t>(value_or_throw(core::read_uint(*raw, 0, 65535)));
    }
    if (auto raw = find("--data-dir", {"DATA_DIR"})) {
        config.data_dir = value_or_throw(core::read_non_empty(*raw));
    }
    if (cli.alias_prefix_fallback) {
        config.alias_prefix_fallback = *cli.alias_prefix_fallback;
    } else if (auto raw = sources.find(std::nullopt, "", {"ALIAS_PREFIX_FALLBACK"})) {
        config.alias_prefix_fallback = value_or_throw(core::read_bool(*raw));
    }

    const milliseconds one_ms{1};
    // REFRESH_INTERVAL (seconds) is the original tool's name; the _MS form wins when both are set.
    if (auto raw = find("--refresh-interval-ms", {"REFRESH_INTERVAL_MS", "REFRESH_INTERVAL"})) {
        config.refresh_interval =
            raw->name == "REFRESH_INTERVAL"
                ? value_or_throw(core::read_seconds(*raw, one_ms, max_duration))
                : value_or_throw(core::read_millis(*raw, one_ms, max_duration));
    }
    auto duration =
        [&](std::string_view flag, std::string_view env, milliseconds min, milliseconds& target) {
            if (auto raw = find(flag, {env})) {
                target = value_or_throw(core::read_millis(*raw, min, max_duration));
            }
        };
    duration("--connect-timeout-ms", "CONNECT_TIMEOUT_MS", one_ms, config.connect_timeout);
    duration("--first-byte-timeout-ms", "FIRST_BYTE_TIMEOUT_MS", one_ms, config.first_byte_timeout);
    duration("--idle-timeout-ms", "IDLE_TIMEOUT_MS", one_ms, config.idle_timeout);
    duration("--shutdown-grace-ms", "SHUTDOWN_GRACE_MS", milliseconds{0}, config.shutdown_grace);

    if (auto raw = find("--max-body-bytes", {"MAX_BODY_BYTES"})) {
        config.max_body_bytes =
            value_or_throw(core::read_uint(*raw, 1024, std::numeric_limits<std::uint32_t>::max()));
    }
    if (auto raw = find("--threads", {"THREADS"})) {
        config.threads = value_or_throw(core::read_uint(*raw, 0, max_threads));
    }
    if (auto raw = find("--log-level", {"LOG_LEVEL"})) {
        config.log_level = value_or_throw(core::read_log_level(*raw));
    }
    return config;
}

}  // namespace

parse_outcome parse_control_config(
    int argc, const char* const* argv, const core::env_lookup& getenv
) {
    CLI::App app{
        "solar-control: an OpenAI-compatible gateway in front of solar-host machines.\n"
        "Every flag can also be set by the environment variable in capitals (--data-dir as\n"
        "DATA_DIR) or in the .env file; a flag beats the environment, which beats .env.",
        "solar-control"};
    app.set_version_flag("--version", std::string("solar-control ") + SOLAR_VERSION);

    cli_values cli;
    // Values stay text here so one place validates them with messages naming the setting.
    struct flag_spec {
        const char* name;
        const char* help;
    };
    static constexpr flag_spec flags[] = {
        {"--api-key", "Key clients must present (default: generated into DATA_DIR/api_key)"},
        {"--host", "Address to listen on (default 0.0.0.0)"},
        {"--port", "Port to listen on, 0 = any free port (default 8000)"},
        {"--data-dir", "Directory for the database and key file (default ./data)"},
        {"--refresh-interval-ms", "How often hosts are polled (default 10000)"},
        {"--connect-timeout-ms", "Upstream connect timeout (default 3000)"},
        {"--first-byte-timeout-ms", "Wait for an upstream's first byte (default 300000)"},
        {"--idle-timeout-ms", "Allowed upstream silence mid-response (default 120000)"},
        {"--shutdown-grace-ms", "Time in-flight requests get after SIGTERM (default 10000)"},
        {"--max-body-bytes", "Largest accepted request body (default 16777216)"},
        {"--threads", "I/O threads, 0 = one per CPU (default 0)"},
        {"--log-level", "trace, debug, info, warn, error, critical or off (default info)"},
    };
    std::map<std::string, std::string> storage;
    std::vector<std::pair<std::string, CLI::Option*>> options;
    for (const auto& flag : flags) {
        auto& slot = storage[flag.name];
        options.emplace_back(flag.name, app.add_option(flag.name, slot, flag.help));
    }
    bool alias_on = false;
    bool alias_off = false;
    auto* alias_on_flag = app.add_flag(
        "--alias-prefix-fallback",
        alias_on,
        "Let a model name match by prefix (llama3 -> llama3:8b)"
    );
    auto* alias_off_flag = app.add_flag(
        "--no-alias-prefix-fallback", alias_off, "Require exact model names or aliases"
    );
    alias_on_flag->excludes(alias_off_flag);
    auto* env_file_option =
        app.add_option("--env-file", cli.env_file, "The .env file to read (default ./.env)");

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

    for (const auto& [name, option] : options) {
        if (option->count() > 0) cli.text[name] = storage[name];
    }
    if (alias_on_flag->count() > 0) cli.alias_prefix_fallback = true;
    if (alias_off_flag->count() > 0) cli.alias_prefix_fallback = false;
    cli.env_file_given = env_file_option->count() > 0;

    std::map<std::string, std::string> dotenv;
    try {
        std::error_code ec;
        if (cli.env_file_given && !std::filesystem::exists(cli.env_file, ec)) {
            return {std::nullopt, 2, "--env-file: " + cli.env_file + " does not exist"};
        }
        dotenv = core::load_dotenv_file(cli.env_file);
    } catch (const std::exception& e) {
        return {std::nullopt, 2, std::string("--env-file: ") + e.what()};
    }

    try {
        return {resolve(cli, core::setting_sources(getenv, std::move(dotenv))), 0, {}};
    } catch (const config_error& e) {
        return {std::nullopt, 2, e.message};
    }
}

}  // namespace solar::control
