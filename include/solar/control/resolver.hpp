// Alias resolution: which instances may serve a request for `model` on an endpoint.
#pragma once

#include <solar/control/endpoint.hpp>
#include <solar/control/instance_info.hpp>
#include <solar/control/routing_table.hpp>

#include <boost/system/error_code.hpp>
#include <boost/system/result.hpp>

#include <atomic>
#include <cstdint>
#include <span>
#include <string>
#include <string_view>
#include <type_traits>
#include <vector>

namespace solar::control {

enum class errc {
    model_not_found = 1,     // no alias matches the model (404)
    endpoint_not_supported,  // the alias is known but none of its instances serve the endpoint
                             // (400)
    no_running_instance,     // the alias serves the endpoint but nothing is routable now (503)
};

const boost::system::error_category& resolver_category();
boost::system::error_code make_error_code(errc e);

// Everything here points into the routing_table, which must outlive it; resolving copies
// nothing, so that the per-request path does not allocate.
struct resolution {
    std::string_view alias;  // the alias matched, which may differ from the requested model
    // Routable instances of the alias serving the endpoint, in table order; never empty.
    std::span<const instance_info* const> candidates;
    // The candidates' host load cells for pick(); empty when the table has none.
    std::span<const load_tracker::host_load* const> host_slots;
    // The candidates grouped by host, for pick(); nullptr when the table has no host slots.
    const host_groups* candidate_hosts = nullptr;
    std::span<const endpoint> served_endpoints;  // everything the alias serves, in enum order
    // The alias's round-robin cursor for this endpoint, to pass to pick().
    std::atomic<std::uint64_t>* cursor = nullptr;
};

// Details of a failed resolution, for the client message.
struct resolution_failure {
    std::string alias;                       // the alias matched; empty for model_not_found
    std::vector<endpoint> served_endpoints;  // what that alias serves (names them in the 400)
};

// Resolves `model` for endpoint `ep`.
//
// Matching rule:
//  1. An alias equal to `model` is always used when one exists (even if it cannot serve now).
//  2. Otherwise, with prefix_fallback, every alias starting with `model` qualifies; among
//     several the choice is deterministic, each criterion breaking the previous one's ties:
//       a. aliases with a routable instance serving the endpoint first;
//       b. then aliases where `model` ends at a tag boundary (the next character is ':',
//          so "llama3" prefers "llama3:70b" over the shorter "llama3.1");
//       c. then the shortest alias;
//       d. then the lexicographically smallest alias.
//  3. Otherwise the model is not found.
// Failures (errc): model_not_found; endpoint_not_supported when no instance of the matched
// alias serves `ep`; no_running_instance when some do but none is routable. On failure
// `failure`, when given, receives the matched alias and what it serves.
boost::system::result<resolution> resolve(
    const routing_table& table,
    std::string_view model,
    endpoint ep,
    bool prefix_fallback,
    resolution_failure* failure = nullptr
);

}  // namespace solar::control

template <>
struct boost::system::is_error_code_enum<solar::control::errc> : std::true_type {};
