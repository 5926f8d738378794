// /v1/completions and /v1/chat/completions in-process over the fake decoder: OpenAI shapes,
// the chat template (and its absence), SSE framing with whole UTF-8, cancel on disconnect
// (streamed and not), and concurrent requests equal to the same requests one by one.
#include <solar/runner/generation_routes.hpp>
#include <solar/runner/runner_app.hpp>

#include <boost/asio/connect.hpp>

#include <gtest/gtest.h>

#include <filesystem>
#include <functional>
#include <future>
#include <thread>

#include "fake_decoder.hpp"
#include "test_http.hpp"

namespace solar::runner {
namespace {

using json = nlohmann::json;
namespace http = boost::beast::http;
using test::http_call;

struct causal_app {
    causal_app(test::logits_fn fn, std::optional<std::string> chat_template = std::nullopt) {
        config.task = runner_task::causal;
        config.model_id = std::filesystem::temp_directory_path().string();
        config.alias = "tiny:causal";
        config.api_key = "k";
        config.max_length = 1 << 20;
        app = std::make_unique<runner_app>(
            config,
            [this, fn, chat_template](const std::filesystem::path&, const runner_config&) {
                loaded_model m;
                m.tokenizer = std::make_unique<test::fake_tokenizer>();
                auto decoder = std::make_unique<test::fake_decoder>(fn);
                model = decoder.get();
                m.decoder = std::move(decoder);
                m.causal.eos_ids = {test::eos_id};
                m.causal.defaults.sampling.temperature = 0;
                if (chat_template) m.causal.chat = chat_prompt::from_text(*chat_template, "", "");
                return m;
            },
            [](const std::string&) { return std::optional<std::string>{}; }
        );
        port = app->listen().port();
        thread = std::thread([this] { app->run(false); });
        for (int i = 0; i < 1000 && !app->ready(); ++i) {
            std::this_thread::sleep_for(std::chrono::milliseconds(2));
        }
    }
    ~causal_app() {
        app->stop();
        thread.join();
    }
    test::reply post(const std::string& path, const json& body) {
        return http_call(
            port, http::verb::post, path, body.dump(), {{"Authorization", "Bearer k"}}
        );
    }
    // Waits (bounded) until the decoder holds no sequence: the generation was dropped.
    bool wait_no_sequences() {
        for (int i = 0; i < 5000; ++i) {
            if (model->live.load() == 0) return true;
            std::this_thread::sleep_for(std::chrono::milliseconds(1));
        }
        return false;
    }

    runner_config config;
    test::fake_decoder* model = nullptr;
    std::unique_ptr<runner_app> app;
    unsigned short port = 0;
    std::thread thread;
};

// Posts `body` and reads SSE events until [DONE], or until `keep_going` returns false (then
// the connection is closed at once, like a client that went away).
struct sse_result {
    unsigned status = 0;
    std::string content_type;
    std::vector<std::string> events;  // the data payloads
};

sse_result read_sse(
    unsigned short port,
    const std::string& path,
    const json& body,
    std::function<bool(const std::string&)> keep_going = {}
) {
    namespace beast = boost::beast;
    boost::asio::io_context ioc;
    boost::asio::ip::tcp::socket socket{ioc};
    socket.connect({boost::asio::ip::make_address("127.0.0.1"), port});
    http::request<http::string_body> req{http::verb::post, path, 11};
    req.set(http::field::host, "127.0.0.1");
    req.set(http::field::content_type, "application/json");
    req.set(http::field::authorization, "Bearer k");
    req.body() = body.dump();
    req.prepare_payload();
    http::write(socket, req);
    beast::flat_buffer buffer;
    http::response_parser<http::buffer_body> parser;
    http::read_header(socket, buffer, parser);
    sse_result out;
    out.status = parser.get().result_int();
    out.content_type = std::string(parser.get()[http::field::content_type]);
    std::string data;
    char chunk[4096];
    while (!parser.is_done()) {
        parser.get().body().data = chunk;
        parser.get().body().size = sizeof chunk;
        boost::system::error_code ec;
        http::read(socket, buffer, parser, ec);
        if (ec == http::error::need_buffer) ec = {};
        if (ec) break;
        data.append(chunk, sizeof chunk - parser.get().body().size);
        for (auto end = data.find("\n\n"); end != std::string::npos; end = data.find("\n\n")) {
            auto event = data.substr(0, end);
            data.erase(0, end + 2);
            EXPECT_EQ(event.rfind("data: ", 0), 0u) << event;
            out.events.push_back(event.substr(6));
            if (keep_going && !keep_going(out.events.back())) {
                socket.close();
                return out;
            }
        }
    }
    return out;
}

const char* simple_template =
    "{% for m in messages %}<{{ m.role }}>{{ m.content }}{% endfor %}"
    "{% if add_generation_prompt %}<assistant>{% endif %}";

TEST(generation_routes, whole_completion_shapes_limits_and_stop) {
    causal_app r(test::scripted("hello world"));
    ASSERT_TRUE(r.app->ready());
    auto res = r.post("/v1/completions", {{"prompt", "hi"}, {"model", "echoed"}});
    ASSERT_EQ(res.status, 200) << res.body;
    auto body = json::parse(res.body);
    EXPECT_EQ(body["object"], "text_completion");
    EXPECT_EQ(body["id"].get<std::string>().rfind("cmpl-", 0), 0u);
    EXPECT_EQ(body["model"], "echoed");
    EXPECT_EQ(body["choices"][0]["text"], "hello world");
    EXPECT_EQ(body["choices"][0]["finish_reason"], "stop");
    EXPECT_EQ(body["usage"]["prompt_tokens"], 3);       // <s> h i
    EXPECT_EQ(body["usage"]["completion_tokens"], 12);  // 11 bytes and </s>
    EXPECT_EQ(body["usage"]["total_tokens"], 15);

    auto limited =
        json::parse(r.post("/v1/completions", {{"prompt", "hi"}, {"max_tokens", 4}}).body);
    EXPECT_EQ(limited["choices"][0]["text"], "hell");
    EXPECT_EQ(limited["choices"][0]["finish_reason"], "length");
    auto stopped = json::parse(r.post("/v1/completions", {{"prompt", "hi"}, {"stop", "o w"}}).body);
    EXPECT_EQ(stopped["choices"][0]["text"], "hell");
    EXPECT_EQ(stopped["choices"][0]["finish_reason"], "stop");
    auto lp = json::parse(
        r.post("/v1/completions", {{"prompt", "hi"}, {"max_tokens", 2}, {"logprobs", 1}}).body
    );
    EXPECT_EQ(lp["choices"][0]["logprobs"]["tokens"], json({"h", "e"}));

    auto bad = r.post("/v1/completions", {{"prompt", "hi"}, {"top_k", "many"}});
    EXPECT_EQ(bad.status, 400);
    EXPECT_EQ(json::parse(bad.body)["error"]["param"], "top_k");
    auto models = json::parse(
        http_call(r.port, http::verb::get, "/v1/models", "", {{"Authorization", "Bearer k"}}).body
    );
    EXPECT_EQ(models["data"][0]["task"], "causal");
    EXPECT_EQ(r.post("/v1/embeddings", {{"input", "x"}}).status, 404);
}

TEST(generation_routes, chat_without_template_is_400_completions_still_work) {
    causal_app r(test::scripted("ok"));
    auto chat =
        r.post("/v1/chat/completions", {{"messages", {{{"role", "user"}, {"content", "hi"}}}}});
    EXPECT_EQ(chat.status, 400);
    auto error = json::parse(chat.body)["error"];
    EXPECT_EQ(error["code"], "chat_template_missing");
    EXPECT_EQ(error["param"], "messages");
    EXPECT_EQ(r.post("/v1/completions", {{"prompt", "x"}}).status, 200);
}

TEST(generation_routes, chat_renders_the_template) {
    causal_app r(test::scripted("fine"), simple_template);
    auto res =
        r.post("/v1/chat/completions", {{"messages", {{{"role", "user"}, {"content", "hi"}}}}});
    ASSERT_EQ(res.status, 200) << res.body;
    auto body = json::parse(res.body);
    EXPECT_EQ(body["object"], "chat.completion");
    EXPECT_EQ(body["id"].get<std::string>().rfind("chatcmpl-", 0), 0u);
    EXPECT_EQ(body["choices"][0]["message"], json({{"role", "assistant"}, {"content", "fine"}}));
    // "<user>hi<assistant>" byte by byte, no BOS added: the template owns special tokens.
    EXPECT_EQ(body["usage"]["prompt_tokens"], 19);
}

TEST(generation_routes, streamed_chat_role_first_whole_utf8_usage_done) {
    std::string script = "h\xC3\xA9llo \xE2\x82\xAC!";
    causal_app r(test::scripted(script), simple_template);
    auto got = read_sse(
        r.port,
        "/v1/chat/completions",
        {{"messages", {{{"role", "user"}, {"content", "hi"}}}},
         {"stream", true},
         {"stream_options", {{"include_usage", true}}}}
    );
    ASSERT_EQ(got.status, 200);
    EXPECT_EQ(got.content_type, "text/event-stream");
    ASSERT_GE(got.events.size(), 4u);
    EXPECT_EQ(got.events.back(), "[DONE]");
    auto first = json::parse(got.events.front());
    EXPECT_EQ(first["object"], "chat.completion.chunk");
    EXPECT_EQ(first["choices"][0]["delta"]["role"], "assistant");
    std::string text;
    std::string id = first["id"];
    // role, content chunks, the finishing chunk, the usage chunk, [DONE].
    for (std::size_t i = 1; i + 3 < got.events.size(); ++i) {
        auto chunk = json::parse(got.events[i]);
        EXPECT_EQ(chunk["id"], id);
        EXPECT_TRUE(chunk["choices"][0]["finish_reason"].is_null());
        std::string piece = chunk["choices"][0]["delta"]["content"];
        EXPECT_EQ(piece.find("\xEF\xBF\xBD"), std::string::npos);  // no replaced half character
        text += piece;
    }
    EXPECT_EQ(text, script);
    auto last = json::parse(got.events[got.events.size() - 3]);
    EXPECT_EQ(last["choices"][0]["finish_reason"], "stop");
    EXPECT_EQ(last["choices"][0]["delta"], json::object());
    auto usage = json::parse(got.events[got.events.size() - 2]);
    EXPECT_EQ(usage["usage"]["completion_tokens"], 12);  // 11 bytes and </s>
}

TEST(generation_routes, streamed_completion_text_chunks) {
    causal_app r(test::scripted("abc"));
    auto got = read_sse(r.port, "/v1/completions", {{"prompt", "x"}, {"stream", true}});
    ASSERT_EQ(got.status, 200);
    ASSERT_EQ(got.events.back(), "[DONE]");
    std::string text;
    for (std::size_t i = 0; i + 2 < got.events.size(); ++i) {
        auto chunk = json::parse(got.events[i]);
        EXPECT_EQ(chunk["object"], "text_completion");
        text += chunk["choices"][0]["text"].get<std::string>();
    }
    EXPECT_EQ(text, "abc");
    EXPECT_EQ(
        json::parse(got.events[got.events.size() - 2])["choices"][0]["finish_reason"], "stop"
    );
}

TEST(generation_routes, a_client_leaving_mid_stream_stops_the_generation) {
    causal_app r(test::hashed_logits);
    auto got = read_sse(
        r.port,
        "/v1/completions",
        {{"prompt", "go"}, {"stream", true}, {"max_tokens", 1 << 29}, {"temperature", 1.0}},
        [](const std::string&) { return false; }  // leave after the first chunk
    );
    EXPECT_EQ(got.events.size(), 1u);
    EXPECT_TRUE(r.wait_no_sequences());
    // The runner still serves afterwards.
    EXPECT_EQ(r.post("/v1/completions", {{"prompt", "x"}, {"max_tokens", 2}}).status, 200);
}

TEST(generation_routes, a_client_leaving_a_whole_request_stops_the_generation) {
    causal_app r(test::hashed_logits);
    {
        boost::asio::io_context ioc;
        boost::asio::ip::tcp::socket socket{ioc};
        socket.connect({boost::asio::ip::make_address("127.0.0.1"), r.port});
        http::request<http::string_body> req{http::verb::post, "/v1/completions", 11};
        req.set(http::field::host, "127.0.0.1");
        req.set(http::field::authorization, "Bearer k");
        req.body() = json{{"prompt", "go"}, {"max_tokens", 1 << 29}}.dump();
        req.prepare_payload();
        http::write(socket, req);
        // Wait until the generation runs, then hang up without reading.
        for (int i = 0; i < 5000 && r.model->live.load() == 0; ++i) {
            std::this_thread::sleep_for(std::chrono::milliseconds(1));
        }
        ASSERT_EQ(r.model->live.load(), 1);
    }
    EXPECT_TRUE(r.wait_no_sequences());
}

TEST(generation_routes, concurrent_requests_equal_the_same_requests_one_by_one) {
    causal_app r(test::hashed_logits);
    std::vector<json> bodies;
    for (int i = 0; i < 6; ++i) {
        bodies.push_back(
            {{"prompt", "p" + std::to_string(i)},
             {"max_tokens", 20 + i},
             {"temperature", 0.9},
             {"seed", 100 + i}}
        );
    }
    std::vector<std::string> sequential;
    for (const auto& b : bodies) {
        sequential.push_back(json::parse(r.post("/v1/completions", b).body)["choices"][0]["text"]);
    }
    std::vector<std::future<std::string>> futures;
    for (const auto& b : bodies) {
        futures.push_back(std::async(std::launch::async, [&r, b] {
            return json::parse(r.post("/v1/completions", b).body)["choices"][0]["text"]
                .get<std::string>();
        }));
    }
    for (std::size_t i = 0; i < bodies.size(); ++i) {
        EXPECT_EQ(futures[i].get(), sequential[i]) << i;
        EXPECT_EQ(sequential[i].size(), 20u + i);
    }
    // Same seed, same text; another seed, another text.
    auto again = json::parse(r.post("/v1/completions", bodies[0]).body)["choices"][0]["text"];
    EXPECT_EQ(again, sequential[0]);
    auto other = bodies[0];
    other["seed"] = 999;
    EXPECT_NE(json::parse(r.post("/v1/completions", other).body)["choices"][0]["text"], again);
}

}  // namespace
}  // namespace solar::runner
