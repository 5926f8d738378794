// Polling with a deadline, for conditions the test can only observe from outside a process.
#pragma once

#include <chrono>
#include <functional>

namespace solar::test {

// Calls `predicate` every `interval` until it returns true or `timeout` has passed; returns
// whether it became true. The predicate is always called at least once, and once more at the
// deadline.
bool wait_until(
    const std::function<bool()>& predicate,
    std::chrono::milliseconds timeout = std::chrono::seconds(10),
    std::chrono::milliseconds interval = std::chrono::milliseconds(20)
);

}  // namespace solar::test
