// Starts a program as a child process in its own process group, with stdout and stderr on
// pipes; blocking (fork/exec), so it runs on a blocking pool, never on an I/O thread.
#pragma once

#include <boost/system/result.hpp>

#include <string>
#include <utility>
#include <vector>

namespace solar::host {

// An owned file descriptor, closed on destruction.
class unique_fd {
public:
    unique_fd() = default;
    explicit unique_fd(int fd) : fd_(fd) {}
    unique_fd(unique_fd&& other) noexcept : fd_(other.release()) {}
    unique_fd& operator=(unique_fd&& other) noexcept;
    unique_fd(const unique_fd&) = delete;
    unique_fd& operator=(const unique_fd&) = delete;
    ~unique_fd() { reset(); }

    int get() const { return fd_; }
    int release() { return std::exchange(fd_, -1); }
    void reset(int fd = -1);
    explicit operator bool() const { return fd_ >= 0; }

private:
    int fd_ = -1;
};

struct spawn_request {
    std::vector<std::string> argv;  // argv[0] is the program's path (no PATH search)
    // Set (or replace) in the child's environment, which is otherwise this process's.
    std::vector<std::pair<std::string, std::string>> env_overrides;
};

struct spawned_child {
    int pid = 0;          // also the child's process group id
    unique_fd stdout_fd;  // read ends, non-blocking, close-on-exec
    unique_fd stderr_fd;
};

// Forks and execs `request.argv`. In the child: its own process group (setpgid), SIGKILL when
// the forking thread dies (PR_SET_PDEATHSIG), stdin from /dev/null, stdout and stderr to the
// returned pipes, default signal dispositions and mask, every other descriptor closed.
// Fails with the errno of a failed pipe/fork, or of the child's execve (reported through a
// close-on-exec pipe; the failed child is reaped here). On success the caller must reap `pid`.
// PR_SET_PDEATHSIG fires when the forking *thread* exits: call this from a pool whose threads
// outlive the children (stop every child before joining the pool).
boost::system::result<spawned_child> spawn_child(const spawn_request& request);

// "cannot execute /x/llama-server: No such file or directory" for a spawn_child failure.
std::string describe_spawn_error(const spawn_request& request, const boost::system::error_code& ec);

}  // namespace solar::host
