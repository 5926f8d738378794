// Request framing on a raw socket: chunked bodies whole in one write or trickled in pieces,
// pipelined requests sent together, and a chunked body over MAX_BODY_BYTES. The gateway parses
// bytes that arrive with the header in place, so each case is checked both ways.
#include <gtest/gtest.h>

#include <thread>

#include "harness/control_process.hpp"
#include "harness/raw_connection.hpp"

namespace solar::test {
namespace {

using namespace std::chrono_literals;
using nlohmann::json;

std::string chat_body(const std::string& model) {
    return json{{"model", model}, {"messages", {{{"role", "user"}, {"content", "hello"}}}}}.dump();
}

std::string head(const std::string& key, const std::string& framing) {
    return post_head("/v1/chat/completions", key, framing);
}

// The body as chunks of at most `piece` bytes, then the last chunk.
std::string chunked(const std::string& body, std::size_t piece) {
    std::string out;
    char size[32];
    for (std::size_t at = 0; at < body.size(); at += piece) {
        auto part = body.substr(at, piece);
        std::snprintf(size, sizeof(size), "%zx\r\n", part.size());
        out += size + part + "\r\n";
    }
    return out + "0\r\n\r\n";
}

// The gateway names the model it read from the body when no instance serves it.
void expect_unknown_model(const http::response<http::string_body>& res, const std::string& model) {
    EXPECT_EQ(res.result_int(), 404u) << res.body();
    auto body = json::parse(res.body(), nullptr, false);
    ASSERT_TRUE(body.is_object()) << res.body();
    EXPECT_EQ(body["error"].value("code", ""), "model_not_found") << res.body();
    EXPECT_NE(body["error"].value("message", "").find("'" + model + "'"), std::string::npos)
        << res.body();
}

class request_framing_test : public ::testing::Test {
protected:
    void SetUp() override { control_.start("gateway-key", {"--max-body-bytes", "4096"}); }

    control_process control_;
};

TEST_F(request_framing_test, a_chunked_body_in_one_write_is_read_whole) {
    raw_connection c(control_.port());
    c.send(head("gateway-key", "Transfer-Encoding: chunked\r\n") + chunked(chat_body("one-w"), 7));
    expect_unknown_model(c.read(), "one-w");
}

TEST_F(request_framing_test, a_chunked_body_trickled_in_pieces_is_read_whole) {
    raw_connection c(control_.port());
    auto bytes =
        head("gateway-key", "Transfer-Encoding: chunked\r\n") + chunked(chat_body("trickled"), 5);
    for (std::size_t at = 0; at < bytes.size(); at += 9) {
        c.send(bytes.substr(at, 9));
        std::this_thread::sleep_for(1ms);
    }
    expect_unknown_model(c.read(), "trickled");
}

TEST_F(request_framing_test, pipelined_requests_in_one_write_are_answered_in_order) {
    raw_connection c(control_.port());
    std::string bytes;
    for (const auto* model : {"first", "second", "third"}) {
        bytes += post_request("/v1/chat/completions", "gateway-key", chat_body(model));
    }
    // A chunked one last, right behind them.
    bytes +=
        head("gateway-key", "Transfer-Encoding: chunked\r\n") + chunked(chat_body("fourth"), 3);
    c.send(bytes);
    for (const auto* model : {"first", "second", "third", "fourth"}) {
        SCOPED_TRACE(model);
        expect_unknown_model(c.read(), model);
    }
}

TEST_F(request_framing_test, a_chunked_body_over_the_limit_in_one_write_answers_413) {
    raw_connection c(control_.port());
    auto body = chat_body(std::string(6000, 'm'));
    c.send(head("gateway-key", "Transfer-Encoding: chunked\r\n") + chunked(body, 1000));
    auto res = c.read();
    EXPECT_EQ(res.result_int(), 413u) << res.body();
    auto error = json::parse(res.body(), nullptr, false);
    ASSERT_TRUE(error.is_object()) << res.body();
    EXPECT_EQ(error["error"].value("code", ""), "request_too_large");
    EXPECT_EQ(control_.get("/v1/models").status, 200u) << "the gateway still answers";
}

TEST_F(request_framing_test, a_malformed_chunk_size_answers_400) {
    raw_connection c(control_.port());
    c.send(head("gateway-key", "Transfer-Encoding: chunked\r\n") + "zz\r\n{}\r\n0\r\n\r\n");
    auto res = c.read();
    EXPECT_EQ(res.result_int(), 400u) << res.body();
    auto error = json::parse(res.body(), nullptr, false);
    ASSERT_TRUE(error.is_object()) << res.body();
    EXPECT_EQ(error["error"].value("type", ""), "invalid_request_error") << res.body();
    EXPECT_FALSE(res.keep_alive()) << "the stream cannot be resynchronised after it";
    EXPECT_EQ(control_.get("/v1/models").status, 200u) << "the gateway still answers";
}

}  // namespace
}  // namespace solar::test
