// Server-sent events through solar-control: relayed chunk by chunk, and a client that leaves
// cancels the upstream request.
#include <gtest/gtest.h>

#include "harness/control_process.hpp"
#include "harness/fake_host.hpp"
#include "harness/sse_reader.hpp"
#include "harness/wait.hpp"

namespace solar::test {
namespace {

using namespace std::chrono_literals;
using nlohmann::json;

const json stream_body = {
    {"model", "llama3:8b"},
    {"stream", true},
    {"messages", {{{"role", "user"}, {"content", "hi"}}}}};

class streaming_test : public ::testing::Test {
protected:
    void SetUp() override {
        host_.start("host-key");
        // One I/O thread: connections run without strands (server_options::
        // strand_per_connection), the benchmarks' setting; the other suites use several threads.
        control_.start("gateway-key", {}, {{"THREADS", "1"}});
    }

    void add_streamer(int chunks, int delay_ms) {
        host_.add_instance(
            {{"id", "chat-1"},
             {"alias", "llama3:8b"},
             {"backend_type", "llamacpp"},
             {"api_key", "k"},
             {"stream_chunks", chunks},
             {"chunk_delay_ms", delay_ms}}
        );
        control_.add_host("gpu-1", host_.url(), "host-key");
    }

    std::map<std::string, std::string> auth() const {
        return {{"X-API-Key", control_.api_key()}, {"Content-Type", "application/json"}};
    }

    fake_host host_;
    control_process control_;
};

TEST_F(streaming_test, chunks_arrive_as_they_are_produced_not_at_the_end) {
    add_streamer(4, 300);
    sse_reader reader(
        "127.0.0.1", control_.port(), "/v1/chat/completions", stream_body.dump(), auth()
    );
    ASSERT_EQ(reader.status(), 200u);
    EXPECT_EQ(reader.headers().at("content-type").rfind("text/event-stream", 0), 0u);

    std::vector<sse_event> events;
    while (auto event = reader.next_event_timed(5s)) {
        events.push_back(*event);
        if (event->data == "[DONE]") break;
    }
    ASSERT_EQ(events.size(), 6u) << "4 content chunks, the finish chunk, [DONE]";
    for (int i = 0; i < 4; ++i) {
        auto chunk = json::parse(events[i].data);
        EXPECT_EQ(chunk["choices"][0]["delta"]["content"], "tok" + std::to_string(i) + " ");
    }
    EXPECT_EQ(json::parse(events[4].data)["choices"][0]["finish_reason"], "stop");
    // Buffering to the end would deliver everything at once; 3 gaps of 300 ms must show.
    auto spread = events[3].received - events[0].received;
    EXPECT_GE(spread, 600ms) << "chunks were buffered";
}

TEST_F(streaming_test, client_disconnect_mid_stream_cancels_the_upstream_request) {
    add_streamer(50, 200);
    {
        sse_reader reader(
            "127.0.0.1", control_.port(), "/v1/chat/completions", stream_body.dump(), auth()
        );
        ASSERT_TRUE(reader.next_event(5s));
        reader.close();
    }
    ASSERT_TRUE(wait_until(
        [&] {
            auto seen = host_.requests("chat-1");
            return seen.size() == 1 && seen[0]["disconnected"] == true;
        },
        5s
    )) << host_.requests("chat-1").dump();
    EXPECT_TRUE(wait_until([&] { return host_.in_flight().value("chat-1", 0) == 0; }, 5s));
    EXPECT_FALSE(host_.requests("chat-1")[0]["completed"].get<bool>());
    // The gateway is still fine afterwards.
    auto models = control_.get("/v1/models");
    EXPECT_EQ(models.status, 200);
}

TEST_F(streaming_test, client_leaving_a_slow_non_streamed_request_cancels_it_too) {
    host_.add_instance(
        {{"id", "slow-1"},
         {"alias", "slow:1b"},
         {"backend_type", "llamacpp"},
         {"api_key", "k"},
         {"delay_ms", 5000}}
    );
    control_.add_host("gpu-1", host_.url(), "host-key");
    json body = {{"model", "slow:1b"}, {"messages", {{{"role", "user"}, {"content", "hi"}}}}};
    auto answer = http_request(
        "127.0.0.1",
        control_.port(),
        http::verb::post,
        "/v1/chat/completions",
        body.dump(),
        auth(),
        400ms
    );
    EXPECT_EQ(answer.status, 0u) << "the client gave up before an answer";
    EXPECT_TRUE(wait_until(
        [&] {
            auto seen = host_.requests("slow-1");
            return seen.size() == 1 && seen[0]["disconnected"] == true;
        },
        4s
    )) << host_.requests("slow-1").dump();
}

TEST_F(streaming_test, completions_stream_is_relayed_too) {
    add_streamer(2, 0);
    json body = {{"model", "llama3:8b"}, {"stream", true}, {"prompt", "once upon"}};
    sse_reader reader("127.0.0.1", control_.port(), "/v1/completions", body.dump(), auth());
    ASSERT_EQ(reader.status(), 200u);
    std::vector<std::string> data;
    while (auto event = reader.next_event(5s)) {
        data.push_back(*event);
        if (*event == "[DONE]") break;
    }
    ASSERT_FALSE(data.empty());
    EXPECT_EQ(data.back(), "[DONE]");
    EXPECT_EQ(json::parse(data.front())["object"], "text_completion");
}

}  // namespace
}  // namespace solar::test
