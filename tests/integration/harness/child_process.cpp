// A real program started by an integration test: fork/exec, group signals, bounded waits.
#include "harness/child_process.hpp"

#include <cerrno>
#include <cstring>
#include <fcntl.h>
#include <fstream>
#include <signal.h>
#include <sstream>
#include <sys/syscall.h>
#include <sys/wait.h>
#include <system_error>
#include <thread>
#include <unistd.h>

extern char** environ;

namespace solar::test {
namespace {

constexpr std::chrono::milliseconds poll_interval{10};

std::system_error os_error(int error, const std::string& what) {
    return std::system_error(error, std::generic_category(), what);
}

// The environment as "NAME=value" strings: ours with `extra` laid over it.
std::vector<std::string> merged_environment(const std::map<std::string, std::string>& extra) {
    std::vector<std::string> env;
    for (char** entry = environ; *entry != nullptr; ++entry) {
        std::string text = *entry;
        std::string name = text.substr(0, text.find('='));
        if (!extra.contains(name)) env.push_back(std::move(text));
    }
    for (const auto& [name, value] : extra) env.push_back(name + "=" + value);
    return env;
}

std::vector<char*> pointers(std::vector<std::string>& strings) {
    std::vector<char*> out;
    for (auto& s : strings) out.push_back(s.data());
    out.push_back(nullptr);
    return out;
}

}  // namespace

child_process::child_process(
    std::vector<std::string> argv,
    std::filesystem::path log_file,
    std::map<std::string, std::string> extra_env
)
    : log_file_(std::move(log_file)) {
    if (argv.empty()) throw std::invalid_argument("child_process: empty argv");
    // Everything the child needs is prepared here: after fork only async-signal-safe calls
    // are allowed, since the test process may have other threads.
    std::vector<std::string> env_strings = merged_environment(extra_env);
    std::vector<char*> args = pointers(argv);
    std::vector<char*> env = pointers(env_strings);
    int log_fd = ::open(log_file_.c_str(), O_WRONLY | O_CREAT | O_APPEND | O_CLOEXEC, 0644);
    if (log_fd < 0) throw os_error(errno, "open " + log_file_.string());
    // exec failures travel back through this close-on-exec pipe; EOF means exec succeeded.
    int report[2];
    if (::pipe2(report, O_CLOEXEC) != 0) {
        int error = errno;
        ::close(log_fd);
        throw os_error(error, "pipe2");
    }

    pid_t pid = ::fork();
    if (pid < 0) {
        int error = errno;
        ::close(log_fd);
        ::close(report[0]);
        ::close(report[1]);
        throw os_error(error, "fork");
    }
    if (pid == 0) {
        ::setpgid(0, 0);
        ::dup2(log_fd, STDOUT_FILENO);
        ::dup2(log_fd, STDERR_FILENO);
        int null_fd = ::open("/dev/null", O_RDONLY);
        if (null_fd >= 0) ::dup2(null_fd, STDIN_FILENO);
        // Sockets the test holds must not leak into the child (they would keep ports alive).
        for (int fd = 3; fd < 1024; ++fd) {
            if (fd != report[1]) ::close(fd);
        }
        ::execve(args[0], args.data(), env.data());
        int error = errno;
        [[maybe_unused]] auto n = ::write(report[1], &error, sizeof error);
        ::_exit(127);
    }
    // Both sides set the group, so signals to -pid work whichever runs first.
    ::setpgid(pid, pid);
    pid_ = pid;
    ::close(log_fd);
    ::close(report[1]);
    int exec_error = 0;
    ssize_t n;
    do {
        n = ::read(report[0], &exec_error, sizeof exec_error);
    } while (n < 0 && errno == EINTR);
    ::close(report[0]);
    if (n == sizeof exec_error) {
        kill();
        throw os_error(exec_error, "exec " + argv[0]);
    }
}

child_process::~child_process() { kill(); }

bool child_process::try_reap() {
    if (status_) return true;
    siginfo_t info{};
    // WNOWAIT keeps the zombie, so its pid (our group id) cannot be reused while we kill the
    // group's leftovers.
    if (::waitid(P_PID, pid_, &info, WEXITED | WNOHANG | WNOWAIT) != 0 || info.si_pid == 0) {
        return false;
    }
    ::kill(-pid_, SIGKILL);
    int status = 0;
    while (::waitpid(pid_, &status, 0) < 0 && errno == EINTR) {
    }
    status_ = status;
    return true;
}

bool child_process::running() { return !try_reap(); }

std::string child_process::output() const {
    std::ifstream in(log_file_);
    std::stringstream text;
    text << in.rdbuf();
    return text.str();
}

std::optional<std::vector<std::string>> child_process::wait_for_output_line(
    const std::regex& pattern, std::chrono::milliseconds timeout
) {
    auto deadline = std::chrono::steady_clock::now() + timeout;
    for (;;) {
        // Read the exit state first: output written before an exit is then seen below.
        bool exited = !running();
        std::istringstream lines(output());
        for (std::string line; std::getline(lines, line);) {
            std::smatch match;
            if (std::regex_search(line, match, pattern)) {
                std::vector<std::string> groups;
                for (const auto& group : match) groups.push_back(group.str());
                return groups;
            }
        }
        if (exited || std::chrono::steady_clock::now() >= deadline) return std::nullopt;
        std::this_thread::sleep_for(poll_interval);
    }
}

bool child_process::wait_for_exit(std::chrono::milliseconds timeout) {
    auto deadline = std::chrono::steady_clock::now() + timeout;
    while (running()) {
        if (std::chrono::steady_clock::now() >= deadline) return false;
        std::this_thread::sleep_for(poll_interval);
    }
    return true;
}

int child_process::terminate(std::chrono::milliseconds grace) {
    if (!status_) {
        ::kill(pid_, SIGTERM);
        if (!wait_for_exit(grace)) kill();
    }
    return *status_;
}

void child_process::kill() {
    if (pid_ <= 0 || status_) return;
    ::kill(-pid_, SIGKILL);
    ::kill(pid_, SIGKILL);  // in case the child had not joined its group yet
    int status = 0;
    while (::waitpid(pid_, &status, 0) < 0 && errno == EINTR) {
    }
    status_ = status;
}

std::optional<int> child_process::exit_code() const {
    if (!status_ || !WIFEXITED(*status_)) return std::nullopt;
    return WEXITSTATUS(*status_);
}

std::optional<int> child_process::term_signal() const {
    if (!status_ || !WIFSIGNALED(*status_)) return std::nullopt;
    return WTERMSIG(*status_);
}

}  // namespace solar::test
