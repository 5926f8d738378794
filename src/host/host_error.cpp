// solar-host's error bodies.
#include <solar/host/host_error.hpp>

namespace solar::host {

std::string host_error_body(const core::api_error& error, const nlohmann::json& detail) {
    nlohmann::json body = nlohmann::json::parse(core::error_body(error));
    body["detail"] = detail.is_null() ? nlohmann::json(error.message) : detail;
    return body.dump(-1, ' ', false, nlohmann::json::error_handler_t::replace);
}

core::response host_error_response(const host_failure& failure, const core::request& req) {
    return core::json_response(
        failure.error.status, host_error_body(failure.error, failure.detail), req
    );
}

host_failure instance_not_found(const std::string& id) {
    return {core::not_found("Instance " + id + " not found", "instance_not_found"), nullptr};
}

host_failure instance_conflict(std::string message, std::string code) {
    return {core::conflict(std::move(message), std::nullopt, std::move(code)), nullptr};
}

}  // namespace solar::host
