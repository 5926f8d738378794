// Reaping registered children on SIGCHLD, early exits, and exit status descriptions.
#include <solar/host/child_reaper.hpp>

#include <boost/asio/io_context.hpp>

#include <gtest/gtest.h>

#include <csignal>
#include <future>
#include <sys/wait.h>
#include <thread>
#include <unistd.h>

namespace solar::host {
namespace {

using namespace std::chrono_literals;

int fork_child(int exit_code, bool wait_for_signal) {
    int pid = ::fork();
    if (pid == 0) {
        if (wait_for_signal) ::pause();
        ::_exit(exit_code);
    }
    return pid;
}

class reaper_test : public ::testing::Test {
protected:
    void TearDown() override {
        ioc_.stop();  // the SIGCHLD wait is work that never ends by itself
        thread_.join();
    }

    asio::io_context ioc_;
    child_reaper reaper_{ioc_.get_executor()};
    std::optional<asio::executor_work_guard<asio::io_context::executor_type>> work_{
        ioc_.get_executor()};
    std::thread thread_{[this] { ioc_.run(); }};
};

TEST_F(reaper_test, reports_exit_after_sigchld) {
    int pid = fork_child(0, true);
    std::promise<int> status;
    reaper_.watch(pid, [&status](int s) { status.set_value(s); });
    ::kill(pid, SIGTERM);
    auto result = status.get_future();
    ASSERT_EQ(result.wait_for(10s), std::future_status::ready);
    EXPECT_EQ(describe_exit_status(result.get()), "killed by signal 15 (SIGTERM)");
    EXPECT_EQ(::waitpid(pid, nullptr, WNOHANG), -1);  // already reaped
}

TEST_F(reaper_test, reports_a_child_that_exited_before_registration) {
    int pid = fork_child(4, false);
    // Until it is a zombie, so that its SIGCHLD came before the watch.
    siginfo_t info{};
    ASSERT_EQ(::waitid(P_PID, static_cast<id_t>(pid), &info, WEXITED | WNOWAIT), 0);
    std::promise<int> status;
    reaper_.watch(pid, [&status](int s) { status.set_value(s); });
    auto result = status.get_future();
    ASSERT_EQ(result.wait_for(10s), std::future_status::ready);
    EXPECT_EQ(describe_exit_status(result.get()), "exited with code 4");
}

TEST_F(reaper_test, leaves_unregistered_children_alone) {
    int mine = fork_child(0, true);
    int other = fork_child(0, false);
    std::promise<int> status;
    reaper_.watch(mine, [&status](int s) { status.set_value(s); });
    ::kill(mine, SIGKILL);
    ASSERT_EQ(status.get_future().wait_for(10s), std::future_status::ready);
    int other_status = 0;
    EXPECT_EQ(::waitpid(other, &other_status, 0), other);  // still ours to reap
}

TEST(describe_exit_status, names_codes_and_signals) {
    EXPECT_EQ(describe_exit_status(0), "exited with code 0");
    EXPECT_EQ(describe_exit_status(1 << 8), "exited with code 1");
    EXPECT_EQ(describe_exit_status(SIGABRT), "killed by signal 6 (SIGABRT)");
    EXPECT_EQ(describe_exit_status(SIGKILL), "killed by signal 9 (SIGKILL)");
    EXPECT_EQ(describe_exit_status(-1), "exit status unknown");
}

}  // namespace
}  // namespace solar::host
