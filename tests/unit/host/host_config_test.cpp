// Tests for solar-host's configuration: defaults, precedence, validation, program lookup.
#include <solar/host/host_config.hpp>

#include <gtest/gtest.h>

#include <cstdlib>
#include <fstream>
#include <set>
#include <vector>

namespace solar::host {
namespace {

using namespace std::chrono_literals;

class host_config_test : public ::testing::Test {
protected:
    host_config_test() {
        std::string pattern =
            (std::filesystem::temp_directory_path() / "solar-host-config-XXXXXX").string();
        dir_ = ::mkdtemp(pattern.data());
        env_file_ = (dir_ / ".env").string();
        write_env_file("");
        env_["PATH"] = "/usr/local/bin:/usr/bin";
    }
    ~host_config_test() override { std::filesystem::remove_all(dir_); }

    void write_env_file(const std::string& text) {
        std::ofstream out(env_file_);
        out << text;
    }

    host_parse_outcome parse(std::vector<std::string> args) {
        std::vector<std::string> all{"solar-host", "--env-file", env_file_};
        all.insert(all.end(), args.begin(), args.end());
        std::vector<const char*> argv;
        for (const auto& arg : all) argv.push_back(arg.c_str());
        host_config_env env;
        env.getenv = [this](const std::string& name) -> std::optional<std::string> {
            auto it = env_.find(name);
            if (it == env_.end()) return std::nullopt;
            return it->second;
        };
        env.executable = "/opt/solar/bin/solar-host";
        env.is_executable = [this](const std::filesystem::path& path) {
            return executables_.count(path.string()) > 0;
        };
        return parse_host_config(static_cast<int>(argv.size()), argv.data(), env);
    }

    host_config parse_ok(std::vector<std::string> args) {
        auto outcome = parse(std::move(args));
        EXPECT_TRUE(outcome.config) << outcome.message;
        return outcome.config.value_or(host_config{});
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
    std::set<std::string> executables_;
};

TEST_F(host_config_test, defaults_without_any_source) {
    auto config = parse_ok({});
    EXPECT_EQ(config.api_key, "");
    EXPECT_EQ(config.host, "0.0.0.0");
    EXPECT_EQ(config.port, 8001);
    EXPECT_EQ(config.data_dir, ".");
    EXPECT_EQ(config.llama_server_path, "");  // not on the fake PATH
    EXPECT_EQ(config.hf_runner_path, "");
    EXPECT_EQ(config.readiness_timeout, 600s);
    EXPECT_EQ(config.stop_grace, 10s);
    EXPECT_EQ(config.start_retries, 2u);
    EXPECT_EQ(config.log_max_bytes, 10u * 1024 * 1024);
    EXPECT_EQ(config.log_files, 3u);
    EXPECT_EQ(config.log_ring_lines, 5000u);
    EXPECT_EQ(config.threads, 0u);
    EXPECT_EQ(config.log_level, "info");
}

TEST_F(host_config_test, flag_beats_env_beats_dotenv_beats_default) {
    write_env_file("PORT=1001\nHOST=10.0.0.1\nDATA_DIR=/from/dotenv\nSTART_RETRIES=5\n");
    env_["PORT"] = "1002";
    env_["HOST"] = "10.0.0.2";
    auto config = parse_ok({"--port", "1003"});
    EXPECT_EQ(config.port, 1003);
    EXPECT_EQ(config.host, "10.0.0.2");
    EXPECT_EQ(config.data_dir, "/from/dotenv");
    EXPECT_EQ(config.start_retries, 5u);
    EXPECT_EQ(config.stop_grace, 10s);
}

TEST_F(host_config_test, every_flag_is_read) {
    executables_ = {"/x/llama", "/x/runner"};
    auto config = parse_ok(
        {"--api-key",
         "k1",
         "--host",
         "127.0.0.1",
         "--port",
         "0",
         "--data-dir",
         "/tmp/d",
         "--llama-server-path",
         "/x/llama",
         "--hf-runner-path",
         "/x/runner",
         "--readiness-timeout-s",
         "30.5",
         "--stop-grace-s",
         "0",
         "--start-retries",
         "0",
         "--log-max-bytes",
         "4096",
         "--log-files",
         "0",
         "--log-ring-lines",
         "10",
         "--threads",
         "3",
         "--log-level",
         "WARNING"}
    );
    EXPECT_EQ(config.api_key, "k1");
    EXPECT_EQ(config.host, "127.0.0.1");
    EXPECT_EQ(config.port, 0);
    EXPECT_EQ(config.data_dir, "/tmp/d");
    EXPECT_EQ(config.llama_server_path, "/x/llama");
    EXPECT_EQ(config.hf_runner_path, "/x/runner");
    EXPECT_EQ(config.readiness_timeout, 30500ms);
    EXPECT_EQ(config.stop_grace, 0ms);
    EXPECT_EQ(config.start_retries, 0u);
    EXPECT_EQ(config.log_max_bytes, 4096u);
    EXPECT_EQ(config.log_files, 0u);
    EXPECT_EQ(config.log_ring_lines, 10u);
    EXPECT_EQ(config.threads, 3u);
    EXPECT_EQ(config.log_level, "warn");
}

TEST_F(host_config_test, every_environment_variable_is_read) {
    executables_ = {"/x/llama", "/x/runner"};
    env_.insert({
        {"API_KEY", "k2"},
        {"DATA_DIR", "/data"},
        {"LLAMA_SERVER_PATH", "/x/llama"},
        {"HF_RUNNER_PATH", "/x/runner"},
        {"READINESS_TIMEOUT_S", "60"},
        {"STOP_GRACE_S", "2.5"},
        {"START_RETRIES", "4"},
        {"LOG_MAX_BYTES", "1048576"},
        {"LOG_FILES", "7"},
        {"LOG_RING_LINES", "100"},
        {"THREADS", "2"},
        {"LOG_LEVEL", "debug"},
    });
    auto config = parse_ok({});
    EXPECT_EQ(config.api_key, "k2");
    EXPECT_EQ(config.data_dir, "/data");
    EXPECT_EQ(config.llama_server_path, "/x/llama");
    EXPECT_EQ(config.hf_runner_path, "/x/runner");
    EXPECT_EQ(config.readiness_timeout, 60s);
    EXPECT_EQ(config.stop_grace, 2500ms);
    EXPECT_EQ(config.start_retries, 4u);
    EXPECT_EQ(config.log_max_bytes, 1048576u);
    EXPECT_EQ(config.log_files, 7u);
    EXPECT_EQ(config.log_ring_lines, 100u);
    EXPECT_EQ(config.threads, 2u);
    EXPECT_EQ(config.log_level, "debug");
}

TEST_F(host_config_test, llama_server_is_found_on_path) {
    executables_ = {"/usr/bin/llama-server", "/usr/local/bin/llama-server"};
    EXPECT_EQ(parse_ok({}).llama_server_path, "/usr/local/bin/llama-server");  // first wins
    // A bare name given explicitly is looked up too.
    executables_ = {"/usr/bin/llama-server-cuda"};
    EXPECT_EQ(
        parse_ok({"--llama-server-path", "llama-server-cuda"}).llama_server_path,
        "/usr/bin/llama-server-cuda"
    );
}

TEST_F(host_config_test, hf_runner_defaults_to_beside_the_executable) {
    executables_ = {"/opt/solar/bin/solar-hf-runner", "/usr/bin/solar-hf-runner"};
    EXPECT_EQ(parse_ok({}).hf_runner_path, "/opt/solar/bin/solar-hf-runner");
    executables_ = {"/usr/bin/solar-hf-runner"};
    EXPECT_EQ(parse_ok({}).hf_runner_path, "/usr/bin/solar-hf-runner");
}

TEST_F(host_config_test, configured_programs_must_exist) {
    EXPECT_EQ(
        parse_error({"--llama-server-path", "/nope/llama-server"}),
        "--llama-server-path: /nope/llama-server is not an executable file"
    );
    env_["HF_RUNNER_PATH"] = "runner-that-is-not-there";
    EXPECT_EQ(parse_error({}), "HF_RUNNER_PATH: runner-that-is-not-there was not found on PATH");
}

TEST_F(host_config_test, bad_values_name_the_setting) {
    EXPECT_NE(parse_error({"--port", "70000"}).find("--port"), std::string::npos);
    EXPECT_NE(
        parse_error({"--readiness-timeout-s", "0"}).find("--readiness-timeout-s"), std::string::npos
    );
    EXPECT_NE(parse_error({"--stop-grace-s", "-1"}).find("--stop-grace-s"), std::string::npos);
    EXPECT_NE(parse_error({"--log-max-bytes", "10"}).find("--log-max-bytes"), std::string::npos);
    EXPECT_NE(parse_error({"--log-ring-lines", "0"}).find("--log-ring-lines"), std::string::npos);
    EXPECT_NE(parse_error({"--threads", "x"}).find("--threads"), std::string::npos);
    EXPECT_NE(parse_error({"--log-level", "loud"}).find("--log-level"), std::string::npos);
    env_["START_RETRIES"] = "many";
    EXPECT_NE(parse_error({}).find("START_RETRIES"), std::string::npos);
}

TEST_F(host_config_test, unknown_flags_exit_2) {
    EXPECT_NE(parse_error({"--bogus"}).find("--help"), std::string::npos);
}

TEST_F(host_config_test, help_and_version_exit_0) {
    auto help = parse({"--help"});
    EXPECT_FALSE(help.config);
    EXPECT_EQ(help.exit_code, 0);
    EXPECT_NE(help.message.find("--llama-server-path"), std::string::npos);
    EXPECT_NE(help.message.find("--log-ring-lines"), std::string::npos);
    auto version = parse({"--version"});
    EXPECT_EQ(version.exit_code, 0);
    EXPECT_EQ(version.message, std::string("solar-host ") + SOLAR_VERSION);
}

TEST_F(host_config_test, named_env_file_must_exist) {
    std::filesystem::remove(env_file_);
    auto outcome = parse({});
    EXPECT_EQ(outcome.exit_code, 2);
    EXPECT_NE(outcome.message.find("does not exist"), std::string::npos) << outcome.message;
}

TEST(find_in_path, searches_directories_in_order) {
    auto only = [](std::string wanted) {
        return [wanted](const std::filesystem::path& path) { return path == wanted; };
    };
    EXPECT_EQ(find_in_path("tool", "/a:/b:/c", only("/b/tool")), "/b/tool");
    EXPECT_EQ(find_in_path("tool", "/a::/c", only("./tool")), "./tool");  // empty entry = "."
    EXPECT_FALSE(find_in_path("tool", "/a:/b", only("/c/tool")));
    EXPECT_FALSE(find_in_path("tool", "", only("./tool")));
}

TEST(find_in_path, real_executable_check) {
    EXPECT_TRUE(is_executable_file("/bin/sh"));
    EXPECT_FALSE(is_executable_file("/etc/passwd"));
    EXPECT_FALSE(is_executable_file("/"));
    auto found = find_in_path("sh", "/nonexistent:/bin", is_executable_file);
    ASSERT_TRUE(found);
    EXPECT_EQ(*found, "/bin/sh");
}

}  // namespace
}  // namespace solar::host
