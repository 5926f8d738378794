// Tests for the rotated per-instance log file and reading its tail back.
#include <solar/host/log_file.hpp>

#include <gtest/gtest.h>

#include <cstdlib>
#include <fstream>
#include <sstream>

namespace solar::host {
namespace {

class log_file_test : public ::testing::Test {
protected:
    log_file_test() {
        std::string pattern =
            (std::filesystem::temp_directory_path() / "solar-log-file-XXXXXX").string();
        dir_ = ::mkdtemp(pattern.data());
    }
    ~log_file_test() override { std::filesystem::remove_all(dir_); }

    static std::string read(const std::filesystem::path& file) {
        std::ifstream in(file, std::ios::binary);
        std::ostringstream out;
        out << in.rdbuf();
        return out.str();
    }

    static void write(const std::filesystem::path& file, const std::string& text) {
        std::ofstream out(file, std::ios::binary);
        out << text;
    }

    static log_entry entry(std::uint64_t seq, std::string line = "line") {
        return {seq, 1'740'046'272'345 + static_cast<std::int64_t>(seq), "stderr", std::move(line)};
    }

    std::filesystem::path dir_;
};

TEST_F(log_file_test, formats_one_readable_line_per_entry) {
    EXPECT_EQ(
        format_log_file_line({42, 1'740'046'272'345, "stderr", "main: model loaded"}),
        "42 2025-02-20T10:11:12.345Z stderr main: model loaded\n"
    );
    EXPECT_EQ(format_log_file_line({1, 0, "host", ""}), "1 1970-01-01T00:00:00.000Z host \n");
    // A line break smuggled into a hand-made entry cannot break the format.
    EXPECT_EQ(
        format_log_file_line({2, 0, "stdout", "a\nb"}), "2 1970-01-01T00:00:00.000Z stdout a b\n"
    );
}

TEST_F(log_file_test, parses_its_own_lines_back) {
    log_entry original{42, 1'740'046'272'345, "stderr", "  spaced   line  with | pipes "};
    EXPECT_EQ(parse_log_file_line(format_log_file_line(original)), original);
    log_entry empty{7, 0, "host", ""};
    EXPECT_EQ(parse_log_file_line(format_log_file_line(empty)), empty);
    EXPECT_EQ(parse_log_file_line("7 1970-01-01T00:00:00.000Z host"), empty);
    EXPECT_EQ(parse_log_file_line("7 1970-01-01T00:00:00.000Z host x\r\n")->line, "x");
}

TEST_F(log_file_test, rejects_lines_in_another_format) {
    EXPECT_FALSE(parse_log_file_line(""));
    EXPECT_FALSE(parse_log_file_line("hello world"));
    EXPECT_FALSE(parse_log_file_line("x 2025-02-20T10:11:12.345Z stderr a"));
    EXPECT_FALSE(parse_log_file_line("0 2025-02-20T10:11:12.345Z stderr a"));
    EXPECT_FALSE(parse_log_file_line("-1 2025-02-20T10:11:12.345Z stderr a"));
    EXPECT_FALSE(parse_log_file_line("5 yesterday stderr a"));
    EXPECT_FALSE(parse_log_file_line("5 2025-02-20T10:11:12.345Z  a"));
    EXPECT_FALSE(parse_log_file_line("5 2025-02-20T10:11:1"));
}

TEST_F(log_file_test, invalid_utf8_read_back_is_replaced) {
    auto parsed = parse_log_file_line("3 2025-02-20T10:11:12.345Z stdout bad\xff");
    ASSERT_TRUE(parsed);
    EXPECT_EQ(parsed->line, "bad\xEF\xBF\xBD");
}

TEST_F(log_file_test, appends_and_reads_the_tail_back) {
    auto path = log_file_path(dir_ / "logs", "inst-1");
    EXPECT_EQ(path, dir_ / "logs" / "inst-1.log");
    auto file = log_file::open(path);
    ASSERT_TRUE(file) << file.error().message();
    for (std::uint64_t seq = 1; seq <= 5; ++seq) {
        ASSERT_TRUE(file->append(entry(seq, std::to_string(seq))));
    }
    EXPECT_EQ(file->size(), read(path).size());
    auto tail = read_tail(path, 3);
    ASSERT_TRUE(tail);
    ASSERT_EQ(tail->size(), 3u);
    EXPECT_EQ((*tail)[0], entry(3, "3"));
    EXPECT_EQ((*tail)[2], entry(5, "5"));
    EXPECT_EQ(read_tail(path, 100)->size(), 5u);
    EXPECT_TRUE(read_tail(path, 0)->empty());
}

TEST_F(log_file_test, a_missing_file_has_an_empty_tail) {
    auto tail = read_tail(dir_ / "nothing.log", 10);
    ASSERT_TRUE(tail);
    EXPECT_TRUE(tail->empty());
}

TEST_F(log_file_test, rotates_before_passing_max_bytes_and_keeps_n_files) {
    auto path = dir_ / "r.log";
    auto line_size = format_log_file_line(entry(1, "0123456789")).size();  // same for seq 1..9
    log_file_options options;
    options.max_bytes = line_size * 2;
    options.keep = 2;
    auto file = log_file::open(path, options);
    ASSERT_TRUE(file);
    for (std::uint64_t seq = 1; seq <= 7; ++seq)
        ASSERT_TRUE(file->append(entry(seq, "0123456789")));
    // 1 2 | 3 4 | 5 6 | 7: the current file holds 7, .1 holds 5 6, .2 holds 3 4; 1 2 are gone.
    EXPECT_EQ(read(path), format_log_file_line(entry(7, "0123456789")));
    EXPECT_EQ(
        read(rotated_log_path(path, 1)),
        format_log_file_line(entry(5, "0123456789")) + format_log_file_line(entry(6, "0123456789"))
    );
    EXPECT_TRUE(std::filesystem::exists(rotated_log_path(path, 2)));
    EXPECT_FALSE(std::filesystem::exists(rotated_log_path(path, 3)));
    EXPECT_LE(std::filesystem::file_size(path), options.max_bytes);

    // The tail spans the current file and .1, in order.
    auto tail = read_tail(path, 3);
    ASSERT_TRUE(tail);
    ASSERT_EQ(tail->size(), 3u);
    EXPECT_EQ((*tail)[0].seq, 5u);
    EXPECT_EQ((*tail)[1].seq, 6u);
    EXPECT_EQ((*tail)[2].seq, 7u);
    EXPECT_EQ(read_tail(path, 100)->size(), 3u);  // only the current file and .1 are read
}

TEST_F(log_file_test, keep_zero_truncates_instead_of_rotating) {
    auto path = dir_ / "z.log";
    log_file_options options;
    options.max_bytes = 10;
    options.keep = 0;
    auto file = log_file::open(path, options);
    ASSERT_TRUE(file);
    ASSERT_TRUE(file->append(entry(1)));
    ASSERT_TRUE(file->append(entry(2)));
    EXPECT_EQ(read(path), format_log_file_line(entry(2)));
    EXPECT_FALSE(std::filesystem::exists(rotated_log_path(path, 1)));
}

TEST_F(log_file_test, reopening_appends_and_repairs_a_torn_last_line) {
    auto path = dir_ / "t.log";
    write(path, format_log_file_line(entry(1)) + "2 2025-02-20T10:11:12.3");
    {
        auto file = log_file::open(path);
        ASSERT_TRUE(file);
        ASSERT_TRUE(file->append(entry(3)));
    }
    auto tail = read_tail(path, 10);
    ASSERT_TRUE(tail);
    ASSERT_EQ(tail->size(), 2u);
    EXPECT_EQ((*tail)[0].seq, 1u);
    EXPECT_EQ((*tail)[1].seq, 3u);
}

TEST_F(log_file_test, tail_skips_foreign_lines_and_keeps_the_newest_increasing_run) {
    auto path = dir_ / "m.log";
    write(
        path,
        format_log_file_line(entry(10)) + "some text a person added\n" +
            format_log_file_line(entry(11)) + format_log_file_line(entry(3)) +
            format_log_file_line(entry(4)) + format_log_file_line(entry(5))
    );
    auto tail = read_tail(path, 10);
    ASSERT_TRUE(tail);
    ASSERT_EQ(tail->size(), 3u);
    EXPECT_EQ((*tail)[0].seq, 3u);
    EXPECT_EQ((*tail)[2].seq, 5u);
}

TEST_F(log_file_test, tail_of_a_large_file_reads_past_the_first_window) {
    auto path = dir_ / "big.log";
    log_file_options options;
    options.max_bytes = 64 * 1024 * 1024;
    auto file = log_file::open(path, options);
    ASSERT_TRUE(file);
    std::string long_line(1000, 'z');
    for (std::uint64_t seq = 1; seq <= 400; ++seq) ASSERT_TRUE(file->append(entry(seq, long_line)));
    auto tail = read_tail(path, 300);  // about 300 KB: more than one 64 KiB window
    ASSERT_TRUE(tail);
    ASSERT_EQ(tail->size(), 300u);
    EXPECT_EQ(tail->front().seq, 101u);
    EXPECT_EQ(tail->back().seq, 400u);
    EXPECT_EQ(tail->back().line, long_line);
}

TEST_F(log_file_test, an_entry_longer_than_max_bytes_still_gets_written) {
    auto path = dir_ / "long.log";
    log_file_options options;
    options.max_bytes = 100;
    auto file = log_file::open(path, options);
    ASSERT_TRUE(file);
    ASSERT_TRUE(file->append(entry(1)));
    ASSERT_TRUE(file->append(entry(2, std::string(500, 'q'))));
    EXPECT_EQ(read(path), format_log_file_line(entry(2, std::string(500, 'q'))));
    ASSERT_TRUE(file->append(entry(3)));
    EXPECT_EQ(read(path), format_log_file_line(entry(3)));
}

TEST_F(log_file_test, open_fails_where_the_directory_cannot_be_made) {
    write(dir_ / "blocker", "a file, not a directory");
    auto file = log_file::open(dir_ / "blocker" / "x.log");
    EXPECT_FALSE(file);
}

}  // namespace
}  // namespace solar::host
