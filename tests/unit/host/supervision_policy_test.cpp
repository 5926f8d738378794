// The supervision state machine with injected time: start, readiness, retries, crashes,
// auto restart with back-off and crash-loop cap, stop and restart.
#include <solar/host/supervision_policy.hpp>

#include <gtest/gtest.h>

namespace solar::host {
namespace {

using namespace std::chrono_literals;
using ms = std::chrono::milliseconds;

bool has(const policy_actions& actions, action_kind kind) {
    for (const auto& a : actions) {
        if (a.kind == kind) return true;
    }
    return false;
}

const policy_action* find(const policy_actions& actions, action_kind kind) {
    for (const auto& a : actions) {
        if (a.kind == kind) return &a;
    }
    return nullptr;
}

class policy_test : public ::testing::Test {
protected:
    supervision_config config() {
        supervision_config c;
        c.readiness_timeout = 10s;
        c.health_interval = 200ms;
        c.stop_grace = 3s;
        return c;
    }

    void make(supervision_config c) { policy_ = supervision_policy(std::move(c)); }

    // Start and spawn `pid`; returns the actions of on_spawned.
    policy_actions start_and_spawn(int pid) {
        auto a = policy_.on_start_requested(now_);
        EXPECT_TRUE(has(a, action_kind::spawn));
        return policy_.on_spawned(pid, now_);
    }

    void bring_up(int pid) {
        start_and_spawn(pid);
        policy_.on_health_ok(pid, now_);
        ASSERT_EQ(policy_.status(), instance_status::running);
    }

    supervision_policy policy_{config()};
    clock_time now_ = clock_time{} + 1000s;
    std::vector<std::string> tail_{"line one", "line two"};
};

TEST_F(policy_test, starts_stopped) {
    EXPECT_EQ(policy_.status(), instance_status::stopped);
    EXPECT_EQ(policy_.pid(), 0);
    EXPECT_EQ(to_string(policy_.status()), "stopped");
    EXPECT_EQ(policy_.restarts(), 0);
}

TEST_F(policy_test, start_spawns_and_probes_after_the_interval) {
    auto a = policy_.on_start_requested(now_);
    EXPECT_EQ(a, (policy_actions{{action_kind::cancel_timer}, {action_kind::spawn}}));
    EXPECT_EQ(policy_.status(), instance_status::starting);
    EXPECT_EQ(policy_.pid(), 0);
    a = policy_.on_spawned(42, now_);
    EXPECT_EQ(a, (policy_actions{{action_kind::probe_health, 200ms}}));
    EXPECT_EQ(policy_.pid(), 42);
    EXPECT_EQ(policy_.status(), instance_status::starting);
}

TEST_F(policy_test, running_only_after_health_ok) {
    start_and_spawn(42);
    auto a = policy_.on_health_not_yet(42, now_ + 1s);
    EXPECT_EQ(a, (policy_actions{{action_kind::probe_health, 200ms}}));
    EXPECT_EQ(policy_.status(), instance_status::starting);
    a = policy_.on_health_ok(42, now_ + 2s);
    EXPECT_TRUE(a.empty());
    EXPECT_EQ(policy_.status(), instance_status::running);
    EXPECT_EQ(policy_.retry_count(), 0);
}

TEST_F(policy_test, health_of_another_pid_is_ignored) {
    start_and_spawn(42);
    EXPECT_TRUE(policy_.on_health_ok(41, now_).empty());
    EXPECT_EQ(policy_.status(), instance_status::starting);
}

TEST_F(policy_test, start_while_starting_or_running_is_a_no_op) {
    start_and_spawn(42);
    EXPECT_TRUE(policy_.on_start_requested(now_).empty());
    policy_.on_health_ok(42, now_);
    EXPECT_TRUE(policy_.on_start_requested(now_).empty());
    EXPECT_EQ(policy_.restarts(), 0);
}

TEST_F(policy_test, spawn_failure_fails_at_once) {
    policy_.on_start_requested(now_);
    auto a = policy_.on_spawn_failed("cannot execute /x: No such file or directory", now_);
    ASSERT_TRUE(has(a, action_kind::mark_failed));
    EXPECT_EQ(policy_.status(), instance_status::failed);
    EXPECT_EQ(policy_.error_message(), "cannot execute /x: No such file or directory");
    EXPECT_EQ(policy_.retry_count(), 0);
}

TEST_F(policy_test, exit_during_start_retries_then_fails_with_status_and_lines) {
    start_and_spawn(1);
    auto a = policy_.on_exited(1, "exited with code 1", tail_, now_);
    EXPECT_EQ(policy_.status(), instance_status::starting);
    EXPECT_EQ(policy_.retry_count(), 1);
    auto* retry = find(a, action_kind::schedule_retry);
    ASSERT_NE(retry, nullptr);
    EXPECT_EQ(retry->delay, 1s);
    EXPECT_EQ(policy_.on_retry_due(now_ + 1s), (policy_actions{{action_kind::spawn}}));
    policy_.on_spawned(2, now_ + 1s);

    a = policy_.on_exited(2, "exited with code 1", tail_, now_ + 1s);
    EXPECT_EQ(policy_.retry_count(), 2);
    ASSERT_NE(find(a, action_kind::schedule_retry), nullptr);
    EXPECT_EQ(find(a, action_kind::schedule_retry)->delay, 2s);
    policy_.on_retry_due(now_ + 3s);
    policy_.on_spawned(3, now_ + 3s);

    a = policy_.on_exited(3, "exited with code 1", tail_, now_ + 3s);
    ASSERT_TRUE(has(a, action_kind::mark_failed));
    EXPECT_FALSE(has(a, action_kind::schedule_retry));
    EXPECT_EQ(policy_.status(), instance_status::failed);
    EXPECT_EQ(policy_.pid(), 0);
    EXPECT_EQ(
        policy_.error_message(),
        "failed to start: exited with code 1 (attempt 3 of 3)\nlast log lines:\nline one\nline two"
    );
    EXPECT_EQ(policy_.last_exit(), "exited with code 1");
}

TEST_F(policy_test, zero_retries_fails_on_first_exit) {
    auto c = config();
    c.max_retries = 0;
    make(c);
    start_and_spawn(1);
    policy_.on_exited(1, "killed by signal 6 (SIGABRT)", {}, now_);
    EXPECT_EQ(policy_.status(), instance_status::failed);
    EXPECT_EQ(
        policy_.error_message(), "failed to start: killed by signal 6 (SIGABRT) (attempt 1 of 1)"
    );
}

TEST_F(policy_test, readiness_timeout_terminates_then_counts_as_failed_attempt) {
    auto c = config();
    c.max_retries = 0;
    make(c);
    start_and_spawn(7);
    EXPECT_EQ(policy_.on_health_not_yet(7, now_ + 9s).size(), 1u);
    auto a = policy_.on_health_not_yet(7, now_ + 10s);
    EXPECT_EQ(a, (policy_actions{{action_kind::send_sigterm}, {action_kind::arm_stop_grace, 3s}}));
    EXPECT_EQ(policy_.status(), instance_status::starting);
    // A late 200 does not make a child being killed "running".
    EXPECT_TRUE(policy_.on_health_ok(7, now_ + 10s).empty());
    EXPECT_EQ(
        policy_.on_stop_grace_elapsed(now_ + 13s), (policy_actions{{action_kind::send_sigkill}})
    );
    policy_.on_exited(7, "killed by signal 9 (SIGKILL)", tail_, now_ + 13s);
    EXPECT_EQ(policy_.status(), instance_status::failed);
    EXPECT_EQ(
        policy_.error_message(),
        "failed to start: not ready within 10 s (attempt 1 of 1)\nlast log lines:\nline one\nline "
        "two"
    );
}

TEST_F(policy_test, readiness_timeout_event_retries) {
    start_and_spawn(7);
    auto a = policy_.on_readiness_timeout(7, now_ + 10s);
    EXPECT_TRUE(has(a, action_kind::send_sigterm));
    a = policy_.on_exited(7, "killed by signal 15 (SIGTERM)", {}, now_ + 10s);
    EXPECT_TRUE(has(a, action_kind::schedule_retry));
    EXPECT_EQ(policy_.status(), instance_status::starting);
    EXPECT_EQ(policy_.retry_count(), 1);
}

TEST_F(policy_test, default_readiness_timeout_message) {
    make(supervision_config{.max_retries = 0});
    start_and_spawn(7);
    policy_.on_readiness_timeout(7, now_);
    policy_.on_exited(7, "killed by signal 15 (SIGTERM)", {}, now_);
    EXPECT_EQ(policy_.error_message(), "failed to start: not ready within 600 s (attempt 1 of 1)");
}

TEST_F(policy_test, crash_while_running_fails_with_the_signal) {
    bring_up(5);
    auto a = policy_.on_exited(5, "killed by signal 11 (SIGSEGV)", tail_, now_);
    ASSERT_TRUE(has(a, action_kind::mark_failed));
    EXPECT_FALSE(has(a, action_kind::schedule_retry));
    EXPECT_EQ(policy_.status(), instance_status::failed);
    EXPECT_EQ(
        policy_.error_message(),
        "crashed: killed by signal 11 (SIGSEGV)\nlast log lines:\nline one\nline two"
    );
    EXPECT_EQ(policy_.restarts(), 0);
}

TEST_F(policy_test, auto_restart_backs_off_and_counts_restarts) {
    auto c = config();
    c.auto_restart = true;
    make(c);
    bring_up(5);
    std::vector<ms> delays;
    int pid = 5;
    for (int i = 0; i < 5; ++i) {
        auto a = policy_.on_exited(pid, "exited with code 2", {}, now_);
        EXPECT_EQ(policy_.status(), instance_status::failed);
        auto* retry = find(a, action_kind::schedule_retry);
        ASSERT_NE(retry, nullptr) << i;
        delays.push_back(retry->delay);
        now_ += retry->delay;
        EXPECT_EQ(policy_.on_retry_due(now_), (policy_actions{{action_kind::spawn}}));
        EXPECT_EQ(policy_.status(), instance_status::starting);
        EXPECT_EQ(policy_.restarts(), i + 1);
        policy_.on_spawned(++pid, now_);
        policy_.on_health_ok(pid, now_);
        EXPECT_EQ(policy_.status(), instance_status::running);
        now_ += 1s;
    }
    EXPECT_EQ(delays, (std::vector<ms>{1s, 2s, 4s, 8s, 16s}));
    // Sixth crash within five minutes: the crash-loop cap.
    auto a = policy_.on_exited(pid, "exited with code 2", {}, now_);
    EXPECT_FALSE(has(a, action_kind::schedule_retry));
    EXPECT_EQ(policy_.status(), instance_status::failed);
    EXPECT_EQ(
        policy_.error_message(),
        "crashed: exited with code 2; not restarting: 5 restarts within 300 s"
    );
}

TEST_F(policy_test, backoff_is_capped) {
    EXPECT_EQ(policy_.backoff(1), 1s);
    EXPECT_EQ(policy_.backoff(5), 16s);
    EXPECT_EQ(policy_.backoff(6), 30s);
    EXPECT_EQ(policy_.backoff(60), 30s);
}

TEST_F(policy_test, crash_loop_window_forgets_old_restarts) {
    auto c = config();
    c.auto_restart = true;
    c.crash_loop_limit = 1;
    make(c);
    bring_up(5);
    auto a = policy_.on_exited(5, "exited with code 2", {}, now_);
    ASSERT_TRUE(has(a, action_kind::schedule_retry));
    policy_.on_retry_due(now_ + 1s);
    policy_.on_spawned(6, now_ + 1s);
    policy_.on_health_ok(6, now_ + 1s);
    now_ += 10min;  // long after: the earlier restart no longer counts
    a = policy_.on_exited(6, "exited with code 2", {}, now_);
    ASSERT_NE(find(a, action_kind::schedule_retry), nullptr);
    EXPECT_EQ(find(a, action_kind::schedule_retry)->delay, 1s);
}

TEST_F(policy_test, start_failure_is_not_auto_restarted) {
    auto c = config();
    c.auto_restart = true;
    c.max_retries = 0;
    make(c);
    start_and_spawn(5);
    auto a = policy_.on_exited(5, "exited with code 1", {}, now_);
    EXPECT_FALSE(has(a, action_kind::schedule_retry));
    EXPECT_EQ(policy_.status(), instance_status::failed);
}

TEST_F(policy_test, stop_sends_sigterm_then_sigkill_after_grace) {
    bring_up(5);
    auto a = policy_.on_stop_requested(now_);
    EXPECT_EQ(a, (policy_actions{{action_kind::send_sigterm}, {action_kind::arm_stop_grace, 3s}}));
    EXPECT_EQ(policy_.status(), instance_status::stopping);
    EXPECT_EQ(
        policy_.on_stop_grace_elapsed(now_ + 3s), (policy_actions{{action_kind::send_sigkill}})
    );
    a = policy_.on_exited(5, "killed by signal 9 (SIGKILL)", tail_, now_ + 3s);
    EXPECT_EQ(a, (policy_actions{{action_kind::cancel_timer}}));
    EXPECT_EQ(policy_.status(), instance_status::stopped);
    EXPECT_EQ(policy_.pid(), 0);
    EXPECT_EQ(policy_.error_message(), "");
    EXPECT_EQ(policy_.last_exit(), "killed by signal 9 (SIGKILL)");
}

TEST_F(policy_test, sigabrt_after_our_sigterm_is_a_normal_stop) {
    bring_up(5);
    policy_.on_stop_requested(now_);
    policy_.on_exited(5, "killed by signal 6 (SIGABRT)", tail_, now_);
    EXPECT_EQ(policy_.status(), instance_status::stopped);
    EXPECT_EQ(policy_.error_message(), "");
}

TEST_F(policy_test, stop_with_auto_restart_does_not_restart) {
    auto c = config();
    c.auto_restart = true;
    make(c);
    bring_up(5);
    policy_.on_stop_requested(now_);
    auto a = policy_.on_exited(5, "exited with code 0", {}, now_);
    EXPECT_FALSE(has(a, action_kind::schedule_retry));
    EXPECT_FALSE(has(a, action_kind::spawn));
    EXPECT_EQ(policy_.status(), instance_status::stopped);
}

TEST_F(policy_test, grace_elapsed_after_exit_does_nothing) {
    bring_up(5);
    policy_.on_stop_requested(now_);
    policy_.on_exited(5, "exited with code 0", {}, now_);
    EXPECT_TRUE(policy_.on_stop_grace_elapsed(now_ + 3s).empty());
}

TEST_F(policy_test, stop_while_spawn_in_flight_terminates_once_spawned) {
    policy_.on_start_requested(now_);
    EXPECT_TRUE(policy_.on_stop_requested(now_).empty());
    EXPECT_EQ(policy_.status(), instance_status::stopping);
    auto a = policy_.on_spawned(9, now_);
    EXPECT_EQ(a, (policy_actions{{action_kind::send_sigterm}, {action_kind::arm_stop_grace, 3s}}));
    policy_.on_exited(9, "killed by signal 15 (SIGTERM)", {}, now_);
    EXPECT_EQ(policy_.status(), instance_status::stopped);
}

TEST_F(policy_test, stop_while_spawn_fails_ends_stopped) {
    policy_.on_start_requested(now_);
    policy_.on_stop_requested(now_);
    policy_.on_spawn_failed("cannot execute /x: Permission denied", now_);
    EXPECT_EQ(policy_.status(), instance_status::stopped);
}

TEST_F(policy_test, stop_while_waiting_to_retry_stops_at_once) {
    start_and_spawn(1);
    policy_.on_exited(1, "exited with code 1", {}, now_);
    ASSERT_EQ(policy_.status(), instance_status::starting);
    auto a = policy_.on_stop_requested(now_);
    EXPECT_EQ(a, (policy_actions{{action_kind::cancel_timer}}));
    EXPECT_EQ(policy_.status(), instance_status::stopped);
    EXPECT_TRUE(policy_.on_retry_due(now_ + 1s).empty());  // a timer that fired anyway
}

TEST_F(policy_test, stop_while_waiting_to_auto_restart_stops) {
    auto c = config();
    c.auto_restart = true;
    make(c);
    bring_up(5);
    policy_.on_exited(5, "exited with code 2", {}, now_);
    EXPECT_EQ(policy_.on_stop_requested(now_), (policy_actions{{action_kind::cancel_timer}}));
    EXPECT_EQ(policy_.status(), instance_status::stopped);
    EXPECT_TRUE(policy_.on_retry_due(now_ + 1s).empty());
}

TEST_F(policy_test, stop_during_readiness_kill_ends_stopped_not_failed) {
    start_and_spawn(7);
    policy_.on_readiness_timeout(7, now_ + 10s);
    EXPECT_TRUE(policy_.on_stop_requested(now_ + 10s).empty());  // SIGTERM already sent
    EXPECT_EQ(policy_.status(), instance_status::stopping);
    policy_.on_exited(7, "killed by signal 15 (SIGTERM)", {}, now_ + 10s);
    EXPECT_EQ(policy_.status(), instance_status::stopped);
    EXPECT_EQ(policy_.error_message(), "");
}

TEST_F(policy_test, stop_when_stopped_is_a_no_op) {
    EXPECT_TRUE(policy_.on_stop_requested(now_).empty());
    EXPECT_EQ(policy_.status(), instance_status::stopped);
}

TEST_F(policy_test, stale_exit_is_ignored) {
    bring_up(5);
    EXPECT_TRUE(policy_.on_exited(4, "exited with code 0", {}, now_).empty());
    EXPECT_EQ(policy_.status(), instance_status::running);
}

TEST_F(policy_test, restart_stops_then_starts_and_counts) {
    bring_up(5);
    auto a = policy_.on_restart_requested(now_);
    EXPECT_TRUE(has(a, action_kind::send_sigterm));
    EXPECT_EQ(policy_.status(), instance_status::stopping);
    a = policy_.on_exited(5, "killed by signal 15 (SIGTERM)", {}, now_);
    EXPECT_TRUE(has(a, action_kind::spawn));
    EXPECT_EQ(policy_.status(), instance_status::starting);
    EXPECT_EQ(policy_.restarts(), 1);
    policy_.on_spawned(6, now_);
    policy_.on_health_ok(6, now_);
    EXPECT_EQ(policy_.status(), instance_status::running);
}

TEST_F(policy_test, restart_from_failed_starts_fresh) {
    auto c = config();
    c.max_retries = 0;
    make(c);
    start_and_spawn(5);
    policy_.on_exited(5, "exited with code 1", {}, now_);
    ASSERT_EQ(policy_.status(), instance_status::failed);
    auto a = policy_.on_restart_requested(now_);
    EXPECT_TRUE(has(a, action_kind::spawn));
    EXPECT_EQ(policy_.status(), instance_status::starting);
    EXPECT_EQ(policy_.error_message(), "");
    EXPECT_EQ(policy_.restarts(), 1);
}

TEST_F(policy_test, start_during_stopping_starts_after_the_exit) {
    bring_up(5);
    policy_.on_stop_requested(now_);
    EXPECT_TRUE(policy_.on_start_requested(now_).empty());
    auto a = policy_.on_exited(5, "exited with code 0", {}, now_);
    EXPECT_TRUE(has(a, action_kind::spawn));
    EXPECT_EQ(policy_.status(), instance_status::starting);
}

TEST_F(policy_test, stop_cancels_a_pending_start_after_stop) {
    bring_up(5);
    policy_.on_restart_requested(now_);
    policy_.on_stop_requested(now_);
    auto a = policy_.on_exited(5, "exited with code 0", {}, now_);
    EXPECT_FALSE(has(a, action_kind::spawn));
    EXPECT_EQ(policy_.status(), instance_status::stopped);
}

TEST_F(policy_test, start_after_stop_counts_as_restart) {
    bring_up(5);
    policy_.on_stop_requested(now_);
    policy_.on_exited(5, "exited with code 0", {}, now_);
    policy_.on_start_requested(now_);
    EXPECT_EQ(policy_.restarts(), 1);
}

TEST_F(policy_test, describes_durations) {
    EXPECT_EQ(describe_duration(600s), "600 s");
    EXPECT_EQ(describe_duration(300ms), "300 ms");
    EXPECT_EQ(describe_duration(1500ms), "1.5 s");
}

}  // namespace
}  // namespace solar::host
