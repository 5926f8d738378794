// GET /health (public, the seed's exact body) and GET /memory (RAM, and GPUs through NVML).
#include <solar/host/routes.hpp>
#include <solar/host/system_facts.hpp>

#include <memory>

namespace solar::host {

void add_system_routes(core::router& routes) {
    routes.add(
        http::verb::get,
        "/health",
        [](core::request_context& ctx) -> asio::awaitable<core::handler_result> {
            nlohmann::json body{
                {"status", "healthy"}, {"service", "solar-host"}, {"version", "2.0.0"}};
            co_return core::json_response(http::status::ok, body.dump(), ctx.req);
        },
        core::route_options{.public_access = true}
    );
    // NVML is loaded once and kept: nvmlInit costs tens of milliseconds with a driver.
    auto gpus = std::make_shared<nvml_gpus>();
    routes.add(
        http::verb::get,
        "/memory",
        [gpus](core::request_context& ctx) -> asio::awaitable<core::handler_result> {
            auto ram = read_ram_info();
            if (!ram) {
                co_return host_error_response(
                    {core::internal_error("Cannot read /proc/meminfo: " + ram.error().message()),
                     nullptr},
                    ctx.req
                );
            }
            auto body = memory_json(*ram, gpus->snapshot());
            co_return core::json_response(http::status::ok, body.dump(), ctx.req);
        }
    );
}

}  // namespace solar::host
