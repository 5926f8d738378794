// Builds OpenAI-style error bodies and JSON responses.
#include <solar/core/json_error.hpp>

#include <nlohmann/json.hpp>

namespace solar::core {

namespace {

nlohmann::json optional_to_json(const std::optional<std::string>& value) {
    return value ? nlohmann::json(*value) : nlohmann::json(nullptr);
}

api_error make(
    http::status status,
    std::string message,
    std::string type,
    std::optional<std::string> param,
    std::optional<std::string> code
) {
    return api_error{
        status, std::move(message), std::move(type), std::move(param), std::move(code)};
}

}  // namespace

std::string error_body(const api_error& error) {
    nlohmann::json body = {
        {"error",
         {{"message", error.message},
          {"type", error.type},
          {"param", optional_to_json(error.param)},
          {"code", optional_to_json(error.code)}}}};
    return body.dump();
}

response json_response(http::status status, std::string body, const request& req) {
    response res{status, req.version()};
    res.set(http::field::content_type, "application/json");
    res.keep_alive(req.keep_alive());
    res.body() = std::move(body);
    res.prepare_payload();
    return res;
}

response error_response(const api_error& error, const request& req) {
    return json_response(error.status, error_body(error), req);
}

api_error bad_request(
    std::string message, std::optional<std::string> param, std::optional<std::string> code
) {
    return make(
        http::status::bad_request,
        std::move(message),
        "invalid_request_error",
        std::move(param),
        std::move(code)
    );
}

api_error unauthorized(std::string message) {
    return make(
        http::status::unauthorized,
        std::move(message),
        "authentication_error",
        std::nullopt,
        "invalid_api_key"
    );
}

api_error not_found(std::string message, std::optional<std::string> code) {
    return make(
        http::status::not_found,
        std::move(message),
        "invalid_request_error",
        std::nullopt,
        std::move(code)
    );
}

api_error method_not_allowed(std::string message) {
    return make(
        http::status::method_not_allowed,
        std::move(message),
        "invalid_request_error",
        std::nullopt,
        "method_not_allowed"
    );
}

api_error conflict(std::string message, std::optional<std::string> param, std::string code) {
    return make(
        http::status::conflict,
        std::move(message),
        "invalid_request_error",
        std::move(param),
        std::move(code)
    );
}

api_error payload_too_large(std::string message) {
    return make(
        http::status::payload_too_large,
        std::move(message),
        "invalid_request_error",
        std::nullopt,
        "request_too_large"
    );
}

api_error service_unavailable(std::string message, std::string code) {
    return make(
        http::status::service_unavailable,
        std::move(message),
        "service_unavailable",
        std::nullopt,
        std::move(code)
    );
}

api_error bad_gateway(std::string message, std::string code) {
    return make(
        http::status::bad_gateway,
        std::move(message),
        "upstream_error",
        std::nullopt,
        std::move(code)
    );
}

api_error gateway_timeout(std::string message) {
    return make(
        http::status::gateway_timeout,
        std::move(message),
        "timeout_error",
        std::nullopt,
        "upstream_timeout"
    );
}

api_error internal_error(std::string message) {
    return make(
        http::status::internal_server_error,
        std::move(message),
        "server_error",
        std::nullopt,
        "internal_error"
    );
}

}  // namespace solar::core
