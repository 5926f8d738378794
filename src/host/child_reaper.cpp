// SIGCHLD-driven reaping of registered children, and exit status descriptions.
#include <solar/host/child_reaper.hpp>

#include <boost/asio/post.hpp>
#include <boost/asio/signal_set.hpp>
#include <boost/asio/strand.hpp>

#include <cerrno>
#include <csignal>
#include <cstring>
#include <map>
#include <sys/wait.h>
#include <utility>
#include <vector>

namespace solar::host {

struct child_reaper::state : std::enable_shared_from_this<child_reaper::state> {
    explicit state(asio::any_io_executor executor)
        : strand(asio::make_strand(std::move(executor))), signals(strand, SIGCHLD) {}

    void arm() {
        signals.async_wait([self = shared_from_this()](boost::system::error_code ec, int) {
            if (ec) return;  // cancelled: the reaper is gone
            self->arm();
            self->poll();
        });
    }

    // One SIGCHLD may stand for several exits, so every registered pid is checked.
    void poll() {
        std::vector<std::pair<exit_handler, int>> done;
        for (auto it = watched.begin(); it != watched.end();) {
            int status = 0;
            pid_t result;
            do {
                result = ::waitpid(it->first, &status, WNOHANG);
            } while (result < 0 && errno == EINTR);
            if (result == 0) {
                ++it;
                continue;
            }
            done.emplace_back(std::move(it->second), result < 0 ? -1 : status);
            it = watched.erase(it);
        }
        for (auto& [handler, status] : done) handler(status);  // may call watch() again
    }

    asio::strand<asio::any_io_executor> strand;
    asio::signal_set signals;
    std::map<int, exit_handler> watched;
};

child_reaper::child_reaper(asio::any_io_executor executor)
    : state_(std::make_shared<state>(std::move(executor))) {
    state_->arm();
}

child_reaper::~child_reaper() {
    asio::post(state_->strand, [s = state_] {
        boost::system::error_code ignored;
        s->signals.cancel(ignored);
    });
}

void child_reaper::watch(int pid, exit_handler handler) {
    asio::post(state_->strand, [s = state_, pid, handler = std::move(handler)]() mutable {
        s->watched[pid] = std::move(handler);
        s->poll();
    });
}

std::string describe_exit_status(int raw_status) {
    if (raw_status < 0) return "exit status unknown";
    if (WIFEXITED(raw_status)) return "exited with code " + std::to_string(WEXITSTATUS(raw_status));
    if (WIFSIGNALED(raw_status)) {
        int sig = WTERMSIG(raw_status);
        std::string text = "killed by signal " + std::to_string(sig);
        if (const char* abbrev = ::sigabbrev_np(sig)) text += std::string(" (SIG") + abbrev + ")";
        return text;
    }
    return "exit status " + std::to_string(raw_status);
}

}  // namespace solar::host
