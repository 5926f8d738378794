// The one place an API error becomes an HTTP status and an OpenAI-shaped JSON body.
#pragma once

#include <solar/core/http_types.hpp>

#include <optional>
#include <string>

namespace solar::core {

// What the client is told; logged text stays apart from it.
struct api_error {
    http::status status = http::status::internal_server_error;
    std::string message;
    std::string type = "server_error";
    std::optional<std::string> param;
    std::optional<std::string> code;
};

// {"error":{"message","type","param","code"}} with nulls where unset.
std::string error_body(const api_error& error);

// A complete JSON response for the error, matching the request's version and keep-alive.
response error_response(const api_error& error, const request& req);

// A JSON response with the given status and already-serialised body.
response json_response(http::status status, std::string body, const request& req);

api_error bad_request(
    std::string message,
    std::optional<std::string> param = std::nullopt,
    std::optional<std::string> code = std::nullopt
);
api_error unauthorized(std::string message = "Invalid or missing API key");
api_error not_found(std::string message, std::optional<std::string> code = "not_found");
api_error method_not_allowed(std::string message);
api_error conflict(std::string message, std::optional<std::string> param, std::string code);
api_error payload_too_large(std::string message);
api_error service_unavailable(std::string message, std::string code);
api_error bad_gateway(std::string message, std::string code = "upstream_error");
api_error gateway_timeout(std::string message);
api_error internal_error(std::string message = "Internal server error");

}  // namespace solar::core
