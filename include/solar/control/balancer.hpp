// Load balancing (seed 000 "Routing Behavior"): free hosts first, then the host with the lowest
// active parameter load, round-robin among ties; plus per-instance failure back-off.
#pragma once

#include <solar/control/instance_info.hpp>

#include <atomic>
#include <chrono>
#include <cstdint>
#include <functional>
#include <mutex>
#include <span>
#include <string>
#include <string_view>
#include <unordered_map>
#include <vector>

namespace solar::control {

// Lets unordered maps keyed by std::string be searched with a string_view, without a copy.
struct transparent_string_hash {
    using is_transparent = void;
    std::size_t operator()(std::string_view s) const noexcept {
        return std::hash<std::string_view>{}(s);
    }
};

// Requests in flight per host and instance, and the parameter load per host. Thread-safe; one
// per gateway. Must outlive every lease it hands out.
class load_tracker {
public:
    struct host_load {
        int in_flight = 0;
        double parameter_load = 0;  // sum of parameter counts of the requests in flight
    };

    // One request's share of the load; gives it back exactly once, when destroyed or released.
    class lease {
    public:
        lease() = default;
        lease(lease&& other) noexcept;
        lease& operator=(lease&& other) noexcept;
        lease(const lease&) = delete;
        lease& operator=(const lease&) = delete;
        ~lease() { release(); }

        // Gives the load back now; later calls and the destructor then do nothing.
        void release();
        bool active() const { return tracker_ != nullptr; }

    private:
        friend class load_tracker;
        lease(load_tracker* tracker, host_load* host, int* instance, double parameter_count)
            : tracker_(tracker),
              host_(host),
              instance_(instance),
              parameter_count_(parameter_count) {}

        load_tracker* tracker_ = nullptr;
        host_load* host_ = nullptr;
        int* instance_ = nullptr;
        double parameter_count_ = 0;
    };

    load_tracker() = default;
    load_tracker(const load_tracker&) = delete;
    load_tracker& operator=(const load_tracker&) = delete;

    // Counts one request on the instance: +1 in flight on it and its host, and its
    // parameter_count onto the host's load, until the returned lease ends.
    lease acquire(const instance_info& instance);

    // The host's current load; zero for a host never seen.
    host_load load_of(std::string_view host_id) const;

    // Requests in flight on the instance; zero for an instance never seen.
    int instance_in_flight(std::string_view instance_id) const;

    // out[i] = load of instances[i]'s host, read under one lock so that the loads compared
    // by pick() are consistent. out must be at least as long as instances.
    void loads_of(std::span<const instance_info* const> instances, std::span<host_load> out) const;

    // The host's load cell, created when new. It stays at the same address for the tracker's
    // lifetime, so a routing table resolves its candidates' hosts once, when it is built,
    // and pick() then reads loads without hashing a host id per candidate.
    const host_load* host_slot(std::string_view host_id);

    // out[i] = *slots[i], read under one lock. out must be at least as long as slots.
    void loads_of(std::span<const host_load* const> slots, std::span<host_load> out) const;

private:
    void give_back(host_load* host, int* instance, double parameter_count);

    mutable std::mutex mutex_;
    // Entries are never erased: leases hold pointers to the mapped values, which rehashing
    // leaves in place. One entry per host/instance ever seen is a bounded cost.
    std::unordered_map<std::string, host_load, transparent_string_hash, std::equal_to<>> hosts_;
    std::unordered_map<std::string, int, transparent_string_hash, std::equal_to<>> instances_;
};

// The distinct hosts of one candidate list and which candidates run on each, computed once
// per routing table. With no free host near the cursor, pick() compares loads host by host:
// an alias usually has many instances per host (100 hosts x 20 instances: 100 loads read,
// not 2,000).
struct host_groups {
    std::vector<const load_tracker::host_load*> hosts;  // each distinct host's load cell
    // Host h's candidates are members[first_member[h] .. first_member[h + 1]), ascending.
    std::vector<std::uint32_t> first_member;
    std::vector<std::uint32_t> members;  // candidate indices, grouped by host
    std::vector<std::uint32_t> host_of;  // per candidate: its host's index in hosts

    // Groups candidates by their host load cell; slots[i] is candidate i's. Hosts are
    // numbered in order of first appearance.
    static host_groups of(std::span<const load_tracker::host_load* const> slots);
};

// Chooses one candidate: the first, scanning circularly from index cursor % size, that is on
// a host with nothing in flight; when there is none, the one on the host with the lowest
// parameter load, the first in scan order among equals. The cursor then moves to just after
// the chosen index, which makes the choice among equal candidates round-robin. Candidates for
// which `skip` returns true (already failed this request, or in back-off) are ignored.
// nullptr when no candidate is left. Performs no I/O and no heap allocation; with a free
// host near the cursor it reads only a few candidates' loads, whatever their number.
// host_slots, when not empty, holds each candidate's load_tracker::host_slot (same length
// and order as candidates); loads are then read through it instead of looked up by host id,
// which is what keeps a scan of thousands of busy candidates cheap. groups, when given, must
// be host_groups::of(host_slots): once the first few candidates show no free host, the choice
// is then made from each distinct host's load instead of each candidate's (the same choice).
const instance_info* pick(
    std::span<const instance_info* const> candidates,
    std::span<const load_tracker::host_load* const> host_slots,
    const host_groups* groups,
    const load_tracker& load,
    std::atomic<std::uint64_t>& cursor,
    const std::function<bool(const instance_info&)>& skip = {}
);

// The same choice, reading every load it compares through host_slots.
inline const instance_info* pick(
    std::span<const instance_info* const> candidates,
    std::span<const load_tracker::host_load* const> host_slots,
    const load_tracker& load,
    std::atomic<std::uint64_t>& cursor,
    const std::function<bool(const instance_info&)>& skip = {}
) {
    return pick(candidates, host_slots, nullptr, load, cursor, skip);
}

// The same choice, each candidate's host load looked up by its host id.
inline const instance_info* pick(
    std::span<const instance_info* const> candidates,
    const load_tracker& load,
    std::atomic<std::uint64_t>& cursor,
    const std::function<bool(const instance_info&)>& skip = {}
) {
    return pick(candidates, {}, nullptr, load, cursor, skip);
}

// Instances that recently failed to connect, avoided until their back-off ends. Thread-safe;
// the clock is a parameter so that callers and tests decide what "now" is.
class backoff_list {
public:
    // Avoids the instance until now + for_how_long (never shortening a longer back-off).
    void mark_failed(
        std::string_view instance_id,
        std::chrono::steady_clock::time_point now,
        std::chrono::milliseconds for_how_long
    );

    // True while the instance's back-off has not ended at `now`.
    bool in_backoff(std::string_view instance_id, std::chrono::steady_clock::time_point now) const;

private:
    mutable std::mutex mutex_;
    std::unordered_map<
        std::string,
        std::chrono::steady_clock::time_point,
        transparent_string_hash,
        std::equal_to<>>
        until_;
};

}  // namespace solar::control
