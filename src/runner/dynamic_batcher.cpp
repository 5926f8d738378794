// The dynamic batcher's worker: a thread that sleeps on a condition variable, asks plan_batch
// what to do, and runs forward passes outside the lock.
#include <solar/runner/dynamic_batcher.hpp>

#include <boost/asio/error.hpp>
#include <boost/system/system_error.hpp>

#include <algorithm>
#include <stdexcept>

namespace solar::runner {

dynamic_batcher::dynamic_batcher(batch_limits limits, forward_fn forward)
    : limits_(limits), forward_(std::move(forward)) {
    limits_.max_sequences = std::max<std::size_t>(limits_.max_sequences, 1);
    worker_ = std::thread([this] { worker_loop(); });
}

dynamic_batcher::~dynamic_batcher() {
    stop();
    if (worker_.joinable()) worker_.join();
}

std::exception_ptr dynamic_batcher::aborted() {
    return std::make_exception_ptr(boost::system::system_error(asio::error::operation_aborted));
}

void dynamic_batcher::stop() {
    std::lock_guard lock(mutex_);
    stopping_ = true;
    wake_.notify_all();
}

void dynamic_batcher::enqueue(std::shared_ptr<entry> item) {
    {
        std::lock_guard lock(mutex_);
        if (!stopping_) {
            queue_.push_back(std::move(item));
            wake_.notify_all();
            return;
        }
    }
    item->done->complete(aborted(), {});
}

void dynamic_batcher::cancel(const std::shared_ptr<entry>& item) {
    std::lock_guard lock(mutex_);
    item->cancelled = true;
    wake_.notify_all();
}

void dynamic_batcher::worker_loop() {
    std::unique_lock lock(mutex_);
    for (;;) {
        if (stopping_) {
            auto left = std::move(queue_);
            queue_.clear();
            lock.unlock();
            for (auto& item : left) item->done->complete(aborted(), {});
            return;
        }
        std::vector<queued_request> view;
        view.reserve(queue_.size());
        for (const auto& item : queue_) {
            view.push_back({item->job.ids.size(), item->enqueued, item->cancelled.load()});
        }
        auto decision = plan_batch(view, batch_clock::now(), limits_);

        std::vector<std::shared_ptr<entry>> dropped;
        std::vector<std::shared_ptr<entry>> taken;
        for (auto i : decision.drop) dropped.push_back(queue_[i]);
        for (auto i : decision.run) taken.push_back(queue_[i]);
        std::vector<std::size_t> removed = decision.drop;
        removed.insert(removed.end(), decision.run.begin(), decision.run.end());
        std::sort(removed.rbegin(), removed.rend());
        for (auto i : removed) queue_.erase(queue_.begin() + static_cast<std::ptrdiff_t>(i));

        if (!dropped.empty() || !taken.empty()) {
            lock.unlock();
            for (auto& item : dropped) item->done->complete(aborted(), {});
            if (!taken.empty()) run_pass(taken);
            lock.lock();
            continue;
        }
        if (decision.action == batch_action::wait_until) {
            wake_.wait_until(lock, decision.deadline);
        } else {
            wake_.wait(lock);
        }
    }
}

void dynamic_batcher::run_pass(std::vector<std::shared_ptr<entry>>& taken) {
    auto started = batch_clock::now();
    std::vector<std::vector<std::int32_t>> ids;
    std::vector<std::vector<std::int32_t>> type_ids;
    for (auto& item : taken) {
        for (std::size_t s = 0; s < item->job.ids.size(); ++s) {
            ids.push_back(std::move(item->job.ids[s]));
            type_ids.push_back(
                s < item->job.type_ids.size() ? std::move(item->job.type_ids[s])
                                              : std::vector<std::int32_t>(ids.back().size(), 0)
            );
        }
    }
    std::vector<std::vector<float>> rows;
    std::exception_ptr error;
    try {
        // A single request larger than a batch runs as several passes.
        for (std::size_t begin = 0; begin < ids.size(); begin += limits_.max_sequences) {
            auto end = std::min(ids.size(), begin + limits_.max_sequences);
            std::vector<std::vector<std::int32_t>> chunk_ids(
                std::make_move_iterator(ids.begin() + begin),
                std::make_move_iterator(ids.begin() + end)
            );
            std::vector<std::vector<std::int32_t>> chunk_types(
                std::make_move_iterator(type_ids.begin() + begin),
                std::make_move_iterator(type_ids.begin() + end)
            );
            auto out = forward_(chunk_ids, chunk_types);
            ++passes_;
            if (out.size() != chunk_ids.size()) {
                throw std::logic_error(
                    "forward pass returned " + std::to_string(out.size()) + " rows for " +
                    std::to_string(chunk_ids.size()) + " sequences"
                );
            }
            for (auto& row : out) rows.push_back(std::move(row));
        }
    } catch (...) {
        error = std::current_exception();
    }
    auto finished = batch_clock::now();
    double forward_ms = std::chrono::duration<double, std::milli>(finished - started).count();
    std::size_t next = 0;
    for (auto& item : taken) {
        if (error) {
            item->done->complete(error, {});
            continue;
        }
        batch_result result;
        result.forward_ms = forward_ms;
        result.queue_ms =
            std::chrono::duration<double, std::milli>(started - item->enqueued).count();
        result.batch_sequences = ids.size();
        std::size_t count = item->job.ids.size();
        for (std::size_t s = 0; s < count; ++s) result.rows.push_back(std::move(rows[next + s]));
        next += count;
        item->done->complete(nullptr, std::move(result));
    }
}

}  // namespace solar::runner
