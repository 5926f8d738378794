// Polling with a deadline.
#include "harness/wait.hpp"

#include <thread>

namespace solar::test {

bool wait_until(
    const std::function<bool()>& predicate,
    std::chrono::milliseconds timeout,
    std::chrono::milliseconds interval
) {
    auto deadline = std::chrono::steady_clock::now() + timeout;
    for (;;) {
        if (predicate()) return true;
        auto now = std::chrono::steady_clock::now();
        if (now >= deadline) return false;
        std::this_thread::sleep_for(
            std::min<std::chrono::steady_clock::duration>(interval, deadline - now)
        );
    }
}

}  // namespace solar::test
