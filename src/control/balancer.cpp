// Load bookkeeping and the instance choice; pick() is on every request's path, so it avoids
// allocation and, when a free host is near its cursor, looks at only a few candidates.
#include <solar/control/balancer.hpp>

#include <algorithm>
#include <array>
#include <limits>
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

}  // namespace

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
    const load_tracker& load,
    std::atomic<std::uint64_t>& cursor,
    const std::function<bool(const instance_info&)>& skip
) {
    const std::size_t n = candidates.size();
    if (n == 0) return nullptr;
    const std::size_t start = cursor.load(std::memory_order_relaxed) % n;

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
