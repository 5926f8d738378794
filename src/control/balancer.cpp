// Load bookkeeping and the instance choice; pick() is on every request's path, so it avoids
// allocation and takes the tracker's lock once.
#include <solar/control/balancer.hpp>

#include <boost/container/small_vector.hpp>

#include <algorithm>
#include <limits>
#include <utility>

namespace solar::control {

namespace {

// Beyond this many candidates pick() falls back to the heap; typical aliases have far fewer.
constexpr std::size_t inline_candidates = 32;

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

const instance_info* pick(
    std::span<const instance_info* const> candidates,
    const load_tracker& load,
    std::atomic<std::uint64_t>& round_robin,
    const std::function<bool(const instance_info&)>& skip
) {
    // skip() may take other locks (back-off list), so it runs before the tracker's lock.
    boost::container::small_vector<const instance_info*, inline_candidates> eligible;
    for (const auto* candidate : candidates) {
        if (candidate != nullptr && !(skip && skip(*candidate))) eligible.push_back(candidate);
    }
    if (eligible.empty()) return nullptr;

    boost::container::small_vector<load_tracker::host_load, inline_candidates> loads(eligible.size()
    );
    load.loads_of(
        std::span(eligible.data(), eligible.size()), std::span(loads.data(), loads.size())
    );

    bool any_free =
        std::any_of(loads.begin(), loads.end(), [](const auto& l) { return l.in_flight == 0; });
    double lowest = std::numeric_limits<double>::infinity();
    for (const auto& l : loads) lowest = std::min(lowest, l.parameter_load);
    auto tied = [&](std::size_t i) {
        return any_free ? loads[i].in_flight == 0 : loads[i].parameter_load == lowest;
    };

    std::size_t ties = 0;
    for (std::size_t i = 0; i < eligible.size(); ++i) ties += tied(i) ? 1 : 0;
    std::size_t wanted = round_robin.fetch_add(1, std::memory_order_relaxed) % ties;
    for (std::size_t i = 0; i < eligible.size(); ++i) {
        if (!tied(i)) continue;
        if (wanted == 0) return eligible[i];
        --wanted;
    }
    return nullptr;  // unreachable: ties >= 1 since the minimum is attained
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
