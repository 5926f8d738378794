// The current routing table, swapped whole by the refresher and read lock-free-ish by requests.
#pragma once

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

    // Ready once the first refresh has completed (GET /readyz).
    bool ready() const { return ready_.load(); }
    void mark_ready() { ready_.store(true); }

private:
    mutable std::mutex mutex_;
    std::shared_ptr<const routing_table> table_;
    std::atomic<bool> ready_{false};
};

}  // namespace solar::control
