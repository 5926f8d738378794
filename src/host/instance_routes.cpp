// /instances: a JSON body in, the manager's answer out; every failure in host_error's shape.
#include <solar/host/host_error.hpp>
#include <solar/host/instance_manager.hpp>
#include <solar/host/routes.hpp>

namespace solar::host {
namespace {

using nlohmann::json;

}  // namespace

core::response answer(const host_result<json>& outcome, const core::request& req, http::status ok) {
    if (!outcome) return host_error_response(outcome.error(), req);
    return core::json_response(
        ok, outcome->dump(-1, ' ', false, json::error_handler_t::replace), req
    );
}

namespace {

// The request body as a JSON object, or the 400/422 to answer.
host_result<json> json_object_body(const core::request& req) {
    auto body = json::parse(req.body(), nullptr, false);
    if (body.is_discarded()) {
        return host_failure{
            core::bad_request("Request body is not valid JSON", std::nullopt, "invalid_json"),
            nullptr};
    }
    if (!body.is_object()) {
        return host_failure{
            core::bad_request("Request body must be a JSON object", std::nullopt, "invalid_json"),
            nullptr};
    }
    return body;
}

using id_action = asio::awaitable<host_result<json>> (instance_manager::*)(const std::string&);

}  // namespace

void add_instance_routes(core::router& routes, instance_manager& manager) {
    routes.add(
        http::verb::post,
        "/instances",
        [&manager](core::request_context& ctx) -> asio::awaitable<core::handler_result> {
            auto body = json_object_body(ctx.req);
            if (!body) co_return answer(body, ctx.req);
            co_return answer(
                co_await manager.create(std::move(*body)), ctx.req, http::status::created
            );
        }
    );
    routes.add(
        http::verb::get,
        "/instances",
        [&manager](core::request_context& ctx) -> asio::awaitable<core::handler_result> {
            co_return answer(manager.list(), ctx.req);
        }
    );
    routes.add(
        http::verb::get,
        "/instances/{id}",
        [&manager](core::request_context& ctx) -> asio::awaitable<core::handler_result> {
            co_return answer(manager.get(std::string(ctx.param("id"))), ctx.req);
        }
    );
    routes.add(
        http::verb::put,
        "/instances/{id}",
        [&manager](core::request_context& ctx) -> asio::awaitable<core::handler_result> {
            auto body = json_object_body(ctx.req);
            if (!body) co_return answer(body, ctx.req);
            std::string id(ctx.param("id"));
            auto updated = co_await manager.update(id, *body);
            co_return answer(updated, ctx.req);
        }
    );
    routes.add(
        http::verb::delete_,
        "/instances/{id}",
        [&manager](core::request_context& ctx) -> asio::awaitable<core::handler_result> {
            std::string id(ctx.param("id"));
            auto removed = co_await manager.remove(id);
            co_return answer(removed, ctx.req);
        }
    );
    const std::pair<const char*, id_action> actions[] = {
        {"start", &instance_manager::start},
        {"stop", &instance_manager::stop},
        {"restart", &instance_manager::restart},
    };
    for (const auto& [name, action] : actions) {
        routes.add(
            http::verb::post,
            std::string("/instances/{id}/") + name,
            [&manager,
             action](core::request_context& ctx) -> asio::awaitable<core::handler_result> {
                std::string id(ctx.param("id"));
                auto outcome = co_await (manager.*action)(id);
                co_return answer(outcome, ctx.req);
            }
        );
    }
    routes.add(
        http::verb::get,
        "/instances/{id}/last-generation",
        [&manager](core::request_context& ctx) -> asio::awaitable<core::handler_result> {
            co_return answer(manager.last_generation(std::string(ctx.param("id"))), ctx.req);
        }
    );
}

}  // namespace solar::host
