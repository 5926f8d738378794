// write_file_atomically: temp file, fsync, rename, fsync the directory.
#include <solar/core/atomic_file.hpp>

#include <cerrno>
#include <fcntl.h>
#include <string>
#include <sys/stat.h>
#include <system_error>
#include <unistd.h>
#include <vector>

namespace solar::core {

namespace {

[[noreturn]] void throw_errno(int error, const std::string& what) {
    throw std::system_error(error, std::generic_category(), what);
}

// Closes the descriptor and removes the temporary file unless released.
class temp_file_guard {
public:
    temp_file_guard(int fd, std::string path) : fd_(fd), path_(std::move(path)) {}
    temp_file_guard(const temp_file_guard&) = delete;
    temp_file_guard& operator=(const temp_file_guard&) = delete;
    ~temp_file_guard() {
        if (fd_ >= 0) ::close(fd_);
        if (!path_.empty()) ::unlink(path_.c_str());
    }

    int fd() const { return fd_; }
    // Closes now, reporting a failed close (on some filesystems the write error shows here).
    int close() {
        int rc = ::close(fd_);
        fd_ = -1;
        return rc;
    }
    void keep() { path_.clear(); }

private:
    int fd_;
    std::string path_;
};

void fsync_directory(const std::filesystem::path& dir, const std::filesystem::path& target) {
    int fd = ::open(dir.c_str(), O_RDONLY | O_DIRECTORY | O_CLOEXEC);
    if (fd < 0) throw_errno(errno, "cannot open directory of " + target.string());
    int rc = ::fsync(fd);
    int error = errno;
    ::close(fd);
    if (rc != 0) throw_errno(error, "cannot sync directory of " + target.string());
}

}  // namespace

void write_file_atomically(
    const std::filesystem::path& path, std::string_view content, mode_t mode
) {
    auto dir = path.parent_path();
    if (dir.empty()) dir = ".";
    // The temporary file lives in the same directory so rename() stays within one filesystem.
    std::string pattern = (dir / ("." + path.filename().string() + ".tmp-XXXXXX")).string();
    std::vector<char> name(pattern.begin(), pattern.end());
    name.push_back('\0');
    int fd = ::mkostemp(name.data(), O_CLOEXEC);
    if (fd < 0) throw_errno(errno, "cannot create a temporary file for " + path.string());
    temp_file_guard temp(fd, name.data());

    if (::fchmod(fd, mode) != 0) throw_errno(errno, "cannot set permissions on " + path.string());
    const char* data = content.data();
    std::size_t left = content.size();
    while (left > 0) {
        ssize_t n = ::write(fd, data, left);
        if (n < 0) {
            if (errno == EINTR) continue;
            throw_errno(errno, "cannot write " + path.string());
        }
        data += n;
        left -= static_cast<std::size_t>(n);
    }
    if (::fsync(fd) != 0) throw_errno(errno, "cannot sync " + path.string());
    if (temp.close() != 0) throw_errno(errno, "cannot close " + path.string());
    if (::rename(name.data(), path.c_str()) != 0) {
        throw_errno(errno, "cannot rename a temporary file onto " + path.string());
    }
    temp.keep();
    // The rename itself is only durable once the directory entry reaches the disk.
    fsync_directory(dir, path);
}

}  // namespace solar::core
