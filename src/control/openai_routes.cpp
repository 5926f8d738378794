// The OpenAI-compatible surface: model listing and the four proxied endpoints.
#include <solar/control/services.hpp>
#include <solar/core/json_error.hpp>

#include <nlohmann/json.hpp>

namespace solar::control {

namespace {

nlohmann::json model_entry(const model_summary& summary, std::int64_t created) {
    nlohmann::json endpoints = nlohmann::json::array();
    for (auto ep : summary.endpoints) endpoints.push_back(endpoint_path(ep));
    return {
        {"id", summary.alias},
        {"object", "model"},
        {"created", created},
        {"owned_by", "solar"},
        {"endpoints", endpoints},
        {"instances", summary.routable_instances},
        {"hosts", summary.host_names}};
}

}  // namespace

void add_openai_routes(core::router& routes, control_services& services) {
    auto created =
        std::chrono::duration_cast<std::chrono::seconds>(services.started.time_since_epoch())
            .count();

    routes.add(
        http::verb::get,
        "/v1/models",
        [&services, created](core::request_context& ctx) -> asio::awaitable<core::handler_result> {
            auto table = services.registry.snapshot();
            nlohmann::json data = nlohmann::json::array();
            for (const auto& summary : table->model_summaries()) {
                data.push_back(model_entry(summary, created));
            }
            nlohmann::json body = {{"object", "list"}, {"data", data}};
            co_return core::json_response(http::status::ok, body.dump(), ctx.req);
        }
    );

    routes.add(
        http::verb::get,
        "/v1/models/{model}",
        [&services, created](core::request_context& ctx) -> asio::awaitable<core::handler_result> {
            auto table = services.registry.snapshot();
            auto wanted = core::url_decode(ctx.param("model"));
            for (const auto& summary : table->model_summaries()) {
                if (summary.alias == wanted) {
                    co_return core::json_response(
                        http::status::ok, model_entry(summary, created).dump(), ctx.req
                    );
                }
            }
            auto error =
                core::not_found("The model '" + wanted + "' does not exist", "model_not_found");
            error.param = "model";
            co_return core::error_response(error, ctx.req);
        }
    );

    for (auto ep :
         {endpoint::chat_completions,
          endpoint::completions,
          endpoint::embeddings,
          endpoint::classify}) {
        routes.add(
            http::verb::post,
            std::string(endpoint_path(ep)),
            [&services, ep](core::request_context& ctx) -> asio::awaitable<core::handler_result> {
                co_return co_await services.proxy.handle(ctx, ep);
            }
        );
    }
}

}  // namespace solar::control
