// One generation as the scheduler runs it: what to generate (generation_request), what comes
// back (generation_event), and the channel between the worker thread and the HTTP coroutine
// (generation_stream). Data flow: src/runner/RUNNER_ARCHITECTURE.md.
#pragma once

#include <solar/runner/posted_completion.hpp>
#include <solar/runner/token_sampler.hpp>

#include <boost/asio/associated_cancellation_slot.hpp>
#include <boost/asio/async_result.hpp>
#include <boost/asio/error.hpp>
#include <boost/asio/use_awaitable.hpp>
#include <boost/system/system_error.hpp>

#include <atomic>
#include <cstdint>
#include <exception>
#include <memory>
#include <mutex>
#include <string>
#include <vector>

namespace solar::runner {

struct generation_request {
    std::vector<std::int32_t> prompt;  // not empty
    sampling_params sampling;
    std::uint64_t seed = 0;
    std::size_t max_tokens = 16;  // at least 1
    std::vector<std::string> stop;
    std::vector<std::int32_t> eos_ids;  // generation ends (reason stop) after one of these
    bool logprobs = false;
    std::size_t top_logprobs = 0;
};

enum class finish_reason { none, stop, length, cancelled, error };

// "stop", "length"; other reasons never reach a client.
const char* finish_reason_name(finish_reason reason);

struct generation_stats {
    std::size_t prompt_tokens = 0;
    double prompt_ms = 0;  // the prefill pass
    std::size_t generated_tokens = 0;
    double decode_ms = 0;  // the batched steps this sequence took part in
    double queue_ms = 0;   // from submission to its prefill
};

// What a sequence produced since the previous event.
struct generation_event {
    std::string text;                   // whole UTF-8 characters, stop strings removed
    std::vector<sampled_token> tokens;  // with logprobs requested: the tokens behind `text`
    finish_reason finish = finish_reason::none;
    generation_stats stats;  // filled on the finishing event
    std::string error;       // finish_reason::error: what the model threw
};

// Worker → coroutine. The worker push()es events (the last one with a finish reason); the
// coroutine awaits next(). cancel() (a client that left, or the coroutine's cancellation)
// tells the worker to drop the sequence at its next step.
class generation_stream {
public:
    // Worker side.
    void push(generation_event event);
    bool cancelled() const { return cancelled_.load(std::memory_order_acquire); }

    // Coroutine side: the events since the last call, at least one, waiting for it; an empty
    // vector once the finishing event was taken. Fails with system_error(operation_aborted)
    // once cancelled, whatever arrived. Await from a local (GCC PR 99576).
    asio::awaitable<std::vector<generation_event>> next();
    // Marks the stream cancelled and fails a pending next(). Thread-safe; idempotent.
    void cancel();
    // What has arrived, without waiting (tests).
    std::vector<generation_event> take();

private:
    using waiter = posted_completion_base<std::exception_ptr, std::vector<generation_event>>;
    void wait(std::unique_ptr<waiter> w);

    std::mutex mutex_;
    std::vector<generation_event> pending_;
    bool finished_ = false;  // the finishing event has been pushed
    std::unique_ptr<waiter> waiter_;
    std::atomic<bool> cancelled_{false};
};

inline asio::awaitable<std::vector<generation_event>> generation_stream::next() {
    return asio::async_initiate<
        const asio::use_awaitable_t<>&,
        void(std::exception_ptr, std::vector<generation_event>)>(
        [this](auto handler) {
            using handler_type = decltype(handler);
            auto slot = asio::get_associated_cancellation_slot(handler);
            if (slot.is_connected()) {
                slot.assign([this](asio::cancellation_type) { cancel(); });
            }
            wait(std::make_unique<posted_completion<
                     handler_type,
                     std::exception_ptr,
                     std::vector<generation_event>>>(std::move(handler)));
        },
        asio::use_awaitable
    );
}

}  // namespace solar::runner
