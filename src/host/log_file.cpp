// The per-instance log file: line format, appending with rotation, and reading the tail back.
#include <solar/host/log_file.hpp>

#include <algorithm>
#include <cerrno>
#include <charconv>
#include <fcntl.h>
#include <sys/stat.h>
#include <system_error>
#include <unistd.h>
#include <utility>

namespace solar::host {

namespace {

boost::system::error_code errno_code(int value = errno) {
    return {value, boost::system::generic_category()};
}

// Writes all of `data`, retrying short writes and EINTR.
boost::system::result<void> write_all(int fd, std::string_view data) {
    while (!data.empty()) {
        ssize_t n = ::write(fd, data.data(), data.size());
        if (n < 0) {
            if (errno == EINTR) continue;
            return errno_code();
        }
        data.remove_prefix(static_cast<std::size_t>(n));
    }
    return {};
}

boost::system::result<int> open_for_append(const std::filesystem::path& path) {
    int fd = ::open(path.c_str(), O_WRONLY | O_CREAT | O_APPEND | O_CLOEXEC, 0644);
    if (fd < 0) return errno_code();
    return fd;
}

// Reads `length` bytes at `offset`; a shorter result means the file shrank meanwhile.
boost::system::result<std::string> read_at(int fd, std::uint64_t offset, std::size_t length) {
    std::string buffer(length, '\0');
    std::size_t done = 0;
    while (done < length) {
        ssize_t n =
            ::pread(fd, buffer.data() + done, length - done, static_cast<off_t>(offset + done));
        if (n < 0) {
            if (errno == EINTR) continue;
            return errno_code();
        }
        if (n == 0) break;
        done += static_cast<std::size_t>(n);
    }
    buffer.resize(done);
    return buffer;
}

// The parseable entries among the last lines of one file, oldest first, at most `n`.
boost::system::result<std::vector<log_entry>> read_file_tail(
    const std::filesystem::path& path, std::size_t n
) {
    std::vector<log_entry> out;
    if (n == 0) return out;
    int fd = ::open(path.c_str(), O_RDONLY | O_CLOEXEC);
    if (fd < 0) {
        if (errno == ENOENT) return out;
        return errno_code();
    }
    struct fd_closer {
        int fd;
        ~fd_closer() { ::close(fd); }
    } closer{fd};
    struct stat info {};
    if (::fstat(fd, &info) != 0) return errno_code();
    auto size = static_cast<std::uint64_t>(info.st_size);

    // Grow a window from the end until it holds n entries or the whole file.
    std::uint64_t window = 64 * 1024;
    while (true) {
        std::uint64_t offset = size > window ? size - window : 0;
        auto text = read_at(fd, offset, static_cast<std::size_t>(size - offset));
        if (!text) return text.error();
        std::string_view view = *text;
        if (offset > 0) {
            // The first line is probably cut; the next pass (or nothing) covers it.
            auto first_break = view.find('\n');
            view = first_break == std::string_view::npos ? std::string_view{}
                                                         : view.substr(first_break + 1);
        }
        out.clear();
        while (!view.empty()) {
            auto end = view.find('\n');
            auto line = view.substr(0, end);
            if (auto entry = parse_log_file_line(line)) out.push_back(std::move(*entry));
            if (end == std::string_view::npos) break;
            view.remove_prefix(end + 1);
        }
        if (out.size() >= n || offset == 0) break;
        window *= 4;
    }
    if (out.size() > n) out.erase(out.begin(), out.end() - static_cast<std::ptrdiff_t>(n));
    return out;
}

bool parse_u64(std::string_view text, std::uint64_t& value) {
    if (text.empty()) return false;
    auto [ptr, ec] = std::from_chars(text.data(), text.data() + text.size(), value);
    return ec == std::errc{} && ptr == text.data() + text.size();
}

}  // namespace

std::string format_log_file_line(const log_entry& entry) {
    std::string out = std::to_string(entry.seq);
    out += ' ';
    out += format_utc_ms(entry.ts_ms);
    out += ' ';
    out += entry.stream;
    out += ' ';
    // Entries from the ring are clean already; this keeps hand-made ones on one line too.
    out += entry.line.find_first_of("\r\n") == std::string::npos ? entry.line
                                                                 : clean_log_line(entry.line);
    out += '\n';
    return out;
}

std::optional<log_entry> parse_log_file_line(std::string_view text) {
    while (!text.empty() && (text.back() == '\n' || text.back() == '\r')) text.remove_suffix(1);
    auto first = text.find(' ');
    if (first == std::string_view::npos) return std::nullopt;
    auto second = text.find(' ', first + 1);
    if (second == std::string_view::npos) return std::nullopt;
    auto third = text.find(' ', second + 1);
    log_entry entry;
    if (!parse_u64(text.substr(0, first), entry.seq) || entry.seq == 0) return std::nullopt;
    auto ts = parse_utc_ms(text.substr(first + 1, second - first - 1));
    if (!ts) return std::nullopt;
    entry.ts_ms = *ts;
    // An empty line is written as "<stream> " but tolerate the space missing.
    auto stream = text.substr(
        second + 1, third == std::string_view::npos ? std::string_view::npos : third - second - 1
    );
    if (stream.empty()) return std::nullopt;
    entry.stream = std::string(stream);
    if (third != std::string_view::npos) entry.line = clean_log_line(text.substr(third + 1));
    return entry;
}

std::filesystem::path log_file_path(
    const std::filesystem::path& logs_dir, std::string_view instance_id
) {
    return logs_dir / (std::string(instance_id) + ".log");
}

std::filesystem::path rotated_log_path(const std::filesystem::path& path, std::size_t index) {
    auto out = path;
    out += "." + std::to_string(index);
    return out;
}

boost::system::result<log_file> log_file::open(
    std::filesystem::path path, log_file_options options
) {
    std::error_code ec;
    if (path.has_parent_path()) {
        std::filesystem::create_directories(path.parent_path(), ec);
        if (ec) return boost::system::error_code(ec.value(), boost::system::generic_category());
    }
    auto fd = open_for_append(path);
    if (!fd) return fd.error();
    struct stat info {};
    if (::fstat(*fd, &info) != 0) {
        auto error = errno_code();
        ::close(*fd);
        return error;
    }
    auto size = static_cast<std::uint64_t>(info.st_size);
    if (size > 0) {
        // A crash mid-write leaves a torn last line; start the next entry on a line of its own.
        int reader = ::open(path.c_str(), O_RDONLY | O_CLOEXEC);
        if (reader >= 0) {
            char last = '\n';
            bool torn =
                ::pread(reader, &last, 1, static_cast<off_t>(size - 1)) == 1 && last != '\n';
            ::close(reader);
            if (torn && write_all(*fd, "\n")) ++size;
        }
    }
    return log_file(std::move(path), options, *fd, size);
}

log_file::log_file(std::filesystem::path path, log_file_options options, int fd, std::uint64_t size)
    : path_(std::move(path)), options_(options), fd_(fd), size_(size) {}

log_file::log_file(log_file&& other) noexcept
    : path_(std::move(other.path_)),
      options_(other.options_),
      mutex_(std::move(other.mutex_)),
      fd_(std::exchange(other.fd_, -1)),
      size_(other.size_) {}

log_file& log_file::operator=(log_file&& other) noexcept {
    if (this != &other) {
        if (fd_ >= 0) ::close(fd_);
        path_ = std::move(other.path_);
        options_ = other.options_;
        mutex_ = std::move(other.mutex_);
        fd_ = std::exchange(other.fd_, -1);
        size_ = other.size_;
    }
    return *this;
}

log_file::~log_file() {
    if (fd_ >= 0) ::close(fd_);
}

std::uint64_t log_file::size() const {
    std::lock_guard lock(*mutex_);
    return size_;
}

boost::system::result<void> log_file::append(const log_entry& entry) {
    std::string text = format_log_file_line(entry);
    std::lock_guard lock(*mutex_);
    if (size_ > 0 && size_ + text.size() > options_.max_bytes) {
        if (auto rotated = rotate(); !rotated) return rotated;
    }
    if (fd_ < 0) {
        // A failed rotation left no file open; try again now.
        auto fd = open_for_append(path_);
        if (!fd) return fd.error();
        fd_ = *fd;
        size_ = 0;
    }
    auto written = write_all(fd_, text);
    if (!written) return written;
    size_ += text.size();
    return {};
}

boost::system::result<void> log_file::rotate() {
    ::close(fd_);
    fd_ = -1;
    std::error_code ec;
    if (options_.keep == 0) {
        std::filesystem::remove(path_, ec);
    } else {
        std::filesystem::remove(rotated_log_path(path_, options_.keep), ec);
        for (std::size_t index = options_.keep; index > 1; --index) {
            auto from = rotated_log_path(path_, index - 1);
            if (std::filesystem::exists(from, ec)) {
                std::filesystem::rename(from, rotated_log_path(path_, index), ec);
            }
        }
        std::filesystem::rename(path_, rotated_log_path(path_, 1), ec);
    }
    if (ec) return boost::system::error_code(ec.value(), boost::system::generic_category());
    auto fd = open_for_append(path_);
    if (!fd) return fd.error();
    fd_ = *fd;
    size_ = 0;
    return {};
}

boost::system::result<std::vector<log_entry>> read_tail(
    const std::filesystem::path& path, std::size_t n
) {
    auto current = read_file_tail(path, n);
    if (!current) return current.error();
    std::vector<log_entry> all;
    if (current->size() < n) {
        auto older = read_file_tail(rotated_log_path(path, 1), n - current->size());
        if (!older) return older.error();
        all = std::move(*older);
    }
    all.insert(
        all.end(),
        std::make_move_iterator(current->begin()),
        std::make_move_iterator(current->end())
    );
    // Keep the newest strictly increasing run.
    std::size_t start = all.empty() ? 0 : all.size() - 1;
    while (start > 0 && all[start - 1].seq < all[start].seq) --start;
    all.erase(all.begin(), all.begin() + static_cast<std::ptrdiff_t>(start));
    return all;
}

}  // namespace solar::host
