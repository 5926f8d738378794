// GET /openapi.json, GET /docs and its Swagger UI files; everything is in memory after startup.
#include <solar/core/api_docs.hpp>

#include <nlohmann/json.hpp>

#include <fstream>
#include <map>
#include <memory>
#include <optional>
#include <sstream>
#include <stdexcept>
#include <system_error>

namespace solar::core {

namespace {

struct asset {
    std::string content_type;
    std::string body;
};

struct docs_state {
    std::string document;
    std::string page;  // the /docs HTML; empty when the assets are missing
    std::string missing_message;
    std::map<std::string, asset, std::less<>> assets;
    std::function<std::string(const api_error&)> error_body;
};

std::string_view content_type_for(std::string_view name) {
    if (name.ends_with(".css")) return "text/css; charset=utf-8";
    if (name.ends_with(".js")) return "application/javascript; charset=utf-8";
    if (name.ends_with(".png")) return "image/png";
    return "application/octet-stream";
}

std::optional<std::string> read_file(const std::filesystem::path& path) {
    std::ifstream in(path, std::ios::binary);
    if (!in) return std::nullopt;
    std::ostringstream text;
    text << in.rdbuf();
    if (in.bad()) return std::nullopt;
    return std::move(text).str();
}

std::string html_escape(std::string_view text) {
    std::string out;
    for (char c : text) {
        switch (c) {
            case '&':
                out += "&amp;";
                break;
            case '<':
                out += "&lt;";
                break;
            case '>':
                out += "&gt;";
                break;
            case '"':
                out += "&quot;";
                break;
            case '\'':
                out += "&#39;";
                break;
            default:
                out += c;
        }
    }
    return out;
}

// FastAPI's page, with the document and Swagger UI's files served by the daemon itself (no
// CDN). BaseLayout: no top bar with a URL box, the page documents this daemon only.
std::string docs_page(std::string_view title) {
    auto escaped = html_escape(title);
    return R"(<!DOCTYPE html>
<html lang="en">
<head>
<meta charset="utf-8">
<meta name="viewport" content="width=device-width, initial-scale=1">
<title>)" + escaped +
           R"( - Swagger UI</title>
<link rel="stylesheet" type="text/css" href="/docs/swagger-ui.css">
<link rel="icon" type="image/png" href="/docs/favicon-32x32.png" sizes="32x32">
<link rel="icon" type="image/png" href="/docs/favicon-16x16.png" sizes="16x16">
</head>
<body>
<div id="swagger-ui"></div>
<script src="/docs/swagger-ui-bundle.js" charset="UTF-8"></script>
<script src="/docs/swagger-ui-standalone-preset.js" charset="UTF-8"></script>
<script>
window.ui = SwaggerUIBundle({
  url: "/openapi.json",
  dom_id: "#swagger-ui",
  deepLinking: true,
  showExtensions: true,
  presets: [SwaggerUIBundle.presets.apis, SwaggerUIStandalonePreset],
  layout: "BaseLayout"
});
</script>
</body>
</html>
)";
}

response static_response(const asset& file, const request& req) {
    response res{http::status::ok, req.version()};
    res.set(http::field::content_type, file.content_type);
    // The files change only with a rebuild; an hour keeps reloads cheap and upgrades visible.
    res.set(http::field::cache_control, "public, max-age=3600");
    res.set("x-content-type-options", "nosniff");
    res.keep_alive(req.keep_alive());
    res.body() = file.body;
    res.prepare_payload();
    return res;
}

}  // namespace

std::filesystem::path default_swagger_ui_dir(std::filesystem::path executable) {
    if (executable.empty()) {
        std::error_code ec;
        executable = std::filesystem::read_symlink("/proc/self/exe", ec);
    }
    auto dir = executable.parent_path();
    const std::filesystem::path candidates[] = {
        (dir / ".." / "share" / "solar" / "swagger-ui").lexically_normal(), dir / "swagger-ui"};
    for (const auto& candidate : candidates) {
        std::error_code ec;
        if (std::filesystem::is_regular_file(candidate / "swagger-ui-bundle.js", ec))
            return candidate;
    }
    return candidates[0];
}

void add_api_docs_routes(router& routes, std::string document, const api_docs_options& options) {
    auto parsed = nlohmann::json::parse(document, nullptr, false);
    if (parsed.is_discarded() || !parsed.is_object())
        throw std::invalid_argument("the OpenAPI document is not a JSON object");

    auto state = std::make_shared<docs_state>();
    state->document = std::move(document);
    state->error_body = options.error_body;
    std::vector<std::string> missing;
    for (auto name : swagger_ui_files) {
        auto body = read_file(options.assets_dir / name);
        if (!body) {
            missing.emplace_back(name);
            continue;
        }
        state->assets.emplace(
            std::string(name), asset{std::string(content_type_for(name)), std::move(*body)}
        );
    }
    // The favicons are a nicety; the page cannot work without the other three.
    bool usable = true;
    for (const auto& name : missing) usable = usable && name.starts_with("favicon");
    if (usable) {
        std::string title = "API";
        if (parsed.contains("info") && parsed["info"].contains("title") &&
            parsed["info"]["title"].is_string())
            title = parsed["info"]["title"].get<std::string>();
        state->page = docs_page(title);
    } else {
        state->missing_message =
            "The API docs page is unavailable: the Swagger UI files are not installed in " +
            options.assets_dir.string() +
            " (build with npm available: npm ci --prefix docs/swagger-ui, then rebuild). The "
            "OpenAPI document is served at /openapi.json.";
    }

    route_options open{.public_access = true};
    routes.add(
        http::verb::get,
        "/openapi.json",
        [state](request_context& ctx) -> asio::awaitable<handler_result> {
            co_return json_response(http::status::ok, state->document, ctx.req);
        },
        open
    );
    routes.add(
        http::verb::get,
        "/docs",
        [state](request_context& ctx) -> asio::awaitable<handler_result> {
            if (state->page.empty()) {
                auto error = service_unavailable(state->missing_message, "docs_unavailable");
                co_return json_response(error.status, state->error_body(error), ctx.req);
            }
            co_return static_response(asset{"text/html; charset=utf-8", state->page}, ctx.req);
        },
        open
    );
    routes.add(
        http::verb::get,
        "/docs/{file}",
        [state](request_context& ctx) -> asio::awaitable<handler_result> {
            auto found = state->assets.find(ctx.param("file"));
            if (found == state->assets.end()) {
                auto error = not_found("No such docs file: " + std::string(ctx.param("file")));
                co_return json_response(error.status, state->error_body(error), ctx.req);
            }
            co_return static_response(found->second, ctx.req);
        },
        open
    );
}

}  // namespace solar::core
