// Unit tests for host log line parsing, client tagging, sequence tracking and back-off.
#include <solar/control/log_line.hpp>

#include <gtest/gtest.h>
#include <nlohmann/json.hpp>

namespace solar::control {
namespace {

using verdict = sequence_tracker::verdict;
using std::chrono::milliseconds;

TEST(parse_host_log_line, reads_all_fields) {
    auto line = parse_host_log_line(
        R"({"seq":42,"ts":"2024-05-01T10:00:00Z","stream":"stderr","line":"loading model"})"
    );
    ASSERT_TRUE(line);
    EXPECT_EQ(line->seq, 42u);
    EXPECT_EQ(line->ts, "2024-05-01T10:00:00Z");
    EXPECT_EQ(line->stream, "stderr");
    EXPECT_EQ(line->line, "loading model");
}

TEST(parse_host_log_line, ts_and_stream_are_optional) {
    auto line = parse_host_log_line(R"({"seq":0,"line":""})");
    ASSERT_TRUE(line);
    EXPECT_EQ(line->seq, 0u);
    EXPECT_EQ(line->ts, "");
    EXPECT_EQ(line->stream, "");
}

TEST(parse_host_log_line, rejects_other_messages) {
    EXPECT_FALSE(parse_host_log_line("not json"));
    EXPECT_FALSE(parse_host_log_line("[1,2]"));
    EXPECT_FALSE(parse_host_log_line(R"({"line":"no seq"})"));
    EXPECT_FALSE(parse_host_log_line(R"({"seq":-1,"line":"x"})"));
    EXPECT_FALSE(parse_host_log_line(R"({"seq":"3","line":"x"})"));
    EXPECT_FALSE(parse_host_log_line(R"({"seq":1.5,"line":"x"})"));
    EXPECT_FALSE(parse_host_log_line(R"({"seq":3,"line":7})"));
    EXPECT_FALSE(parse_host_log_line(R"({"type":"state","status":"running"})"));
}

TEST(tagged_log_message, carries_source_and_line_fields) {
    log_source source{"h1", "gpu-box", "i1", "llama-3:8b"};
    host_log_line line{7, "2024-05-01T10:00:00Z", "stdout", "hello \"world\""};
    auto doc = nlohmann::json::parse(tagged_log_message(source, line));
    EXPECT_EQ(doc.size(), 8u);
    EXPECT_EQ(doc["host_id"], "h1");
    EXPECT_EQ(doc["host_name"], "gpu-box");
    EXPECT_EQ(doc["instance_id"], "i1");
    EXPECT_EQ(doc["alias"], "llama-3:8b");
    EXPECT_EQ(doc["seq"], 7);
    EXPECT_EQ(doc["ts"], "2024-05-01T10:00:00Z");
    EXPECT_EQ(doc["stream"], "stdout");
    EXPECT_EQ(doc["line"], "hello \"world\"");
}

TEST(tagged_log_message, replaces_invalid_utf8_instead_of_throwing) {
    host_log_line line{1, "", "stdout", std::string("bad \xff\xfe bytes")};
    std::string out;
    ASSERT_NO_THROW(out = tagged_log_message({}, line));
    auto doc = nlohmann::json::parse(out);
    EXPECT_EQ(doc["line"], "bad \xEF\xBF\xBD\xEF\xBF\xBD bytes");
}

TEST(sequence_tracker, first_connection_asks_for_everything_and_accepts_any_start) {
    sequence_tracker tracker;
    EXPECT_EQ(tracker.begin_connection(), 0u);
    EXPECT_EQ(tracker.on_line(17), verdict::accept);  // older lines already trimmed by the host
    EXPECT_EQ(tracker.on_line(18), verdict::accept);
    EXPECT_EQ(tracker.last_seq(), 18u);
    EXPECT_EQ(tracker.next_since(), 19u);
}

TEST(sequence_tracker, resumes_after_the_last_line_and_drops_replayed_ones) {
    sequence_tracker tracker;
    tracker.begin_connection();
    for (std::uint64_t seq = 0; seq <= 5; ++seq) EXPECT_EQ(tracker.on_line(seq), verdict::accept);

    EXPECT_EQ(tracker.begin_connection(), 6u);
    EXPECT_EQ(tracker.on_line(6), verdict::accept);
    EXPECT_EQ(tracker.on_line(6), verdict::drop);
    EXPECT_EQ(tracker.on_line(4), verdict::drop);
    EXPECT_EQ(tracker.on_line(7), verdict::accept);
    EXPECT_EQ(tracker.next_since(), 8u);
}

TEST(sequence_tracker, a_line_older_than_asked_after_reconnect_means_the_host_restarted) {
    sequence_tracker tracker;
    tracker.begin_connection();
    for (std::uint64_t seq = 0; seq <= 100; ++seq) tracker.on_line(seq);

    EXPECT_EQ(tracker.begin_connection(), 101u);
    // The restarted host numbers from 0 and already printed 0..2; it sends live line 3.
    EXPECT_EQ(tracker.on_line(3), verdict::resubscribe);
    EXPECT_FALSE(tracker.last_seq());
    EXPECT_EQ(tracker.begin_connection(), 0u) << "read the restarted host from its start";
    EXPECT_EQ(tracker.on_line(0), verdict::accept);
    EXPECT_EQ(tracker.on_line(1), verdict::accept);
    EXPECT_EQ(tracker.on_line(2), verdict::accept);
    EXPECT_EQ(tracker.on_line(3), verdict::accept);
}

TEST(sequence_tracker, only_the_first_line_after_a_reconnect_can_signal_a_restart) {
    sequence_tracker tracker;
    tracker.begin_connection();
    tracker.on_line(10);
    tracker.begin_connection();
    EXPECT_EQ(tracker.on_line(11), verdict::accept);
    EXPECT_EQ(tracker.on_line(3), verdict::drop);
}

TEST(sequence_tracker, reports_a_gap_when_the_host_no_longer_held_lines) {
    sequence_tracker tracker;
    tracker.begin_connection();
    tracker.on_line(10);
    EXPECT_EQ(tracker.begin_connection(), 11u);
    EXPECT_EQ(tracker.on_line(50), verdict::accept_gap);
    EXPECT_EQ(tracker.on_line(51), verdict::accept);
    EXPECT_EQ(tracker.next_since(), 52u);
}

TEST(sequence_tracker, skips_an_unreadable_message_once_the_position_is_known) {
    sequence_tracker tracker;
    tracker.skip_unreadable();
    EXPECT_EQ(tracker.next_since(), 0u);
    tracker.begin_connection();
    tracker.on_line(4);
    tracker.skip_unreadable();  // line 5 was too large
    EXPECT_EQ(tracker.begin_connection(), 6u);
    EXPECT_EQ(tracker.on_line(6), verdict::accept);
}

TEST(reconnect_backoff, doubles_up_to_the_maximum_and_resets) {
    reconnect_backoff backoff{milliseconds(250), milliseconds(10000)};
    std::vector<milliseconds> delays;
    for (int i = 0; i < 8; ++i) delays.push_back(backoff.next());
    EXPECT_EQ(
        delays,
        (std::vector<milliseconds>{
            milliseconds(250),
            milliseconds(500),
            milliseconds(1000),
            milliseconds(2000),
            milliseconds(4000),
            milliseconds(8000),
            milliseconds(10000),
            milliseconds(10000)})
    );
    backoff.reset();
    EXPECT_EQ(backoff.next(), milliseconds(250));
    EXPECT_EQ(backoff.next(), milliseconds(500));
}

}  // namespace
}  // namespace solar::control
