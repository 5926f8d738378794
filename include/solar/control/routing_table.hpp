// Immutable snapshot of every known instance, grouped by alias; rebuilt on each refresh.
#pragma once

#include <solar/control/balancer.hpp>
#include <solar/control/endpoint.hpp>
#include <solar/control/instance_info.hpp>

#include <array>
#include <atomic>
#include <cstdint>
#include <functional>
#include <map>
#include <string>
#include <string_view>
#include <vector>

namespace solar::control {

// One entry of GET /v1/models.
struct model_summary {
    std::string alias;
    std::vector<endpoint> endpoints;      // union over the alias's instances, in enum order
    std::size_t routable_instances = 0;   // instances that can take a request now
    std::vector<std::string> host_names;  // hosts with a routable instance, sorted, unique
};

// Everything a request's routing needs about one alias, computed once per table so that the
// per-request path does no scan and no allocation.
struct alias_entry {
    std::string alias;
    std::vector<instance_info> instances;  // every instance, routable or not, in input order
    std::vector<endpoint> served;          // what they serve, routable or not, in enum order
    // Per endpoint (indexed by its enum value): the routable instances serving it, in order.
    std::array<std::vector<const instance_info*>, all_endpoints.size()> candidates;
    // Per endpoint, parallel to candidates: each one's host load cell in the gateway's
    // load_tracker, for pick(); empty when the table was built without a tracker.
    std::array<std::vector<const load_tracker::host_load*>, all_endpoints.size()> host_slots;
    // Per endpoint: host_groups::of(host_slots), for pick(); empty without a tracker.
    std::array<host_groups, all_endpoints.size()> candidate_hosts;
    // Per endpoint: where the balancer's next round-robin scan starts (pick() advances it).
    mutable std::array<std::atomic<std::uint64_t>, all_endpoints.size()> cursors{};
};

class routing_table {
public:
    // Keeps every instance, routable or not, so that a known alias with nothing running can
    // be told apart from an unknown one. Instances keep their input order within an alias.
    // With `load`, each candidate's host load cell is resolved now (see alias_entry).
    explicit routing_table(std::vector<instance_info> instances, load_tracker* load = nullptr);

    // All instances with exactly this alias, or nullptr when the alias is unknown.
    // The pointer stays valid for the table's lifetime.
    const std::vector<instance_info>* find_alias(std::string_view alias) const;

    // The alias's precomputed routing entry, or nullptr when the alias is unknown.
    const alias_entry* find_entry(std::string_view alias) const;

    // Every known alias, sorted.
    std::vector<std::string> aliases() const;

    // One summary per alias with at least one routable instance, sorted by alias.
    std::vector<model_summary> model_summaries() const;

    // The aliases starting with `prefix` (including an exact match), sorted.
    std::vector<std::string_view> aliases_with_prefix(std::string_view prefix) const;

    std::size_t instance_count() const { return instance_count_; }

private:
    // Ordered so that aliases() is sorted and prefix lookups are a range scan.
    std::map<std::string, alias_entry, std::less<>> by_alias_;
    std::size_t instance_count_ = 0;
};

// What the alias's instances serve, routable or not, in enum order.
std::vector<endpoint> served_endpoints(const std::vector<instance_info>& instances);

}  // namespace solar::control
