// Base URLs of hosts and instances: parsed once, validated, and kept in one normalised form.
#pragma once

#include <boost/system/error_code.hpp>
#include <boost/system/result.hpp>

#include <cstdint>
#include <string>
#include <string_view>
#include <type_traits>

namespace solar::core {

// Why a text is not an acceptable base URL.
enum class url_errc {
    empty = 1,
    bad_scheme,  // anything but http or https
    missing_host,
    bad_port,  // 0, above 65535, or not a number
    has_query_or_fragment,
    userinfo_not_allowed,  // credentials belong in api_key, never in the URL
    malformed,
};
const boost::system::error_category& url_category();
boost::system::error_code make_error_code(url_errc e);

// The client-facing explanation of a url_errc, e.g. "scheme must be http or https".
std::string url_errc_message(url_errc e);

// An http(s) origin plus an optional path prefix, e.g. https://[::1]:8443/solar.
struct base_url {
    std::string scheme;       // "http" or "https", lowercase
    std::string host;         // lowercase name or IP literal, IPv6 without brackets
    std::uint16_t port = 0;   // always set: 80 / 443 when the text omitted it
    std::string path_prefix;  // "" or "/something", without trailing slash

    bool is_tls() const { return scheme == "https"; }
    // host:port, with brackets around an IPv6 literal; also the value of a Host header.
    std::string authority() const;
    // The same, appended to `out` (no temporary string on the proxy's hot path).
    void append_authority(std::string& out) const;
    // scheme://authority + prefix, no trailing slash; equal texts mean the same endpoint.
    std::string to_string() const;

    friend bool operator==(const base_url&, const base_url&) = default;
};

// Parses and normalises an absolute http(s) URL (surrounding whitespace ignored). Fails with a
// url_errc when the text is empty, not http(s), lacks a host, has a bad port, carries a query,
// fragment or user info, or is otherwise not a URL.
boost::system::result<base_url> parse_base_url(std::string_view text);

}  // namespace solar::core

template <>
struct boost::system::is_error_code_enum<solar::core::url_errc> : std::true_type {};
