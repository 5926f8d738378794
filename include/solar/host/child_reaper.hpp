// Reaps this process's supervised children: one SIGCHLD signal_set for the whole process and
// waitpid(pid, WNOHANG) for each registered pid only, so children owned by others stay theirs.
#pragma once

#include <solar/core/http_types.hpp>

#include <boost/asio/any_io_executor.hpp>

#include <functional>
#include <memory>
#include <string>

namespace solar::host {

namespace asio = core::asio;

class child_reaper {
public:
    // Receives the raw waitpid status (see describe_exit_status); -1 when the pid was no longer
    // our child (someone else reaped it).
    using exit_handler = std::function<void(int raw_status)>;

    // Installs the SIGCHLD handler. Create one per process, before the first child is forked.
    explicit child_reaper(asio::any_io_executor executor);
    ~child_reaper();
    child_reaper(const child_reaper&) = delete;
    child_reaper& operator=(const child_reaper&) = delete;

    // Calls `handler` once, on the reaper's strand, after `pid` has exited and been reaped.
    // Checks at once too, since the child may have exited before this call. Thread-safe.
    // `pid` must be a child of this process that nobody else waits for.
    void watch(int pid, exit_handler handler);

private:
    struct state;
    std::shared_ptr<state> state_;
};

// "exited with code 1", "killed by signal 6 (SIGABRT)", "exit status unknown".
std::string describe_exit_status(int raw_status);

}  // namespace solar::host
