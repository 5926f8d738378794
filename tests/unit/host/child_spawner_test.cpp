// fork/exec with pipes: output, exec errors with errno, own process group, no leaked fds.
#include <solar/host/child_spawner.hpp>

#include <gtest/gtest.h>

#include <cerrno>
#include <poll.h>
#include <sys/wait.h>
#include <unistd.h>

namespace solar::host {
namespace {

// Reads a non-blocking pipe until EOF (bounded by poll timeouts).
std::string read_all(int fd) {
    std::string text;
    char buffer[4096];
    for (;;) {
        pollfd p{fd, POLLIN, 0};
        if (::poll(&p, 1, 10000) <= 0) return text + "<timeout>";
        auto n = ::read(fd, buffer, sizeof buffer);
        if (n == 0) return text;
        if (n < 0 && errno != EAGAIN && errno != EINTR) return text;
        if (n > 0) text.append(buffer, static_cast<std::size_t>(n));
    }
}

int reap(int pid) {
    int status = 0;
    while (::waitpid(pid, &status, 0) < 0 && errno == EINTR) {
    }
    return status;
}

TEST(child_spawner, captures_stdout_and_stderr_separately) {
    auto child = spawn_child({{"/bin/sh", "-c", "echo out; echo err >&2; exit 3"}, {}});
    ASSERT_TRUE(child) << child.error().message();
    EXPECT_EQ(read_all(child->stdout_fd.get()), "out\n");
    EXPECT_EQ(read_all(child->stderr_fd.get()), "err\n");
    int status = reap(child->pid);
    ASSERT_TRUE(WIFEXITED(status));
    EXPECT_EQ(WEXITSTATUS(status), 3);
}

TEST(child_spawner, exec_failure_reports_errno) {
    spawn_request request{{"/nonexistent/llama-server", "--port", "1"}, {}};
    auto child = spawn_child(request);
    ASSERT_FALSE(child);
    EXPECT_EQ(child.error().value(), ENOENT);
    EXPECT_EQ(
        describe_spawn_error(request, child.error()),
        "cannot execute /nonexistent/llama-server: No such file or directory"
    );
    EXPECT_EQ(::waitpid(-1, nullptr, WNOHANG), -1);  // the failed child was reaped
}

TEST(child_spawner, child_leads_its_own_process_group) {
    auto child = spawn_child({{"/bin/sh", "-c", "read line"}, {}});
    ASSERT_TRUE(child);
    EXPECT_EQ(::getpgid(child->pid), child->pid);
    EXPECT_NE(::getpgid(child->pid), ::getpgrp());
    EXPECT_EQ(read_all(child->stdout_fd.get()), "");  // stdin is /dev/null: read ends at once
    reap(child->pid);
}

TEST(child_spawner, applies_environment_overrides) {
    auto child = spawn_child(
        {{"/bin/sh", "-c", "echo \"$SOLAR_SPAWN_TEST\""}, {{"SOLAR_SPAWN_TEST", "hello"}}}
    );
    ASSERT_TRUE(child);
    EXPECT_EQ(read_all(child->stdout_fd.get()), "hello\n");
    reap(child->pid);
}

TEST(child_spawner, child_inherits_only_standard_descriptors) {
    int fds[2];
    ASSERT_EQ(::pipe(fds), 0);  // not close-on-exec: the spawner must still close it
    auto child = spawn_child({{"/bin/sh", "-c", "ls /proc/$$/fd"}, {}});
    ::close(fds[0]);
    ::close(fds[1]);
    ASSERT_TRUE(child);
    EXPECT_EQ(read_all(child->stdout_fd.get()), "0\n1\n2\n");
    reap(child->pid);
}

}  // namespace
}  // namespace solar::host
