// The real solar-hf-runner under the real solar-host, behind solar-control: solar-host spawns it
// with its argument mapping, waits for its /health, reads its timing lines, and the gateway
// routes /v1/embeddings, /v1/classify and (a causal runner) /v1/completions to it.
#include <gtest/gtest.h>

#if defined(SOLAR_HF_RUNNER_REAL_BIN) && defined(SOLAR_TEST_DATA_DIR)

#include <cmath>
#include <filesystem>

#include "harness/control_process.hpp"
#include "harness/wait.hpp"
#include "host/host_process.hpp"

namespace solar::test {
namespace {

namespace fs = std::filesystem;
using namespace std::chrono_literals;
using nlohmann::json;

const fs::path data_dir = SOLAR_TEST_DATA_DIR;

// A copy of a tiny generated model with the tiny WordPiece tokenizer beside it.
fs::path model_copy(const host_process& host, const std::string& name) {
    auto out = host.data().path() / name;
    fs::copy(data_dir / "models" / name, out, fs::copy_options::recursive);
    fs::copy_file(data_dir / "models" / "tiny_wordpiece_tokenizer.json", out / "tokenizer.json");
    return out;
}

TEST(host_runner_test, the_gateway_reaches_real_runners_that_solar_host_supervises) {
    host_process host;
    host.start("host-key", {"--hf-runner-path", SOLAR_HF_RUNNER_REAL_BIN});
    auto embedder = host.create(
        {{"backend_type", "huggingface_embedding"},
         {"model_id", model_copy(host, "minilm_embedder").string()},
         {"alias", "embed:tiny"},
         {"host", "127.0.0.1"},
         {"port", free_port()},
         {"api_key", "ek"},
         {"device", "cpu"}}
    );
    // The parameter count is read from the safetensors headers.
    EXPECT_GT(embedder["parameter_count"].get<std::uint64_t>(), 1000u);
    EXPECT_EQ(embedder["parameter_count_source"], "model");
    auto classifier = host.create(
        {{"backend_type", "huggingface_classification"},
         {"model_id", model_copy(host, "bert_classifier").string()},
         {"alias", "sentiment:tiny"},
         {"host", "127.0.0.1"},
         {"port", free_port()},
         {"api_key", "ck"}}
    );
    for (const auto& instance : {embedder, classifier}) {
        std::string id = instance["id"];
        host.start_instance(id);
        auto running = host.wait_for_status(id, "running", 60s);
        ASSERT_TRUE(running) << host.instance(id).dump() << "\n"
                             << host.get("/instances/" + id + "/logs").body;
    }

    control_process control;
    control.start("gateway-key", {"--refresh-interval-ms", "500"});
    control.add_host("cpu-1", host.url(), "host-key");
    ASSERT_TRUE(control.wait_for_model("embed:tiny"));
    ASSERT_TRUE(control.wait_for_model("sentiment:tiny"));

    auto embedded =
        control.post("/v1/embeddings", {{"model", "embed:tiny"}, {"input", {"abc", "hello"}}});
    ASSERT_EQ(embedded.status, 200) << embedded.body;
    auto body = embedded.json();
    ASSERT_EQ(body["data"].size(), 2u);
    double norm = 0;
    for (const auto& v : body["data"][0]["embedding"]) norm += v.get<double>() * v.get<double>();
    EXPECT_NEAR(std::sqrt(norm), 1.0, 1e-4) << "normalize defaults to true";
    EXPECT_GT(body["usage"]["prompt_tokens"].get<int>(), 2);

    auto classified =
        control.post("/v1/classify", {{"model", "sentiment:tiny"}, {"input", "great"}});
    ASSERT_EQ(classified.status, 200) << classified.body;
    EXPECT_EQ(classified.json()["object"], "classification");
    EXPECT_TRUE(classified.json()["choices"][0]["label"].is_string());
    // Each endpoint only reaches the backend that serves it.
    EXPECT_EQ(control.post("/v1/classify", {{"model", "embed:tiny"}, {"input", "x"}}).status, 400);

    // solar-host read the runner's timing block.
    std::string id = embedder["id"];
    json generation;
    ASSERT_TRUE(wait_until([&] {
        auto answer = host.get("/instances/" + id + "/last-generation");
        if (answer.status != 200) return false;
        generation = answer.json();
        return true;
    }));
    EXPECT_EQ(generation["prompt_tokens"], body["usage"]["prompt_tokens"]);

    host.stop();
    EXPECT_TRUE(child_pids(host.process().pid()).empty());
}

TEST(host_runner_test, a_causal_runner_completes_through_the_gateway_and_reports_its_timing) {
    host_process host;
    host.start("host-key", {"--hf-runner-path", SOLAR_HF_RUNNER_REAL_BIN});
    auto model = host.data().path() / "llama_tiny";
    fs::copy(data_dir / "models" / "llama_tiny", model, fs::copy_options::recursive);
    auto llm = host.create(
        {{"backend_type", "huggingface_causal"},
         {"model_id", model.string()},
         {"alias", "llama:tiny"},
         {"host", "127.0.0.1"},
         {"port", free_port()},
         {"api_key", "lk"},
         {"max_length", 256}}
    );
    std::string id = llm["id"];
    host.start_instance(id);
    ASSERT_TRUE(host.wait_for_status(id, "running", 60s))
        << host.instance(id).dump() << "\n"
        << host.get("/instances/" + id + "/logs").body;

    control_process control;
    control.start("gateway-key", {"--refresh-interval-ms", "500"});
    control.add_host("cpu-1", host.url(), "host-key");
    ASSERT_TRUE(control.wait_for_model("llama:tiny"));
    auto done = control.post(
        "/v1/completions",
        {{"model", "llama:tiny"}, {"prompt", "Hello"}, {"max_tokens", 7}, {"temperature", 0}}
    );
    ASSERT_EQ(done.status, 200) << done.body;
    auto body = done.json();
    EXPECT_EQ(body["object"], "text_completion");
    EXPECT_EQ(body["usage"]["completion_tokens"], 7);

    json generation;
    ASSERT_TRUE(wait_until([&] {
        auto answer = host.get("/instances/" + id + "/last-generation");
        if (answer.status != 200) return false;
        generation = answer.json();
        return true;
    }));
    EXPECT_EQ(generation["prompt_tokens"], body["usage"]["prompt_tokens"]);
    EXPECT_EQ(generation["generated_tokens"], 7);
    EXPECT_GT(generation["generation_tokens_per_second"].get<double>(), 0.0);

    host.stop();
    EXPECT_TRUE(child_pids(host.process().pid()).empty());
}

}  // namespace
}  // namespace solar::test

#endif
