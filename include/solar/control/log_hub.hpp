// Thread-safe fan-out of tagged log lines to connected /ws/logs clients, each with a filter
// and a bounded queue, so one slow client can never make the gateway hold unbounded memory.
#pragma once

#include <cstddef>
#include <functional>
#include <memory>
#include <mutex>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

namespace solar::control {

// Which lines a client wants; an unset field matches everything.
struct log_filter {
    std::optional<std::string> host_id;
    std::optional<std::string> instance_id;

    bool matches(std::string_view host, std::string_view instance) const;
};

// Limits of one client's queue. Whichever is reached first counts as "too slow".
struct log_queue_limits {
    std::size_t messages = 1024;
    std::size_t bytes = 8 * 1024 * 1024;
};

// One client's queue. Producers (any thread) offer messages; the client's writer takes them
// in batches. The writer is woken through `wake` only when it asked for more and found none,
// so a busy writer costs producers nothing but a lock.
class log_subscriber {
public:
    // Messages are shared between all clients that receive them.
    using message = std::shared_ptr<const std::string>;

    struct batch {
        std::vector<message> messages;
        // The queue overflowed: the client fell behind and must be disconnected (queued
        // messages were discarded at that moment to release their memory).
        bool overflowed = false;
        bool closed = false;  // the gateway is shutting down
    };

    // `wake` must be cheap and non-blocking (it typically posts to the client's strand); it
    // is called without this subscriber's lock held.
    log_subscriber(log_filter filter, log_queue_limits limits, std::function<void()> wake);

    // Queues a message. Returns false when it was not queued: the subscriber is closed or
    // overflowed, or this message overflows it (which marks it overflowed).
    bool offer(message m);

    // Takes everything queued. If that is nothing and the subscriber is still open, the next
    // offer, overflow or close calls `wake` once.
    batch take();

    // Marks the subscriber closed (gateway shutdown) and wakes a waiting writer.
    void close();

    const log_filter& filter() const { return filter_; }
    std::size_t queued() const;

private:
    void notify_locked(std::unique_lock<std::mutex>& lock);

    const log_filter filter_;
    const log_queue_limits limits_;
    const std::function<void()> wake_;
    mutable std::mutex mutex_;
    std::vector<message> queue_;
    std::size_t queued_bytes_ = 0;
    bool waiting_ = false;
    bool overflowed_ = false;
    bool closed_ = false;
};

class log_hub {
public:
    explicit log_hub(log_queue_limits limits = {}) : limits_(limits) {}

    // Registers a client. After close_all() the new subscriber is already closed.
    std::shared_ptr<log_subscriber> subscribe(log_filter filter, std::function<void()> wake);

    // Removes a client; unknown subscribers are ignored.
    void unsubscribe(const std::shared_ptr<log_subscriber>& subscriber);

    // Offers a message to every client whose filter matches; returns how many queued it.
    std::size_t publish(
        std::string_view host_id, std::string_view instance_id, const log_subscriber::message& m
    );

    // Closes every client, now and in the future (shutdown).
    void close_all();

    std::size_t subscribers() const;

private:
    const log_queue_limits limits_;
    mutable std::mutex mutex_;
    std::vector<std::shared_ptr<log_subscriber>> subscribers_;
    bool closed_ = false;
};

}  // namespace solar::control
