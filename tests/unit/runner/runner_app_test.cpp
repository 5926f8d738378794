// The runner in-process with a fake model: 503 while loading, then every endpoint's shape,
// auth, errors, batching across concurrent clients, and a clean stop.
#include <solar/runner/runner_app.hpp>

#include <gtest/gtest.h>

#include <filesystem>
#include <future>
#include <thread>

#include "test_http.hpp"

namespace solar::runner {
namespace {

using json = nlohmann::json;
namespace http = boost::beast::http;
using test::http_call;

struct byte_tokenizer final : text_tokenizer {
    tokenized_text encode(std::string_view text, bool add_special, std::size_t max_length)
        const override {
        tokenized_text out;
        if (add_special) out.ids.push_back(1);
        for (unsigned char c : text) out.ids.push_back(10 + c);
        if (add_special) out.ids.push_back(2);
        if (max_length && out.ids.size() > max_length) {
            out.ids.resize(max_length);
            out.truncated = true;
        }
        out.type_ids.assign(out.ids.size(), 0);
        return out;
    }
    std::string decode(std::span<const std::int32_t> ids, bool) const override {
        std::string s;
        for (auto id : ids)
            s += id >= 10 ? std::string(1, char(id - 10)) : "[" + std::to_string(id) + "]";
        return s;
    }
    std::size_t vocab_size() const override { return 266; }
};

// Row per sequence: {length, 1, 0, 0} (classification: logits favouring label length % 3).
struct fake_backend final : inference_backend {
    explicit fake_backend(std::atomic<int>& passes) : passes(passes) {
        facts_.labels = {"neg", "neu", "pos"};
        facts_.hidden_size = 4;
        facts_.max_positions = 16;
        facts_.parameters = 1234;
    }
    std::vector<std::vector<float>>
    forward(const std::vector<std::vector<std::int32_t>>& ids, const std::vector<std::vector<std::int32_t>>&)
        override {
        ++passes;
        std::vector<std::vector<float>> rows;
        for (const auto& s : ids) {
            std::vector<float> row{0, 0, 0, 0};
            row[s.size() % 3] = 3.0f;
            row[3] = float(s.size());
            if (classify) row.resize(3);
            rows.push_back(row);
        }
        return rows;
    }
    const backend_facts& facts() const override { return facts_; }
    backend_facts facts_;
    std::atomic<int>& passes;
    bool classify = false;
};

struct running_app {
    running_app(runner_task task, std::shared_future<void> gate = {}) {
        config.task = task;
        config.model_id = std::filesystem::temp_directory_path().string();
        config.alias = "test:model";
        config.api_key = "secret";
        config.max_batch_wait = std::chrono::milliseconds(50);
        app = std::make_unique<runner_app>(
            config,
            [this, gate](const std::filesystem::path&, const runner_config&) {
                if (gate.valid()) gate.wait();
                loaded_model m;
                m.tokenizer = std::make_unique<byte_tokenizer>();
                auto backend = std::make_unique<fake_backend>(passes);
                backend->classify = config.task == runner_task::classification;
                m.backend = std::move(backend);
                return m;
            },
            [](const std::string&) { return std::optional<std::string>{}; }
        );
        port = app->listen().port();
        thread = std::thread([this] { exit_code = app->run(false); });
    }
    ~running_app() {
        app->stop();
        thread.join();
    }
    test::reply post(const std::string& path, const json& body) {
        return http_call(
            port, http::verb::post, path, body.dump(), {{"Authorization", "Bearer secret"}}
        );
    }
    void wait_ready() {
        for (int i = 0; i < 500 && !app->ready(); ++i)
            std::this_thread::sleep_for(std::chrono::milliseconds(5));
        ASSERT_TRUE(app->ready());
    }

    runner_config config;
    std::atomic<int> passes{0};
    std::unique_ptr<runner_app> app;
    unsigned short port = 0;
    std::thread thread;
    int exit_code = -1;
};

TEST(runner_app, health_is_503_while_loading_then_200) {
    std::promise<void> release;
    running_app r(runner_task::embedding, release.get_future().share());
    auto loading = http_call(r.port, http::verb::get, "/health");
    EXPECT_EQ(loading.status, 503);
    EXPECT_EQ(
        json::parse(loading.body),
        json::parse(R"({"error":{"code":503,"message":"Loading model","type":"unavailable_error"}})"
        )
    );
    auto early = r.post("/v1/embeddings", {{"input", "x"}});
    EXPECT_EQ(early.status, 503);
    EXPECT_EQ(json::parse(early.body)["error"]["code"], "model_loading");
    release.set_value();
    r.wait_ready();
    auto ready = http_call(r.port, http::verb::get, "/health");
    EXPECT_EQ(ready.status, 200);
    EXPECT_EQ(json::parse(ready.body), json::parse(R"({"status":"ok"})"));
}

TEST(runner_app, embeddings_models_and_auth) {
    running_app r(runner_task::embedding);
    r.wait_ready();
    EXPECT_EQ(http_call(r.port, http::verb::get, "/v1/models").status, 401);
    auto models = http_call(r.port, http::verb::get, "/v1/models", "", {{"X-API-Key", "secret"}});
    ASSERT_EQ(models.status, 200);
    auto m = json::parse(models.body)["data"][0];
    EXPECT_EQ(m["id"], "test:model");
    EXPECT_EQ(m["owned_by"], "solar-hf-runner");
    EXPECT_EQ(m["task"], "embedding");
    EXPECT_EQ(m["max_length"], 16);  // --max-length 512 capped by the model's 16 positions

    auto res = r.post("/v1/embeddings", {{"input", {"ab", "abcd"}}, {"model", "test:model"}});
    ASSERT_EQ(res.status, 200) << res.body;
    auto body = json::parse(res.body);
    EXPECT_EQ(body["data"].size(), 2u);
    EXPECT_EQ(body["data"][1]["index"], 1);
    EXPECT_EQ(body["data"][0]["embedding"][3], 4.0);  // [CLS] a b [SEP]
    EXPECT_EQ(body["usage"]["prompt_tokens"], 4 + 6);

    auto shortened = r.post(
        "/v1/embeddings", {{"input", "ab"}, {"dimensions", 2}, {"encoding_format", "base64"}}
    );
    ASSERT_EQ(shortened.status, 200);
    EXPECT_TRUE(json::parse(shortened.body)["data"][0]["embedding"].is_string());

    auto ids = r.post("/v1/embeddings", {{"input", {20, 21, 22}}});
    ASSERT_EQ(ids.status, 200);
    EXPECT_EQ(json::parse(ids.body)["usage"]["prompt_tokens"], 3);

    auto too_long =
        r.post("/v1/embeddings", {{"input", std::string(40, 'x')}, {"truncate", false}});
    EXPECT_EQ(too_long.status, 400);
    EXPECT_EQ(json::parse(too_long.body)["error"]["param"], "input");
    auto cut = r.post("/v1/embeddings", {{"input", std::string(40, 'x')}});
    EXPECT_EQ(json::parse(cut.body)["usage"]["prompt_tokens"], 16);

    auto bad = r.post("/v1/embeddings", {{"inputs", "x"}});
    EXPECT_EQ(bad.status, 400);
    EXPECT_EQ(json::parse(bad.body)["error"]["type"], "invalid_request_error");
    auto not_json =
        http_call(r.port, http::verb::post, "/v1/embeddings", "{", {{"X-API-Key", "secret"}});
    EXPECT_EQ(not_json.status, 400);
    EXPECT_EQ(r.post("/v1/classify", {{"input", "x"}}).status, 404);
    EXPECT_EQ(
        http_call(r.port, http::verb::get, "/v1/embeddings", "", {{"X-API-Key", "secret"}}).status,
        405
    );
    EXPECT_EQ(r.post("/nope", json::object()).status, 404);
}

TEST(runner_app, classify_tokenize_detokenize) {
    running_app r(runner_task::classification);
    r.wait_ready();
    auto res = r.post("/v1/classify", {{"input", {"a", "ab"}}, {"top_k", 3}});
    ASSERT_EQ(res.status, 200) << res.body;
    auto body = json::parse(res.body);
    EXPECT_EQ(body["object"], "classification");
    EXPECT_TRUE(body["id"].get<std::string>().starts_with("clf-"));
    EXPECT_EQ(body["choices"][0]["label"], "neg");  // 3 tokens -> 3 % 3 = 0
    EXPECT_EQ(body["choices"][1]["label"], "neu");  // 4 tokens
    EXPECT_EQ(body["choices"][0]["scores"].size(), 3u);
    EXPECT_EQ(body["usage"]["total_tokens"], 7);

    auto tok = r.post("/tokenize", {{"content", "hi"}});
    ASSERT_EQ(tok.status, 200);
    EXPECT_EQ(json::parse(tok.body)["tokens"], json::parse("[114,115]"));
    auto special = r.post("/tokenize", {{"content", "hi"}, {"add_special", true}});
    EXPECT_EQ(json::parse(special.body)["tokens"], json::parse("[1,114,115,2]"));
    auto pieces = r.post("/tokenize", {{"content", "h"}, {"with_pieces", true}});
    EXPECT_EQ(json::parse(pieces.body)["tokens"][0]["piece"], "h");
    auto detok = r.post("/detokenize", {{"tokens", {114, 115}}});
    ASSERT_EQ(detok.status, 200);
    EXPECT_EQ(json::parse(detok.body)["content"], "hi");
    EXPECT_EQ(r.post("/detokenize", {{"tokens", {9999}}}).status, 400);
}

TEST(runner_app, concurrent_clients_share_forward_passes) {
    running_app r(runner_task::embedding);
    r.wait_ready();
    int before = r.passes.load();
    std::vector<std::future<unsigned>> clients;
    for (int i = 0; i < 8; ++i) {
        clients.push_back(std::async(std::launch::async, [&r] {
            return r.post("/v1/embeddings", {{"input", "abc"}}).status;
        }));
    }
    for (auto& c : clients) EXPECT_EQ(c.get(), 200u);
    // 8 requests in a 50 ms window: far fewer passes than requests.
    EXPECT_LT(r.passes.load() - before, 8);
}

TEST(runner_app, load_failure_exits_1) {
    runner_config config;
    config.model_id = "/definitely/not/here";
    config.task = runner_task::embedding;
    runner_app app{
        config,
        [](const auto&, const auto&) -> loaded_model { throw std::runtime_error("x"); },
        [](const std::string&) { return std::optional<std::string>{}; }};
    app.listen();
    EXPECT_EQ(app.run(false), 1);  // not a directory and not a hub id
}

}  // namespace
}  // namespace solar::runner
