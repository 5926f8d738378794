// Tests for solar-control's configuration: defaults, precedence and validation.
#include <solar/control/config.hpp>

#include <gtest/gtest.h>

#include <cstdlib>
#include <fstream>
#include <initializer_list>
#include <vector>

namespace solar::control {
namespace {

using namespace std::chrono_literals;

class config_test : public ::testing::Test {
protected:
    config_test() {
        std::string pattern =
            (std::filesystem::temp_directory_path() / "solar-config-XXXXXX").string();
        dir_ = ::mkdtemp(pattern.data());
        env_file_ = (dir_ / ".env").string();
        write_env_file("");
    }
    ~config_test() override { std::filesystem::remove_all(dir_); }

    void write_env_file(const std::string& text) {
        std::ofstream out(env_file_);
        out << text;
    }

    // Always points --env-file at the temp dir unless the test passes its own, so the
    // developer's ./.env never leaks in.
    parse_outcome parse(std::vector<std::string> args, bool own_env_file = false) {
        std::vector<std::string> all{"solar-control"};
        if (!own_env_file) {
            all.push_back("--env-file");
            all.push_back(env_file_);
        }
        all.insert(all.end(), args.begin(), args.end());
        std::vector<const char*> argv;
        for (const auto& arg : all) argv.push_back(arg.c_str());
        auto lookup = [this](const std::string& name) -> std::optional<std::string> {
            auto it = env_.find(name);
            if (it == env_.end()) return std::nullopt;
            return it->second;
        };
        return parse_control_config(static_cast<int>(argv.size()), argv.data(), lookup);
    }

    control_config parse_ok(std::vector<std::string> args) {
        auto outcome = parse(std::move(args));
        EXPECT_TRUE(outcome.config) << outcome.message;
        return outcome.config.value_or(control_config{});
    }

    std::string parse_error(std::vector<std::string> args) {
        auto outcome = parse(std::move(args));
        EXPECT_FALSE(outcome.config);
        EXPECT_EQ(outcome.exit_code, 2);
        return outcome.message;
    }

    std::filesystem::path dir_;
    std::string env_file_;
    std::map<std::string, std::string> env_;
};

TEST_F(config_test, defaults_without_any_source) {
    auto config = parse_ok({});
    EXPECT_EQ(config.api_key, "");
    EXPECT_EQ(config.host, "0.0.0.0");
    EXPECT_EQ(config.port, 8000);
    EXPECT_EQ(config.data_dir, "./data");
    EXPECT_FALSE(config.alias_prefix_fallback);
    EXPECT_EQ(config.refresh_interval, 10000ms);
    EXPECT_EQ(config.connect_timeout, 3000ms);
    EXPECT_EQ(config.first_byte_timeout, 300000ms);
    EXPECT_EQ(config.idle_timeout, 120000ms);
    EXPECT_EQ(config.shutdown_grace, 10000ms);
    EXPECT_EQ(config.max_body_bytes, 16u * 1024 * 1024);
    EXPECT_EQ(config.threads, 0u);
    EXPECT_EQ(config.log_level, "info");
}

TEST_F(config_test, flag_beats_env_beats_dotenv_beats_default) {
    write_env_file("PORT=1001\nHOST=10.0.0.1\nDATA_DIR=/from/dotenv\nLOG_LEVEL=debug\n");
    env_ = {{"PORT", "1002"}, {"HOST", "10.0.0.2"}};
    auto config = parse_ok({"--port", "1003"});
    EXPECT_EQ(config.port, 1003);                // flag
    EXPECT_EQ(config.host, "10.0.0.2");          // environment over .env
    EXPECT_EQ(config.data_dir, "/from/dotenv");  // .env over default
    EXPECT_EQ(config.log_level, "debug");
    EXPECT_EQ(config.threads, 0u);  // default
}

TEST_F(config_test, every_flag_is_read) {
    auto config = parse_ok(
        {"--api-key",
         "k1",
         "--host",
         "127.0.0.1",
         "--port",
         "0",
         "--data-dir",
         "/tmp/d",
         "--alias-prefix-fallback",
         "--refresh-interval-ms",
         "500",
         "--connect-timeout-ms",
         "100",
         "--first-byte-timeout-ms",
         "200",
         "--idle-timeout-ms",
         "300",
         "--shutdown-grace-ms",
         "0",
         "--max-body-bytes",
         "2048",
         "--threads",
         "4",
         "--log-level",
         "warn"}
    );
    EXPECT_EQ(config.api_key, "k1");
    EXPECT_EQ(config.host, "127.0.0.1");
    EXPECT_EQ(config.port, 0);
    EXPECT_EQ(config.data_dir, "/tmp/d");
    EXPECT_TRUE(config.alias_prefix_fallback);
    EXPECT_EQ(config.refresh_interval, 500ms);
    EXPECT_EQ(config.connect_timeout, 100ms);
    EXPECT_EQ(config.first_byte_timeout, 200ms);
    EXPECT_EQ(config.idle_timeout, 300ms);
    EXPECT_EQ(config.shutdown_grace, 0ms);
    EXPECT_EQ(config.max_body_bytes, 2048u);
    EXPECT_EQ(config.threads, 4u);
    EXPECT_EQ(config.log_level, "warn");
}

TEST_F(config_test, every_environment_variable_is_read) {
    env_ = {
        {"API_KEY", " env-key "},
        {"HOST", "::"},
        {"PORT", "9"},
        {"DATA_DIR", "/var/solar"},
        {"ALIAS_PREFIX_FALLBACK", "on"},
        {"REFRESH_INTERVAL_MS", "1500"},
        {"CONNECT_TIMEOUT_MS", "11"},
        {"FIRST_BYTE_TIMEOUT_MS", "12"},
        {"IDLE_TIMEOUT_MS", "13"},
        {"SHUTDOWN_GRACE_MS", "14"},
        {"MAX_BODY_BYTES", "4096"},
        {"THREADS", "3"},
        {"LOG_LEVEL", "ERROR"}};
    auto config = parse_ok({});
    EXPECT_EQ(config.api_key, "env-key");
    EXPECT_EQ(config.host, "::");
    EXPECT_EQ(config.port, 9);
    EXPECT_EQ(config.data_dir, "/var/solar");
    EXPECT_TRUE(config.alias_prefix_fallback);
    EXPECT_EQ(config.refresh_interval, 1500ms);
    EXPECT_EQ(config.connect_timeout, 11ms);
    EXPECT_EQ(config.first_byte_timeout, 12ms);
    EXPECT_EQ(config.idle_timeout, 13ms);
    EXPECT_EQ(config.shutdown_grace, 14ms);
    EXPECT_EQ(config.max_body_bytes, 4096u);
    EXPECT_EQ(config.threads, 3u);
    EXPECT_EQ(config.log_level, "error");
}

TEST_F(config_test, refresh_interval_in_seconds) {
    env_ = {{"REFRESH_INTERVAL", "2.5"}};
    EXPECT_EQ(parse_ok({}).refresh_interval, 2500ms);
    env_["REFRESH_INTERVAL_MS"] = "700";  // the explicit unit wins
    EXPECT_EQ(parse_ok({}).refresh_interval, 700ms);
}

TEST_F(config_test, alias_flag_overrides_environment_both_ways) {
    env_ = {{"ALIAS_PREFIX_FALLBACK", "true"}};
    EXPECT_TRUE(parse_ok({}).alias_prefix_fallback);
    EXPECT_FALSE(parse_ok({"--no-alias-prefix-fallback"}).alias_prefix_fallback);
    env_ = {{"ALIAS_PREFIX_FALLBACK", "0"}};
    EXPECT_TRUE(parse_ok({"--alias-prefix-fallback"}).alias_prefix_fallback);
    parse_error({"--alias-prefix-fallback", "--no-alias-prefix-fallback"});
}

TEST_F(config_test, bad_values_name_the_setting) {
    EXPECT_NE(parse_error({"--port", "70000"}).find("--port"), std::string::npos);
    env_ = {{"PORT", "eighty"}};
    EXPECT_NE(parse_error({}).find("PORT: must be an integer"), std::string::npos);
    env_.clear();
    write_env_file("THREADS=-1\n");
    EXPECT_NE(parse_error({}).find("THREADS"), std::string::npos);
    write_env_file("");
    EXPECT_NE(
        parse_error({"--connect-timeout-ms", "0"}).find("--connect-timeout-ms"), std::string::npos
    );
    EXPECT_NE(
        parse_error({"--max-body-bytes", "1023"}).find("--max-body-bytes"), std::string::npos
    );
    EXPECT_NE(parse_error({"--log-level", "loud"}).find("--log-level"), std::string::npos);
    env_ = {{"ALIAS_PREFIX_FALLBACK", "perhaps"}};
    EXPECT_NE(parse_error({}).find("ALIAS_PREFIX_FALLBACK"), std::string::npos);
    env_ = {{"REFRESH_INTERVAL", "soon"}};
    EXPECT_NE(parse_error({}).find("REFRESH_INTERVAL"), std::string::npos);
    env_.clear();
    EXPECT_NE(parse_error({"--host", " "}).find("--host: must not be empty"), std::string::npos);
}

TEST_F(config_test, unknown_flags_and_stray_arguments_exit_2) {
    EXPECT_FALSE(parse_error({"--bogus"}).empty());
    EXPECT_FALSE(parse_error({"stray"}).empty());
    EXPECT_FALSE(parse_error({"--port"}).empty());
}

TEST_F(config_test, help_and_version_exit_0) {
    auto help = parse({"--help"});
    EXPECT_FALSE(help.config);
    EXPECT_EQ(help.exit_code, 0);
    EXPECT_NE(help.message.find("--refresh-interval-ms"), std::string::npos);
    EXPECT_NE(help.message.find("--no-alias-prefix-fallback"), std::string::npos);

    auto version = parse({"--version"});
    EXPECT_FALSE(version.config);
    EXPECT_EQ(version.exit_code, 0);
    EXPECT_EQ(version.message, std::string("solar-control ") + SOLAR_VERSION);
}

TEST_F(config_test, named_env_file_must_exist_default_may_be_missing) {
    auto missing = parse({"--env-file", (dir_ / "nope.env").string()}, true);
    EXPECT_FALSE(missing.config);
    EXPECT_EQ(missing.exit_code, 2);
    EXPECT_NE(missing.message.find("nope.env"), std::string::npos);

    write_env_file("PORT=4242\n");
    auto named = parse({"--env-file", env_file_}, true);
    ASSERT_TRUE(named.config) << named.message;
    EXPECT_EQ(named.config->port, 4242);
}

}  // namespace
}  // namespace solar::control
