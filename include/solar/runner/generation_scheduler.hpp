// Runs a generation_engine on ONE worker thread (the decoder is never called from two threads)
// and takes requests from any thread: submit() queues, the worker admits at its next step.
#pragma once

#include <solar/runner/generation_engine.hpp>

#include <atomic>
#include <condition_variable>
#include <memory>
#include <mutex>
#include <thread>
#include <utility>
#include <vector>

namespace solar::runner {

class generation_scheduler {
public:
    // Starts the worker. `model` and `tokenizer` must outlive the scheduler.
    generation_scheduler(
        decoder_model& model,
        const text_tokenizer& tokenizer,
        std::size_t max_running,
        std::size_t max_length
    );
    // stop(), then joins the worker.
    ~generation_scheduler();
    generation_scheduler(const generation_scheduler&) = delete;
    generation_scheduler& operator=(const generation_scheduler&) = delete;

    // Queues a generation and returns its stream of events. After stop(), the stream holds one
    // finishing event with finish_reason::error.
    std::shared_ptr<generation_stream> submit(generation_request request);

    // Ends every generation with finish_reason::error ("shutting down") after the step in
    // progress, and the worker with them. Thread-safe; idempotent.
    void stop();

    // Wakes the worker to drop cancelled sequences at once (a client that left).
    void poke();

    std::size_t decode_steps() const { return decode_steps_.load(); }

private:
    void worker_loop();

    generation_engine engine_;
    std::mutex mutex_;
    std::condition_variable wake_;
    std::vector<std::pair<std::shared_ptr<generation_stream>, generation_request>> incoming_;
    bool stopping_ = false;
    bool poked_ = false;
    std::atomic<std::size_t> decode_steps_{0};
    std::thread worker_;
};

}  // namespace solar::runner
