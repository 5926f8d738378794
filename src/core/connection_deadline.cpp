// One lazily re-armed timer per connection; see connection_deadline.hpp for why.
#include <solar/core/connection_deadline.hpp>

#include <mutex>

namespace solar::core {

// Shared with the pending wait's handler, which may run after the connection is gone. The
// handler runs on the connection's executor, not necessarily the strand of the coroutine that
// sets deadlines (THREADS > 1), hence the lock.
struct connection_deadline::state {
    std::mutex mutex;
    asio::steady_timer timer;
    std::function<void()> on_expiry;
    clock::time_point deadline = clock::time_point::max();
    bool waiting = false;
    bool expired = false;
    bool closed = false;

    state(asio::any_io_executor executor, std::function<void()> callback)
        : timer(std::move(executor)), on_expiry(std::move(callback)) {}

    // Called with the lock held.
    static void wait_until(const std::shared_ptr<state>& self, clock::time_point when) {
        self->waiting = true;
        self->timer.expires_at(when);  // cancels a wait for a later time; its handler ignores it
        self->timer.async_wait([self](const boost::system::error_code& ec) {
            if (ec == asio::error::operation_aborted) return;
            {
                std::lock_guard lock(self->mutex);
                if (self->closed) return;
                self->waiting = false;
                if (self->deadline == clock::time_point::max()) return;  // nothing pending
                if (clock::now() < self->deadline) return wait_until(self, self->deadline);
                self->expired = true;
                self->deadline = clock::time_point::max();
            }
            self->on_expiry();
        });
    }
};

connection_deadline::connection_deadline(
    asio::any_io_executor executor, std::function<void()> on_expiry
)
    : state_(std::make_shared<state>(std::move(executor), std::move(on_expiry))) {}

connection_deadline::~connection_deadline() {
    std::lock_guard lock(state_->mutex);
    state_->closed = true;
    state_->timer.cancel();
}

void connection_deadline::set(std::chrono::milliseconds timeout) {
    auto now = clock::now();
    auto room =
        std::chrono::duration_cast<std::chrono::milliseconds>(clock::time_point::max() - now);
    auto deadline = timeout >= room ? clock::time_point::max() : now + timeout;
    std::lock_guard lock(state_->mutex);
    state_->deadline = deadline;
    state_->expired = false;
    if (deadline == clock::time_point::max()) return;
    // A wait that ends before the deadline will do: it waits again when it wakes early.
    if (!state_->waiting || state_->timer.expiry() > deadline) state::wait_until(state_, deadline);
}

void connection_deadline::clear() {
    std::lock_guard lock(state_->mutex);
    state_->deadline = clock::time_point::max();
}

void connection_deadline::rest() {
    std::lock_guard lock(state_->mutex);
    state_->deadline = clock::time_point::max();
    if (!state_->waiting) return;
    state_->waiting = false;
    state_->timer.cancel();
}

bool connection_deadline::expired() const {
    std::lock_guard lock(state_->mutex);
    return state_->expired;
}

}  // namespace solar::core
