// Size-bounded, rotated per-instance log file (logs/<instance-id>.log), readable with
// `tail -f` and parsed back at boot so the ring's sequence continues where it stopped.
#pragma once

#include <solar/host/log_ring.hpp>

#include <boost/system/error_code.hpp>
#include <boost/system/result.hpp>

#include <cstddef>
#include <cstdint>
#include <filesystem>
#include <memory>
#include <mutex>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

namespace solar::host {

// File format, one entry per line (the line is cleaned by clean_log_line, so it is valid
// UTF-8 without line breaks):
//   <seq> <YYYY-MM-DDTHH:MM:SS.mmmZ> <stream> <line>\n
// e.g. "42 2025-02-20T10:11:12.345Z stderr main: model loaded".
std::string format_log_file_line(const log_entry& entry);

// The entry of one file line (without or with its "\n"); nullopt when it is not in the
// format above (a torn or hand-edited line).
std::optional<log_entry> parse_log_file_line(std::string_view text);

// logs_dir / "<instance_id>.log". The id must already be a safe file name (the instance
// config validates it).
std::filesystem::path log_file_path(
    const std::filesystem::path& logs_dir, std::string_view instance_id
);

// The path of rotation `index` (1 = the newest rotated file): "<path>.<index>".
std::filesystem::path rotated_log_path(const std::filesystem::path& path, std::size_t index);

struct log_file_options {
    std::uint64_t max_bytes = 10 * 1024 * 1024;  // rotate before the file would pass this
    std::size_t keep = 3;                        // rotated files kept: .1 ... .keep
};

// Appends entries to one instance's log file, rotating it to .1 ... .N when it would exceed
// max_bytes. Thread-safe. Each append is one blocking write(2) of a short line; run it off the
// I/O threads where that matters.
class log_file {
public:
    // Opens (creating it and its directory if needed) the file for appending. Fails with the
    // system error when the directory or the file cannot be created or opened. When the file
    // ends in a torn line (a crash mid-write), a "\n" is added so the next entry starts cleanly.
    static boost::system::result<log_file> open(
        std::filesystem::path path, log_file_options options = {}
    );

    log_file(log_file&& other) noexcept;
    log_file& operator=(log_file&& other) noexcept;
    log_file(const log_file&) = delete;
    log_file& operator=(const log_file&) = delete;
    ~log_file();

    // Writes the entry as one line, rotating first when the file is not empty and the line
    // would take it past max_bytes (so one line longer than max_bytes still gets written, to a
    // fresh file). Fails with the system error (disk full, ...); the file stays usable.
    boost::system::result<void> append(const log_entry& entry);

    const std::filesystem::path& path() const { return path_; }
    // Bytes in the current file.
    std::uint64_t size() const;

private:
    log_file(std::filesystem::path path, log_file_options options, int fd, std::uint64_t size);
    boost::system::result<void> rotate();

    std::filesystem::path path_;
    log_file_options options_;
    std::unique_ptr<std::mutex> mutex_ = std::make_unique<std::mutex>();
    int fd_ = -1;
    std::uint64_t size_ = 0;
};

// The newest `n` entries of the log at `path`, oldest first, read from the end of the current
// file and, when that holds fewer, of "<path>.1". Lines that do not parse are skipped, and the
// result keeps only the newest run of strictly increasing seqs (a file edited by hand or
// holding an older numbering must not make the ring number backwards). A missing file gives
// an empty list; a file that exists but cannot be read fails with the system error. Reads only
// as much of each file's end as the n lines need.
boost::system::result<std::vector<log_entry>> read_tail(
    const std::filesystem::path& path, std::size_t n
);

}  // namespace solar::host
