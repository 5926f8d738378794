// The dynamic batcher's grouping decision as a pure function: which queued requests go into
// the next forward pass, which are dropped, or how long to wait for more. No I/O, no clock.
#pragma once

#include <chrono>
#include <cstddef>
#include <optional>
#include <span>
#include <vector>

namespace solar::runner {

using batch_clock = std::chrono::steady_clock;

struct batch_limits {
    std::size_t max_sequences = 32;                                 // sequences per forward pass
    batch_clock::duration max_wait = std::chrono::milliseconds(5);  // from the oldest arrival
};

// One waiting request as the planner sees it.
struct queued_request {
    std::size_t sequences = 1;
    batch_clock::time_point enqueued;
    bool cancelled = false;  // its client went away before it was started
};

enum class batch_action {
    idle,        // nothing to run: sleep until a request arrives
    wait_until,  // a partial batch: wait for more until `deadline` (or an arrival)
    run,         // start a forward pass over `run` now
};

struct batch_decision {
    batch_action action = batch_action::idle;
    std::vector<std::size_t> run;   // queue indices, oldest first
    std::vector<std::size_t> drop;  // cancelled requests to complete as aborted, in any action
    batch_clock::time_point deadline{};
};

// Requests are taken oldest first while their sequences fit in max_sequences; a single request
// larger than that runs alone (the worker splits it into several passes). The batch starts
// when it is full (the next request would not fit, or exactly max_sequences are taken), when the
// oldest request has waited max_wait, and otherwise waits until that moment. Cancelled
// requests are never run; they are always returned in `drop`.
batch_decision plan_batch(
    std::span<const queued_request> queue, batch_clock::time_point now, const batch_limits& limits
);

}  // namespace solar::runner
