// The dynamic batcher's grouping decision.
#include <solar/runner/batch_plan.hpp>

namespace solar::runner {

batch_decision plan_batch(
    std::span<const queued_request> queue, batch_clock::time_point now, const batch_limits& limits
) {
    batch_decision out;
    std::size_t taken = 0;
    bool full = false;
    std::optional<batch_clock::time_point> oldest;
    for (std::size_t i = 0; i < queue.size(); ++i) {
        const auto& item = queue[i];
        if (item.cancelled) {
            out.drop.push_back(i);
            continue;
        }
        if (full) continue;
        if (!oldest) oldest = item.enqueued;
        std::size_t size = std::max<std::size_t>(item.sequences, 1);
        if (!out.run.empty() && taken + size > limits.max_sequences) {
            full = true;  // the next request does not fit: the batch cannot grow
            continue;
        }
        out.run.push_back(i);
        taken += size;
        if (taken >= limits.max_sequences) full = true;
    }
    if (out.run.empty()) {
        out.action = batch_action::idle;
        return out;
    }
    auto deadline = *oldest + limits.max_wait;
    if (full || now >= deadline) {
        out.action = batch_action::run;
        return out;
    }
    out.action = batch_action::wait_until;
    out.deadline = deadline;
    out.run.clear();
    return out;
}

}  // namespace solar::runner
