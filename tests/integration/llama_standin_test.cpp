// The llama-server and solar-hf-runner stand-ins (tests/fixtures/llama_stub) against the
// behaviour solar-host relies on (shared/contracts/llama-server.md): real processes on
// loopback, port 0, one temp dir per test.
#include <boost/asio/ip/tcp.hpp>

#include <gtest/gtest.h>

#include <csignal>
#include <fstream>
#include <memory>

#include "harness/child_process.hpp"
#include "harness/http_client.hpp"
#include "harness/sse_reader.hpp"
#include "harness/temp_dir.hpp"
#include "harness/wait.hpp"

#if defined(SOLAR_LLAMA_STANDIN_BIN) && defined(SOLAR_HF_RUNNER_STANDIN_BIN)

namespace solar::test {
namespace {

using namespace std::chrono_literals;
using nlohmann::json;
using headers = std::map<std::string, std::string>;

const std::string model_path = std::string(SOLAR_FIXTURES_DIR) + "/llama-2-tiny-random.gguf";
const std::regex port_line(R"(main: HTTP server is listening, hostname: 127\.0\.0\.1, port: (\d+))"
);
const std::regex ready_line(R"(main: server is listening on http://127\.0\.0\.1:(\d+) - starting)");
const std::regex hf_port_line(R"(listening on 127\.0\.0\.1:(\d+))");
const std::regex hf_ready_line(R"(model loaded, ready)");

// The contract's regexes for the timing block.
const std::regex prompt_regex(
    R"(^prompt eval time =\s+([\d.]+) ms /\s+(\d+) tokens \(\s*([\d.]+) ms per token,\s+([\d.]+) tokens per second\)$)"
);
const std::regex eval_regex(
    R"(^\s+eval time =\s+([\d.]+) ms /\s+(\d+) tokens \(\s*([\d.]+) ms per token,\s+([\d.]+) tokens per second\)$)"
);
const std::regex total_regex(R"(^\s+total time =\s+([\d.]+) ms /\s+(\d+) tokens$)");

json chat_body(const std::string& text, int max_tokens, bool stream = false) {
    return {
        {"messages", {{{"role", "user"}, {"content", text}}}},
        {"max_tokens", max_tokens},
        {"stream", stream}};
}

std::vector<std::string> lines_of(const std::string& text) {
    std::vector<std::string> lines;
    std::size_t start = 0;
    while (start < text.size()) {
        auto end = text.find('\n', start);
        if (end == std::string::npos) end = text.size();
        lines.push_back(text.substr(start, end - start));
        start = end + 1;
    }
    return lines;
}

// A stand-in process with its port, started from `args` (after the binary).
class standin {
public:
    standin(
        const temp_dir& dir,
        const std::string& binary,
        std::vector<std::string> args,
        headers env = {},
        const std::string& log = "standin.log"
    ) {
        args.insert(args.begin(), binary);
        env.emplace("STANDIN_LOAD_MS", "20");
        child_ = std::make_unique<child_process>(args, dir.file(log), env);
    }

    // Waits for the port line; false if the process never bound.
    bool bound(const std::regex& line = port_line) {
        auto match = child_->wait_for_output_line(line, 5s);
        if (!match) return false;
        port_ = static_cast<unsigned short>(std::stoi((*match)[1]));
        return true;
    }
    bool ready(const std::regex& line = ready_line) {
        return child_->wait_for_output_line(line, 5s).has_value();
    }

    http_result get(const std::string& target, headers h = {}) {
        return http_request("127.0.0.1", port_, http::verb::get, target, "", std::move(h));
    }
    http_result post(const std::string& target, const json& body, headers h = {}) {
        return http_request(
            "127.0.0.1", port_, http::verb::post, target, body.dump(), std::move(h)
        );
    }

    unsigned short port() const { return port_; }
    child_process& process() { return *child_; }

private:
    std::unique_ptr<child_process> child_;
    unsigned short port_ = 0;
};

std::vector<std::string> llama_args(std::vector<std::string> extra) {
    std::vector<std::string> args = {
        "-m", model_path, "-a", "tiny:1m", "--host", "127.0.0.1", "--port", "0"};
    args.insert(args.end(), extra.begin(), extra.end());
    return args;
}

const headers key_k1 = {{"Authorization", "Bearer k1"}};

// --- llama-server: command line and lifecycle -----------------------------------------------

TEST(llama_standin_cli, unknown_flag_is_one_stderr_line_and_exit_1) {
    temp_dir dir;
    standin s(dir, SOLAR_LLAMA_STANDIN_BIN, {"--bogus-flag"});
    ASSERT_TRUE(s.process().wait_for_exit(5s));
    EXPECT_EQ(s.process().exit_code(), 1);
    EXPECT_EQ(s.process().output(), "error: invalid argument: --bogus-flag\n");
}

TEST(llama_standin_cli, bad_or_missing_values_and_unreadable_template_exit_1) {
    temp_dir dir;
    standin threads(dir, SOLAR_LLAMA_STANDIN_BIN, {"-t", "abc"}, {}, "t.log");
    standin port(dir, SOLAR_LLAMA_STANDIN_BIN, {"--port"}, {}, "p.log");
    standin tmpl(
        dir, SOLAR_LLAMA_STANDIN_BIN, {"--chat-template-file", "/nonexistent"}, {}, "c.log"
    );
    for (auto* s : {&threads, &port, &tmpl}) {
        ASSERT_TRUE(s->process().wait_for_exit(5s));
        EXPECT_EQ(s->process().exit_code(), 1);
    }
    EXPECT_EQ(
        threads.process().output().rfind("error while handling argument \"-t\": stoi", 0), 0u
    );
    EXPECT_NE(
        port.process().output().find(
            "error while handling argument \"--port\": expected value for argument"
        ),
        std::string::npos
    );
}

TEST(llama_standin_life, answers_503_while_loading_then_200_and_logs_only_to_stderr) {
    temp_dir dir;
    // Through a shell so that stdout and stderr land in different files.
    std::string cmd = std::string("exec \"$0\" \"$@\" 2>") + dir.file("stderr.log").string();
    std::vector<std::string> args = {"/bin/sh", "-c", cmd, SOLAR_LLAMA_STANDIN_BIN};
    for (auto& a : llama_args({})) args.push_back(a);
    child_process child(args, dir.file("stdout.log"), {{"STANDIN_LOAD_MS", "400"}});
    std::optional<std::vector<std::string>> match;
    ASSERT_TRUE(wait_until(
        [&] {
            std::ifstream in(dir.file("stderr.log"));
            std::string text((std::istreambuf_iterator<char>(in)), {});
            std::smatch m;
            if (!std::regex_search(text, m, port_line)) return false;
            match = std::vector<std::string>{m[0], m[1]};
            return true;
        },
        5s
    ));
    auto port = static_cast<unsigned short>(std::stoi((*match)[1]));
    auto loading = http_request("127.0.0.1", port, http::verb::get, "/health");
    EXPECT_EQ(loading.status, 503u);
    EXPECT_EQ(
        loading.body,
        R"({"error":{"code":503,"message":"Loading model","type":"unavailable_error"}})"
    );
    EXPECT_EQ(
        http_request("127.0.0.1", port, http::verb::post, "/v1/chat/completions", "{}").status, 503u
    );
    ASSERT_TRUE(wait_until(
        [&] { return http_request("127.0.0.1", port, http::verb::get, "/health").status == 200; },
        5s
    ));
    auto ok = http_request("127.0.0.1", port, http::verb::get, "/health");
    EXPECT_EQ(ok.body, R"({"status":"ok"})");
    EXPECT_EQ(ok.header("content-type"), "application/json; charset=utf-8");
    EXPECT_EQ(ok.header("server"), "llama.cpp");
    child.terminate(5s);
    EXPECT_EQ(child.output(), "");  // stdout stays empty
}

TEST(llama_standin_life, missing_or_non_gguf_model_dies_by_sigabrt) {
    temp_dir dir;
    std::ofstream(dir.file("fake.gguf")) << "not a model";
    for (std::string model : {dir.file("absent.gguf").string(), dir.file("fake.gguf").string()}) {
        standin s(dir, SOLAR_LLAMA_STANDIN_BIN, {"-m", model, "--port", "0"}, {}, "bad.log");
        ASSERT_TRUE(s.bound());
        ASSERT_TRUE(s.process().wait_for_exit(5s));
        EXPECT_EQ(s.process().term_signal(), SIGABRT);
        auto out = s.process().output();
        EXPECT_NE(
            out.find("srv    load_model: failed to load model, '" + model + "'"), std::string::npos
        );
        EXPECT_NE(out.find("main: exiting due to model loading error"), std::string::npos);
        std::filesystem::remove(dir.file("bad.log"));
    }
}

TEST(llama_standin_life, sigterm_cleans_up_then_dies_by_sigabrt) {
    temp_dir dir;
    standin s(dir, SOLAR_LLAMA_STANDIN_BIN, llama_args({}));
    ASSERT_TRUE(s.bound());
    ASSERT_TRUE(s.ready());
    s.process().terminate(5s);
    EXPECT_EQ(s.process().term_signal(), SIGABRT);
    EXPECT_NE(s.process().output().find("cleaning up before exit..."), std::string::npos);
}

TEST(llama_standin_life, busy_port_exits_1) {
    boost::asio::io_context ioc;
    boost::asio::ip::tcp::acceptor taken(ioc, {boost::asio::ip::make_address("127.0.0.1"), 0});
    std::string port = std::to_string(taken.local_endpoint().port());
    temp_dir dir;
    standin s(dir, SOLAR_LLAMA_STANDIN_BIN, {"-m", model_path, "--port", port});
    ASSERT_TRUE(s.process().wait_for_exit(5s));
    EXPECT_EQ(s.process().exit_code(), 1);
    EXPECT_NE(
        s.process().output().find(
            "main: couldn't bind HTTP server socket, hostname: 127.0.0.1, port: " + port
        ),
        std::string::npos
    );
}

// --- llama-server: HTTP API -----------------------------------------------------------------

class llama_standin_api : public ::testing::Test {
protected:
    void SetUp() override {
        server_ = std::make_unique<standin>(
            dir_, SOLAR_LLAMA_STANDIN_BIN, llama_args({"--api-key", "k1"})
        );
        ASSERT_TRUE(server_->bound());
        ASSERT_TRUE(server_->ready());
    }

    temp_dir dir_;
    std::unique_ptr<standin> server_;
};

TEST_F(llama_standin_api, auth_is_exact_bearer_public_paths_need_none_and_runs_before_404) {
    auto& s = *server_;
    EXPECT_EQ(s.get("/health").status, 200u);
    auto models = s.get("/v1/models");
    ASSERT_EQ(models.status, 200u);
    auto entry = models.json()["data"][0];
    EXPECT_EQ(entry["id"], "tiny:1m");
    EXPECT_EQ(entry["owned_by"], "llamacpp");
    EXPECT_EQ(entry["meta"]["n_ctx_train"], 4096);
    EXPECT_EQ(entry["meta"]["n_embd"], 8);
    EXPECT_EQ(entry["meta"]["n_vocab"], 32000);
    EXPECT_EQ(s.get("/models").status, 200u);

    const std::string denied =
        R"({"error":{"code":401,"message":"Invalid API Key","type":"authentication_error"}})";
    auto body = chat_body("hi", 1);
    for (const headers& h : std::vector<headers>{
             {},
             {{"Authorization", "bearer k1"}},
             {{"Authorization", "k1"}},
             {{"X-Api-Key", "k1"}}}) {
        auto r = s.post("/v1/chat/completions", body, h);
        EXPECT_EQ(r.status, 401u);
        EXPECT_EQ(r.body, denied);
    }
    EXPECT_EQ(s.get("/no/such/path").status, 401u);
    auto missing = s.get("/no/such/path", key_k1);
    EXPECT_EQ(missing.status, 404u);
    EXPECT_EQ(missing.json()["error"]["message"], "File Not Found");
    EXPECT_EQ(missing.json()["error"]["type"], "not_found_error");
    EXPECT_EQ(s.get("/v1/chat/completions", key_k1).status, 404u);

    auto preflight = http_request(
        "127.0.0.1",
        s.port(),
        http::verb::options,
        "/v1/chat/completions",
        "",
        {{"Origin", "http://ui"}}
    );
    EXPECT_EQ(preflight.status, 200u);
    EXPECT_EQ(preflight.body, "");
    EXPECT_EQ(preflight.header("access-control-allow-origin"), "http://ui");

    auto bad = http_request(
        "127.0.0.1", s.port(), http::verb::post, "/v1/chat/completions", "{\"messages\":", key_k1
    );
    EXPECT_EQ(bad.status, 500u);
    EXPECT_EQ(bad.json()["error"]["type"], "server_error");
    EXPECT_EQ(
        bad.json()["error"]["message"].get<std::string>().rfind(
            "[json.exception.parse_error.101]", 0
        ),
        0u
    );
    auto no_messages = s.post("/v1/chat/completions", json{{"model", "x"}}, key_k1);
    EXPECT_EQ(no_messages.status, 500u);
    EXPECT_EQ(
        no_messages.json()["error"]["message"],
        "[json.exception.out_of_range.403] key 'messages' not found"
    );
}

TEST_F(llama_standin_api, chat_completion_whole_is_deterministic_and_logs_timings) {
    auto& s = *server_;
    auto first = s.post("/v1/chat/completions", chat_body("hello there", 5), key_k1);
    ASSERT_EQ(first.status, 200u);
    auto answer = first.json();
    EXPECT_EQ(answer["object"], "chat.completion");
    EXPECT_EQ(answer["model"], "tiny:1m");
    EXPECT_EQ(answer["system_fingerprint"], "b4748-c392e509");
    EXPECT_TRUE(
        std::regex_match(answer["id"].get<std::string>(), std::regex("chatcmpl-[A-Za-z0-9]{32}"))
    );
    EXPECT_EQ(answer["choices"][0]["finish_reason"], "length");
    EXPECT_EQ(answer["choices"][0]["message"]["role"], "assistant");
    EXPECT_EQ(answer["usage"]["completion_tokens"], 5);
    EXPECT_EQ(answer["timings"]["predicted_n"], 5);
    EXPECT_EQ(answer["timings"]["prompt_n"], answer["usage"]["prompt_tokens"]);

    json renamed = chat_body("hello there", 5);
    renamed["model"] = "other";
    auto again = s.post("/v1/chat/completions", renamed, key_k1);
    EXPECT_EQ(again.json()["model"], "other");
    EXPECT_EQ(
        again.json()["choices"][0]["message"]["content"], answer["choices"][0]["message"]["content"]
    );

    auto unlimited =
        s.post("/v1/chat/completions", json{{"messages", chat_body("x", 1)["messages"]}}, key_k1);
    EXPECT_EQ(unlimited.json()["usage"]["completion_tokens"], 16);
    EXPECT_EQ(unlimited.json()["choices"][0]["finish_reason"], "stop");

    ASSERT_TRUE(s.process().wait_for_output_line(
        std::regex(R"(srv  log_server_r: request: POST /v1/chat/completions 127\.0\.0\.1 200)"), 2s
    ));
    auto lines = lines_of(s.process().output());
    auto header = std::find(lines.begin(), lines.end(), "slot print_timing: id  0 | task 0 | ");
    ASSERT_NE(header, lines.end());
    ASSERT_GE(lines.end() - header, 4);
    std::smatch m;
    ASSERT_TRUE(std::regex_match(header[1], m, prompt_regex)) << header[1];
    EXPECT_EQ(std::stoi(m[2]), answer["usage"]["prompt_tokens"].get<int>());
    ASSERT_TRUE(std::regex_match(header[2], m, eval_regex)) << header[2];
    EXPECT_EQ(m[2], "5");
    ASSERT_TRUE(std::regex_match(header[3], m, total_regex)) << header[3];
    EXPECT_EQ(std::stoi(m[2]), answer["usage"]["total_tokens"].get<int>());
    EXPECT_FALSE(std::regex_match(header[1], eval_regex));  // the regexes keep apart
    EXPECT_NE(
        s.process().output().find("slot      release: id  0 | task 0 | stop processing"),
        std::string::npos
    );
}

TEST_F(llama_standin_api, chat_stream_has_no_role_chunk_one_chunk_per_token_and_a_final_chunk) {
    auto& s = *server_;
    auto whole = s.post("/v1/chat/completions", chat_body("stream me", 4), key_k1).json();
    sse_reader reader(
        "127.0.0.1",
        s.port(),
        "/v1/chat/completions",
        chat_body("stream me", 4, true).dump(),
        key_k1
    );
    ASSERT_EQ(reader.status(), 200u);
    EXPECT_EQ(reader.headers().at("content-type"), "text/event-stream");
    EXPECT_EQ(reader.headers().at("transfer-encoding"), "chunked");
    std::vector<json> chunks;
    std::optional<std::string> event;
    while ((event = reader.next_event(5s)) && *event != "[DONE]")
        chunks.push_back(json::parse(*event));
    ASSERT_EQ(event, "[DONE]");
    ASSERT_EQ(chunks.size(), 5u);
    std::string text;
    for (std::size_t i = 0; i < 4; ++i) {
        const auto& c = chunks[i];
        EXPECT_EQ(c["object"], "chat.completion.chunk");
        EXPECT_EQ(c["id"], chunks[0]["id"]);
        EXPECT_TRUE(c["choices"][0]["finish_reason"].is_null());
        EXPECT_FALSE(c["choices"][0]["delta"].contains("role"));
        EXPECT_FALSE(c.contains("usage"));
        text += c["choices"][0]["delta"]["content"].get<std::string>();
    }
    EXPECT_EQ(text, whole["choices"][0]["message"]["content"]);
    const auto& last = chunks.back();
    EXPECT_EQ(last["choices"][0]["delta"], json::object());
    EXPECT_EQ(last["choices"][0]["finish_reason"], "length");
    EXPECT_EQ(last["usage"]["completion_tokens"], 4);
    EXPECT_EQ(last["timings"]["predicted_n"], 4);
    EXPECT_EQ(last["model"], "tiny:1m");
    reader.read_rest(2s);
    EXPECT_TRUE(reader.complete());
}

TEST_F(llama_standin_api, completions_honour_stop_strings_and_are_not_access_logged) {
    auto& s = *server_;
    auto plain =
        s.post("/v1/completions", json{{"prompt", "once upon"}, {"n_predict", 6}}, key_k1).json();
    EXPECT_EQ(plain["object"], "text_completion");
    EXPECT_EQ(plain["choices"][0]["finish_reason"], "length");
    EXPECT_TRUE(plain["choices"][0]["logprobs"].is_null());
    std::string text = plain["choices"][0]["text"];
    auto space = text.find(' ', 1);
    ASSERT_NE(space, std::string::npos);
    std::string stop = text.substr(space, 2);
    auto stopped = s.post(
                        "/v1/completions",
                        json{{"prompt", "once upon"}, {"n_predict", 6}, {"stop", {stop}}},
                        key_k1
    )
                       .json();
    EXPECT_EQ(stopped["choices"][0]["text"], text.substr(0, space));
    EXPECT_EQ(stopped["choices"][0]["finish_reason"], "stop");
    auto missing = s.post("/v1/completions", json{{"max_tokens", 2}}, key_k1);
    EXPECT_EQ(missing.status, 500u);
    EXPECT_EQ(missing.json()["error"]["message"], "\"prompt\" is required");
    s.get("/health");
    ASSERT_TRUE(s.process().wait_for_output_line(std::regex(R"(request: GET /health)"), 2s));
    EXPECT_EQ(s.process().output().find("request: POST /v1/completions"), std::string::npos);
}

// --- llama-server: embeddings mode ----------------------------------------------------------

TEST(llama_standin_embeddings, pooling_mean_gives_8_floats_and_none_is_rejected) {
    temp_dir dir;
    standin mean(
        dir, SOLAR_LLAMA_STANDIN_BIN, llama_args({"--embeddings", "--pooling", "mean"}), {}, "m.log"
    );
    standin none(dir, SOLAR_LLAMA_STANDIN_BIN, llama_args({"--embedding"}), {}, "n.log");
    ASSERT_TRUE(mean.bound() && mean.ready() && none.bound() && none.ready());
    auto r = mean.post("/v1/embeddings", json{{"input", {"a", "b"}}});
    ASSERT_EQ(r.status, 200u);
    auto body = r.json();
    EXPECT_EQ(body["model"], "gpt-3.5-turbo");
    ASSERT_EQ(body["data"].size(), 2u);
    EXPECT_EQ(body["data"][0]["embedding"].size(), 8u);
    EXPECT_EQ(body["data"][1]["index"], 1);
    EXPECT_EQ(mean.post("/v1/embeddings", json{{"input", "a"}}).json()["data"][0], body["data"][0]);
    EXPECT_EQ(mean.post("/v1/embeddings", json::object()).status, 400u);
    auto chat = mean.post("/v1/chat/completions", chat_body("x", 1));
    EXPECT_EQ(chat.status, 501u);
    EXPECT_EQ(chat.json()["error"]["type"], "not_supported_error");
    auto rejected = none.post("/v1/embeddings", json{{"input", "a"}});
    EXPECT_EQ(rejected.status, 400u);
    EXPECT_EQ(
        rejected.json()["error"]["message"],
        "Pooling type 'none' is not OAI compatible. Please use a different pooling type"
    );
}

// --- misbehaviour switches ------------------------------------------------------------------

TEST(llama_standin_switches, sidecar_crash_after_chunks_kills_mid_stream) {
    temp_dir dir;
    auto model = dir.file("tiny.gguf");
    std::filesystem::create_symlink(model_path, model);
    std::ofstream(model.string() + ".standin.json")
        << R"({"crash_after_chunks": 2, "load_ms": 10})";
    // The sidecar wins over the environment.
    standin s(
        dir,
        SOLAR_LLAMA_STANDIN_BIN,
        {"-m", model.string(), "--port", "0"},
        {{"STANDIN_CRASH_AFTER_CHUNKS", "9"}}
    );
    ASSERT_TRUE(s.bound() && s.ready());
    sse_reader reader(
        "127.0.0.1", s.port(), "/v1/chat/completions", chat_body("x", 8, true).dump()
    );
    int chunks = 0;
    while (reader.next_event(5s)) ++chunks;
    EXPECT_EQ(chunks, 2);
    EXPECT_FALSE(reader.complete());
    ASSERT_TRUE(s.process().wait_for_exit(5s));
    EXPECT_EQ(s.process().term_signal(), SIGKILL);
}

TEST(llama_standin_switches, client_leaving_cancels_without_a_timing_block) {
    temp_dir dir;
    standin s(dir, SOLAR_LLAMA_STANDIN_BIN, llama_args({}), {{"STANDIN_TOKEN_MS", "40"}});
    ASSERT_TRUE(s.bound() && s.ready());
    {
        sse_reader reader(
            "127.0.0.1", s.port(), "/v1/chat/completions", chat_body("x", 50, true).dump()
        );
        ASSERT_TRUE(reader.next_event(5s));
        reader.close();
    }
    ASSERT_TRUE(s.process().wait_for_output_line(
        std::regex(R"(srv  cancel_tasks: cancel task, id_task = 0)"), 3s
    ));
    // The slot is free again: the next request is served.
    EXPECT_EQ(s.post("/v1/chat/completions", chat_body("y", 1)).status, 200u);
    EXPECT_EQ(s.process().output().find("task 0 | \nprompt eval"), std::string::npos);
    EXPECT_NE(s.process().output().find("slot print_timing: id  0 | task 1 | "), std::string::npos);
}

TEST(llama_standin_switches, ignore_sigterm_and_exit_code_during_load) {
    temp_dir dir;
    standin stubborn(
        dir, SOLAR_LLAMA_STANDIN_BIN, llama_args({}), {{"STANDIN_IGNORE_SIGTERM", "1"}}, "a.log"
    );
    standin failing(
        dir,
        SOLAR_LLAMA_STANDIN_BIN,
        llama_args({}),
        {{"STANDIN_EXIT_CODE_DURING_LOAD", "3"}},
        "b.log"
    );
    ASSERT_TRUE(stubborn.bound() && stubborn.ready());
    ::kill(stubborn.process().pid(), SIGTERM);
    EXPECT_FALSE(stubborn.process().wait_for_exit(300ms));
    EXPECT_EQ(stubborn.get("/health").status, 200u);
    stubborn.process().kill();
    ASSERT_TRUE(failing.bound());
    ASSERT_TRUE(failing.process().wait_for_exit(5s));
    EXPECT_EQ(failing.process().exit_code(), 3);
}

TEST(llama_standin_switches, never_ready_stays_503_and_stdout_lines_are_printed) {
    temp_dir dir;
    standin s(
        dir,
        SOLAR_LLAMA_STANDIN_BIN,
        llama_args({}),
        {{"STANDIN_NEVER_READY", "true"}, {"STANDIN_STDOUT_LINES", "2"}}
    );
    ASSERT_TRUE(s.bound());
    ASSERT_TRUE(s.process().wait_for_output_line(std::regex("standin stdout line 2"), 2s));
    EXPECT_FALSE(s.process().wait_for_output_line(ready_line, 300ms));
    EXPECT_EQ(s.get("/health").status, 503u);
}

// --- solar-hf-runner ------------------------------------------------------------------------

std::vector<std::string> hf_args(const std::string& task, std::vector<std::string> extra = {}) {
    std::vector<std::string> args = {
        "--task",
        task,
        "--model-id",
        "org/model",
        "--alias",
        "m1",
        "--host",
        "127.0.0.1",
        "--port",
        "0",
        "--api-key",
        "K"};
    args.insert(args.end(), extra.begin(), extra.end());
    return args;
}

TEST(llama_standin_hf, unknown_flag_exits_2) {
    temp_dir dir;
    standin s(dir, SOLAR_HF_RUNNER_STANDIN_BIN, hf_args("causal", {"--bogus"}));
    ASSERT_TRUE(s.process().wait_for_exit(5s));
    EXPECT_EQ(s.process().exit_code(), 2);
    EXPECT_NE(
        s.process().output().find("error: unrecognized arguments: --bogus"), std::string::npos
    );
}

TEST(llama_standin_hf, causal_streams_a_role_chunk_first_and_logs_timings) {
    temp_dir dir;
    standin s(dir, SOLAR_HF_RUNNER_STANDIN_BIN, hf_args("causal"), {{"STANDIN_LOAD_MS", "300"}});
    ASSERT_TRUE(s.bound(hf_port_line));
    EXPECT_EQ(s.get("/health").status, 503u);
    ASSERT_TRUE(s.ready(hf_ready_line));
    EXPECT_EQ(s.get("/health").json(), (json{{"status", "ok"}}));
    EXPECT_EQ(s.get("/v1/models").status, 401u);
    EXPECT_EQ(s.get("/v1/models", {{"X-API-Key", "K"}}).json()["data"][0]["id"], "m1");

    auto whole =
        s.post("/v1/chat/completions", chat_body("hi", 3), {{"Authorization", "Bearer K"}});
    ASSERT_EQ(whole.status, 200u);
    EXPECT_EQ(whole.json()["usage"]["completion_tokens"], 3);
    sse_reader reader(
        "127.0.0.1",
        s.port(),
        "/v1/chat/completions",
        chat_body("hi", 3, true).dump(),
        {{"X-API-Key", "K"}}
    );
    ASSERT_EQ(reader.status(), 200u);
    std::vector<json> chunks;
    std::optional<std::string> event;
    while ((event = reader.next_event(5s)) && *event != "[DONE]")
        chunks.push_back(json::parse(*event));
    ASSERT_EQ(event, "[DONE]");
    ASSERT_EQ(chunks.size(), 5u);  // role, 3 tokens, final
    EXPECT_EQ(chunks[0]["choices"][0]["delta"]["role"], "assistant");
    std::string text;
    for (int i = 1; i <= 3; ++i)
        text += chunks[i]["choices"][0]["delta"]["content"].get<std::string>();
    EXPECT_EQ(text, whole.json()["choices"][0]["message"]["content"]);
    EXPECT_EQ(chunks[4]["choices"][0]["finish_reason"], "length");

    auto unauthorized = s.post("/v1/chat/completions", chat_body("hi", 1));
    EXPECT_EQ(unauthorized.status, 401u);
    auto error = unauthorized.json()["error"];
    EXPECT_TRUE(
        error.contains("message") && error.contains("type") && error.contains("param") &&
        error.contains("code")
    );
    auto lines = lines_of(s.process().output());
    EXPECT_EQ(
        std::count_if(
            lines.begin(),
            lines.end(),
            [](const std::string& l) { return std::regex_match(l, eval_regex); }
        ),
        2
    );
}

TEST(llama_standin_hf, embedding_and_classification_tasks) {
    temp_dir dir;
    standin embed(
        dir, SOLAR_HF_RUNNER_STANDIN_BIN, hf_args("embedding", {"--normalize", "true"}), {}, "e.log"
    );
    standin classify(
        dir,
        SOLAR_HF_RUNNER_STANDIN_BIN,
        hf_args("classification", {"--labels", "negative,positive"}),
        {},
        "c.log"
    );
    ASSERT_TRUE(embed.bound(hf_port_line) && embed.ready(hf_ready_line));
    ASSERT_TRUE(classify.bound(hf_port_line) && classify.ready(hf_ready_line));
    const headers key = {{"X-API-Key", "K"}};

    auto vectors = embed.post("/v1/embeddings", json{{"input", {"a", "b"}}}, key).json();
    ASSERT_EQ(vectors["data"].size(), 2u);
    double norm = 0;
    for (double v : vectors["data"][0]["embedding"]) norm += v * v;
    EXPECT_EQ(vectors["data"][0]["embedding"].size(), 8u);
    EXPECT_NEAR(norm, 1.0, 1e-5);
    EXPECT_EQ(vectors["model"], "m1");
    EXPECT_EQ(embed.post("/v1/classify", json{{"input", "a"}}, key).status, 404u);

    auto labels =
        classify
            .post(
                "/v1/classify", json{{"model", "m1"}, {"input", "great movie"}, {"top_k", 2}}, key
            )
            .json();
    EXPECT_EQ(labels["object"], "classification");
    EXPECT_EQ(labels["id"].get<std::string>().rfind("clf-", 0), 0u);
    const auto& first = labels["choices"][0];
    EXPECT_TRUE(first["label"] == "negative" || first["label"] == "positive");
    const auto& all = first["scores"];
    ASSERT_EQ(all.size(), 2u);
    EXPECT_NEAR(all[0]["score"].get<double>() + all[1]["score"].get<double>(), 1.0, 1e-9);
    EXPECT_GE(all[0]["score"].get<double>(), all[1]["score"].get<double>());
    EXPECT_EQ(first["score"], all[0]["score"]);
    EXPECT_EQ(first["label"], all[0]["label"]);
    EXPECT_EQ(classify.post("/v1/classify", json{{"input", "x"}}).status, 401u);
    EXPECT_EQ(classify.post("/v1/classify", json{{"model", "m1"}}, key).status, 400u);
}

}  // namespace
}  // namespace solar::test

#endif
