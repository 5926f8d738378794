// Connection bookkeeping for graceful shutdown.
#include <solar/core/connection_registry.hpp>

#include <boost/asio/post.hpp>

namespace solar::core {

void connection_slot::set_closer(std::function<void()> closer) {
    std::lock_guard lock(mutex_);
    closer_ = std::move(closer);
}

std::function<void()> connection_slot::current_closer() {
    // A copy, so that the closer runs without the lock (it may take others).
    std::lock_guard lock(mutex_);
    return closer_;
}

void connection_slot::close(bool force, bool long_lived) {
    // Sockets are not thread-safe: close on the connection's own strand, deciding there.
    asio::post(executor_, [self = shared_from_this(), force, long_lived] {
        auto closer = self->current_closer();
        auto now = self->current_phase();
        bool closable = now == phase::idle || (now == phase::long_lived && long_lived);
        if (closer && (force || closable)) closer();
    });
}

bool connection_slot::idle_past(std::chrono::steady_clock::time_point now) const {
    return current_phase() == phase::idle &&
           idle_deadline_.load(std::memory_order_relaxed) < now.time_since_epoch().count();
}

void connection_slot::close_if_idle_past(std::chrono::steady_clock::time_point now) {
    if (!idle_past(now)) return;
    // Checked again on the connection's strand: it may have started on a request meanwhile.
    asio::post(executor_, [self = shared_from_this(), now] {
        auto closer = self->current_closer();
        if (closer && self->idle_past(now)) closer();
    });
}

connection_registry::handle connection_registry::add(std::shared_ptr<connection_slot> slot) {
    std::lock_guard lock(mutex_);
    slots_.push_front(std::move(slot));
    return slots_.begin();
}

void connection_registry::remove(handle h) {
    std::lock_guard lock(mutex_);
    slots_.erase(h);
}

std::size_t connection_registry::size() const {
    std::lock_guard lock(mutex_);
    return slots_.size();
}

void connection_registry::close_idle(bool long_lived) {
    std::lock_guard lock(mutex_);
    for (auto& slot : slots_) {
        slot->close(false, long_lived);
    }
}

void connection_registry::close_idle_past(std::chrono::steady_clock::time_point now) {
    std::lock_guard lock(mutex_);
    for (auto& slot : slots_) slot->close_if_idle_past(now);
}

void connection_registry::close_all() {
    std::lock_guard lock(mutex_);
    for (auto& slot : slots_) slot->close(true);
}

}  // namespace solar::core
