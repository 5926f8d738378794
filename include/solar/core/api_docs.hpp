// A daemon's API documentation routes: its OpenAPI document at GET /openapi.json and Swagger UI
// at GET /docs, both public, the page's own files served from a directory read at startup.
#pragma once

#include <solar/core/json_error.hpp>
#include <solar/core/router.hpp>

#include <filesystem>
#include <functional>
#include <string>
#include <string_view>

namespace solar::core {

// The swagger-ui-dist files /docs needs, as named in the npm package and served under /docs/.
inline constexpr std::string_view swagger_ui_files[] = {
    "swagger-ui.css",
    "swagger-ui-bundle.js",
    "swagger-ui-standalone-preset.js",
    "favicon-32x32.png",
    "favicon-16x16.png"};

struct api_docs_options {
    // Where the swagger-ui files are; when they are missing /docs answers 503.
    std::filesystem::path assets_dir;
    // The JSON body of the 503 (solar-host adds its "detail" member).
    std::function<std::string(const api_error&)> error_body = core::error_body;
};

// Where the build puts Swagger UI for a program at `executable`: the first of
// <exe dir>/../share/solar/swagger-ui and <exe dir>/swagger-ui that holds swagger-ui-bundle.js,
// else the first of them (so the 503 names where the files were expected). An empty
// `executable` means this process (/proc/self/exe).
std::filesystem::path default_swagger_ui_dir(std::filesystem::path executable = {});

// Registers GET /openapi.json (the document as given), GET /docs (the Swagger UI page, with
// an Authorize button for the document's security schemes) and GET /docs/{file} (one of
// swagger_ui_files), all public. The asset files are read here, once, so that no request
// touches the disk. Throws std::invalid_argument when the document is not a JSON object.
void add_api_docs_routes(router& routes, std::string document, const api_docs_options& options);

}  // namespace solar::core
