// The real solar-hf-runner --task causal on the tiny Llama (tests/data/models/llama_tiny):
// greedy output equal to llama.cpp's greedy tokens (llamacpp_goldens.json, which the decoder's
// greedy_generate matches in unit_runner_torch), streamed equal to whole, seed determinism,
// concurrent equal to sequential, chat 400 without a template and rendered with one, a client
// leaving mid-stream stopping the generation, and the timing lines solar-host reads.
#include <boost/asio/connect.hpp>
#include <boost/asio/io_context.hpp>
#include <boost/asio/ip/tcp.hpp>
#include <boost/beast/core.hpp>
#include <boost/beast/http.hpp>

#include <gtest/gtest.h>

#include <filesystem>
#include <fstream>
#include <future>
#include <regex>

#include "harness/child_process.hpp"
#include "harness/http_client.hpp"
#include "harness/temp_dir.hpp"

#if defined(SOLAR_HF_RUNNER_BIN) && defined(SOLAR_TEST_DATA_DIR)

namespace solar::test {
namespace {

namespace fs = std::filesystem;
using namespace std::chrono_literals;
using nlohmann::json;

const fs::path model_dir = fs::path(SOLAR_TEST_DATA_DIR) / "models" / "llama_tiny";
const std::regex port_line(R"(main: HTTP server is listening, hostname: 127\.0\.0\.1, port: (\d+))"
);
const std::regex loaded_line(R"(main: model loaded)");

// A Llama-2 style template, for the copy of the model that has one.
const char* llama2_template =
    "{{ bos_token }}{% for m in messages %}{% if m['role'] == 'user' %}[INST] {{ m['content'] }} "
    "[/INST]{% else %} {{ m['content'] }}{{ eos_token }}{% endif %}{% endfor %}";

struct causal_runner {
    causal_runner(const temp_dir& dir, const fs::path& model, std::vector<std::string> extra = {}) {
        std::vector<std::string> argv{
            SOLAR_HF_RUNNER_BIN,
            "--host",
            "127.0.0.1",
            "--port",
            "0",
            "--api-key",
            "k",
            "--task",
            "causal",
            "--model-id",
            model.string(),
            "--alias",
            "tiny",
            "--max-length",
            "4096"};
        argv.insert(argv.end(), extra.begin(), extra.end());
        process = std::make_unique<child_process>(
            argv,
            dir.file("runner.log"),
            std::map<std::string, std::string>{{"HF_HUB_OFFLINE", "1"}}
        );
        auto bound = process->wait_for_output_line(port_line, 20s);
        if (bound) port = static_cast<unsigned short>(std::stoi((*bound)[1]));
        ready = port != 0 && process->wait_for_output_line(loaded_line, 60s).has_value();
    }
    http_result post(const std::string& path, const json& body) {
        return http_request(
            "127.0.0.1",
            port,
            http::verb::post,
            path,
            body.dump(),
            {{"Authorization", "Bearer k"}},
            60s
        );
    }
    std::string text(const json& body) {
        auto res = post("/v1/completions", body);
        EXPECT_EQ(res.status, 200u) << res.body;
        return res.json()["choices"][0]["text"];
    }
    std::unique_ptr<child_process> process;
    unsigned short port = 0;
    bool ready = false;
};

// Posts and reads the SSE data payloads until [DONE]; with `leave_after` > 0, closes the
// connection after that many events instead.
std::vector<std::string> sse_events(
    unsigned short port, const std::string& path, const json& body, std::size_t leave_after = 0
) {
    namespace beast = boost::beast;
    boost::asio::io_context ioc;
    beast::tcp_stream stream{ioc};
    stream.expires_after(60s);
    stream.connect({boost::asio::ip::make_address("127.0.0.1"), port});
    http::request<http::string_body> req{http::verb::post, path, 11};
    req.set(http::field::host, "127.0.0.1");
    req.set(http::field::authorization, "Bearer k");
    req.set(http::field::content_type, "application/json");
    req.body() = body.dump();
    req.prepare_payload();
    http::write(stream, req);
    beast::flat_buffer buffer;
    http::response_parser<http::buffer_body> parser;
    http::read_header(stream, buffer, parser);
    EXPECT_EQ(parser.get().result_int(), 200u);
    EXPECT_EQ(parser.get()[http::field::content_type], "text/event-stream");
    std::vector<std::string> events;
    std::string data;
    char chunk[8192];
    while (!parser.is_done()) {
        parser.get().body().data = chunk;
        parser.get().body().size = sizeof chunk;
        boost::system::error_code ec;
        http::read(stream, buffer, parser, ec);
        if (ec == http::error::need_buffer) ec = {};
        if (ec) break;
        data.append(chunk, sizeof chunk - parser.get().body().size);
        for (auto end = data.find("\n\n"); end != std::string::npos; end = data.find("\n\n")) {
            EXPECT_EQ(data.rfind("data: ", 0), 0u);
            events.push_back(data.substr(6, end - 6));
            data.erase(0, end + 2);
            if (leave_after && events.size() >= leave_after) return events;
        }
    }
    return events;
}

std::string streamed_text(const std::vector<std::string>& events, bool chat) {
    std::string text;
    for (const auto& e : events) {
        if (e == "[DONE]") break;
        auto chunk = json::parse(e);
        if (chunk["choices"].empty()) continue;
        const auto& choice = chunk["choices"][0];
        if (chat) {
            if (choice["delta"].contains("content")) text += choice["delta"]["content"];
        } else {
            text += choice["text"].get<std::string>();
        }
    }
    return text;
}

json goldens() {
    std::ifstream in(model_dir / "llamacpp_goldens.json");
    return json::parse(in);
}

class causal_runner_test : public ::testing::Test {
protected:
    static void SetUpTestSuite() {
        dir_ = new temp_dir;
        runner_ = new causal_runner(*dir_, model_dir);
    }
    static void TearDownTestSuite() {
        delete runner_;
        delete dir_;
    }
    void SetUp() override { ASSERT_TRUE(runner_->ready) << runner_->process->output(); }
    static temp_dir* dir_;
    static causal_runner* runner_;
};
temp_dir* causal_runner_test::dir_ = nullptr;
causal_runner* causal_runner_test::runner_ = nullptr;

TEST_F(causal_runner_test, greedy_equals_the_reference_tokens_whole_and_streamed) {
    auto& r = *runner_;
    // Kept in a local: a range-for over goldens()["cases"] would iterate a destroyed temporary.
    const auto all = goldens();
    for (const auto& c : all["cases"]) {
        std::vector<std::int32_t> prompt = c["prompt_ids"];
        std::vector<std::int32_t> greedy = c["greedy"];
        json body{{"prompt", prompt}, {"max_tokens", greedy.size()}, {"temperature", 0}};
        auto whole = r.post("/v1/completions", body);
        ASSERT_EQ(whole.status, 200u) << whole.body;
        auto answer = whole.json();
        std::string text = answer["choices"][0]["text"];
        // The text the reference tokens make after the prompt, decoded with the prompt so
        // SentencePiece's leading space comes out as it does in the whole text.
        auto all = prompt;
        all.insert(all.end(), greedy.begin(), greedy.end());
        auto with = r.post("/detokenize", {{"tokens", all}}).json()["content"].get<std::string>();
        auto without =
            r.post("/detokenize", {{"tokens", prompt}}).json()["content"].get<std::string>();
        ASSERT_EQ(with.rfind(without, 0), 0u);
        EXPECT_EQ(text, with.substr(without.size())) << c["text"];
        EXPECT_EQ(answer["usage"]["prompt_tokens"], prompt.size());
        EXPECT_EQ(answer["usage"]["completion_tokens"], greedy.size());
        EXPECT_EQ(answer["choices"][0]["finish_reason"], "length");

        body["stream"] = true;
        auto events = sse_events(r.port, "/v1/completions", body);
        ASSERT_FALSE(events.empty());
        EXPECT_EQ(events.back(), "[DONE]");
        EXPECT_EQ(streamed_text(events, false), text);
    }
}

TEST_F(causal_runner_test, same_seed_same_text_and_eos_or_length) {
    auto& r = *runner_;
    json body{
        {"prompt", "Once upon a time"}, {"max_tokens", 24}, {"temperature", 1.0}, {"seed", 7}};
    auto first = r.text(body);
    EXPECT_EQ(r.text(body), first);
    body["seed"] = 8;
    EXPECT_NE(r.text(body), first);
    body["top_k"] = 1;  // top-k 1 is greedy whatever the seed
    body["seed"] = 1;
    auto k1 = r.text(body);
    body["seed"] = 2;
    EXPECT_EQ(r.text(body), k1);
}

TEST_F(causal_runner_test, concurrent_requests_equal_the_same_requests_one_by_one) {
    auto& r = *runner_;
    std::vector<json> bodies;
    for (int i = 0; i < 4; ++i) {
        bodies.push_back(
            {{"prompt", "Request number " + std::to_string(i)},
             {"max_tokens", 40 + 5 * i},
             {"temperature", 0.8},
             {"seed", 11 + i}}
        );
    }
    std::vector<std::string> sequential;
    for (const auto& b : bodies) sequential.push_back(r.text(b));
    std::vector<std::future<std::string>> concurrent;
    for (const auto& b : bodies) {
        concurrent.push_back(std::async(std::launch::async, [&r, b] { return r.text(b); }));
    }
    for (std::size_t i = 0; i < bodies.size(); ++i) EXPECT_EQ(concurrent[i].get(), sequential[i]);
}

TEST_F(causal_runner_test, chat_without_a_template_is_400) {
    auto res = runner_->post(
        "/v1/chat/completions", {{"messages", {{{"role", "user"}, {"content", "hi"}}}}}
    );
    EXPECT_EQ(res.status, 400u);
    EXPECT_EQ(res.json()["error"]["param"], "messages");
    EXPECT_EQ(res.json()["error"]["code"], "chat_template_missing");
}

TEST_F(causal_runner_test, a_client_leaving_mid_stream_stops_the_generation) {
    auto& r = *runner_;
    auto events = sse_events(
        r.port,
        "/v1/completions",
        {{"prompt", "Hello"}, {"stream", true}, {"max_tokens", 4000}, {"temperature", 0}},
        2
    );
    ASSERT_EQ(events.size(), 2u);
    auto cancelled = r.process->wait_for_output_line(
        std::regex(R"(srv  cancel_tasks: cancel task, id_task = (\d+))"), 20s
    );
    ASSERT_TRUE(cancelled) << r.process->output();
    auto released = r.process->wait_for_output_line(
        std::regex(
            "slot      release: id  0 \\| task " + (*cancelled)[1] +
            " \\| stop processing: "
            "n_past = (\\d+)"
        ),
        10s
    );
    ASSERT_TRUE(released);
    EXPECT_LT(std::stoi((*released)[1]), 2 + 4000);
    // It serves the next request as usual.
    EXPECT_EQ(r.text({{"prompt", "Hi"}, {"max_tokens", 3}}).empty(), false);
}

TEST_F(causal_runner_test, timing_lines_count_prompt_and_generated_tokens) {
    auto& r = *runner_;
    r.text({{"prompt", {1, 15043, 3186}}, {"max_tokens", 5}, {"temperature", 0}});
    auto eval = r.process->wait_for_output_line(
        std::regex(
            R"(^\s+eval time =\s+[\d.]+ ms /\s+5 tokens \(\s*[\d.]+ ms per token,\s+[\d.]+ tokens per second\)$)"
        ),
        10s
    );
    EXPECT_TRUE(eval) << r.process->output();
    auto prompt = r.process->wait_for_output_line(
        std::regex(R"(^prompt eval time =\s+[\d.]+ ms /\s+3 tokens)"), 10s
    );
    EXPECT_TRUE(prompt);
    EXPECT_TRUE(r.process->wait_for_output_line(
        std::regex(R"(total time =\s+[\d.]+ ms /\s+8 tokens$)"), 10s
    ));
}

TEST(causal_runner_chat, a_template_beside_the_model_renders_chat_whole_and_streamed) {
    temp_dir dir;
    auto model = dir.file("llama_tiny");
    fs::copy(model_dir, model, fs::copy_options::recursive);
    std::ofstream(model / "chat_template.jinja") << llama2_template;
    causal_runner r(dir, model);
    ASSERT_TRUE(r.ready) << r.process->output();
    json body{
        {"messages", {{{"role", "user"}, {"content", "Hello"}}}},
        {"max_tokens", 12},
        {"temperature", 0}};
    auto res = r.post("/v1/chat/completions", body);
    ASSERT_EQ(res.status, 200u) << res.body;
    auto answer = res.json();
    EXPECT_EQ(answer["object"], "chat.completion");
    EXPECT_EQ(answer["choices"][0]["message"]["role"], "assistant");
    std::string content = answer["choices"][0]["message"]["content"];
    // The same tokens as the rendered prompt sent to /v1/completions: "<s>[INST] Hello [/INST]",
    // tokenized without adding another <s>.
    auto ids = r.post("/tokenize", {{"content", "<s>[INST] Hello [/INST]"}}).json()["tokens"];
    EXPECT_EQ(answer["usage"]["prompt_tokens"], ids.size());
    auto same =
        r.post("/v1/completions", {{"prompt", ids}, {"max_tokens", 12}, {"temperature", 0}});
    EXPECT_EQ(same.json()["choices"][0]["text"], content);

    body["stream"] = true;
    auto events = sse_events(r.port, "/v1/chat/completions", body);
    ASSERT_GE(events.size(), 3u);
    EXPECT_EQ(json::parse(events.front())["choices"][0]["delta"]["role"], "assistant");
    EXPECT_EQ(events.back(), "[DONE]");
    EXPECT_EQ(streamed_text(events, true), content);
}

}  // namespace
}  // namespace solar::test

#endif
