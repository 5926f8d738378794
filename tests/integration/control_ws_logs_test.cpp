// WS /ws/logs end to end: instance log lines from fake hosts arrive tagged, filtered by host and
// instance, exactly once and in order across host restarts (resumed by sequence number), and a
// client that stops reading is disconnected instead of buffered without bound.
#include <gtest/gtest.h>

#include <algorithm>
#include <fstream>
#include <optional>

#include "harness/control_process.hpp"
#include "harness/fake_host.hpp"
#include "harness/wait.hpp"
#include "harness/ws_client.hpp"

namespace solar::test {
namespace {

using namespace std::chrono_literals;
using nlohmann::json;
using clock = std::chrono::steady_clock;

json instance(const std::string& id, const std::string& alias) {
    return {{"id", id}, {"alias", alias}, {"backend_type", "llamacpp"}, {"api_key", "k"}};
}

std::vector<std::string> numbered(const std::string& prefix, int from, int to) {
    std::vector<std::string> out;
    for (int i = from; i <= to; ++i) out.push_back(prefix + std::to_string(i));
    return out;
}

// Reads messages as JSON until `count` arrived or `timeout` passed.
std::vector<json> collect(ws_client& ws, std::size_t count, std::chrono::milliseconds timeout) {
    std::vector<json> out;
    auto deadline = clock::now() + timeout;
    while (out.size() < count && clock::now() < deadline && !ws.closed()) {
        auto left = std::chrono::duration_cast<std::chrono::milliseconds>(deadline - clock::now());
        auto message = ws.next_message(std::max(left, 1ms));
        if (message) out.push_back(json::parse(*message));
    }
    return out;
}

// Whether more messages arrive within `quiet`; they are returned.
std::vector<json> extra_messages(ws_client& ws, std::chrono::milliseconds quiet = 500ms) {
    std::vector<json> out;
    while (auto message = ws.next_message(quiet)) out.push_back(json::parse(*message));
    return out;
}

std::vector<std::string> lines_of(const std::vector<json>& messages) {
    std::vector<std::string> out;
    for (const auto& m : messages) out.push_back(m.value("line", "<no line>"));
    return out;
}

// Peak resident memory of a process in KiB (VmHWM), 0 if unreadable.
long peak_rss_kib(pid_t pid) {
    std::ifstream in("/proc/" + std::to_string(pid) + "/status");
    for (std::string line; std::getline(in, line);) {
        if (line.rfind("VmHWM:", 0) == 0) return std::stol(line.substr(6));
    }
    return 0;
}

class ws_logs_test : public ::testing::Test {
protected:
    void SetUp() override {
        a_.start("key-a");
        control_.start("gateway-key");
    }

    // A connected client; lines are only relayed while someone listens, so connect first.
    std::unique_ptr<ws_client> client(const std::string& query = "") const {
        auto ws = std::make_unique<ws_client>();
        bool connected = ws->connect(
            "127.0.0.1", control_.port(), "/ws/logs" + query, {{"X-API-Key", control_.api_key()}}
        );
        if (!connected) ADD_FAILURE() << "cannot connect /ws/logs" << query;
        return ws;
    }

    fake_host a_;
    control_process control_;
};

TEST_F(ws_logs_test, lines_arrive_tagged_with_host_instance_alias_seq_and_ts) {
    a_.add_instance(instance("i-1", "llama3:8b"));
    auto ws = client();
    auto host_id = control_.add_host("gpu-1", a_.url(), "key-a");

    a_.log("i-1", {"loading model", "model loaded"});
    a_.log("i-1", {"warning: low memory"}, "stderr");
    auto messages = collect(*ws, 3, 15s);
    ASSERT_EQ(messages.size(), 3u);
    const std::vector<std::string> lines = {"loading model", "model loaded", "warning: low memory"};
    const std::vector<std::string> streams = {"stdout", "stdout", "stderr"};
    for (std::size_t i = 0; i < messages.size(); ++i) {
        const auto& m = messages[i];
        EXPECT_EQ(m["host_id"], host_id) << m.dump();
        EXPECT_EQ(m["host_name"], "gpu-1") << m.dump();
        EXPECT_EQ(m["instance_id"], "i-1") << m.dump();
        EXPECT_EQ(m["alias"], "llama3:8b") << m.dump();
        EXPECT_EQ(m["seq"], i + 1) << m.dump();
        ASSERT_TRUE(m["ts"].is_string()) << m.dump();
        EXPECT_FALSE(m["ts"].get<std::string>().empty());
        EXPECT_EQ(m["stream"], streams[i]) << m.dump();
        EXPECT_EQ(m["line"], lines[i]) << m.dump();
    }
    // The gateway subscribed with the host's key.
    bool subscribed = false;
    for (const auto& call : a_.calls()) {
        if (call["path"] == "/instances/i-1/logs") {
            subscribed = true;
            EXPECT_EQ(call["authorized"], true) << call.dump();
        }
    }
    EXPECT_TRUE(subscribed) << a_.calls().dump();
    EXPECT_TRUE(extra_messages(*ws).empty());
}

TEST_F(ws_logs_test, host_id_and_instance_id_filter_the_stream) {
    fake_host b;
    b.start("key-b");
    a_.add_instance(instance("a-1", "alpha:1b"));
    a_.add_instance(instance("a-2", "alpha:2b"));
    b.add_instance(instance("b-1", "beta:1b"));

    auto all = client();
    // Ids are only known after registration, so filtered clients connect after it; the
    // gateway's subscriptions start at seq 1, so no line logged afterwards can be missed.
    auto id_a = control_.add_host("host-a", a_.url(), "key-a");
    auto id_b = control_.add_host("host-b", b.url(), "key-b");
    auto only_a = client("?host_id=" + id_a);
    auto only_a2 = client("?instance_id=a-2");
    auto a_and_a1 = client("?host_id=" + id_a + "&instance_id=a-1");
    auto nothing = client("?host_id=" + id_b + "&instance_id=a-1");
    auto empty_filter = client("?host_id=&instance_id=");

    a_.log("a-1", {"from a-1"});
    a_.log("a-2", {"from a-2"});
    b.log("b-1", {"from b-1"});

    auto sorted_lines = [](std::vector<json> messages) {
        auto lines = lines_of(messages);
        std::sort(lines.begin(), lines.end());
        return lines;
    };
    const std::vector<std::string> everything = {"from a-1", "from a-2", "from b-1"};
    EXPECT_EQ(sorted_lines(collect(*all, 3, 15s)), everything);
    EXPECT_EQ(sorted_lines(collect(*empty_filter, 3, 15s)), everything) << "empty = no filter";
    EXPECT_EQ(
        sorted_lines(collect(*only_a, 2, 15s)), (std::vector<std::string>{"from a-1", "from a-2"})
    );
    EXPECT_EQ(lines_of(collect(*only_a2, 1, 15s)), std::vector<std::string>{"from a-2"});
    EXPECT_EQ(lines_of(collect(*a_and_a1, 1, 15s)), std::vector<std::string>{"from a-1"});

    // A last line on every instance, so that whatever a filter let through has arrived.
    a_.log("a-1", {"end a-1"});
    a_.log("a-2", {"end a-2"});
    b.log("b-1", {"end b-1"});
    EXPECT_EQ(lines_of(collect(*a_and_a1, 1, 15s)), std::vector<std::string>{"end a-1"});
    EXPECT_EQ(lines_of(collect(*only_a2, 1, 15s)), std::vector<std::string>{"end a-2"});
    EXPECT_EQ(collect(*only_a, 2, 15s).size(), 2u);
    EXPECT_EQ(collect(*all, 3, 15s).size(), 3u);
    for (auto* ws : {only_a.get(), only_a2.get(), a_and_a1.get(), all.get()}) {
        auto extra = extra_messages(*ws, 300ms);
        EXPECT_TRUE(extra.empty()) << json(extra).dump();
    }
    auto none = extra_messages(*nothing, 300ms);
    EXPECT_TRUE(none.empty()) << json(none).dump();
    EXPECT_FALSE(nothing->closed()) << "a filter matching nothing is not an error";
}

TEST_F(ws_logs_test, host_restarts_lose_and_repeat_no_line) {
    a_.add_instance(instance("i-1", "m:1b"));
    auto ws = client();
    control_.add_host("gpu-1", a_.url(), "key-a");
    std::vector<json> received;
    auto take = [&](std::size_t count) {
        auto got = collect(*ws, count, 30s);
        received.insert(received.end(), got.begin(), got.end());
        return got.size() == count;
    };

    a_.log("i-1", numbered("line ", 1, 5));
    ASSERT_TRUE(take(5)) << json(received).dump();

    // A graceful stop, then back on the same port: lines logged before the gateway has
    // reconnected come from the host's store, from where the gateway left off.
    a_.stop();
    a_.restart_same_port();
    a_.log("i-1", numbered("line ", 6, 10));
    ASSERT_TRUE(take(5)) << json(received).dump();
    a_.log("i-1", numbered("line ", 11, 12));
    ASSERT_TRUE(take(2)) << json(received).dump();

    // A crash (kill -9) with lines logged right after the restart and more later, live.
    a_.restart_same_port();
    a_.log("i-1", numbered("line ", 13, 16));
    ASSERT_TRUE(take(4)) << json(received).dump();
    a_.log("i-1", numbered("line ", 17, 20));
    ASSERT_TRUE(take(4)) << json(received).dump();

    auto extra = extra_messages(*ws, 1s);
    EXPECT_TRUE(extra.empty()) << "duplicates: " << json(extra).dump();
    ASSERT_EQ(received.size(), 20u);
    for (std::size_t i = 0; i < received.size(); ++i) {
        EXPECT_EQ(received[i]["seq"], i + 1) << json(received).dump();
        EXPECT_EQ(received[i]["line"], "line " + std::to_string(i + 1));
    }
    // The reconnects asked for what was missing, not for everything again.
    bool resumed = false;
    for (const auto& call : a_.calls()) {
        if (call["target"].get<std::string>().find("/instances/i-1/logs?since=13") !=
            std::string::npos) {
            resumed = true;
        }
    }
    EXPECT_TRUE(resumed) << a_.calls().dump();
    EXPECT_FALSE(ws->closed());
}

TEST_F(ws_logs_test, a_client_that_stops_reading_is_disconnected_not_buffered) {
    a_.add_instance(instance("i-1", "m:1b"));
    auto slow = client();
    control_.add_host("gpu-1", a_.url(), "key-a");
    // Make sure the subscription is up and the client is served before it stops reading.
    a_.log("i-1", {"first"});
    auto first = collect(*slow, 1, 15s);
    ASSERT_EQ(first.size(), 1u);

    auto pid = control_.process().pid();
    long before_kib = peak_rss_kib(pid);
    ASSERT_GT(before_kib, 0);

    // 64 MiB of log lines while the client reads nothing: far beyond the per-client queue
    // (1024 messages / 8 MiB) plus what the kernel's socket buffers absorb.
    const std::string filler(256 * 1024 - 64, 'x');
    constexpr int batches = 4;
    constexpr int lines_per_batch = 64;
    auto started = clock::now();
    for (int batch = 0; batch < batches; ++batch) {
        std::vector<std::string> lines;
        for (int i = 0; i < lines_per_batch; ++i) {
            lines.push_back(std::to_string(batch * lines_per_batch + i) + " " + filler);
        }
        a_.log("i-1", lines);
    }
    // The gateway relays lines in order as it reads them: once a client that joins now sees
    // a marker logged after them, every one of them has been offered to the slow client.
    auto fresh = client();
    a_.log("i-1", {"marker"});
    std::optional<json> marker;
    auto marker_deadline = clock::now() + 40s;
    while (!marker && !fresh->closed() && clock::now() < marker_deadline) {
        auto message = fresh->next_message(1s);
        if (!message) continue;
        auto m = json::parse(*message);
        if (m["line"] == "marker") marker = m;
    }
    ASSERT_TRUE(marker) << "the gateway stopped relaying (fresh client closed: " << fresh->closed()
                        << ")";
    EXPECT_EQ((*marker)["seq"], 2 + batches * lines_per_batch);
    auto relayed = clock::now() - started;

    long after_kib = peak_rss_kib(pid);
    constexpr long total_kib = batches * lines_per_batch * 256;
#if defined(__SANITIZE_ADDRESS__)
    // AddressSanitizer keeps freed memory in quarantine (256 MB by default), so peak RSS says
    // nothing about buffering there; the Release run checks the bound, this run the behaviour.
    (void)after_kib;
    (void)total_kib;
#else
    EXPECT_LT(after_kib - before_kib, total_kib * 5 / 8)
        << "the gateway's peak memory grew by " << (after_kib - before_kib) << " KiB for "
        << total_kib << " KiB of lines to a client that reads nothing";
#endif

    // When the slow client reads again it finds what was already on its way, then the close.
    std::size_t got = 0;
    auto deadline = clock::now() + 30s;
    while (!slow->closed() && clock::now() < deadline) {
        if (slow->next_message(1s)) ++got;
    }
    ASSERT_TRUE(slow->closed()) << "the slow client is still connected after " << got << " lines";
    EXPECT_LT(got, static_cast<std::size_t>(batches * lines_per_batch))
        << "every line reached the client: nothing was bounded";
    if (relayed < 7s) {
        // Past the 10 s write timeout the gateway drops the connection without a close frame;
        // before it, the client is told why.
        EXPECT_EQ(slow->close_reason().code, boost::beast::websocket::close_code::policy_error)
            << "reason: " << slow->close_reason().reason;
    }

    // The gateway itself is fine and keeps serving the others.
    a_.log("i-1", {"after the slow one"});
    auto next = collect(*fresh, 1, 15s);
    ASSERT_EQ(next.size(), 1u);
    EXPECT_EQ(next[0]["line"], "after the slow one");
    EXPECT_EQ(next[0]["seq"], 3 + batches * lines_per_batch);
    EXPECT_EQ(control_.get("/v1/models").status, 200u);
}

}  // namespace
}  // namespace solar::test
