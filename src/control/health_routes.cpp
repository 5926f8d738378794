// GET /health, /healthz (liveness) and /readyz (database open and first refresh done).
#include <solar/control/services.hpp>
#include <solar/core/json_error.hpp>

#include <nlohmann/json.hpp>

namespace solar::control {

void add_health_routes(core::router& routes, control_services& services) {
    core::route_options open{.public_access = true};
    routes.add(
        http::verb::get,
        "/health",
        [](core::request_context& ctx) -> asio::awaitable<core::handler_result> {
            nlohmann::json body = {
                {"status", "healthy"}, {"service", "solar-control"}, {"version", SOLAR_VERSION}};
            co_return core::json_response(http::status::ok, body.dump(), ctx.req);
        },
        open
    );
    routes.add(
        http::verb::get,
        "/healthz",
        [](core::request_context& ctx) -> asio::awaitable<core::handler_result> {
            co_return core::json_response(http::status::ok, R"({"status":"alive"})", ctx.req);
        },
        open
    );
    routes.add(
        http::verb::get,
        "/readyz",
        [&services](core::request_context& ctx) -> asio::awaitable<core::handler_result> {
            if (!services.registry.ready()) {
                co_return core::error_response(
                    core::service_unavailable(
                        "The first registry refresh has not finished", "not_ready"
                    ),
                    ctx.req
                );
            }
            co_return core::json_response(http::status::ok, R"({"status":"ready"})", ctx.req);
        },
        open
    );
}

}  // namespace solar::control
