// fork + exec with pipes, its own process group and exec errors reported through a pipe.
#include <solar/host/child_spawner.hpp>

#include <cerrno>
#include <csignal>
#include <cstring>
#include <fcntl.h>
#include <sys/prctl.h>
#include <sys/resource.h>
#include <sys/wait.h>
#include <unistd.h>

extern char** environ;

namespace solar::host {

namespace {

boost::system::error_code last_error() { return {errno, boost::system::system_category()}; }

struct pipe_pair {
    unique_fd read;
    unique_fd write;
};

boost::system::result<pipe_pair> make_pipe() {
    int fds[2];
    if (::pipe2(fds, O_CLOEXEC) != 0) return last_error();
    return pipe_pair{unique_fd(fds[0]), unique_fd(fds[1])};
}

std::vector<std::string> child_environment(const spawn_request& request) {
    std::vector<std::string> env;
    for (char** entry = environ; entry != nullptr && *entry != nullptr; ++entry) {
        std::string_view text(*entry);
        auto name = text.substr(0, text.find('='));
        bool overridden = false;
        for (const auto& [key, value] : request.env_overrides) overridden |= key == name;
        if (!overridden) env.emplace_back(text);
    }
    for (const auto& [key, value] : request.env_overrides) env.push_back(key + "=" + value);
    return env;
}

std::vector<char*> pointers(std::vector<std::string>& strings) {
    std::vector<char*> result;
    result.reserve(strings.size() + 1);
    for (auto& s : strings) result.push_back(s.data());
    result.push_back(nullptr);
    return result;
}

// Closes descriptors first..last (last < 0: all above first); close_range needs Linux 5.9.
void close_from(int first, int last, int max_fd) {
    if (last >= 0 && first > last) return;
    auto high = last < 0 ? ~0U : static_cast<unsigned>(last);
    if (::close_range(static_cast<unsigned>(first), high, 0) == 0) return;
    for (int fd = first; fd <= (last < 0 ? max_fd - 1 : last); ++fd) ::close(fd);
}

// Runs in the forked child: only async-signal-safe calls from here on.
[[noreturn]] void exec_child(
    pid_t parent,
    int stdin_fd,
    int stdout_fd,
    int stderr_fd,
    int error_fd,
    int max_fd,
    char* const* argv,
    char* const* envp
) {
    auto report = [error_fd](int error) {
        ssize_t ignored = ::write(error_fd, &error, sizeof error);
        (void)ignored;
        ::_exit(127);
    };
    ::setpgid(0, 0);
    if (::prctl(PR_SET_PDEATHSIG, SIGKILL) != 0) report(errno);
    if (::getppid() != parent) ::_exit(127);  // the parent died before prctl took effect
    struct sigaction default_action {};
    default_action.sa_handler = SIG_DFL;
    for (int sig = 1; sig < NSIG; ++sig) {
        if (sig != SIGKILL && sig != SIGSTOP) ::sigaction(sig, &default_action, nullptr);
    }
    sigset_t none;
    sigemptyset(&none);
    ::sigprocmask(SIG_SETMASK, &none, nullptr);
    if (::dup2(stdin_fd, 0) < 0 || ::dup2(stdout_fd, 1) < 0 || ::dup2(stderr_fd, 2) < 0) {
        report(errno);
    }
    close_from(3, error_fd - 1, max_fd);
    close_from(error_fd + 1, -1, max_fd);
    ::execve(argv[0], argv, envp);
    report(errno);
    ::_exit(127);  // not reached: report() exits
}

}  // namespace

unique_fd& unique_fd::operator=(unique_fd&& other) noexcept {
    if (this != &other) reset(other.release());
    return *this;
}

void unique_fd::reset(int fd) {
    if (fd_ >= 0) ::close(fd_);
    fd_ = fd;
}

std::string describe_spawn_error(
    const spawn_request& request, const boost::system::error_code& ec
) {
    auto program = request.argv.empty() ? std::string("(empty argv)") : request.argv.front();
    return "cannot execute " + program + ": " + ec.message();
}

boost::system::result<spawned_child> spawn_child(const spawn_request& request) {
    if (request.argv.empty())
        return boost::system::error_code(EINVAL, boost::system::system_category());

    // Everything the child needs is prepared before fork: it may only make async-signal-safe
    // calls, since another thread may hold a malloc or logging lock at the moment of the fork.
    auto args = request.argv;
    auto env = child_environment(request);
    auto argv = pointers(args);
    auto envp = pointers(env);

    unique_fd devnull(::open("/dev/null", O_RDONLY | O_CLOEXEC));
    if (!devnull) return last_error();
    auto out = make_pipe();
    if (!out) return out.error();
    auto err = make_pipe();
    if (!err) return err.error();
    auto status = make_pipe();  // close-on-exec: EOF means execve succeeded
    if (!status) return status.error();

    rlimit limit{};
    int max_fd = 65536;
    if (::getrlimit(RLIMIT_NOFILE, &limit) == 0 && limit.rlim_cur != RLIM_INFINITY) {
        max_fd = static_cast<int>(limit.rlim_cur);
    }

    // Block every signal across fork so that no handler of this process (Asio's signal_set
    // writes to a pipe it shares with us) runs in the child before it resets them.
    sigset_t all;
    sigset_t previous;
    sigfillset(&all);
    ::pthread_sigmask(SIG_SETMASK, &all, &previous);
    pid_t parent = ::getpid();
    pid_t pid = ::fork();
    if (pid == 0) {
        exec_child(
            parent,
            devnull.get(),
            out->write.get(),
            err->write.get(),
            status->write.get(),
            max_fd,
            argv.data(),
            envp.data()
        );
    }
    int fork_errno = errno;
    ::pthread_sigmask(SIG_SETMASK, &previous, nullptr);
    if (pid < 0) return boost::system::error_code(fork_errno, boost::system::system_category());

    ::setpgid(pid, pid);  // also here, so the group exists before we might signal it
    out->write.reset();
    err->write.reset();
    status->write.reset();

    int child_errno = 0;
    ssize_t n;
    do {
        n = ::read(status->read.get(), &child_errno, sizeof child_errno);
    } while (n < 0 && errno == EINTR);
    if (n > 0) {
        int ignored;
        while (::waitpid(pid, &ignored, 0) < 0 && errno == EINTR) {
        }
        return boost::system::error_code(child_errno, boost::system::system_category());
    }

    for (int fd : {out->read.get(), err->read.get()}) {
        ::fcntl(fd, F_SETFL, ::fcntl(fd, F_GETFL) | O_NONBLOCK);
    }
    return spawned_child{pid, std::move(out->read), std::move(err->read)};
}

}  // namespace solar::host
