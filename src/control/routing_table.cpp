// Grouping of instances by alias and the per-alias summaries behind GET /v1/models.
#include <solar/control/routing_table.hpp>

#include <algorithm>

namespace solar::control {

routing_table::routing_table(std::vector<instance_info> instances, load_tracker* load)
    : instance_count_(instances.size()) {
    for (auto& instance : instances) {
        auto& entry = by_alias_[instance.alias];
        entry.instances.push_back(std::move(instance));
    }
    // Pointers into `instances` are taken only now that every vector has its final size.
    for (auto& [alias, entry] : by_alias_) {
        entry.alias = alias;
        entry.served = served_endpoints(entry.instances);
        for (auto ep : all_endpoints) {
            auto& list = entry.candidates[static_cast<std::size_t>(ep)];
            for (const auto& instance : entry.instances) {
                if (instance.routable() && instance.serves(ep)) list.push_back(&instance);
            }
            if (load == nullptr) continue;
            auto& slots = entry.host_slots[static_cast<std::size_t>(ep)];
            slots.reserve(list.size());
            for (const auto* instance : list) slots.push_back(load->host_slot(instance->host_id));
            entry.candidate_hosts[static_cast<std::size_t>(ep)] = host_groups::of(slots);
        }
    }
}

const std::vector<instance_info>* routing_table::find_alias(std::string_view alias) const {
    auto it = by_alias_.find(alias);
    return it == by_alias_.end() ? nullptr : &it->second.instances;
}

const alias_entry* routing_table::find_entry(std::string_view alias) const {
    auto it = by_alias_.find(alias);
    return it == by_alias_.end() ? nullptr : &it->second;
}

std::vector<std::string> routing_table::aliases() const {
    std::vector<std::string> out;
    out.reserve(by_alias_.size());
    for (const auto& [alias, entry] : by_alias_) out.push_back(alias);
    return out;
}

std::vector<std::string_view> routing_table::aliases_with_prefix(std::string_view prefix) const {
    std::vector<std::string_view> out;
    for (auto it = by_alias_.lower_bound(prefix);
         it != by_alias_.end() && std::string_view(it->first).starts_with(prefix);
         ++it) {
        out.push_back(it->first);
    }
    return out;
}

std::vector<model_summary> routing_table::model_summaries() const {
    std::vector<model_summary> out;
    for (const auto& [alias, entry] : by_alias_) {
        model_summary summary;
        for (const auto& instance : entry.instances) {
            if (!instance.routable()) continue;
            ++summary.routable_instances;
            summary.host_names.push_back(instance.host_name);
        }
        if (summary.routable_instances == 0) continue;
        summary.alias = alias;
        summary.endpoints = entry.served;
        std::sort(summary.host_names.begin(), summary.host_names.end());
        summary.host_names.erase(
            std::unique(summary.host_names.begin(), summary.host_names.end()),
            summary.host_names.end()
        );
        out.push_back(std::move(summary));
    }
    return out;
}

std::vector<endpoint> served_endpoints(const std::vector<instance_info>& instances) {
    std::vector<endpoint> out;
    for (auto ep : all_endpoints) {
        bool served = std::any_of(instances.begin(), instances.end(), [ep](const auto& instance) {
            return instance.serves(ep);
        });
        if (served) out.push_back(ep);
    }
    return out;
}

}  // namespace solar::control
