// Tests for the per-instance log ring: numbering, paging, cleaning, JSON and wake-ups.
#include <solar/host/log_ring.hpp>

#include <gtest/gtest.h>

#include <atomic>
#include <thread>

namespace solar::host {
namespace {

struct fake_clock {
    std::int64_t now = 1'740'000'000'000;
    log_ring::clock fn() {
        return [this] { return now; };
    }
};

TEST(log_ring_test, numbers_from_one_and_stamps_with_the_clock) {
    fake_clock clock;
    log_ring ring(10, clock.fn());
    EXPECT_EQ(ring.next_seq(), 1u);
    auto first = ring.append("stderr", "main: loading model");
    clock.now += 5;
    auto second = ring.append("host", "started pid 123");
    EXPECT_EQ(first.seq, 1u);
    EXPECT_EQ(first.ts_ms, 1'740'000'000'000);
    EXPECT_EQ(first.stream, "stderr");
    EXPECT_EQ(second.seq, 2u);
    EXPECT_EQ(second.ts_ms, 1'740'000'000'005);
    EXPECT_EQ(ring.next_seq(), 3u);
    EXPECT_EQ(ring.size(), 2u);
}

TEST(log_ring_test, drops_the_oldest_when_full_and_never_reuses_numbers) {
    fake_clock clock;
    log_ring ring(3, clock.fn());
    for (int i = 1; i <= 5; ++i) ring.append("stdout", "line " + std::to_string(i));
    EXPECT_EQ(ring.size(), 3u);
    EXPECT_EQ(ring.oldest_seq(), 3u);
    auto all = ring.since(0, 100);
    ASSERT_EQ(all.size(), 3u);
    EXPECT_EQ(all[0].seq, 3u);
    EXPECT_EQ(all[0].line, "line 3");
    EXPECT_EQ(all[2].seq, 5u);
    EXPECT_EQ(ring.next_seq(), 6u);
}

TEST(log_ring_test, since_returns_later_lines_oldest_first_up_to_max) {
    fake_clock clock;
    log_ring ring(10, clock.fn());
    for (int i = 1; i <= 6; ++i) ring.append("stdout", std::to_string(i));
    auto page = ring.since(2, 2);
    ASSERT_EQ(page.size(), 2u);
    EXPECT_EQ(page[0].seq, 3u);
    EXPECT_EQ(page[1].seq, 4u);
    EXPECT_TRUE(ring.since(6, 10).empty());
    EXPECT_TRUE(ring.since(1000, 10).empty());
    EXPECT_TRUE(ring.since(0, 0).empty());
}

TEST(log_ring_test, last_returns_the_newest_oldest_first) {
    fake_clock clock;
    log_ring ring(10, clock.fn());
    EXPECT_TRUE(ring.last(3).empty());
    for (int i = 1; i <= 5; ++i) ring.append("stdout", std::to_string(i));
    auto tail = ring.last(2);
    ASSERT_EQ(tail.size(), 2u);
    EXPECT_EQ(tail[0].seq, 4u);
    EXPECT_EQ(tail[1].seq, 5u);
    EXPECT_EQ(ring.last(100).size(), 5u);
}

TEST(log_ring_test, start_at_continues_numbering_but_never_goes_back) {
    fake_clock clock;
    log_ring ring(10, clock.fn());
    ring.start_at(100);
    EXPECT_EQ(ring.append("stdout", "a").seq, 100u);
    ring.start_at(50);
    EXPECT_EQ(ring.append("stdout", "b").seq, 101u);
    auto page = ring.since(99, 10);
    ASSERT_EQ(page.size(), 2u);
    EXPECT_EQ(page[0].seq, 100u);
}

TEST(log_ring_test, restore_takes_entries_from_the_file_and_continues_after_them) {
    fake_clock clock;
    log_ring ring(3, clock.fn());
    ring.restore({
        {7, 1000, "stderr", "seven"},
        {8, 1001, "stderr", "eight"},
        {6, 1002, "stderr", "older, skipped"},
        {9, 1003, "host", "nine"},
        {10, 1004, "stdout", "ten"},
    });
    EXPECT_EQ(ring.next_seq(), 11u);
    auto held = ring.since(0, 10);
    ASSERT_EQ(held.size(), 3u);
    EXPECT_EQ(held[0].seq, 8u);
    EXPECT_EQ(held[0].ts_ms, 1001);
    EXPECT_EQ(held[2].line, "ten");
    EXPECT_EQ(ring.append("stdout", "new").seq, 11u);
}

TEST(log_ring_test, clean_line_strips_line_endings_and_keeps_one_line) {
    EXPECT_EQ(clean_log_line("hello\r\n"), "hello");
    EXPECT_EQ(clean_log_line("hello\r"), "hello");
    EXPECT_EQ(clean_log_line("a\rb\nc"), "a b c");
    EXPECT_EQ(clean_log_line(""), "");
    EXPECT_EQ(clean_log_line("ünïcödé ✓ 🙂"), "ünïcödé ✓ 🙂");
}

TEST(log_ring_test, clean_line_replaces_invalid_utf8) {
    EXPECT_EQ(
        clean_log_line("a\xff"
                       "b"),
        "a\xEF\xBF\xBD"
        "b"
    );
    EXPECT_EQ(clean_log_line("\xC3"), "\xEF\xBF\xBD");                  // cut sequence
    EXPECT_EQ(clean_log_line("\xC0\xAF"), "\xEF\xBF\xBD\xEF\xBF\xBD");  // overlong
    EXPECT_EQ(clean_log_line("\xED\xA0\x80"), "\xEF\xBF\xBD\xEF\xBF\xBD\xEF\xBF\xBD");  // surrogate
    auto json = to_json(log_entry{1, 0, "stdout", clean_log_line("bad \xfe byte")});
    EXPECT_NO_THROW(json.dump());
}

TEST(log_ring_test, clean_line_truncates_long_lines_with_a_marker) {
    std::string exact(max_log_line_bytes, 'x');
    EXPECT_EQ(clean_log_line(exact), exact);
    auto cut = clean_log_line(std::string(max_log_line_bytes * 3, 'y'));
    EXPECT_EQ(cut.size(), max_log_line_bytes);
    EXPECT_TRUE(cut.ends_with(log_line_truncated_marker));
    // Never cut inside a character.
    std::string wide;
    while (wide.size() < max_log_line_bytes + 10) wide += "é";
    auto cut_wide = clean_log_line(wide);
    EXPECT_LE(cut_wide.size(), max_log_line_bytes);
    EXPECT_NO_THROW(nlohmann::json(cut_wide).dump());
    // Replacements grow a line; the limit still holds.
    auto grown = clean_log_line(std::string(max_log_line_bytes, '\xff'));
    EXPECT_LE(grown.size(), max_log_line_bytes);
    EXPECT_TRUE(grown.ends_with(log_line_truncated_marker));
    EXPECT_NO_THROW(nlohmann::json(grown).dump());
}

TEST(log_ring_test, append_cleans_the_line) {
    fake_clock clock;
    log_ring ring(2, clock.fn());
    EXPECT_EQ(ring.append("stderr", "x\xff\r\n").line, "x\xEF\xBF\xBD");
}

TEST(log_ring_test, utc_timestamps_round_trip) {
    EXPECT_EQ(format_utc_ms(0), "1970-01-01T00:00:00.000Z");
    EXPECT_EQ(format_utc_ms(1'740'046'272'345), "2025-02-20T10:11:12.345Z");
    EXPECT_EQ(parse_utc_ms("2025-02-20T10:11:12.345Z"), 1'740'046'272'345);
    EXPECT_EQ(parse_utc_ms("2025-02-20T10:11:12Z"), 1'740'046'272'000);
    EXPECT_EQ(parse_utc_ms("2025-02-20T10:11:12.3456789Z"), 1'740'046'272'345);
    EXPECT_FALSE(parse_utc_ms("2025-02-20 10:11:12.345Z"));
    EXPECT_FALSE(parse_utc_ms("2025-02-20T10:11:12.345"));
    EXPECT_FALSE(parse_utc_ms("2025-13-20T10:11:12.345Z"));
    EXPECT_FALSE(parse_utc_ms("garbage"));
}

TEST(log_ring_test, json_is_what_solar_control_parses) {
    log_entry entry{42, 1'740'046'272'345, "stderr", "main: model loaded"};
    auto json = to_json(entry);
    EXPECT_EQ(json["seq"], 42);
    EXPECT_EQ(json["ts"], "2025-02-20T10:11:12.345Z");
    EXPECT_EQ(json["ts_ms"], 1'740'046'272'345);
    EXPECT_EQ(json["stream"], "stderr");
    EXPECT_EQ(json["line"], "main: model loaded");
    // solar-control's parse_host_log_line (src/control/log_line.cpp) needs seq an unsigned
    // integer, line a string, and takes ts and stream only as strings.
    auto parsed = nlohmann::json::parse(json.dump());
    EXPECT_TRUE(parsed["seq"].is_number_unsigned());
    EXPECT_TRUE(parsed["ts"].is_string());
    EXPECT_TRUE(parsed["stream"].is_string());
    EXPECT_TRUE(parsed["line"].is_string());
}

TEST(log_ring_test, subscribers_are_woken_after_each_append_until_unsubscribed) {
    fake_clock clock;
    log_ring ring(10, clock.fn());
    std::vector<std::uint64_t> woken;
    auto id = ring.subscribe([&](std::uint64_t seq) {
        // Reading from the callback works: the ring's lock is not held.
        EXPECT_EQ(ring.since(seq - 1, 1).size(), 1u);
        woken.push_back(seq);
    });
    ring.append("stdout", "a");
    ring.append("stdout", "b");
    ring.unsubscribe(id);
    ring.append("stdout", "c");
    ring.unsubscribe(id);  // unknown now: ignored
    EXPECT_EQ(woken, (std::vector<std::uint64_t>{1, 2}));
}

TEST(log_ring_test, concurrent_appends_get_distinct_increasing_numbers) {
    log_ring ring(100'000);
    std::atomic<int> wakeups = 0;
    ring.subscribe([&](std::uint64_t) { ++wakeups; });
    std::vector<std::thread> writers;
    for (int t = 0; t < 4; ++t) {
        writers.emplace_back([&ring, t] {
            for (int i = 0; i < 1000; ++i) ring.append(t % 2 ? "stdout" : "stderr", "x");
        });
    }
    std::thread reader([&ring] {
        for (int i = 0; i < 200; ++i) (void)ring.since(0, 50);
    });
    for (auto& writer : writers) writer.join();
    reader.join();
    auto all = ring.since(0, 10'000);
    ASSERT_EQ(all.size(), 4000u);
    for (std::size_t i = 0; i < all.size(); ++i) EXPECT_EQ(all[i].seq, i + 1);
    EXPECT_EQ(wakeups.load(), 4000);
}

}  // namespace
}  // namespace solar::host
