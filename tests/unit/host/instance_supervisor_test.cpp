// The supervisor with real small programs (/bin/sh scripts) and an in-process /health server:
// readiness, exec errors, retries, timeouts, crashes, auto restart, stop and SIGKILL escalation,
// process groups, zombies and line capture. Waits are bounded; nothing sleeps for a set time.
#include <solar/host/instance_supervisor.hpp>

#include <boost/asio/as_tuple.hpp>
#include <boost/asio/co_spawn.hpp>
#include <boost/asio/detached.hpp>
#include <boost/asio/executor_work_guard.hpp>
#include <boost/asio/io_context.hpp>
#include <boost/asio/ip/tcp.hpp>
#include <boost/asio/use_future.hpp>
#include <boost/beast/http.hpp>

#include <gtest/gtest.h>

#include <algorithm>
#include <atomic>
#include <cerrno>
#include <condition_variable>
#include <csignal>
#include <fstream>
#include <optional>
#include <sys/wait.h>
#include <thread>

namespace solar::host {
namespace {

namespace beast = core::beast;
namespace http = core::http;
using tcp = asio::ip::tcp;
using namespace std::chrono_literals;
constexpr auto use_tuple = asio::as_tuple(asio::use_awaitable);

// Answers every request with `status` (200 or 503), counting requests.
class health_server {
public:
    explicit health_server(asio::io_context& ioc)
        : acceptor_(ioc, {asio::ip::address_v4::loopback(), 0}) {
        asio::co_spawn(ioc, accept_loop(), asio::detached);
    }

    std::uint16_t port() const { return acceptor_.local_endpoint().port(); }
    void close() {
        asio::post(acceptor_.get_executor(), [this] { acceptor_.close(); });
    }

    std::atomic<unsigned> status{200};
    std::atomic<int> requests{0};

private:
    asio::awaitable<void> accept_loop() {
        for (;;) {
            auto [ec, socket] = co_await acceptor_.async_accept(use_tuple);
            if (ec) co_return;
            asio::co_spawn(acceptor_.get_executor(), serve(std::move(socket)), asio::detached);
        }
    }

    asio::awaitable<void> serve(tcp::socket socket) {
        beast::tcp_stream stream(std::move(socket));
        stream.expires_after(5s);
        beast::flat_buffer buffer;
        http::request<http::string_body> req;
        auto [rec, rn] = co_await http::async_read(stream, buffer, req, use_tuple);
        if (rec) co_return;
        ++requests;
        http::response<http::string_body> res{static_cast<http::status>(status.load()), 11};
        res.body() = status == 200 ? R"({"status":"ok"})" : R"({"error":{"code":503}})";
        res.keep_alive(false);
        res.prepare_payload();
        co_await http::async_write(stream, res, use_tuple);
        beast::error_code ignored;
        stream.socket().shutdown(tcp::socket::shutdown_both, ignored);
    }

    tcp::acceptor acceptor_;
};

// Dead: reaped (gone from /proc) or a zombie of someone else (state Z).
bool process_dead(int pid) {
    std::ifstream stat("/proc/" + std::to_string(pid) + "/stat");
    if (!stat) return true;
    std::string text((std::istreambuf_iterator<char>(stat)), std::istreambuf_iterator<char>());
    auto close = text.rfind(')');
    return close != std::string::npos && close + 2 < text.size() && text[close + 2] == 'Z';
}

// Our own child is gone and reaped: no zombie left behind.
bool reaped(int pid) {
    return ::waitpid(pid, nullptr, WNOHANG) == -1 && errno == ECHILD && process_dead(pid);
}

class supervisor_test : public ::testing::Test {
protected:
    void TearDown() override {
        for (auto& supervisor : supervisors_) run(supervisor->stop());
        for (auto& supervisor : supervisors_) {
            EXPECT_EQ(supervisor->snapshot().pid, 0);
            EXPECT_NE(supervisor->snapshot().status, "stopping");
        }
        health_.close();
        ioc_.stop();
        thread_.join();
        pool_.join();
    }

    instance_spec sh(std::string script) {
        instance_spec spec;
        spec.argv = {"/bin/sh", "-c", std::move(script)};
        spec.port = health_.port();
        spec.probe_timeout = 2s;
        spec.policy.readiness_timeout = 10s;
        spec.policy.health_interval = 20ms;
        spec.policy.stop_grace = 5s;
        spec.policy.backoff_initial = 20ms;
        spec.policy.backoff_max = 100ms;
        return spec;
    }

    std::shared_ptr<instance_supervisor> make(instance_spec spec) {
        supervisor_callbacks callbacks;
        callbacks.on_line = [this](std::string_view stream, std::string_view line) {
            std::lock_guard lock(mutex_);
            lines_.emplace_back(stream, line);
            changed_.notify_all();
        };
        callbacks.on_state = [this](const instance_snapshot& snapshot) {
            std::lock_guard lock(mutex_);
            states_.push_back(snapshot);
            changed_.notify_all();
        };
        auto supervisor = instance_supervisor::create(
            ioc_.get_executor(), pool_, reaper_, std::move(spec), std::move(callbacks)
        );
        supervisors_.push_back(supervisor);
        return supervisor;
    }

    // Waits until `predicate()` holds, checked on every callback and at least every 10 ms
    // (some conditions, like a process's death, come with no callback); false after the limit.
    template <typename Predicate>
    bool wait_for(Predicate predicate, std::chrono::seconds limit = 20s) {
        auto deadline = std::chrono::steady_clock::now() + limit;
        for (;;) {
            if (predicate()) return true;
            if (std::chrono::steady_clock::now() >= deadline) return false;
            std::unique_lock lock(mutex_);
            changed_.wait_for(lock, 10ms);
        }
    }

    bool wait_status(instance_supervisor& s, const std::string& status) {
        return wait_for([&] { return s.snapshot().status == status; });
    }

    bool wait_line(const std::string& text) {
        return wait_for([&] {
            std::lock_guard lock(mutex_);
            for (const auto& [stream, line] : lines_) {
                if (line == text) return true;
            }
            return false;
        });
    }

    std::vector<std::pair<std::string, std::string>> lines() {
        std::lock_guard lock(mutex_);
        return lines_;
    }

    void run(asio::awaitable<void> work) {
        auto done = asio::co_spawn(ioc_, std::move(work), asio::use_future);
        ASSERT_EQ(done.wait_for(30s), std::future_status::ready);
        done.get();
    }

    asio::io_context ioc_;
    std::optional<asio::executor_work_guard<asio::io_context::executor_type>> work_{
        ioc_.get_executor()};
    asio::thread_pool pool_{1};
    child_reaper reaper_{ioc_.get_executor()};
    health_server health_{ioc_};
    std::mutex mutex_;
    std::condition_variable_any changed_;
    std::vector<instance_snapshot> states_;
    std::vector<std::pair<std::string, std::string>> lines_;
    std::vector<std::shared_ptr<instance_supervisor>> supervisors_;
    std::thread thread_{[this] { ioc_.run(); }};
};

TEST_F(supervisor_test, running_once_health_answers_200_then_stopped_by_sigterm) {
    health_.status = 503;
    auto s = make(sh("exec sleep 30"));
    s->start();
    ASSERT_TRUE(wait_for([&] { return health_.requests >= 3; }));
    EXPECT_EQ(s->snapshot().status, "starting");
    health_.status = 200;
    ASSERT_TRUE(wait_status(*s, "running"));
    auto snapshot = s->snapshot();
    EXPECT_GT(snapshot.pid, 0);
    EXPECT_GT(snapshot.started_at, 1700000000);
    EXPECT_EQ(snapshot.restarts, 0);
    EXPECT_EQ(snapshot.retry_count, 0);

    run(s->stop());
    auto stopped = s->snapshot();
    EXPECT_EQ(stopped.status, "stopped");
    EXPECT_EQ(stopped.pid, 0);
    EXPECT_EQ(stopped.started_at, 0);
    EXPECT_EQ(stopped.last_exit, "killed by signal 15 (SIGTERM)");
    EXPECT_EQ(stopped.error_message, "");
    EXPECT_TRUE(reaped(snapshot.pid));
    std::lock_guard lock(mutex_);
    std::vector<std::string> statuses;
    for (const auto& state : states_) {
        if (statuses.empty() || statuses.back() != state.status) statuses.push_back(state.status);
    }
    EXPECT_EQ(statuses, (std::vector<std::string>{"starting", "running", "stopping", "stopped"}));
}

TEST_F(supervisor_test, exec_failure_names_the_program_and_errno) {
    instance_spec spec = sh("");
    spec.argv = {"/nonexistent/llama-server", "--port", "1"};
    auto s = make(spec);
    s->start();
    ASSERT_TRUE(wait_status(*s, "failed"));
    EXPECT_EQ(
        s->snapshot().error_message,
        "cannot execute /nonexistent/llama-server: No such file or directory"
    );
    EXPECT_EQ(s->snapshot().pid, 0);
}

TEST_F(supervisor_test, exit_during_start_retries_then_fails_with_last_lines) {
    health_.status = 503;
    auto s = make(sh("echo loading; echo 'fatal: bad model' >&2; exit 1"));
    s->start();
    ASSERT_TRUE(wait_status(*s, "failed"));
    auto snapshot = s->snapshot();
    EXPECT_EQ(snapshot.retry_count, 2);
    EXPECT_EQ(snapshot.last_exit, "exited with code 1");
    EXPECT_NE(
        snapshot.error_message.find("failed to start: exited with code 1 (attempt 3 of 3)"),
        std::string::npos
    ) << snapshot.error_message;
    EXPECT_NE(snapshot.error_message.find("fatal: bad model"), std::string::npos);
    EXPECT_NE(snapshot.error_message.find("loading"), std::string::npos);
    int attempts = 0;
    for (const auto& [stream, line] : lines()) attempts += line == "loading";
    EXPECT_EQ(attempts, 3);
}

TEST_F(supervisor_test, readiness_timeout_fails_and_kills_the_child) {
    health_.status = 503;
    auto spec = sh("exec sleep 30");
    spec.policy.readiness_timeout = 300ms;
    spec.policy.max_retries = 0;
    auto s = make(spec);
    s->start();
    ASSERT_TRUE(wait_for([&] { return s->snapshot().pid != 0; }));
    int pid = s->snapshot().pid;
    ASSERT_TRUE(wait_status(*s, "failed"));
    EXPECT_EQ(
        s->snapshot().error_message, "failed to start: not ready within 300 ms (attempt 1 of 1)"
    );
    EXPECT_EQ(s->snapshot().last_exit, "killed by signal 15 (SIGTERM)");
    EXPECT_TRUE(reaped(pid));
}

TEST_F(supervisor_test, crash_while_running_fails_with_the_signal) {
    auto s = make(sh("echo up; exec sleep 30"));
    s->start();
    ASSERT_TRUE(wait_status(*s, "running"));
    int pid = s->snapshot().pid;
    ::kill(pid, SIGKILL);
    ASSERT_TRUE(wait_status(*s, "failed"));
    auto snapshot = s->snapshot();
    EXPECT_EQ(snapshot.error_message, "crashed: killed by signal 9 (SIGKILL)\nlast log lines:\nup");
    EXPECT_EQ(snapshot.pid, 0);
    EXPECT_EQ(snapshot.restarts, 0);
    EXPECT_TRUE(reaped(pid));
}

TEST_F(supervisor_test, auto_restart_starts_a_crashed_child_again) {
    auto spec = sh("exec sleep 30");
    spec.policy.auto_restart = true;
    auto s = make(spec);
    s->start();
    ASSERT_TRUE(wait_status(*s, "running"));
    int first = s->snapshot().pid;
    ::kill(first, SIGKILL);
    ASSERT_TRUE(wait_for([&] {
        auto now = s->snapshot();
        return now.status == "running" && now.restarts == 1 && now.pid != first;
    }));
    EXPECT_NE(s->snapshot().error_message.find("crashed: killed by signal 9"), std::string::npos);
    EXPECT_TRUE(reaped(first));
}

TEST_F(supervisor_test, restart_replaces_the_child) {
    auto s = make(sh("exec sleep 30"));
    s->start();
    ASSERT_TRUE(wait_status(*s, "running"));
    int first = s->snapshot().pid;
    s->restart();
    ASSERT_TRUE(wait_for([&] {
        auto now = s->snapshot();
        return now.status == "running" && now.pid != first && now.restarts == 1;
    }));
    EXPECT_TRUE(reaped(first));
}

TEST_F(supervisor_test, stop_escalates_to_sigkill_when_sigterm_is_ignored) {
    auto spec = sh("trap '' TERM; echo trapped; while :; do sleep 0.05; done");
    spec.policy.stop_grace = 300ms;
    auto s = make(spec);
    s->start();
    ASSERT_TRUE(wait_status(*s, "running"));
    ASSERT_TRUE(wait_line("trapped"));
    int pid = s->snapshot().pid;
    auto begin = std::chrono::steady_clock::now();
    run(s->stop());
    EXPECT_GE(std::chrono::steady_clock::now() - begin, 300ms);
    EXPECT_EQ(s->snapshot().status, "stopped");
    EXPECT_EQ(s->snapshot().last_exit, "killed by signal 9 (SIGKILL)");
    EXPECT_TRUE(reaped(pid));
}

TEST_F(supervisor_test, grandchildren_in_the_group_die_with_the_child) {
    // The grandchild ignores SIGTERM; only the group SIGKILL after the exit can end it.
    auto s = make(sh("trap '' TERM; sleep 30 & echo \"gc=$!\"; trap - TERM; exec sleep 30"));
    s->start();
    ASSERT_TRUE(wait_status(*s, "running"));
    ASSERT_TRUE(wait_for([&] {
        for (const auto& [stream, line] : lines()) {
            if (line.starts_with("gc=")) return true;
        }
        return false;
    }));
    int grandchild = 0;
    for (const auto& [stream, line] : lines()) {
        if (line.starts_with("gc=")) grandchild = std::stoi(line.substr(3));
    }
    ASSERT_GT(grandchild, 0);
    EXPECT_FALSE(process_dead(grandchild));
    run(s->stop());
    EXPECT_EQ(s->snapshot().status, "stopped");
    EXPECT_TRUE(wait_for([&] { return process_dead(grandchild); }, 10s));
}

TEST_F(supervisor_test, captures_both_streams_and_joins_partial_lines) {
    health_.status = 503;
    auto spec = sh("printf 'abc'; sleep 0.1; printf 'def\\nxyz'; echo oops >&2; exit 0");
    spec.policy.max_retries = 0;
    auto s = make(spec);
    s->start();
    ASSERT_TRUE(wait_status(*s, "failed"));
    auto captured = lines();
    using line = std::pair<std::string, std::string>;
    EXPECT_EQ(std::count(captured.begin(), captured.end(), line{"stdout", "abcdef"}), 1);
    EXPECT_EQ(std::count(captured.begin(), captured.end(), line{"stdout", "xyz"}), 1);
    EXPECT_EQ(std::count(captured.begin(), captured.end(), line{"stderr", "oops"}), 1);
    EXPECT_EQ(captured.size(), 3u);
    EXPECT_NE(s->snapshot().error_message.find("exited with code 0"), std::string::npos);
}

TEST_F(supervisor_test, splits_lines_longer_than_64_kib) {
    health_.status = 503;
    auto spec = sh(R"(head -c 70000 /dev/zero | tr '\0' a; echo; echo end; exit 0)");
    spec.policy.max_retries = 0;
    auto s = make(spec);
    s->start();
    ASSERT_TRUE(wait_status(*s, "failed"));
    auto captured = lines();
    ASSERT_EQ(captured.size(), 3u);
    EXPECT_EQ(captured[0].second, std::string(instance_supervisor::max_line, 'a'));
    EXPECT_EQ(captured[1].second, std::string(70000 - instance_supervisor::max_line, 'a'));
    EXPECT_EQ(captured[2].second, "end");
}

TEST_F(supervisor_test, passes_environment_overrides) {
    health_.status = 503;
    auto spec = sh("echo \"model=$SOLAR_TEST_MODEL\"; exit 0");
    spec.env_overrides = {{"SOLAR_TEST_MODEL", "tiny"}};
    spec.policy.max_retries = 0;
    auto s = make(spec);
    s->start();
    EXPECT_TRUE(wait_line("model=tiny"));
}

TEST_F(supervisor_test, stop_all_stops_every_child) {
    auto a = make(sh("exec sleep 30"));
    auto stubborn = sh("trap '' TERM; echo trapped; while :; do sleep 0.05; done");
    stubborn.policy.stop_grace = 300ms;
    auto b = make(stubborn);
    a->start();
    b->start();
    ASSERT_TRUE(wait_status(*a, "running"));
    ASSERT_TRUE(wait_status(*b, "running"));
    ASSERT_TRUE(wait_line("trapped"));
    int pa = a->snapshot().pid;
    int pb = b->snapshot().pid;
    std::vector<std::shared_ptr<instance_supervisor>> all{a, b};
    run(stop_all(all));
    EXPECT_EQ(a->snapshot().status, "stopped");
    EXPECT_EQ(b->snapshot().status, "stopped");
    EXPECT_TRUE(reaped(pa));
    EXPECT_TRUE(reaped(pb));
}

TEST_F(supervisor_test, stop_before_the_spawn_completes) {
    auto s = make(sh("exec sleep 30"));
    s->start();
    run(s->stop());
    EXPECT_EQ(s->snapshot().status, "stopped");
    EXPECT_EQ(s->snapshot().pid, 0);
}

}  // namespace
}  // namespace solar::host
