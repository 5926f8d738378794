// One model instance as the gateway sees it, parsed from a solar-host's GET /instances body.
#pragma once

#include <solar/control/endpoint.hpp>
#include <solar/core/url.hpp>

#include <boost/system/error_code.hpp>
#include <boost/system/result.hpp>

#include <nlohmann/json_fwd.hpp>

#include <cstdint>
#include <optional>
#include <string>
#include <type_traits>
#include <vector>

namespace solar::control {

// A registered host, as far as instance parsing needs it.
struct host_ref {
    std::string id;
    std::string name;
    std::string url;  // base URL of the host, e.g. http://127.0.0.1:8001
};

struct instance_info {
    std::string host_id;
    std::string host_name;
    std::string instance_id;
    std::string alias;
    std::string backend_type;
    std::string status;  // as reported: running, stopped, starting, failed...
    // "http://<host address from host_ref.url>:<port>"; empty while the port is unknown.
    // Instances are always plain http, even behind an https host API.
    std::string base_url;
    // base_url parsed, set with it by parse_host_instances: the proxy needs its parts on every
    // request. Instances built otherwise (tests) leave it empty and are parsed when used.
    std::optional<core::base_url> url;
    std::string api_key;     // the instance's own key (config.api_key), may be empty
    std::uint16_t port = 0;  // 0: unknown
    std::vector<endpoint> endpoints;
    double parameter_count = 1;

    // Running, reachable (port known) and serving at least one endpoint.
    bool routable() const;

    bool serves(endpoint ep) const;
};

// Why a host's instance list could not be read at all (single bad entries are skipped).
enum class instance_list_errc {
    not_an_instance_list = 1,  // neither an array nor {"instances": [...]}
};

const boost::system::error_category& instance_list_category();
boost::system::error_code make_error_code(instance_list_errc e);

// The instances in a host's GET /instances body: a JSON array, or an object whose "instances"
// member is one. Entries without an id or alias are skipped; see instance_info.cpp for the
// accepted fields. Fails with not_an_instance_list when the body has neither shape.
boost::system::result<std::vector<instance_info>> parse_host_instances(
    const nlohmann::json& body, const host_ref& host
);

// The host part of a base URL as it goes into another URL: "10.0.0.5", "gpu1.lan", "[::1]";
// empty when there is none.
std::string url_host(std::string_view url);

}  // namespace solar::control

template <>
struct boost::system::is_error_code_enum<solar::control::instance_list_errc> : std::true_type {};
