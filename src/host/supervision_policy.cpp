// The supervision state machine: start, readiness, retries, crash restarts with back-off, stop.
#include <solar/host/supervision_policy.hpp>

#include <cstdio>

namespace solar::host {

namespace {

std::string with_log_tail(std::string message, const std::vector<std::string>& log_tail) {
    if (log_tail.empty()) return message;
    message += "\nlast log lines:";
    for (const auto& line : log_tail) {
        message += '\n';
        message += line;
    }
    return message;
}

}  // namespace

std::string_view to_string(instance_status status) {
    switch (status) {
        case instance_status::stopped:
            return "stopped";
        case instance_status::starting:
            return "starting";
        case instance_status::running:
            return "running";
        case instance_status::stopping:
            return "stopping";
        case instance_status::failed:
            return "failed";
    }
    return "unknown";
}

std::string describe_duration(std::chrono::milliseconds duration) {
    auto ms = duration.count();
    if (ms % 1000 == 0) return std::to_string(ms / 1000) + " s";
    if (ms < 1000) return std::to_string(ms) + " ms";
    char text[32];
    std::snprintf(text, sizeof text, "%g s", static_cast<double>(ms) / 1000.0);
    return text;
}

supervision_policy::supervision_policy(supervision_config config) : config_(std::move(config)) {}

std::chrono::milliseconds supervision_policy::backoff(int n) const {
    auto delay = config_.backoff_initial;
    for (int i = 1; i < n && delay < config_.backoff_max; ++i) delay *= 2;
    return std::min(delay, config_.backoff_max);
}

policy_actions supervision_policy::on_start_requested(clock_time /*now*/) {
    switch (status_) {
        case instance_status::stopped:
        case instance_status::failed: {  // failed may be waiting to auto-restart
            policy_actions actions{{action_kind::cancel_timer}};
            auto started = begin_start(ever_started_);
            actions.insert(actions.end(), started.begin(), started.end());
            return actions;
        }
        case instance_status::stopping:
            start_after_stop_ = true;
            return {};
        case instance_status::starting:
        case instance_status::running:
            return {};
    }
    return {};
}

policy_actions supervision_policy::on_stop_requested(clock_time /*now*/) {
    start_after_stop_ = false;
    switch (status_) {
        case instance_status::stopped:
        case instance_status::stopping:
            return {};
        case instance_status::failed:
            // Possibly waiting to auto-restart: that wait ends here.
            status_ = instance_status::stopped;
            pending_ = pending_timer::none;
            return {{action_kind::cancel_timer}};
        case instance_status::starting:
            if (pid_ == 0 && !spawn_in_flight_) {  // between attempts, waiting to retry
                status_ = instance_status::stopped;
                pending_ = pending_timer::none;
                return {{action_kind::cancel_timer}};
            }
            status_ = instance_status::stopping;
            termination_reason_.clear();
            if (spawn_in_flight_ || terminating_) return {};  // on_spawned / the grace timer act
            return begin_termination();
        case instance_status::running:
            status_ = instance_status::stopping;
            return begin_termination();
    }
    return {};
}

policy_actions supervision_policy::on_restart_requested(clock_time now) {
    switch (status_) {
        case instance_status::stopped:
        case instance_status::failed: {
            policy_actions actions{{action_kind::cancel_timer}};
            auto started = begin_start(true);
            actions.insert(actions.end(), started.begin(), started.end());
            return actions;
        }
        case instance_status::starting:
        case instance_status::running: {
            auto actions = on_stop_requested(now);
            if (status_ == instance_status::stopped) {  // nothing was running
                auto started = begin_start(true);
                actions.insert(actions.end(), started.begin(), started.end());
            } else {
                start_after_stop_ = true;
            }
            return actions;
        }
        case instance_status::stopping:
            start_after_stop_ = true;
            return {};
    }
    return {};
}

policy_actions supervision_policy::on_spawned(int pid, clock_time now) {
    if (!spawn_in_flight_) return {};
    spawn_in_flight_ = false;
    pid_ = pid;
    spawned_at_ = now;
    if (status_ == instance_status::starting) {
        return {{action_kind::probe_health, config_.health_interval}};
    }
    // A stop arrived while the spawn was under way.
    status_ = instance_status::stopping;
    return begin_termination();
}

policy_actions supervision_policy::on_spawn_failed(std::string reason, clock_time /*now*/) {
    if (!spawn_in_flight_) return {};
    spawn_in_flight_ = false;
    pid_ = 0;
    last_exit_ = reason;
    if (status_ == instance_status::starting) return fail(std::move(reason));
    status_ = instance_status::stopped;
    if (start_after_stop_) {
        start_after_stop_ = false;
        return begin_start(true);
    }
    return {};
}

policy_actions supervision_policy::on_health_ok(int pid, clock_time /*now*/) {
    if (status_ != instance_status::starting || pid == 0 || pid != pid_ || terminating_) return {};
    status_ = instance_status::running;
    return {};
}

policy_actions supervision_policy::on_health_not_yet(int pid, clock_time now) {
    if (status_ != instance_status::starting || pid == 0 || pid != pid_ || terminating_) return {};
    if (now - spawned_at_ >= config_.readiness_timeout) return on_readiness_timeout(pid, now);
    return {{action_kind::probe_health, config_.health_interval}};
}

policy_actions supervision_policy::on_readiness_timeout(int pid, clock_time /*now*/) {
    if (status_ != instance_status::starting || pid == 0 || pid != pid_ || terminating_) return {};
    termination_reason_ = "not ready within " + describe_duration(config_.readiness_timeout);
    return begin_termination();
}

policy_actions supervision_policy::on_exited(
    int pid, std::string status, const std::vector<std::string>& log_tail, clock_time now
) {
    if (pid == 0 || pid != pid_) return {};
    pid_ = 0;
    terminating_ = false;
    last_exit_ = std::move(status);
    policy_actions actions{{action_kind::cancel_timer}};
    auto append = [&actions](policy_actions more) {
        actions.insert(actions.end(), more.begin(), more.end());
    };
    switch (status_) {
        case instance_status::stopping:
            status_ = instance_status::stopped;
            if (start_after_stop_) {
                start_after_stop_ = false;
                append(begin_start(true));
            }
            break;
        case instance_status::starting: {
            auto reason = termination_reason_.empty() ? last_exit_ : termination_reason_;
            termination_reason_.clear();
            append(start_attempt_failed(reason, log_tail, now));
            break;
        }
        case instance_status::running:
            append(crashed(last_exit_, log_tail, now));
            break;
        case instance_status::stopped:
        case instance_status::failed:
            break;
    }
    return actions;
}

policy_actions supervision_policy::on_stop_grace_elapsed(clock_time /*now*/) {
    if (!terminating_ || pid_ == 0) return {};
    return {{action_kind::send_sigkill}};
}

policy_actions supervision_policy::on_retry_due(clock_time now) {
    auto pending = pending_;
    pending_ = pending_timer::none;
    switch (pending) {
        case pending_timer::none:
            return {};
        case pending_timer::retry_start:
            if (status_ != instance_status::starting || pid_ != 0 || spawn_in_flight_) return {};
            return spawn_attempt();
        case pending_timer::auto_restart:
            if (status_ != instance_status::failed) return {};
            restart_times_.push_back(now);
            ++restarts_;
            retry_count_ = 0;
            status_ = instance_status::starting;
            return spawn_attempt();
    }
    return {};
}

policy_actions supervision_policy::begin_start(bool counts_as_restart) {
    if (counts_as_restart) ++restarts_;
    ever_started_ = true;
    status_ = instance_status::starting;
    retry_count_ = 0;
    error_message_.clear();
    terminating_ = false;
    termination_reason_.clear();
    start_after_stop_ = false;
    pending_ = pending_timer::none;
    restart_times_.clear();  // a requested start begins a fresh crash-loop history
    return spawn_attempt();
}

policy_actions supervision_policy::spawn_attempt() {
    spawn_in_flight_ = true;
    pid_ = 0;
    return {{action_kind::spawn}};
}

policy_actions supervision_policy::begin_termination() {
    terminating_ = true;
    return {{action_kind::send_sigterm}, {action_kind::arm_stop_grace, config_.stop_grace}};
}

policy_actions supervision_policy::start_attempt_failed(
    const std::string& reason, const std::vector<std::string>& log_tail, clock_time /*now*/
) {
    if (retry_count_ < config_.max_retries) {
        ++retry_count_;
        pending_ = pending_timer::retry_start;
        return {{action_kind::schedule_retry, backoff(retry_count_)}};
    }
    auto attempts = std::to_string(retry_count_ + 1);
    return fail(with_log_tail(
        "failed to start: " + reason + " (attempt " + attempts + " of " + attempts + ")", log_tail
    ));
}

policy_actions supervision_policy::crashed(
    const std::string& status, const std::vector<std::string>& log_tail, clock_time now
) {
    std::string head = "crashed: " + status;
    if (!config_.auto_restart) return fail(with_log_tail(std::move(head), log_tail));
    while (!restart_times_.empty() && now - restart_times_.front() >= config_.crash_loop_window) {
        restart_times_.pop_front();
    }
    auto recent = static_cast<int>(restart_times_.size());
    if (recent >= config_.crash_loop_limit) {
        head += "; not restarting: " + std::to_string(recent) + " restarts within " +
                describe_duration(config_.crash_loop_window);
        return fail(with_log_tail(std::move(head), log_tail));
    }
    auto actions = fail(with_log_tail(std::move(head), log_tail));
    pending_ = pending_timer::auto_restart;
    actions.push_back({action_kind::schedule_retry, backoff(recent + 1)});
    return actions;
}

policy_actions supervision_policy::fail(std::string message) {
    status_ = instance_status::failed;
    pid_ = 0;
    error_message_ = message;
    return {{action_kind::mark_failed, std::chrono::milliseconds{0}, std::move(message)}};
}

}  // namespace solar::host
