// Host registry routes (POST/GET/PATCH/DELETE /hosts) and the instance actions forwarded to hosts.
#include <solar/control/services.hpp>
#include <solar/core/blocking.hpp>
#include <solar/core/json_error.hpp>

#include <nlohmann/json.hpp>

namespace solar::control {

namespace {

std::int64_t unix_now() {
    return std::chrono::duration_cast<std::chrono::seconds>(
               std::chrono::system_clock::now().time_since_epoch()
    )
        .count();
}

core::response host_json(http::status status, const host_record& host, const core::request& req) {
    return core::json_response(status, to_public_json(host).dump(), req);
}

core::api_error host_not_found(std::string_view id) {
    auto error = core::not_found("Host '" + std::string(id) + "' not found", "host_not_found");
    error.param = "host_id";
    return error;
}

// Parses a JSON object body or explains why not.
std::optional<core::api_error> parse_object(const core::request& req, nlohmann::json& out) {
    out = nlohmann::json::parse(req.body(), nullptr, false);
    if (out.is_discarded())
        return core::bad_request("Request body is not valid JSON", std::nullopt, "invalid_json");
    if (!out.is_object())
        return core::bad_request(
            "Request body must be a JSON object", std::nullopt, "invalid_json"
        );
    return std::nullopt;
}

// Sends one request to a registered host with its stored key and returns the answer as is.
asio::awaitable<core::handler_result> forward_to_host(
    control_services& services,
    const host_record& host,
    http::verb method,
    const std::string& path,
    const core::request& req
) {
    auto url = core::parse_base_url(host.url);
    if (!url)
        co_return core::error_response(core::internal_error("Stored host URL is invalid"), req);
    core::request up{method, core::upstream_path(*url, path), 11};
    up.set("x-api-key", host.api_key);
    up.set(http::field::accept, "application/json");
    if (method == http::verb::post) up.set(http::field::content_type, "application/json");
    core::upstream_timeouts timeouts{
        services.config.connect_timeout,
        services.config.first_byte_timeout,
        services.config.idle_timeout};
    core::upstream_target target{*url, host.ca_file};
    auto answer = co_await services.pool.fetch(target, up, timeouts);
    if (!answer) {
        if (answer.error() == core::upstream_errc::first_byte_timeout) {
            co_return core::error_response(
                core::gateway_timeout("Host '" + host.name + "' did not answer in time"), req
            );
        }
        co_return core::error_response(
            core::bad_gateway(
                "Host '" + host.name + "' is unreachable: " + answer.error().message(),
                "host_unreachable"
            ),
            req
        );
    }
    core::response res{static_cast<http::status>(answer->status), req.version()};
    auto type = answer->headers[http::field::content_type];
    res.set(http::field::content_type, type.empty() ? "application/json" : type);
    res.keep_alive(req.keep_alive());
    res.body() = std::move(answer->body);
    res.prepare_payload();
    co_return res;
}

}  // namespace

void add_host_routes(core::router& routes, control_services& services) {
    auto& s = services;

    routes.add(
        http::verb::post,
        "/hosts",
        [&s](core::request_context& ctx) -> asio::awaitable<core::handler_result> {
            nlohmann::json body;
            if (auto error = parse_object(ctx.req, body))
                co_return core::error_response(*error, ctx.req);
            auto parsed = parse_host_create(body);
            if (!parsed)
                co_return core::error_response(host_validation_error(parsed.error()), ctx.req);
            auto created = co_await core::run_blocking(s.db_pool, [&s, &parsed] {
                return s.store.create(*parsed, unix_now());
            });
            if (!created)
                co_return core::error_response(host_validation_error(created.error()), ctx.req);
            // Answer with the host as the first poll saw it (online, instance count).
            co_await s.refresh.refresh_now();
            auto id = created->id;
            auto current =
                co_await core::run_blocking(s.db_pool, [&s, &id] { return s.store.get(id); });
            co_return host_json(http::status::created, current.value_or(*created), ctx.req);
        }
    );

    routes.add(
        http::verb::get,
        "/hosts",
        [&s](core::request_context& ctx) -> asio::awaitable<core::handler_result> {
            auto hosts = co_await core::run_blocking(s.db_pool, [&s] { return s.store.list(); });
            nlohmann::json out = nlohmann::json::array();
            for (const auto& host : hosts) out.push_back(to_public_json(host));
            co_return core::json_response(http::status::ok, out.dump(), ctx.req);
        }
    );

    routes.add(
        http::verb::get,
        "/hosts/{id}",
        [&s](core::request_context& ctx) -> asio::awaitable<core::handler_result> {
            std::string id(ctx.param("id"));
            auto host =
                co_await core::run_blocking(s.db_pool, [&s, &id] { return s.store.get(id); });
            if (!host) co_return core::error_response(host_not_found(id), ctx.req);
            co_return host_json(http::status::ok, *host, ctx.req);
        }
    );

    routes.add(
        http::verb::patch,
        "/hosts/{id}",
        [&s](core::request_context& ctx) -> asio::awaitable<core::handler_result> {
            std::string id(ctx.param("id"));
            nlohmann::json body;
            if (auto error = parse_object(ctx.req, body))
                co_return core::error_response(*error, ctx.req);
            auto patch = parse_host_patch(body);
            if (!patch)
                co_return core::error_response(host_validation_error(patch.error()), ctx.req);
            auto updated = co_await core::run_blocking(s.db_pool, [&s, &id, &patch] {
                return s.store.update(id, *patch, unix_now());
            });
            if (!updated) {
                if (is_not_found(updated.error()))
                    co_return core::error_response(host_not_found(id), ctx.req);
                co_return core::error_response(host_validation_error(updated.error()), ctx.req);
            }
            co_await s.refresh.refresh_now();
            auto current =
                co_await core::run_blocking(s.db_pool, [&s, &id] { return s.store.get(id); });
            co_return host_json(http::status::ok, current.value_or(*updated), ctx.req);
        }
    );

    routes.add(
        http::verb::delete_,
        "/hosts/{id}",
        [&s](core::request_context& ctx) -> asio::awaitable<core::handler_result> {
            std::string id(ctx.param("id"));
            bool removed =
                co_await core::run_blocking(s.db_pool, [&s, &id] { return s.store.remove(id); });
            if (!removed) co_return core::error_response(host_not_found(id), ctx.req);
            co_await s.refresh.refresh_now();
            nlohmann::json body = {{"id", id}, {"deleted", true}, {"message", "Host removed"}};
            co_return core::json_response(http::status::ok, body.dump(), ctx.req);
        }
    );

    routes.add(
        http::verb::get,
        "/hosts/{id}/instances",
        [&s](core::request_context& ctx) -> asio::awaitable<core::handler_result> {
            std::string id(ctx.param("id"));
            auto host =
                co_await core::run_blocking(s.db_pool, [&s, &id] { return s.store.get(id); });
            if (!host) co_return core::error_response(host_not_found(id), ctx.req);
            const std::string path = "/instances";
            co_return co_await forward_to_host(s, *host, http::verb::get, path, ctx.req);
        }
    );

    for (std::string action : {"start", "stop", "restart"}) {
        routes.add(
            http::verb::post,
            "/hosts/{host_id}/instances/{instance_id}/" + action,
            [&s, action](core::request_context& ctx) -> asio::awaitable<core::handler_result> {
                std::string id(ctx.param("host_id"));
                auto host =
                    co_await core::run_blocking(s.db_pool, [&s, &id] { return s.store.get(id); });
                if (!host) co_return core::error_response(host_not_found(id), ctx.req);
                std::string path =
                    "/instances/" + std::string(ctx.param("instance_id")) + "/" + action;
                auto result = co_await forward_to_host(s, *host, http::verb::post, path, ctx.req);
                s.refresh.trigger();  // the instance's routability just changed
                co_return result;
            }
        );
    }
}

}  // namespace solar::control
