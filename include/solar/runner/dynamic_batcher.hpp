// Gathers concurrent requests into shared forward passes on ONE worker thread (the model is
// never called from two threads at once) and hands each request its rows back on the
// executor of the coroutine that awaits them. Data flow: src/runner/RUNNER_ARCHITECTURE.md.
#pragma once

#include <solar/core/http_types.hpp>
#include <solar/runner/batch_plan.hpp>
#include <solar/runner/posted_completion.hpp>

#include <boost/asio/associated_cancellation_slot.hpp>
#include <boost/asio/async_result.hpp>
#include <boost/asio/executor_work_guard.hpp>
#include <boost/asio/post.hpp>
#include <boost/asio/use_awaitable.hpp>

#include <atomic>
#include <condition_variable>
#include <cstdint>
#include <deque>
#include <exception>
#include <functional>
#include <memory>
#include <mutex>
#include <thread>
#include <vector>

namespace solar::runner {

namespace asio = boost::asio;

// The sequences of one request.
struct batch_job {
    std::vector<std::vector<std::int32_t>> ids;
    std::vector<std::vector<std::int32_t>> type_ids;  // same shape as ids
};

// A request's share of a forward pass.
struct batch_result {
    std::vector<std::vector<float>> rows;  // one per sequence of the job, in order
    double queue_ms = 0;                   // from submission to the start of its pass
    double forward_ms = 0;                 // the pass(es) that computed it
    std::size_t batch_sequences = 0;       // sequences in that pass, all requests together
};

class dynamic_batcher {
public:
    // Runs one padded forward pass over ragged sequences; called only on the worker thread.
    using forward_fn = std::function<std::vector<std::vector<float>>(
        const std::vector<std::vector<std::int32_t>>& ids,
        const std::vector<std::vector<std::int32_t>>& type_ids
    )>;

    // Starts the worker thread.
    dynamic_batcher(batch_limits limits, forward_fn forward);
    // stop(), then joins the worker.
    ~dynamic_batcher();
    dynamic_batcher(const dynamic_batcher&) = delete;
    dynamic_batcher& operator=(const dynamic_batcher&) = delete;

    // Queues `job` (its vectors are moved out when the operation starts) and completes with the
    // job's rows once its pass ran. Fails with system_error(operation_aborted) when cancelled
    // (per-operation cancellation, e.g. a client that went away) before its pass started, or
    // when the batcher stops first; rethrows what the forward function threw. Keep `job` alive
    // and await the returned awaitable from a local, not as a temporary (GCC PR 99576).
    asio::awaitable<batch_result> submit(batch_job& job);

    // Fails every queued request with operation_aborted and ends the worker after the pass in
    // progress. Further submissions fail at once. Thread-safe; idempotent.
    void stop();

    // Forward passes run so far (tests and the log).
    std::size_t passes() const { return passes_.load(); }

private:
    using completion_base = posted_completion_base<std::exception_ptr, batch_result>;
    template <typename Handler>
    using completion = posted_completion<Handler, std::exception_ptr, batch_result>;

    struct entry {
        batch_job job;
        batch_clock::time_point enqueued;
        std::atomic<bool> cancelled{false};
        std::unique_ptr<completion_base> done;
    };

    void enqueue(std::shared_ptr<entry> item);
    void cancel(const std::shared_ptr<entry>& item);
    void worker_loop();
    void run_pass(std::vector<std::shared_ptr<entry>>& taken);
    static std::exception_ptr aborted();

    batch_limits limits_;
    forward_fn forward_;
    std::mutex mutex_;
    std::condition_variable wake_;
    std::deque<std::shared_ptr<entry>> queue_;
    bool stopping_ = false;
    std::atomic<std::size_t> passes_{0};
    std::thread worker_;
};

inline asio::awaitable<batch_result> dynamic_batcher::submit(batch_job& job) {
    return asio::
        async_initiate<const asio::use_awaitable_t<>&, void(std::exception_ptr, batch_result)>(
            [this, &job](auto handler) {
                using handler_type = decltype(handler);
                auto item = std::make_shared<entry>();
                item->job = std::move(job);
                item->enqueued = batch_clock::now();
                auto slot = asio::get_associated_cancellation_slot(handler);
                if (slot.is_connected()) {
                    slot.assign([this, weak = std::weak_ptr<entry>(item)](asio::cancellation_type) {
                        if (auto alive = weak.lock()) cancel(alive);
                    });
                }
                item->done = std::make_unique<completion<handler_type>>(std::move(handler));
                enqueue(std::move(item));
            },
            asio::use_awaitable
        );
}

}  // namespace solar::runner
