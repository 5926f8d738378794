// The scheduler's worker: sleeps while idle, otherwise steps the engine back to back; new
// requests are moved into the engine between steps, so they join the running batch.
#include <solar/runner/generation_scheduler.hpp>

namespace solar::runner {

generation_scheduler::generation_scheduler(
    decoder_model& model,
    const text_tokenizer& tokenizer,
    std::size_t max_running,
    std::size_t max_length
)
    : engine_(model, tokenizer, max_running, max_length) {
    worker_ = std::thread([this] { worker_loop(); });
}

generation_scheduler::~generation_scheduler() {
    stop();
    if (worker_.joinable()) worker_.join();
}

std::shared_ptr<generation_stream> generation_scheduler::submit(generation_request request) {
    auto stream = std::make_shared<generation_stream>();
    {
        std::lock_guard lock(mutex_);
        if (!stopping_) {
            incoming_.emplace_back(stream, std::move(request));
            wake_.notify_all();
            return stream;
        }
    }
    generation_event event;
    event.finish = finish_reason::error;
    event.error = "shutting down";
    stream->push(std::move(event));
    return stream;
}

void generation_scheduler::stop() {
    std::lock_guard lock(mutex_);
    stopping_ = true;
    wake_.notify_all();
}

void generation_scheduler::poke() {
    std::lock_guard lock(mutex_);
    poked_ = true;
    wake_.notify_all();
}

void generation_scheduler::worker_loop() {
    for (;;) {
        decltype(incoming_) taken;
        bool stop_now = false;
        {
            std::unique_lock lock(mutex_);
            wake_.wait(lock, [&] {
                return stopping_ || poked_ || !incoming_.empty() || !engine_.idle();
            });
            poked_ = false;
            taken = std::exchange(incoming_, {});
            stop_now = stopping_;
        }
        for (auto& [stream, request] : taken) engine_.add(std::move(stream), std::move(request));
        if (stop_now) {
            engine_.fail_all("shutting down");
            return;
        }
        engine_.step();
        decode_steps_.store(engine_.decode_steps());
    }
}

}  // namespace solar::runner
