// Tests for setting precedence and typed value parsing.
#include <solar/core/settings.hpp>

#include <gtest/gtest.h>

namespace solar::core {
namespace {

using namespace std::chrono_literals;

env_lookup fake_env(std::map<std::string, std::string> values) {
    return [values = std::move(values)](const std::string& name) -> std::optional<std::string> {
        auto it = values.find(name);
        if (it == values.end()) return std::nullopt;
        return it->second;
    };
}

TEST(setting_sources, flag_beats_env_beats_dotenv) {
    setting_sources sources(fake_env({{"PORT", "2"}}), {{"PORT", "3"}, {"HOST", "h"}});

    auto from_flag = sources.find(std::string("1"), "--port", {"PORT"});
    ASSERT_TRUE(from_flag);
    EXPECT_EQ(from_flag->text, "1");
    EXPECT_EQ(from_flag->name, "--port");

    auto from_env = sources.find(std::nullopt, "--port", {"PORT"});
    ASSERT_TRUE(from_env);
    EXPECT_EQ(from_env->text, "2");
    EXPECT_EQ(from_env->name, "PORT");

    auto from_dotenv = sources.find(std::nullopt, "--host", {"HOST"});
    ASSERT_TRUE(from_dotenv);
    EXPECT_EQ(from_dotenv->text, "h");

    EXPECT_FALSE(sources.find(std::nullopt, "--threads", {"THREADS"}));
}

TEST(setting_sources, alternative_names_and_empty_values) {
    setting_sources sources(
        fake_env({{"REFRESH_INTERVAL", "5"}, {"EMPTY", ""}}),
        {{"REFRESH_INTERVAL_MS", "7000"}, {"EMPTY", "from-file"}}
    );
    // Every environment name outranks every .env name.
    auto raw = sources.find(std::nullopt, "--x", {"REFRESH_INTERVAL_MS", "REFRESH_INTERVAL"});
    ASSERT_TRUE(raw);
    EXPECT_EQ(raw->name, "REFRESH_INTERVAL");
    EXPECT_EQ(raw->text, "5");
    // An empty environment value counts as unset.
    EXPECT_EQ(sources.find(std::nullopt, "--e", {"EMPTY"})->text, "from-file");
    // An empty flag is still a given flag; validation decides.
    EXPECT_EQ(sources.find(std::string(), "--e", {"EMPTY"})->name, "--e");
}

TEST(setting_sources, no_env_function_means_no_environment) {
    setting_sources sources(nullptr, {{"A", "1"}});
    EXPECT_EQ(sources.find(std::nullopt, "--a", {"A"})->text, "1");
}

TEST(parse_bool, accepts_common_spellings) {
    for (auto text : {"true", "TRUE", "1", "yes", "On", " on "}) EXPECT_EQ(parse_bool(text), true);
    for (auto text : {"false", "0", "no", "OFF"}) EXPECT_EQ(parse_bool(text), false);
    for (auto text : {"", "2", "enable", "truee"}) EXPECT_EQ(parse_bool(text), std::nullopt);
}

TEST(parse_uint, digits_only_without_overflow) {
    EXPECT_EQ(parse_uint("0"), 0u);
    EXPECT_EQ(parse_uint(" 8000 "), 8000u);
    EXPECT_EQ(parse_uint("18446744073709551615"), 18446744073709551615ull);
    EXPECT_EQ(parse_uint("18446744073709551616"), std::nullopt);
    for (auto text : {"", "-1", "+1", "1.5", "12abc", "0x10", "1 2"}) {
        EXPECT_EQ(parse_uint(text), std::nullopt) << text;
    }
}

TEST(parse_seconds, whole_and_fractional) {
    EXPECT_EQ(parse_seconds("10"), 10000ms);
    EXPECT_EQ(parse_seconds("2.5"), 2500ms);
    EXPECT_EQ(parse_seconds("0.0015"), 2ms);
    for (auto text : {"", "-1", "abc", "1e3", "inf", "nan", "1s"}) {
        EXPECT_EQ(parse_seconds(text), std::nullopt) << text;
    }
}

TEST(read_values, errors_name_the_setting_and_show_the_text) {
    auto port = read_uint({"70000", "PORT"}, 0, 65535);
    ASSERT_FALSE(port);
    EXPECT_EQ(port.error().name, "PORT");
    EXPECT_EQ(port.error().message, "PORT: must be an integer from 0 to 65535 (got '70000')");

    auto flag = read_bool({"maybe", "--alias-prefix-fallback"});
    ASSERT_FALSE(flag);
    EXPECT_EQ(flag.error().message.rfind("--alias-prefix-fallback: ", 0), 0u);

    auto ms = read_millis({"0", "CONNECT_TIMEOUT_MS"}, 1ms, 1000ms);
    ASSERT_FALSE(ms);
    EXPECT_NE(ms.error().message.find("from 1 to 1000"), std::string::npos);

    auto secs = read_seconds({"0", "REFRESH_INTERVAL"}, 1ms, 1500ms);
    ASSERT_FALSE(secs);
    EXPECT_NE(secs.error().message.find("from 0.001 to 1.5"), std::string::npos);

    auto long_text = read_uint({std::string(100, 'x'), "THREADS"}, 0, 1);
    ASSERT_FALSE(long_text);
    EXPECT_LT(long_text.error().message.size(), 120u);
}

TEST(read_values, accepted_values) {
    EXPECT_EQ(read_uint({"8001", "PORT"}, 0, 65535).value(), 8001u);
    EXPECT_EQ(read_millis({"250", "X"}, 1ms, 1000ms).value(), 250ms);
    EXPECT_EQ(read_seconds({"1.5", "X"}, 1ms, 2000ms).value(), 1500ms);
    EXPECT_EQ(read_bool({"yes", "X"}).value(), true);
    EXPECT_EQ(read_non_empty({"  ./data  ", "DATA_DIR"}).value(), "./data");
    EXPECT_FALSE(read_non_empty({"   ", "DATA_DIR"}));
    EXPECT_THROW(read_non_empty({"", "DATA_DIR"}).value(), std::invalid_argument);
}

TEST(read_values, log_levels) {
    for (auto level : {"trace", "debug", "info", "warn", "error", "critical", "off"}) {
        EXPECT_EQ(read_log_level({level, "LOG_LEVEL"}).value(), level);
    }
    EXPECT_EQ(read_log_level({"INFO", "LOG_LEVEL"}).value(), "info");
    EXPECT_EQ(read_log_level({"warning", "LOG_LEVEL"}).value(), "warn");
    auto bad = read_log_level({"verbose", "--log-level"});
    ASSERT_FALSE(bad);
    EXPECT_NE(bad.error().message.find("--log-level: must be one of"), std::string::npos);
}

}  // namespace
}  // namespace solar::core
