// Exact and prefix alias matching with the failure classification the proxy reports.
#include <solar/control/resolver.hpp>

#include <algorithm>
#include <tuple>

namespace solar::control {

namespace {

class resolver_category_impl : public boost::system::error_category {
public:
    const char* name() const noexcept override { return "solar.control.resolver"; }
    std::string message(int value) const override {
        switch (static_cast<errc>(value)) {
            case errc::model_not_found:
                return "model not found";
            case errc::endpoint_not_supported:
                return "model does not support the endpoint";
            case errc::no_running_instance:
                return "no running instance of the model";
        }
        return "unknown resolver error";
    }
};

std::size_t index_of(endpoint ep) { return static_cast<std::size_t>(ep); }

// The best prefix match per the rule in resolver.hpp, or an empty view when none.
std::string_view best_prefix_match(
    const routing_table& table, std::string_view model, endpoint ep
) {
    // An empty model would match every alias; the caller rejects it before, but stay strict.
    if (model.empty()) return {};
    std::string_view best;
    // Lower key ranks first: (a) routable, (b) tag boundary, (c) length; (d) falls out of the
    // sorted order of aliases_with_prefix, since only a strictly better key replaces `best`.
    auto rank = [&](std::string_view alias) {
        bool routable = !table.find_entry(alias)->candidates[index_of(ep)].empty();
        bool boundary = alias.size() > model.size() && alias[model.size()] == ':';
        return std::make_tuple(!routable, !boundary, alias.size());
    };
    std::tuple<bool, bool, std::size_t> best_rank{};
    for (auto alias : table.aliases_with_prefix(model)) {
        auto alias_rank = rank(alias);
        if (best.empty() || alias_rank < best_rank) {
            best = alias;
            best_rank = alias_rank;
        }
    }
    return best;
}

}  // namespace

const boost::system::error_category& resolver_category() {
    static const resolver_category_impl category;
    return category;
}

boost::system::error_code make_error_code(errc e) {
    return {static_cast<int>(e), resolver_category()};
}

boost::system::result<resolution> resolve(
    const routing_table& table,
    std::string_view model,
    endpoint ep,
    bool prefix_fallback,
    resolution_failure* failure
) {
    const auto* entry = table.find_entry(model);
    if (entry == nullptr && prefix_fallback) {
        auto best = best_prefix_match(table, model, ep);
        if (!best.empty()) entry = table.find_entry(best);
    }
    if (entry == nullptr) {
        if (failure != nullptr) *failure = {};
        return make_error_code(errc::model_not_found);
    }

    const auto& candidates = entry->candidates[index_of(ep)];
    if (!candidates.empty()) {
        const auto& slots = entry->host_slots[index_of(ep)];
        return resolution{
            entry->alias,
            candidates,
            slots,
            slots.empty() ? nullptr : &entry->candidate_hosts[index_of(ep)],
            entry->served,
            &entry->cursors[index_of(ep)]};
    }
    bool serves = std::find(entry->served.begin(), entry->served.end(), ep) != entry->served.end();
    if (failure != nullptr) *failure = {entry->alias, entry->served};
    return make_error_code(serves ? errc::no_running_instance : errc::endpoint_not_supported);
}

}  // namespace solar::control
