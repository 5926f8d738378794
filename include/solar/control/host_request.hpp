// Host registry requests: the error type, and validation of POST/PATCH /hosts bodies.
#pragma once

#include <boost/assert/source_location.hpp>
#include <boost/system/error_code.hpp>
#include <boost/system/result.hpp>

#include <nlohmann/json_fwd.hpp>

#include <optional>
#include <string>
#include <string_view>
#include <type_traits>

namespace solar::core {
struct api_error;
}

namespace solar::control {

// Why a host request was refused.
enum class host_errc {
    invalid_body = 1,  // not a JSON object
    missing_field,
    invalid_type,
    invalid_value,
    invalid_url,
    duplicate_url,  // another host already has this URL (after normalisation)
    not_found,
};
const boost::system::error_category& host_category();
boost::system::error_code make_error_code(host_errc e);

// A refusal with the field it concerns ("" when none) and a client-facing message that starts
// with the field, e.g. "url: scheme must be http or https".
struct host_error {
    host_errc code = host_errc::invalid_value;
    std::string field;
    std::string message;
};

// Lets result<T, host_error>::value() throw; found by argument-dependent lookup.
[[noreturn]] void throw_exception_from_error(
    const host_error& e, const boost::source_location& loc
);

template <class T>
using host_result = boost::system::result<T, host_error>;

bool is_not_found(const host_error& e);

// The HTTP answer for a refusal: 400 invalid_request_error with param = field and code
// (invalid_url, missing_field, invalid_type, invalid_value, invalid_json), 409 duplicate_url,
// or 404 host_not_found.
core::api_error host_validation_error(const host_error& e);

struct host_create {
    std::string name;
    std::string url;
    std::string api_key;
    std::string ca_file;
};

struct host_patch {
    std::optional<std::string> name;
    std::optional<std::string> url;
    std::optional<std::string> api_key;
    std::optional<std::string> ca_file;  // "" (or JSON null) clears it
};

// The registry's form of a host URL (base_url::to_string()), or invalid_url naming the reason.
host_result<std::string> normalise_host_url(std::string_view text);

// Validates a POST /hosts body: name (non-empty after trimming, at most 200 characters), url
// (http/https with a host; returned normalised), api_key (non-empty, no control characters),
// optional ca_file. Unknown fields are ignored. The error names the first bad field.
host_result<host_create> parse_host_create(const nlohmann::json& body);

// Validates a PATCH /hosts/{id} body: the same rules for whichever fields are present.
host_result<host_patch> parse_host_patch(const nlohmann::json& body);

}  // namespace solar::control

template <>
struct boost::system::is_error_code_enum<solar::control::host_errc> : std::true_type {};
