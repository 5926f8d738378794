// Checks shared by the API docs integration tests of both daemons: the real binary serves its
// OpenAPI document and /docs without a key, and answers every documented operation as the
// document says (401 without a key where secured; never "no route" or 405).
#pragma once

#include <gtest/gtest.h>
#include <nlohmann/json.hpp>

#include <cctype>
#include <filesystem>
#include <fstream>
#include <regex>
#include <sstream>
#include <string>

#include "harness/http_client.hpp"

namespace solar::test {

// The document as committed in docs/openapi/, found from this file's path.
inline nlohmann::json committed_document(const std::string& name) {
    auto file = std::filesystem::path(__FILE__).parent_path() / ".." / ".." / "docs" / "openapi" /
                (name + ".json");
    std::ifstream in(file);
    std::stringstream text;
    text << in.rdbuf();
    return nlohmann::json::parse(text.str());
}

// Where the build copied Swagger UI for a daemon binary (see cmake/api_docs.cmake).
inline bool swagger_ui_installed(const std::string& binary) {
    auto dir =
        std::filesystem::path(binary).parent_path() / ".." / "share" / "solar" / "swagger-ui";
    return std::filesystem::exists(dir / "swagger-ui-bundle.js");
}

// A concrete path for a template: each {param} becomes "x", /docs/{file} a real file.
inline std::string concrete_path(const std::string& path) {
    if (path == "/docs/{file}") return "/docs/swagger-ui.css";
    static const std::regex param(R"(\{[^}/]+\})");
    return std::regex_replace(path, param, "x");
}

inline void expect_served_as_documented(unsigned short port, const nlohmann::json& doc) {
    int checked = 0;
    for (const auto& [path, item] : doc.at("paths").items()) {
        for (const auto& [method, operation] : item.items()) {
            auto verb = http::string_to_verb([&] {
                std::string upper = method;
                for (auto& c : upper) c = static_cast<char>(std::toupper(c));
                return upper;
            }());
            if (verb == http::verb::unknown) continue;  // "parameters", "summary", ...
            bool open = operation.contains("security") && operation["security"].empty();
            auto target = concrete_path(path);
            auto answer = http_request("127.0.0.1", port, verb, target);
            auto what = method + " " + target + ": " + answer.body + answer.error;
            ++checked;
            if (open) {
                // Health probes and docs: answered without a key (503: not ready / no assets).
                EXPECT_TRUE(answer.status == 200 || answer.status == 503) << what;
            } else {
                // Authentication runs after routing: a 401 means the route exists.
                EXPECT_EQ(answer.status, 401u) << what;
            }
        }
    }
    EXPECT_GE(checked, 15) << "the document has too few operations to be the real one";
}

}  // namespace solar::test
