// The I/O-free decision core of instance supervision: a state machine fed with events (start,
// spawned, health, exit, stop, timers) that returns the next actions for the coroutine side.
#pragma once

#include <chrono>
#include <deque>
#include <string>
#include <string_view>
#include <vector>

namespace solar::host {

// Rules, as decided (one supervised child; time is injected, nothing here touches the system):
// - stopped -> starting on start: `spawn`. A spawn failure (the program cannot be executed)
//   fails at once: retrying an exec error cannot help.
// - starting -> running only when the health probe answers 200. Until then: `probe_health`
//   every `health_interval`. No 200 within `readiness_timeout` of the spawn: SIGTERM to the
//   group, SIGKILL after `stop_grace`, and the attempt counts as failed once the child is gone.
// - An attempt that fails during start (exit or readiness timeout) is retried up to
//   `max_retries` times (default 2, so 3 attempts) after a back-off; then `failed`, with an
//   error_message naming the cause (exit status or "not ready within 600 s") and the last log
//   lines. Start failures are final: auto_restart does not apply to them.
// - A child that dies while running -> `failed` with the exit status and log lines in
//   error_message. With auto_restart it is started again after a back-off of
//   backoff_initial * 2^k (capped at backoff_max), k = restarts already made within
//   `crash_loop_window`; once `crash_loop_limit` restarts happened within that window it gives
//   up and stays failed (default: 1 s doubling to 30 s, at most 5 restarts in 5 minutes).
// - stop: SIGTERM to the group, SIGKILL after `stop_grace`. Any exit after our own stop is a
//   normal stop (llama-server even dies by SIGABRT on SIGTERM), so -> stopped, not failed.
//   stop while a retry or restart is pending -> stopped at once.
// - restart = stop, then start once the child is gone (from stopped/failed: start at once).
//   start during stopping: start once the child is gone. start while starting/running: no-op.
// - Counters: `restarts` counts every start sequence after the first (restart requests, auto
//   restarts, a start after a stop); `retry_count` counts retries of the current start sequence.
// - One timer at most is pending at any time: every timer action replaces the previous one, so
//   the performer needs a single timer. Events that no longer apply (a stale probe result, a
//   timer that fired late, an exit of an old pid) are ignored.
enum class instance_status { stopped, starting, running, stopping, failed };

// "stopped", "starting", "running", "stopping", "failed".
std::string_view to_string(instance_status status);

struct supervision_config {
    int max_retries = 2;
    bool auto_restart = false;
    std::chrono::milliseconds readiness_timeout{std::chrono::seconds(600)};
    std::chrono::milliseconds health_interval{200};
    std::chrono::milliseconds stop_grace{std::chrono::seconds(10)};
    std::chrono::milliseconds backoff_initial{std::chrono::seconds(1)};
    std::chrono::milliseconds backoff_max{std::chrono::seconds(30)};
    int crash_loop_limit = 5;
    std::chrono::milliseconds crash_loop_window{std::chrono::minutes(5)};
};

enum class action_kind {
    spawn,           // start the program now; answer with on_spawned or on_spawn_failed
    probe_health,    // after `delay`, GET /health; answer with on_health_ok / on_health_not_yet
    send_sigterm,    // SIGTERM to the child's process group
    send_sigkill,    // SIGKILL to the child's process group
    schedule_retry,  // after `delay`, call on_retry_due (a start retry or an auto restart)
    arm_stop_grace,  // after `delay`, call on_stop_grace_elapsed
    cancel_timer,    // drop whatever timer is pending
    mark_failed,     // the instance failed; `message` says why (also in error_message())
};

struct policy_action {
    policy_action(action_kind what, std::chrono::milliseconds after = {}, std::string text = {})
        : kind(what), delay(after), message(std::move(text)) {}

    action_kind kind;
    std::chrono::milliseconds delay{0};
    std::string message;

    bool operator==(const policy_action&) const = default;
};

using policy_actions = std::vector<policy_action>;
using clock_time = std::chrono::steady_clock::time_point;

class supervision_policy {
public:
    explicit supervision_policy(supervision_config config = {});

    policy_actions on_start_requested(clock_time now);
    policy_actions on_stop_requested(clock_time now);
    policy_actions on_restart_requested(clock_time now);
    policy_actions on_spawned(int pid, clock_time now);
    // `reason`: "cannot execute /x/llama-server: No such file or directory".
    policy_actions on_spawn_failed(std::string reason, clock_time now);
    policy_actions on_health_ok(int pid, clock_time now);
    // Also detects the readiness timeout when `now` is past the deadline.
    policy_actions on_health_not_yet(int pid, clock_time now);
    policy_actions on_readiness_timeout(int pid, clock_time now);
    // `status`: "exited with code 1"; `log_tail`: the child's last lines, oldest first.
    policy_actions on_exited(
        int pid, std::string status, const std::vector<std::string>& log_tail, clock_time now
    );
    policy_actions on_stop_grace_elapsed(clock_time now);
    policy_actions on_retry_due(clock_time now);

    instance_status status() const { return status_; }
    int pid() const { return pid_; }
    int restarts() const { return restarts_; }
    int retry_count() const { return retry_count_; }
    const std::string& error_message() const { return error_message_; }
    const std::string& last_exit() const { return last_exit_; }
    const supervision_config& config() const { return config_; }

    // The wait before the retry or restart number `n` (1-based): initial * 2^(n-1), capped.
    std::chrono::milliseconds backoff(int n) const;

private:
    enum class pending_timer { none, retry_start, auto_restart };

    policy_actions begin_start(bool counts_as_restart);
    policy_actions spawn_attempt();
    policy_actions begin_termination();
    policy_actions start_attempt_failed(
        const std::string& reason, const std::vector<std::string>& log_tail, clock_time now
    );
    policy_actions crashed(
        const std::string& status, const std::vector<std::string>& log_tail, clock_time now
    );
    policy_actions fail(std::string message);

    supervision_config config_;
    instance_status status_ = instance_status::stopped;
    int pid_ = 0;
    bool spawn_in_flight_ = false;
    bool ever_started_ = false;
    bool terminating_ = false;        // SIGTERM sent (stop or readiness timeout), waiting for exit
    std::string termination_reason_;  // why a starting child is being killed ("not ready ...")
    bool start_after_stop_ = false;
    pending_timer pending_ = pending_timer::none;
    clock_time spawned_at_{};
    int restarts_ = 0;
    int retry_count_ = 0;
    std::string error_message_;
    std::string last_exit_;
    std::deque<clock_time> restart_times_;  // auto restarts within crash_loop_window
};

// "600 s", "1.5 s" or "300 ms": how durations appear in error messages.
std::string describe_duration(std::chrono::milliseconds duration);

}  // namespace solar::host
