// A real program started by an integration test: its own process group, its output in a log
// file, every wait bounded, and never a zombie or a stray process left behind.
#pragma once

#include <chrono>
#include <filesystem>
#include <map>
#include <optional>
#include <regex>
#include <string>
#include <sys/types.h>
#include <vector>

namespace solar::test {

class child_process {
public:
    // Runs argv[0] (a path, not searched in PATH) with `argv`, the current environment plus
    // `extra_env` (which overrides), stdout and stderr appended to `log_file`, in a new process
    // group. Throws std::system_error when the program cannot be started (exec errors included).
    child_process(
        std::vector<std::string> argv,
        std::filesystem::path log_file,
        std::map<std::string, std::string> extra_env = {}
    );
    // Kills the whole group and reaps the child.
    ~child_process();
    child_process(const child_process&) = delete;
    child_process& operator=(const child_process&) = delete;

    pid_t pid() const { return pid_; }
    const std::filesystem::path& log_file() const { return log_file_; }

    // Whether the child has not exited yet (reaps it if it has).
    bool running();

    // Waits until a line of the output matches `pattern` (std::regex_search) and returns the
    // match: [0] the matched text, then each group. nullopt when `timeout` passes or the child
    // exits first. Lines already written before the call count.
    std::optional<std::vector<std::string>> wait_for_output_line(
        const std::regex& pattern, std::chrono::milliseconds timeout = std::chrono::seconds(10)
    );

    // Everything the child wrote so far.
    std::string output() const;

    // Waits up to `timeout` for the child to exit by itself; returns whether it did.
    bool wait_for_exit(std::chrono::milliseconds timeout);

    // SIGTERM to the child, up to `grace` to exit, then SIGKILL to the group. Returns the raw
    // wait status (see exit_code and term_signal).
    int terminate(std::chrono::milliseconds grace = std::chrono::seconds(5));

    // SIGKILL to the whole group, then reaps the child.
    void kill();

    // The raw waitpid status once the child was reaped.
    std::optional<int> exit_status() const { return status_; }
    // The exit code if the child exited normally.
    std::optional<int> exit_code() const;
    // The signal that ended the child, if one did.
    std::optional<int> term_signal() const;

private:
    // Reaps the child if it has exited, after killing what is left of its group; true if so.
    bool try_reap();

    pid_t pid_ = -1;
    std::filesystem::path log_file_;
    std::optional<int> status_;
};

}  // namespace solar::test
