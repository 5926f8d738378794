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

bool has_routable_for(const std::vector<instance_info>& instances, endpoint ep) {
    return std::any_of(instances.begin(), instances.end(), [ep](const instance_info& instance) {
        return instance.routable() && instance.serves(ep);
    });
}

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
        bool routable = has_routable_for(*table.find_alias(alias), ep);
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
    std::string_view alias = model;
    const auto* instances = table.find_alias(alias);
    if (instances == nullptr && prefix_fallback) {
        alias = best_prefix_match(table, model, ep);
        if (!alias.empty()) instances = table.find_alias(alias);
    }
    if (instances == nullptr) {
        if (failure != nullptr) *failure = {};
        return make_error_code(errc::model_not_found);
    }

    resolution out;
    out.alias = std::string(alias);
    out.served_endpoints = served_endpoints(*instances);
    for (const auto& instance : *instances) {
        if (instance.routable() && instance.serves(ep)) out.candidates.push_back(&instance);
    }
    if (!out.candidates.empty()) return out;

    bool serves = std::find(out.served_endpoints.begin(), out.served_endpoints.end(), ep) !=
                  out.served_endpoints.end();
    if (failure != nullptr) *failure = {std::move(out.alias), std::move(out.served_endpoints)};
    return make_error_code(serves ? errc::no_running_instance : errc::endpoint_not_supported);
}

}  // namespace solar::control
