// The real solar-hf-runner on loopback with the tiny generated models of tests/data/models:
// the llama-server style lines, 503 then 200 on /health, embeddings equal to the independent
// reference (expected.json) within 1e-4, classification shapes, auth, and a clean SIGTERM.
#include <gtest/gtest.h>

#include <csignal>
#include <filesystem>
#include <fstream>
#include <set>

#include "harness/child_process.hpp"
#include "harness/http_client.hpp"
#include "harness/temp_dir.hpp"
#include "harness/wait.hpp"

#if defined(SOLAR_HF_RUNNER_BIN) && defined(SOLAR_TEST_DATA_DIR)

namespace solar::test {
namespace {

namespace fs = std::filesystem;
using namespace std::chrono_literals;
using nlohmann::json;

const fs::path data_dir = SOLAR_TEST_DATA_DIR;
const std::regex port_line(R"(main: HTTP server is listening, hostname: 127\.0\.0\.1, port: (\d+))"
);
const std::regex loaded_line(R"(main: model loaded)");

// A copy of a tiny model with the tokenizer beside it.
fs::path model_copy(const temp_dir& dir, const std::string& name) {
    auto out = dir.file(name);
    fs::copy(data_dir / "models" / name, out, fs::copy_options::recursive);
    // A WordPiece tokenizer over [PAD] [UNK] [CLS] [SEP], a-z and ##a-##z (ids 0-55), small
    // enough for the tiny models' vocabularies.
    fs::copy_file(data_dir / "models" / "tiny_wordpiece_tokenizer.json", out / "tokenizer.json");
    return out;
}

struct runner {
    runner(const temp_dir& dir, std::vector<std::string> args) {
        std::vector<std::string> argv{
            SOLAR_HF_RUNNER_BIN, "--host", "127.0.0.1", "--port", "0", "--api-key", "k"};
        argv.insert(argv.end(), args.begin(), args.end());
        process = std::make_unique<child_process>(
            argv,
            dir.file("runner.log"),
            std::map<std::string, std::string>{{"HF_HUB_OFFLINE", "1"}}
        );
        auto bound = process->wait_for_output_line(port_line, 20s);
        if (bound) port = static_cast<unsigned short>(std::stoi((*bound)[1]));
    }
    http_result post(const std::string& path, const json& body) {
        return http_request(
            "127.0.0.1", port, http::verb::post, path, body.dump(), {{"Authorization", "Bearer k"}}
        );
    }
    std::unique_ptr<child_process> process;
    unsigned short port = 0;
};

TEST(runner_binary, embeddings_match_reference_and_sigterm_exits_0) {
    temp_dir dir;
    auto model = model_copy(dir, "minilm_embedder");
    runner r(
        dir,
        {"--task",
         "embedding",
         "--model-id",
         model.string(),
         "--alias",
         "emb",
         "--pooling",
         "mean",
         "--normalize",
         "true"}
    );
    ASSERT_NE(r.port, 0) << r.process->output();
    ASSERT_TRUE(r.process->wait_for_output_line(loaded_line, 60s)) << r.process->output();
    EXPECT_EQ(http_request("127.0.0.1", r.port, http::verb::get, "/health").status, 200u);

    json expected =
        json::parse(std::ifstream(data_dir / "models" / "minilm_embedder" / "expected.json"));
    json inputs = json::array();
    // Token-id inputs carry no type ids (OpenAI's shape): compare the single-segment ones.
    std::vector<std::size_t> compared;
    for (std::size_t i = 0; i < expected["inputs"].size(); ++i) {
        const auto& in = expected["inputs"][i];
        bool one_segment = true;
        for (const auto& t : in["type_ids"]) one_segment = one_segment && t == 0;
        if (!one_segment) continue;
        inputs.push_back(in["ids"]);
        compared.push_back(i);
    }
    ASSERT_GE(compared.size(), 4u);
    auto res = r.post("/v1/embeddings", {{"input", inputs}});
    ASSERT_EQ(res.status, 200u) << res.body;
    auto body = res.json();
    const auto& want = expected["embeddings"]["mean"]["normalized"];
    ASSERT_EQ(body["data"].size(), compared.size());
    for (std::size_t k = 0; k < compared.size(); ++k) {
        const auto& got = body["data"][k]["embedding"];
        const auto& ref = want[compared[k]];
        ASSERT_EQ(got.size(), ref.size());
        for (std::size_t j = 0; j < got.size(); ++j) {
            EXPECT_NEAR(got[j].get<double>(), ref[j].get<double>(), 1e-4) << k << "," << j;
        }
    }
    auto text = r.post("/v1/embeddings", {{"input", "hello world"}});
    ASSERT_EQ(text.status, 200u);
    EXPECT_EQ(text.json()["usage"]["prompt_tokens"], 12);  // [CLS] h ##e ##l ##l ##o w ... [SEP]
    auto tokens = r.post("/tokenize", {{"content", "ab"}, {"add_special", true}});
    EXPECT_EQ(tokens.json()["tokens"], json::parse("[2,4,31,3]"));
    EXPECT_EQ(http_request("127.0.0.1", r.port, http::verb::get, "/v1/models").status, 401u);

    // The timing block solar-host reads.
    EXPECT_TRUE(r.process->wait_for_output_line(
        std::regex(R"(^prompt eval time =\s+[\d.]+ ms /\s+12 tokens)"), 5s
    ));
    EXPECT_TRUE(r.process->wait_for_output_line(std::regex("slot      release: id  0 \\| task"), 5s)
    );

    int status = r.process->terminate(10s);
    ASSERT_TRUE(WIFEXITED(status)) << r.process->output();
    EXPECT_EQ(WEXITSTATUS(status), 0);
}

TEST(runner_binary, classification_labels_from_config) {
    temp_dir dir;
    auto model = model_copy(dir, "bert_classifier");
    runner r(dir, {"--task", "classification", "--model-id", model.string(), "--alias", "clf"});
    ASSERT_NE(r.port, 0) << r.process->output();
    ASSERT_TRUE(r.process->wait_for_output_line(loaded_line, 60s)) << r.process->output();
    auto res = r.post("/v1/classify", {{"input", {"good", "bad"}}, {"top_k", 3}});
    ASSERT_EQ(res.status, 200u) << res.body;
    auto body = res.json();
    ASSERT_EQ(body["choices"].size(), 2u);
    std::set<std::string> labels;
    for (const auto& s : body["choices"][0]["scores"]) labels.insert(s["label"]);
    EXPECT_EQ(labels, (std::set<std::string>{"negative", "neutral", "positive"}));
    auto models =
        http_request("127.0.0.1", r.port, http::verb::get, "/v1/models", "", {{"X-API-Key", "k"}});
    EXPECT_EQ(
        models.json()["data"][0]["labels"], json::parse(R"(["negative","neutral","positive"])")
    );
}

TEST(runner_binary, bad_flag_exits_2_and_causal_on_an_encoder_fails_clearly) {
    temp_dir dir;
    child_process bad(
        {SOLAR_HF_RUNNER_BIN, "--task", "embedding", "--model-id", "m", "--port", "0", "--bogus"},
        dir.file("bad.log")
    );
    ASSERT_TRUE(bad.wait_for_exit(10s));
    EXPECT_EQ(bad.exit_code(), 2);
    // --task causal serves decoders (causal_runner_test.cpp); an encoder is refused at load.
    auto encoder = model_copy(dir, "minilm_embedder");
    child_process causal(
        {SOLAR_HF_RUNNER_BIN, "--task", "causal", "--model-id", encoder.string(), "--port", "0"},
        dir.file("causal.log"),
        {{"HF_HUB_OFFLINE", "1"}}
    );
    ASSERT_TRUE(causal.wait_for_exit(20s));
    EXPECT_EQ(causal.exit_code(), 1);
    EXPECT_NE(causal.output().find("failed to load model"), std::string::npos) << causal.output();
}

TEST(runner_binary, missing_model_exits_1) {
    temp_dir dir;
    child_process p(
        {SOLAR_HF_RUNNER_BIN, "--task", "embedding", "--model-id", "org/absent", "--port", "0"},
        dir.file("p.log"),
        {{"HF_HUB_OFFLINE", "1"}, {"HF_HUB_CACHE", dir.path().string()}}
    );
    ASSERT_TRUE(p.wait_for_exit(20s)) << p.output();
    EXPECT_EQ(p.exit_code(), 1);
    EXPECT_NE(p.output().find("HF_HUB_OFFLINE"), std::string::npos) << p.output();
}

}  // namespace
}  // namespace solar::test

#endif
