// The hand-off of generation events: a mutex-guarded list and at most one waiting coroutine.
#include <solar/runner/generation.hpp>

namespace solar::runner {

namespace {

std::exception_ptr aborted() {
    return std::make_exception_ptr(boost::system::system_error(asio::error::operation_aborted));
}

}  // namespace

const char* finish_reason_name(finish_reason reason) {
    switch (reason) {
        case finish_reason::stop:
            return "stop";
        case finish_reason::length:
            return "length";
        case finish_reason::cancelled:
            return "cancelled";
        case finish_reason::error:
            return "error";
        case finish_reason::none:
            break;
    }
    return "none";
}

void generation_stream::push(generation_event event) {
    std::unique_ptr<waiter> ready;
    std::vector<generation_event> out;
    {
        std::lock_guard lock(mutex_);
        if (event.finish != finish_reason::none) finished_ = true;
        pending_.push_back(std::move(event));
        if (waiter_) {
            ready = std::move(waiter_);
            out = std::exchange(pending_, {});
        }
    }
    if (ready) ready->complete(nullptr, std::move(out));
}

void generation_stream::wait(std::unique_ptr<waiter> w) {
    std::vector<generation_event> out;
    {
        std::lock_guard lock(mutex_);
        if (!cancelled() && pending_.empty() && !finished_) {
            waiter_ = std::move(w);
            return;
        }
        if (!cancelled()) out = std::exchange(pending_, {});
    }
    // Once cancelled, the consumer has stopped listening: whatever arrived is not its concern.
    if (cancelled()) {
        w->complete(aborted(), {});
        return;
    }
    w->complete(nullptr, std::move(out));
}

void generation_stream::cancel() {
    std::unique_ptr<waiter> pending;
    {
        std::lock_guard lock(mutex_);
        cancelled_.store(true, std::memory_order_release);
        pending = std::move(waiter_);
    }
    if (pending) pending->complete(aborted(), {});
}

std::vector<generation_event> generation_stream::take() {
    std::lock_guard lock(mutex_);
    return std::exchange(pending_, {});
}

}  // namespace solar::runner
