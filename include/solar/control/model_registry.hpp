// The gateway's routing state: the current routing table, swapped whole by the refresher and
// read by requests, and the load on the hosts it routes to, which outlives every table.
#pragma once

#include <solar/control/balancer.hpp>
#include <solar/control/net_types.hpp>
#include <solar/control/routing_table.hpp>

#include <atomic>
#include <memory>
#include <mutex>

namespace solar::control {

class model_registry {
public:
    model_registry()
        : table_(std::make_shared<const routing_table>(std::vector<instance_info>{})) {}

    // The table as of the last refresh; stays valid for as long as the caller holds it.
    std::shared_ptr<const routing_table> snapshot() const {
        std::lock_guard lock(mutex_);
        return table_;
    }

    void publish(std::shared_ptr<const routing_table> table) {
        std::lock_guard lock(mutex_);
        table_ = std::move(table);
    }

    // Requests in flight per host and instance. Tables built for publish() take their host
    // load cells from here (routing_table's `load`), so it is declared before table_.
    load_tracker& load() { return load_; }

    // Ready once the first refresh has completed (GET /readyz).
    bool ready() const { return ready_.load(); }
    void mark_ready() { ready_.store(true); }

private:
    load_tracker load_;
    mutable std::mutex mutex_;
    std::shared_ptr<const routing_table> table_;
    std::atomic<bool> ready_{false};
};

}  // namespace solar::control
