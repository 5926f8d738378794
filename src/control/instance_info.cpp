// Tolerant parsing of solar-host instance lists (seed 002 shape, plus optional extras).
#include <solar/control/instance_info.hpp>
#include <solar/core/param_count.hpp>

#include <nlohmann/json.hpp>

#include <algorithm>

namespace solar::control {

namespace {

class instance_list_category_impl : public boost::system::error_category {
public:
    const char* name() const noexcept override { return "solar.control.instance_list"; }
    std::string message(int value) const override {
        switch (static_cast<instance_list_errc>(value)) {
            case instance_list_errc::not_an_instance_list:
                return "instance list is neither an array nor an object with \"instances\"";
        }
        return "unknown instance list error";
    }
};

const nlohmann::json* member(const nlohmann::json& object, const char* key) {
    if (!object.is_object()) return nullptr;
    auto it = object.find(key);
    if (it == object.end() || it->is_null()) return nullptr;
    return &*it;
}

// A string member, else "".
std::string string_member(const nlohmann::json& object, const char* key) {
    const auto* value = member(object, key);
    if (value == nullptr || !value->is_string()) return {};
    return value->get<std::string>();
}

// A TCP port member (1-65535), else 0.
std::uint16_t port_member(const nlohmann::json& object, const char* key) {
    const auto* value = member(object, key);
    if (value == nullptr || !value->is_number_integer()) return 0;
    auto port = value->get<std::int64_t>();
    return port > 0 && port <= 65535 ? static_cast<std::uint16_t>(port) : 0;
}

std::optional<double> number_member(const nlohmann::json& object, const char* key) {
    const auto* value = member(object, key);
    if (value == nullptr || !value->is_number()) return std::nullopt;
    return value->get<double>();
}

// Paths the host says the instance serves, in enum order; unknown paths are ignored.
std::vector<endpoint> reported_endpoints(const nlohmann::json& list) {
    std::vector<endpoint> found;
    for (const auto& item : list) {
        if (!item.is_string()) continue;
        if (auto ep = endpoint_from_path(item.get_ref<const std::string&>())) {
            if (std::find(found.begin(), found.end(), *ep) == found.end()) found.push_back(*ep);
        }
    }
    std::sort(found.begin(), found.end());
    return found;
}

std::optional<instance_info> parse_instance(
    const nlohmann::json& item, const host_ref& host, const std::string& host_address
) {
    if (!item.is_object()) return std::nullopt;
    static const nlohmann::json no_config = nlohmann::json::object();
    const auto* config_member = member(item, "config");
    const auto& config =
        config_member != nullptr && config_member->is_object() ? *config_member : no_config;

    instance_info info;
    info.instance_id = string_member(item, "id");
    info.alias = string_member(config, "alias");
    if (info.alias.empty()) info.alias = string_member(item, "alias");
    if (info.instance_id.empty() || info.alias.empty()) return std::nullopt;

    info.host_id = host.id;
    info.host_name = host.name;
    info.status = string_member(item, "status");
    info.api_key = string_member(config, "api_key");
    // Configurations older than multi-backend support carry no backend_type (seed 002,
    // "Backward Compatibility").
    info.backend_type = string_member(config, "backend_type");
    if (info.backend_type.empty()) info.backend_type = string_member(item, "backend_type");
    if (info.backend_type.empty()) info.backend_type = "llamacpp";

    // The top-level port is the one actually assigned; config.port is only what was asked for.
    info.port = port_member(item, "port");
    if (info.port == 0) info.port = port_member(config, "port");
    if (info.port != 0 && !host_address.empty()) {
        info.base_url = "http://" + host_address + ":" + std::to_string(info.port);
        if (auto parsed = core::parse_base_url(info.base_url)) info.url = std::move(*parsed);
    }

    const auto* listed = member(item, "endpoints");
    info.endpoints = listed != nullptr && listed->is_array()
                         ? reported_endpoints(*listed)
                         : endpoints_for_backend(info.backend_type);

    auto reported = number_member(item, "parameter_count");
    if (!reported) reported = number_member(item, "n_params");
    if (!reported) reported = number_member(config, "parameter_count");
    info.parameter_count = core::effective_parameter_count(reported, info.alias);
    return info;
}

}  // namespace

bool instance_info::routable() const {
    return status == "running" && port != 0 && !base_url.empty() && !endpoints.empty();
}

bool instance_info::serves(endpoint ep) const {
    return std::find(endpoints.begin(), endpoints.end(), ep) != endpoints.end();
}

const boost::system::error_category& instance_list_category() {
    static const instance_list_category_impl category;
    return category;
}

boost::system::error_code make_error_code(instance_list_errc e) {
    return {static_cast<int>(e), instance_list_category()};
}

std::string url_host(std::string_view url) {
    if (auto scheme = url.find("://"); scheme != std::string_view::npos) {
        url.remove_prefix(scheme + 3);
    }
    url = url.substr(0, url.find_first_of("/?#"));
    if (auto at = url.rfind('@'); at != std::string_view::npos) url.remove_prefix(at + 1);
    if (!url.empty() && url.front() == '[') {
        auto close = url.find(']');
        return close == std::string_view::npos ? std::string{}
                                               : std::string(url.substr(0, close + 1));
    }
    return std::string(url.substr(0, url.find(':')));
}

boost::system::result<std::vector<instance_info>> parse_host_instances(
    const nlohmann::json& body, const host_ref& host
) {
    const nlohmann::json* list = &body;
    if (body.is_object()) {
        auto it = body.find("instances");
        if (it == body.end()) return make_error_code(instance_list_errc::not_an_instance_list);
        list = &*it;
    }
    if (!list->is_array()) return make_error_code(instance_list_errc::not_an_instance_list);

    std::string host_address = url_host(host.url);
    std::vector<instance_info> instances;
    instances.reserve(list->size());
    for (const auto& item : *list) {
        if (auto info = parse_instance(item, host, host_address))
            instances.push_back(std::move(*info));
    }
    return instances;
}

}  // namespace solar::control
