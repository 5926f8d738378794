// Bounded per-client log queues and the hub that fans lines out to them.
#include <solar/control/log_hub.hpp>

#include <algorithm>

namespace solar::control {

bool log_filter::matches(std::string_view host, std::string_view instance) const {
    if (host_id && *host_id != host) return false;
    if (instance_id && *instance_id != instance) return false;
    return true;
}

log_subscriber::log_subscriber(
    log_filter filter, log_queue_limits limits, std::function<void()> wake
)
    : filter_(std::move(filter)), limits_(limits), wake_(std::move(wake)) {}

void log_subscriber::notify_locked(std::unique_lock<std::mutex>& lock) {
    if (!waiting_) return;  // the writer is busy and will call take() again by itself
    waiting_ = false;
    lock.unlock();
    if (wake_) wake_();
}

bool log_subscriber::offer(message m) {
    std::unique_lock lock(mutex_);
    if (closed_ || overflowed_) return false;
    std::size_t size = m ? m->size() : 0;
    // An empty queue always takes one message, however large: it is in memory already.
    bool full = queue_.size() >= limits_.messages ||
                (!queue_.empty() && queued_bytes_ + size > limits_.bytes);
    if (full) {
        // Dropping single lines would silently corrupt the client's view of the log; a client
        // this far behind is disconnected instead, and told why.
        overflowed_ = true;
        queue_.clear();
        queue_.shrink_to_fit();
        queued_bytes_ = 0;
        notify_locked(lock);
        return false;
    }
    queue_.push_back(std::move(m));
    queued_bytes_ += size;
    notify_locked(lock);
    return true;
}

log_subscriber::batch log_subscriber::take() {
    std::lock_guard lock(mutex_);
    batch out;
    out.overflowed = overflowed_;
    out.closed = closed_;
    out.messages.swap(queue_);
    queued_bytes_ = 0;
    waiting_ = out.messages.empty() && !overflowed_ && !closed_;
    return out;
}

void log_subscriber::close() {
    std::unique_lock lock(mutex_);
    if (closed_) return;
    closed_ = true;
    notify_locked(lock);
}

std::size_t log_subscriber::queued() const {
    std::lock_guard lock(mutex_);
    return queue_.size();
}

std::shared_ptr<log_subscriber> log_hub::subscribe(log_filter filter, std::function<void()> wake) {
    auto subscriber = std::make_shared<log_subscriber>(std::move(filter), limits_, std::move(wake));
    std::lock_guard lock(mutex_);
    if (closed_) {
        subscriber->close();
    } else {
        subscribers_.push_back(subscriber);
    }
    return subscriber;
}

void log_hub::unsubscribe(const std::shared_ptr<log_subscriber>& subscriber) {
    std::lock_guard lock(mutex_);
    std::erase(subscribers_, subscriber);
}

std::size_t log_hub::publish(
    std::string_view host_id, std::string_view instance_id, const log_subscriber::message& m
) {
    std::lock_guard lock(mutex_);
    std::size_t delivered = 0;
    for (const auto& subscriber : subscribers_) {
        if (subscriber->filter().matches(host_id, instance_id) && subscriber->offer(m)) {
            ++delivered;
        }
    }
    return delivered;
}

void log_hub::close_all() {
    std::lock_guard lock(mutex_);
    closed_ = true;
    for (const auto& subscriber : subscribers_) subscriber->close();
}

std::size_t log_hub::subscribers() const {
    std::lock_guard lock(mutex_);
    return subscribers_.size();
}

}  // namespace solar::control
