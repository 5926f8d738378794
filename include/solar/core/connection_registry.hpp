// Tracks open connections so a graceful shutdown can close idle ones and wait for busy ones.
#pragma once

#include <solar/core/http_types.hpp>

#include <atomic>
#include <chrono>
#include <functional>
#include <list>
#include <memory>
#include <mutex>

namespace solar::core {

// One connection's shutdown-relevant state; owned by the registry, used by its session.
class connection_slot : public std::enable_shared_from_this<connection_slot> {
public:
    enum class phase { idle, busy, long_lived };

    explicit connection_slot(asio::any_io_executor executor) : executor_(std::move(executor)) {}

    // The session is waiting for a request (closable at once) or serving one (let it finish).
    void set_phase(phase p) { phase_.store(p); }
    phase current_phase() const { return phase_.load(); }

    // Waiting for a request until `deadline`: past it, close_if_idle_past closes the
    // connection. A plain store, where a timer per read would cost a timer queue insertion,
    // a cancellation and a completion through the scheduler on every request.
    void set_idle(std::chrono::steady_clock::time_point deadline) {
        idle_deadline_.store(deadline.time_since_epoch().count(), std::memory_order_relaxed);
        set_phase(phase::idle);
    }
    // Closes the connection if it is still idle and its deadline is before `now` by then.
    void close_if_idle_past(std::chrono::steady_clock::time_point now);

    // How to close this connection from outside; runs on the connection's executor.
    void set_closer(std::function<void()> closer);
    // Closes the connection; unless forced, only when it is idle by then, or long-lived and
    // `long_lived` is set.
    void close(bool force, bool long_lived = true);

private:
    asio::any_io_executor executor_;
    bool idle_past(std::chrono::steady_clock::time_point now) const;
    std::function<void()> current_closer();

    std::atomic<phase> phase_{phase::idle};
    std::atomic<std::chrono::steady_clock::rep> idle_deadline_{
        std::chrono::steady_clock::time_point::max().time_since_epoch().count()};
    std::mutex mutex_;
    std::function<void()> closer_;
};

class connection_registry {
public:
    using handle = std::list<std::shared_ptr<connection_slot>>::iterator;

    handle add(std::shared_ptr<connection_slot> slot);
    void remove(handle h);
    std::size_t size() const;

    // Closes connections that are idle, and long-lived ones (WebSockets) unless `long_lived`
    // is false; busy ones are left to finish.
    void close_idle(bool long_lived = true);
    // Closes everything (end of the grace period).
    void close_all();
    // Closes the connections idle past their deadline.
    void close_idle_past(std::chrono::steady_clock::time_point now);

private:
    mutable std::mutex mutex_;
    std::list<std::shared_ptr<connection_slot>> slots_;
};

}  // namespace solar::core
