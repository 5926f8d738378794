// solar-hf-runner's command line: solar-host's argv, defaults, and exit 2 for bad flags.
#include <solar/runner/runner_config.hpp>

#include <gtest/gtest.h>

#include <string>
#include <vector>

namespace solar::runner {
namespace {

runner_parse_outcome parse(std::vector<std::string> args) {
    args.insert(args.begin(), "solar-hf-runner");
    std::vector<const char*> argv;
    for (auto& a : args) argv.push_back(a.c_str());
    return parse_runner_config(static_cast<int>(argv.size()), argv.data());
}

TEST(runner_config, solar_host_embedding_argv) {
    auto out =
        parse({"--task",      "embedding", "--model-id", "org/name", "--alias",      "embed:minilm",
               "--device",    "cpu",       "--dtype",    "float32",  "--max-length", "256",
               "--normalize", "false",     "--pooling",  "cls",      "--host",       "127.0.0.1",
               "--port",      "8123",      "--api-key",  "k"});
    ASSERT_TRUE(out.config) << out.message;
    const auto& c = *out.config;
    EXPECT_EQ(c.task, runner_task::embedding);
    EXPECT_EQ(c.model_id, "org/name");
    EXPECT_EQ(c.alias, "embed:minilm");
    EXPECT_EQ(c.device, "cpu");
    EXPECT_EQ(c.dtype, "float32");
    EXPECT_EQ(c.max_length, 256u);
    EXPECT_FALSE(c.normalize);
    EXPECT_EQ(c.pooling, "cls");
    EXPECT_EQ(c.port, 8123);
    EXPECT_EQ(c.api_key, "k");
}

TEST(runner_config, classification_with_labels_and_equals_form) {
    auto out = parse(
        {"--task=classification",
         "--model-id=/m",
         "--port=0",
         "--labels",
         "neg, pos",
         "--trust-remote-code",
         "--max-batch-size",
         "8",
         "--max-batch-wait-ms",
         "2",
         "--threads",
         "3"}
    );
    ASSERT_TRUE(out.config) << out.message;
    EXPECT_EQ(out.config->labels, (std::vector<std::string>{"neg", "pos"}));
    EXPECT_TRUE(out.config->trust_remote_code);
    EXPECT_EQ(out.config->alias, "/m");  // defaults to the model id
    EXPECT_EQ(out.config->max_batch_size, 8u);
    EXPECT_EQ(out.config->max_batch_wait, std::chrono::milliseconds(2));
    EXPECT_EQ(out.config->threads, 3u);
}

TEST(runner_config, defaults) {
    auto out = parse({"--task", "embedding", "--model-id", "m", "--port", "1"});
    ASSERT_TRUE(out.config);
    EXPECT_EQ(out.config->max_length, 512u);
    EXPECT_TRUE(out.config->normalize);
    EXPECT_EQ(out.config->pooling, "mean");
    EXPECT_EQ(out.config->max_batch_size, 32u);
    EXPECT_EQ(out.config->max_batch_wait, std::chrono::milliseconds(5));
    EXPECT_EQ(out.config->host, "127.0.0.1");
    EXPECT_EQ(out.config->threads, 0u);  // one per core
}

TEST(runner_config, unknown_flag_exits_2) {
    auto out = parse({"--task", "embedding", "--model-id", "m", "--port", "1", "--bogus", "x"});
    EXPECT_FALSE(out.config);
    EXPECT_EQ(out.exit_code, 2);
    EXPECT_NE(out.message.find("solar-hf-runner: error:"), std::string::npos);
    EXPECT_NE(out.message.find("--bogus"), std::string::npos);
}

TEST(runner_config, bad_values_exit_2_naming_the_flag) {
    for (auto args : std::vector<std::vector<std::string>>{
             {"--task", "generate", "--model-id", "m", "--port", "1"},
             {"--task", "embedding", "--model-id", "m", "--port", "70000"},
             {"--task", "embedding", "--model-id", "m", "--port", "1", "--pooling", "max"},
             {"--task", "embedding", "--model-id", "m", "--port", "1", "--normalize", "maybe"},
             {"--task", "embedding", "--model-id", "m", "--port", "1", "--max-length", "0"},
             {"--task", "embedding", "--model-id", "m"},
         }) {
        auto out = parse(args);
        EXPECT_FALSE(out.config);
        EXPECT_EQ(out.exit_code, 2) << out.message;
    }
    auto out = parse({"--task", "embedding", "--model-id", "m", "--port", "1", "--dtype", "int8"});
    EXPECT_NE(out.message.find("--dtype"), std::string::npos);
}

TEST(runner_config, help_exits_0) {
    auto out = parse({"--help"});
    EXPECT_FALSE(out.config);
    EXPECT_EQ(out.exit_code, 0);
    EXPECT_NE(out.message.find("--model-id"), std::string::npos);
}

}  // namespace
}  // namespace solar::runner
