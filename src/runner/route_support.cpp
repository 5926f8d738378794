// The handlers' shared pieces (route_support.hpp).
#include <solar/runner/route_support.hpp>

#include <chrono>

namespace solar::runner {

namespace {

using json = nlohmann::json;

core::response error(const core::request_context& ctx, const core::api_error& e) {
    return core::error_response(e, ctx.req);
}

}  // namespace

// A 503 while loading, a 404 for the other task's endpoint; nullopt when the request may go on.
std::optional<core::response> gate(
    runner_service& s, const core::request_context& ctx, std::optional<runner_task> task
) {
    if (!s.ready()) return error(ctx, core::service_unavailable("Loading model", "model_loading"));
    if (task && *task != s.config().task) {
        return error(
            ctx,
            core::not_found(
                ctx.path + " is not served by a '" + task_name(s.config().task) + "' runner",
                "unsupported_task"
            )
        );
    }
    return std::nullopt;
}

api_result<json> parse_body(const core::request_context& ctx) {
    auto body = json::parse(ctx.req.body(), nullptr, false);
    if (body.is_discarded()) {
        return core::bad_request(
            "The request body is not valid JSON", std::nullopt, "invalid_json"
        );
    }
    if (!body.is_object()) {
        return core::bad_request(
            "The request body must be a JSON object", std::nullopt, "invalid_json"
        );
    }
    return api_result<json>(boost::system::in_place_value, std::move(body));
}

std::string model_name(const runner_service& s, const json& body) {
    auto it = body.find("model");
    if (it != body.end() && it->is_string() && !it->get_ref<const std::string&>().empty()) {
        return it->get<std::string>();
    }
    return s.config().alias;
}

std::int64_t unix_now() {
    return std::chrono::duration_cast<std::chrono::seconds>(
               std::chrono::system_clock::now().time_since_epoch()
    )
        .count();
}

}  // namespace solar::runner
