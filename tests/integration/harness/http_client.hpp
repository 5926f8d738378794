// Blocking loopback HTTP for tests: one request, one fully read response, bounded by a timeout.
#pragma once

#include <boost/beast/http/verb.hpp>

#include <nlohmann/json.hpp>

#include <chrono>
#include <map>
#include <string>

namespace solar::test {

namespace http = boost::beast::http;

struct http_result {
    unsigned status = 0;                         // 0: no response; `error` says why
    std::map<std::string, std::string> headers;  // names lowercased
    std::string body;
    std::string error;

    // The body parsed as JSON. Throws nlohmann::json::parse_error if it is not JSON.
    nlohmann::json json() const;
    // A header's value by case-insensitive name, "" when absent.
    std::string header(const std::string& name) const;
};

// Sends one request to host:port on a new connection and reads the whole response. Host is
// set, and Content-Type: application/json when there is a body and `headers` has none; entries
// in `headers` override. Never throws for network trouble: status 0 and `error` instead
// (connection refused, reset, or nothing complete within `timeout`).
http_result http_request(
    const std::string& host,
    unsigned short port,
    http::verb method,
    std::string target,
    std::string body = "",
    std::map<std::string, std::string> headers = {},
    std::chrono::milliseconds timeout = std::chrono::seconds(10)
);

}  // namespace solar::test
