// Load bookkeeping and the instance choice; pick() is on every request's path, so it avoids
// allocation and, when a free host is near its cursor, looks at only a few candidates.
#include <solar/control/balancer.hpp>

#include <algorithm>
#include <array>
#include <limits>
#include <unordered_map>
#include <utility>

namespace solar::control {

namespace {

// pick() reads candidates' loads in chunks of 2, 4, 8, ... up to 128 (see there).
constexpr std::size_t first_chunk = 2;
constexpr std::size_t max_chunk = 128;
constexpr std::size_t next(std::size_t chunk) { return std::min(chunk * 2, max_chunk); }

// position % n for a position below 2n, without the division (which dominated a full scan).
constexpr std::size_t wrapped(std::size_t position, std::size_t n) {
    return position >= n ? position - n : position;
}

// With no free host among the first candidates scanned (2 + 4 + 8 + 16), pick() goes on host
// by host when it has host_groups of at most this many hosts (their loads live on its stack).
constexpr std::size_t scanned_before_grouping = 30;
constexpr std::size_t max_grouped_hosts = 256;
// How many candidates pick_by_host() walks in scan order before it merges the tied hosts'.
constexpr std::size_t tied_walk = 32;

// How far after `start` index lies in a circular scan of n candidates.
constexpr std::size_t distance_from(std::size_t start, std::size_t index, std::size_t n) {
    return index >= start ? index - start : index + n - start;
}

// Orders hosts the way pick() prefers them: free first, then by lower parameter load.
bool preferred(const load_tracker::host_load& a, const load_tracker::host_load& b) {
    bool a_free = a.in_flight == 0;
    bool b_free = b.in_flight == 0;
    if (a_free != b_free) return a_free;
    return a.parameter_load < b.parameter_load;
}

// Candidates of a set of tied hosts in scan order, from `already_scanned` candidates after
// start to the end of the scan: a merge of each host's members (ascending indices), each
// rotated to begin at its first member at or after that point.
class tied_hosts_merge {
public:
    tied_hosts_merge(
        const host_groups& groups,
        std::span<const std::uint32_t> tied,
        std::size_t start,
        std::size_t n,
        std::size_t already_scanned
    )
        : groups_(groups),
          tied_(tied),
          from_(wrapped(start + already_scanned, n)),
          n_(n),
          remaining_(n - already_scanned) {
        for (std::size_t t = 0; t < tied_.size(); ++t) {
            auto begin = groups_.members.begin() + groups_.first_member[tied_[t]];
            auto end = groups_.members.begin() + groups_.first_member[tied_[t] + 1];
            auto from = static_cast<std::uint32_t>(from_);
            first_in_scan_[t] =
                static_cast<std::uint32_t>(std::lower_bound(begin, end, from) - begin);
            passed_[t] = 0;
        }
    }

    // The next candidate's index, or n once the scan's end is reached.
    std::size_t next() {
        std::size_t best = tied_.size();
        std::size_t best_index = n_;
        std::size_t best_distance = remaining_;
        for (std::size_t t = 0; t < tied_.size(); ++t) {
            std::uint32_t first = groups_.first_member[tied_[t]];
            std::uint32_t size = groups_.first_member[tied_[t] + 1] - first;
            if (passed_[t] == size) continue;
            std::uint32_t at = first_in_scan_[t] + passed_[t];
            std::size_t index = groups_.members[first + (at >= size ? at - size : at)];
            std::size_t distance = distance_from(from_, index, n_);
            if (distance < best_distance) {
                best = t;
                best_index = index;
                best_distance = distance;
            }
        }
        if (best == tied_.size()) return n_;
        passed_[best] += 1;
        return best_index;
    }

private:
    const host_groups& groups_;
    std::span<const std::uint32_t> tied_;
    std::size_t from_;
    std::size_t n_;
    std::size_t remaining_;  // candidates from from_ to the scan's end
    std::array<std::uint32_t, max_grouped_hosts> first_in_scan_;
    std::array<std::uint32_t, max_grouped_hosts> passed_;
};

// pick()'s choice made from the hosts' loads: the hosts that rank best, and of their
// candidates the first in scan order from start that skip() lets through; when skip() rules
// out all of them, the next best hosts. Sets chosen_index to the candidate's index.
const instance_info* pick_by_host(
    std::span<const instance_info* const> candidates,
    const host_groups& groups,
    const load_tracker& load,
    std::size_t start,
    const std::function<bool(const instance_info&)>& skip,
    std::size_t& chosen_index
) {
    const std::size_t n = candidates.size();
    const std::size_t host_count = groups.hosts.size();
    std::array<load_tracker::host_load, max_grouped_hosts> loads;
    load.loads_of(std::span(groups.hosts), std::span(loads.data(), host_count));
    std::array<bool, max_grouped_hosts> ruled_out{};
    std::array<std::uint32_t, max_grouped_hosts> tied;
    auto take = [&](std::size_t index) {
        const auto* candidate = candidates[index];
        if (candidate == nullptr || (skip && skip(*candidate))) return false;
        chosen_index = index;
        return true;
    };
    for (;;) {
        std::size_t tied_count = 0;
        for (std::size_t h = 0; h < host_count; ++h) {
            if (ruled_out[h]) continue;
            if (tied_count > 0 && preferred(loads[tied[0]], loads[h])) continue;
            if (tied_count > 0 && preferred(loads[h], loads[tied[0]])) tied_count = 0;
            tied[tied_count++] = static_cast<std::uint32_t>(h);
        }
        if (tied_count == 0) return nullptr;
        std::array<bool, max_grouped_hosts> is_tied{};
        for (std::size_t t = 0; t < tied_count; ++t) is_tied[tied[t]] = true;
        // A short walk in scan order finds a tied host's candidate at once when many hosts
        // tie (every host equally busy); the merge, a few steps per tied host, then covers
        // the rest.
        const std::size_t walk = std::min(n, tied_walk);
        for (std::size_t offset = 0; offset < walk; ++offset) {
            std::size_t index = wrapped(start + offset, n);
            if (is_tied[groups.host_of[index]] && take(index)) return candidates[index];
        }
        tied_hosts_merge merge(groups, std::span(tied.data(), tied_count), start, n, walk);
        for (std::size_t index = merge.next(); index < n; index = merge.next()) {
            if (take(index)) return candidates[index];
        }
        for (std::size_t t = 0; t < tied_count; ++t) ruled_out[tied[t]] = true;
    }
}

}  // namespace

host_groups host_groups::of(std::span<const load_tracker::host_load* const> slots) {
    host_groups groups;
    std::unordered_map<const load_tracker::host_load*, std::uint32_t> number;
    auto& host_of = groups.host_of;
    host_of.reserve(slots.size());
    for (const auto* slot : slots) {
        auto [it, added] =
            number.try_emplace(slot, static_cast<std::uint32_t>(groups.hosts.size()));
        if (added) groups.hosts.push_back(slot);
        host_of.push_back(it->second);
    }
    // Counting sort by host: members stay ascending within each host.
    groups.first_member.assign(groups.hosts.size() + 1, 0);
    for (auto h : host_of) groups.first_member[h + 1] += 1;
    for (std::size_t h = 0; h < groups.hosts.size(); ++h) {
        groups.first_member[h + 1] += groups.first_member[h];
    }
    groups.members.resize(slots.size());
    std::vector<std::uint32_t> filled(groups.first_member.begin(), groups.first_member.end() - 1);
    for (std::size_t i = 0; i < host_of.size(); ++i) {
        groups.members[filled[host_of[i]]++] = static_cast<std::uint32_t>(i);
    }
    return groups;
}

load_tracker::lease::lease(lease&& other) noexcept
    : tracker_(std::exchange(other.tracker_, nullptr)),
      host_(std::exchange(other.host_, nullptr)),
      instance_(std::exchange(other.instance_, nullptr)),
      parameter_count_(std::exchange(other.parameter_count_, 0)) {}

load_tracker::lease& load_tracker::lease::operator=(lease&& other) noexcept {
    if (this != &other) {
        release();
        tracker_ = std::exchange(other.tracker_, nullptr);
        host_ = std::exchange(other.host_, nullptr);
        instance_ = std::exchange(other.instance_, nullptr);
        parameter_count_ = std::exchange(other.parameter_count_, 0);
    }
    return *this;
}

void load_tracker::lease::release() {
    if (tracker_ == nullptr) return;
    std::exchange(tracker_, nullptr)->give_back(host_, instance_, parameter_count_);
    host_ = nullptr;
    instance_ = nullptr;
}

load_tracker::lease load_tracker::acquire(const instance_info& instance) {
    std::lock_guard lock(mutex_);
    auto host_it = hosts_.find(instance.host_id);
    if (host_it == hosts_.end()) host_it = hosts_.emplace(instance.host_id, host_load{}).first;
    auto instance_it = instances_.find(instance.instance_id);
    if (instance_it == instances_.end()) {
        instance_it = instances_.emplace(instance.instance_id, 0).first;
    }
    host_it->second.in_flight += 1;
    host_it->second.parameter_load += instance.parameter_count;
    instance_it->second += 1;
    return lease(this, &host_it->second, &instance_it->second, instance.parameter_count);
}

void load_tracker::give_back(host_load* host, int* instance, double parameter_count) {
    std::lock_guard lock(mutex_);
    host->in_flight -= 1;
    // An idle host's load is exactly zero, whatever rounding the sums accumulated.
    host->parameter_load = host->in_flight == 0 ? 0 : host->parameter_load - parameter_count;
    *instance -= 1;
}

load_tracker::host_load load_tracker::load_of(std::string_view host_id) const {
    std::lock_guard lock(mutex_);
    auto it = hosts_.find(host_id);
    return it == hosts_.end() ? host_load{} : it->second;
}

int load_tracker::instance_in_flight(std::string_view instance_id) const {
    std::lock_guard lock(mutex_);
    auto it = instances_.find(instance_id);
    return it == instances_.end() ? 0 : it->second;
}

void load_tracker::loads_of(
    std::span<const instance_info* const> instances, std::span<host_load> out
) const {
    std::lock_guard lock(mutex_);
    for (std::size_t i = 0; i < instances.size() && i < out.size(); ++i) {
        auto it = hosts_.find(instances[i]->host_id);
        out[i] = it == hosts_.end() ? host_load{} : it->second;
    }
}

const load_tracker::host_load* load_tracker::host_slot(std::string_view host_id) {
    std::lock_guard lock(mutex_);
    auto it = hosts_.find(host_id);
    if (it == hosts_.end()) it = hosts_.emplace(std::string(host_id), host_load{}).first;
    return &it->second;
}

void load_tracker::loads_of(std::span<const host_load* const> slots, std::span<host_load> out)
    const {
    std::lock_guard lock(mutex_);
    for (std::size_t i = 0; i < slots.size() && i < out.size(); ++i) out[i] = *slots[i];
}

const instance_info* pick(
    std::span<const instance_info* const> candidates,
    std::span<const load_tracker::host_load* const> host_slots,
    const host_groups* groups,
    const load_tracker& load,
    std::atomic<std::uint64_t>& cursor,
    const std::function<bool(const instance_info&)>& skip
) {
    const std::size_t n = candidates.size();
    if (n == 0) return nullptr;
    const std::size_t start = cursor.load(std::memory_order_relaxed) % n;
    // Host by host only pays where there are fewer hosts than candidates to read.
    const bool by_host = groups != nullptr && groups->members.size() == n &&
                         groups->hosts.size() <= max_grouped_hosts && groups->hosts.size() < n;

    // One circular pass from the cursor, reading host loads in chunks (one tracker lock per
    // chunk) that start small: with a free host near the cursor, the common case, only a few
    // candidates are ever looked at, whatever the alias's size. skip() may take other locks
    // (the back-off list), so it runs outside the tracker's lock, and only for a candidate
    // that would be chosen.
    const bool by_slot = !host_slots.empty() && host_slots.size() == n;
    std::array<const instance_info*, max_chunk> chunk;
    std::array<const load_tracker::host_load*, max_chunk> chunk_slots;
    std::array<load_tracker::host_load, max_chunk> loads;
    const instance_info* best = nullptr;
    std::size_t best_index = 0;
    double best_load = std::numeric_limits<double>::infinity();
    std::size_t chunk_size = first_chunk;
    for (std::size_t offset = 0; offset < n; offset += chunk_size, chunk_size = next(chunk_size)) {
        if (by_host && offset >= scanned_before_grouping) {
            std::size_t index = 0;
            const auto* chosen = pick_by_host(candidates, *groups, load, start, skip, index);
            if (chosen != nullptr) cursor.store(index + 1, std::memory_order_relaxed);
            return chosen;
        }
        std::size_t count = std::min(chunk_size, n - offset);
        for (std::size_t i = 0; i < count; ++i) {
            std::size_t index = wrapped(start + offset + i, n);
            chunk[i] = candidates[index];
            if (by_slot) chunk_slots[i] = host_slots[index];
        }
        if (by_slot) {
            load.loads_of(std::span(chunk_slots.data(), count), std::span(loads.data(), count));
        } else {
            load.loads_of(std::span(chunk.data(), count), std::span(loads.data(), count));
        }
        for (std::size_t i = 0; i < count; ++i) {
            const auto* candidate = chunk[i];
            bool free = loads[i].in_flight == 0;
            // Only a strictly lower load replaces the best so far, so ties go to the first in
            // scan order: the one nearest after the cursor.
            if (candidate == nullptr || (!free && loads[i].parameter_load >= best_load)) continue;
            if (skip && skip(*candidate)) continue;
            std::size_t index = wrapped(start + offset + i, n);
            if (free) {
                cursor.store(index + 1, std::memory_order_relaxed);
                return candidate;
            }
            best = candidate;
            best_index = index;
            best_load = loads[i].parameter_load;
        }
    }
    if (best != nullptr) cursor.store(best_index + 1, std::memory_order_relaxed);
    return best;
}

void backoff_list::mark_failed(
    std::string_view instance_id,
    std::chrono::steady_clock::time_point now,
    std::chrono::milliseconds for_how_long
) {
    auto until = now + for_how_long;
    std::lock_guard lock(mutex_);
    // Failures are rare, so pruning expired entries here keeps the map small at little cost.
    std::erase_if(until_, [now](const auto& entry) { return entry.second <= now; });
    auto it = until_.find(instance_id);
    if (it == until_.end()) {
        until_.emplace(std::string(instance_id), until);
    } else {
        it->second = std::max(it->second, until);
    }
}

bool backoff_list::in_backoff(
    std::string_view instance_id, std::chrono::steady_clock::time_point now
) const {
    std::lock_guard lock(mutex_);
    auto it = until_.find(instance_id);
    return it != until_.end() && now < it->second;
}

}  // namespace solar::control
