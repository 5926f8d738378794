// How solar-host answers errors: FastAPI's {"detail": ...} that clients of the original tool
// read, together with the OpenAI-style "error" object the rest of Solar uses.
#pragma once

#include <solar/core/json_error.hpp>
#include <solar/host/net_types.hpp>

#include <nlohmann/json.hpp>

#include <string>

namespace solar::host {

// An error answer: the client-facing facts plus, for validation errors, FastAPI's list of
// offending fields (null: "detail" is the message).
struct host_failure {
    core::api_error error;
    nlohmann::json detail;
};

// {"detail": detail-or-message, "error": {"message","type","param","code"}}.
std::string host_error_body(const core::api_error& error, const nlohmann::json& detail = nullptr);

// A complete JSON response for the failure, matching the request's version and keep-alive.
core::response host_error_response(const host_failure& failure, const core::request& req);

host_failure instance_not_found(const std::string& id);
host_failure instance_conflict(std::string message, std::string code);

}  // namespace solar::host
