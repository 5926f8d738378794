// Runs and watches ONE child program: performs supervision_policy's actions (spawn on the
// blocking pool, /health probes, signals to the process group, timers), reads its stdout and
// stderr line by line and reports every state change. Knows nothing about backends.
#pragma once

#include <solar/core/http_types.hpp>
#include <solar/host/child_reaper.hpp>
#include <solar/host/supervision_policy.hpp>

#include <boost/asio/any_io_executor.hpp>
#include <boost/asio/posix/stream_descriptor.hpp>
#include <boost/asio/steady_timer.hpp>
#include <boost/asio/strand.hpp>
#include <boost/asio/thread_pool.hpp>

#include <spdlog/logger.h>

#include <cstdint>
#include <deque>
#include <functional>
#include <list>
#include <memory>
#include <mutex>
#include <span>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

namespace solar::host {

struct instance_spec {
    std::vector<std::string> argv;  // argv[0] is a path
    std::vector<std::pair<std::string, std::string>> env_overrides;
    std::uint16_t port = 0;  // readiness: GET http://127.0.0.1:<port><health_path> answers 200
    std::string health_path = "/health";
    std::chrono::milliseconds probe_timeout{1000};  // deadline of one probe (connect to answer)
    supervision_config policy;  // readiness_timeout, stop_grace, max_retries, auto_restart, ...
};

struct instance_snapshot {
    std::string status = "stopped";  // "stopped", "starting", "running", "stopping", "failed"
    int pid = 0;                     // 0 when no process
    std::int64_t started_at = 0;     // unix seconds of the current process's spawn; 0 when none
    int restarts = 0;
    int retry_count = 0;
    std::string error_message;
    std::string last_exit;  // "exited with code 1", "killed by signal 15 (SIGTERM)", ...

    bool operator==(const instance_snapshot&) const = default;
};

struct supervisor_callbacks {
    // One complete line (without '\n'; at most 64 KiB, longer lines are split) from "stdout"
    // or "stderr". Called on the supervisor's strand, in order per stream.
    std::function<void(std::string_view stream, std::string_view line)> on_line;
    // After every change of the snapshot, on the supervisor's strand.
    std::function<void(const instance_snapshot&)> on_state;
};

class instance_supervisor : public std::enable_shared_from_this<instance_supervisor> {
public:
    // `blocking` runs fork/exec; its threads must outlive the children (PR_SET_PDEATHSIG fires
    // when the forking thread exits). `reaper` must outlive the supervisor.
    static std::shared_ptr<instance_supervisor> create(
        asio::any_io_executor executor,
        asio::thread_pool& blocking,
        child_reaper& reaper,
        instance_spec spec,
        supervisor_callbacks callbacks
    );

    // Starts the program unless it is starting or running already. Thread-safe, returns at once.
    void start();
    // Stop then start (or just start when nothing runs). Thread-safe, returns at once.
    void restart();
    // SIGTERM to the process group, SIGKILL after stop_grace; completes once the child has been
    // reaped and its group killed (or after stop_grace + 5 s, logged, if the kernel never
    // reports the exit). Safe to call from any executor, in any state.
    asio::awaitable<void> stop();
    // The current state. Thread-safe.
    instance_snapshot snapshot() const;

    const instance_spec& spec() const { return spec_; }

    // The longest line delivered to on_line; a longer one arrives in pieces of this size.
    static constexpr std::size_t max_line = 64 * 1024;

private:
    instance_supervisor(
        asio::any_io_executor executor,
        asio::thread_pool& blocking,
        child_reaper& reaper,
        instance_spec spec,
        supervisor_callbacks callbacks
    );

    using descriptor = asio::posix::stream_descriptor;

    // The coroutines take `self` so that the supervisor outlives every operation in flight.
    using self_ptr = std::shared_ptr<instance_supervisor>;
    void apply(const policy_actions& actions);
    void perform(const policy_action& action);
    void arm_timer(std::chrono::milliseconds delay, action_kind purpose);
    void timer_fired(action_kind purpose);
    void signal_group(int sig);
    void publish();
    void deliver_line(std::string_view stream, std::string_view line);

    asio::awaitable<void> spawn(self_ptr self);
    asio::awaitable<void> read_pipe(
        self_ptr self, std::shared_ptr<descriptor> pipe, std::string stream, std::uint64_t attempt
    );
    asio::awaitable<void> probe(self_ptr self, int pid);
    asio::awaitable<bool> health_ok();
    asio::awaitable<void> child_exited(self_ptr self, int pid, std::uint64_t attempt, int status);
    asio::awaitable<void> stop_on_strand(self_ptr self);
    // Waits on the strand until `done()` is true or `deadline`; false on the deadline.
    template <typename Predicate>
    asio::awaitable<bool> wait_until(
        Predicate done, std::chrono::steady_clock::time_point deadline
    );
    void wake_waiters();

    asio::strand<asio::any_io_executor> strand_;
    asio::thread_pool& blocking_;
    child_reaper& reaper_;
    instance_spec spec_;
    supervisor_callbacks callbacks_;
    supervision_policy policy_;
    std::shared_ptr<spdlog::logger> log_;

    asio::steady_timer timer_;  // the policy's one pending timer
    std::uint64_t timer_generation_ = 0;
    std::uint64_t attempt_ = 0;  // bumped per spawn: output of older attempts is not counted
    int child_pid_ = 0;          // the live (not yet reaped) child, 0 when none
    std::int64_t started_at_ = 0;
    int open_pipes_ = 0;  // pipes of the current attempt not yet at EOF
    std::vector<std::shared_ptr<descriptor>> pipes_;
    std::deque<std::string> tail_;  // last lines of the current attempt, for error messages
    std::list<asio::steady_timer*> waiters_;

    mutable std::mutex snapshot_mutex_;
    instance_snapshot snapshot_;
};

// Stops every supervisor at once and completes when all of them have stopped: the shutdown of
// a whole solar-host, so that no child and no zombie remains.
asio::awaitable<void> stop_all(std::span<const std::shared_ptr<instance_supervisor>> supervisors);

}  // namespace solar::host
