// Compares a daemon's real route table with its OpenAPI document, for the openapi_routes tests
// of solar-control and solar-host: every route documented, every documented operation served,
// the same public routes, the same routes taking ?api_key=, and a self-consistent document.
#pragma once

#include <solar/core/router.hpp>

#include <nlohmann/json.hpp>

#include <cctype>
#include <map>
#include <regex>
#include <set>
#include <string>
#include <utility>
#include <vector>

namespace solar::test {

using operation_key = std::pair<std::string, std::string>;  // {"GET", "/hosts/{id}"}

inline const std::vector<std::string>& openapi_methods() {
    static const std::vector<std::string> methods = {
        "get", "put", "post", "delete", "options", "head", "patch", "trace"};
    return methods;
}

inline std::string upper(std::string text) {
    for (auto& c : text) c = static_cast<char>(std::toupper(static_cast<unsigned char>(c)));
    return text;
}

inline std::string lower(std::string text) {
    for (auto& c : text) c = static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
    return text;
}

// Every (method, pattern) the router serves, with its options.
inline std::map<operation_key, core::route_options> served_operations(const core::router& routes) {
    std::map<operation_key, core::route_options> out;
    for (const auto& route : routes.routes())
        out.emplace(
            operation_key{std::string(core::http::to_string(route.method)), route.pattern},
            route.options
        );
    return out;
}

// Every (method, path template) the document describes, with its operation object.
inline std::map<operation_key, nlohmann::json> documented_operations(const nlohmann::json& doc) {
    std::map<operation_key, nlohmann::json> out;
    for (const auto& [path, item] : doc.at("paths").items()) {
        for (const auto& method : openapi_methods()) {
            if (item.contains(method))
                out.emplace(operation_key{upper(method), path}, item[method]);
        }
    }
    return out;
}

// The parameters of an operation, path-level ones included.
inline std::vector<nlohmann::json> parameters_of(
    const nlohmann::json& doc, const std::string& path, const nlohmann::json& operation
) {
    std::vector<nlohmann::json> out;
    const auto& item = doc.at("paths").at(path);
    for (const auto* source : {&item, &operation}) {
        if (source->contains("parameters"))
            for (const auto& p : source->at("parameters")) out.push_back(p);
    }
    return out;
}

inline bool is_public(const nlohmann::json& doc, const nlohmann::json& operation) {
    const auto& security = operation.contains("security") ? operation["security"] : doc["security"];
    return security.is_array() && security.empty();
}

inline bool takes_query_key(
    const nlohmann::json& doc, const std::string& path, const nlohmann::json& operation
) {
    for (const auto& p : parameters_of(doc, path, operation))
        if (p.value("in", "") == "query" && p.value("name", "") == "api_key") return true;
    return false;
}

// What differs between the routes and the document, one readable line each; empty when
// they agree.
inline std::vector<std::string> compare_routes_with_document(
    const core::router& routes, const nlohmann::json& doc
) {
    std::vector<std::string> problems;
    std::set<operation_key> seen;
    for (const auto& route : routes.routes()) {
        operation_key key{std::string(core::http::to_string(route.method)), route.pattern};
        if (!seen.insert(key).second)
            problems.push_back("registered twice: " + key.first + " " + key.second);
    }
    auto served = served_operations(routes);
    auto documented = documented_operations(doc);
    for (const auto& [key, options] : served) {
        auto found = documented.find(key);
        if (found == documented.end()) {
            problems.push_back("undocumented route: " + key.first + " " + key.second);
            continue;
        }
        const auto& operation = found->second;
        if (options.public_access != is_public(doc, operation)) {
            problems.push_back(
                key.first + " " + key.second + ": the server " +
                (options.public_access ? "needs no key" : "needs the key") +
                ", the document says " + (is_public(doc, operation) ? "public" : "secured")
            );
        }
        if (options.allow_query_key != takes_query_key(doc, key.second, operation)) {
            problems.push_back(
                key.first + " " + key.second + ": the server " +
                (options.allow_query_key ? "accepts" : "refuses") + " ?api_key=, the document " +
                (options.allow_query_key ? "does not list it" : "lists it")
            );
        }
    }
    for (const auto& [key, operation] : documented) {
        if (!served.contains(key))
            problems.push_back("documented but not served: " + key.first + " " + key.second);
    }
    return problems;
}

// Resolves a local "#/a/b" reference; null when it does not resolve.
inline const nlohmann::json* resolve_ref(const nlohmann::json& doc, const std::string& ref) {
    if (ref.rfind("#/", 0) != 0) return nullptr;
    const nlohmann::json* at = &doc;
    std::size_t start = 2;
    while (start <= ref.size()) {
        auto end = ref.find('/', start);
        if (end == std::string::npos) end = ref.size();
        auto part = ref.substr(start, end - start);
        if (!at->is_object() || !at->contains(part)) return nullptr;
        at = &(*at)[part];
        start = end + 1;
    }
    return at;
}

inline void collect_bad_refs(
    const nlohmann::json& doc, const nlohmann::json& node, std::vector<std::string>& problems
) {
    if (node.is_object()) {
        for (const auto& [key, value] : node.items()) {
            if (key == "$ref" && value.is_string()) {
                if (!resolve_ref(doc, value.get<std::string>()))
                    problems.push_back("unresolved $ref " + value.get<std::string>());
            } else if (key == "mapping" && value.is_object()) {
                for (const auto& [name, target] : value.items())
                    if (!resolve_ref(doc, target.get<std::string>()))
                        problems.push_back("unresolved discriminator mapping " + name);
            } else {
                collect_bad_refs(doc, value, problems);
            }
        }
    } else if (node.is_array()) {
        for (const auto& value : node) collect_bad_refs(doc, value, problems);
    }
}

// Problems inside the document itself: OpenAPI 3.1, security schemes for header key and
// bearer, $refs that resolve, path templates whose {params} match the declared path
// parameters, responses on every operation, unique operationIds.
inline std::vector<std::string> check_document(const nlohmann::json& doc) {
    std::vector<std::string> problems;
    if (doc.value("openapi", "") != "3.1.0") problems.push_back("openapi is not 3.1.0");
    const auto* schemes = resolve_ref(doc, "#/components/securitySchemes");
    bool header_key = false;
    bool bearer = false;
    if (schemes) {
        for (const auto& [name, scheme] : schemes->items()) {
            header_key = header_key || (scheme.value("type", "") == "apiKey" &&
                                        scheme.value("in", "") == "header" &&
                                        lower(scheme.value("name", "")) == "x-api-key");
            bearer = bearer ||
                     (scheme.value("type", "") == "http" && scheme.value("scheme", "") == "bearer");
        }
    }
    if (!header_key) problems.push_back("no apiKey security scheme for the X-API-Key header");
    if (!bearer) problems.push_back("no http bearer security scheme");
    if (!doc.contains("security") || doc["security"].empty())
        problems.push_back("no document-wide security requirement");
    collect_bad_refs(doc, doc, problems);

    std::set<std::string> operation_ids;
    static const std::regex template_param(R"(\{([^}/]+)\})");
    for (const auto& [key, operation] : documented_operations(doc)) {
        const auto& [method, path] = key;
        auto where = method + " " + path;
        std::set<std::string> in_template;
        for (std::sregex_iterator it(path.begin(), path.end(), template_param), end; it != end;
             ++it)
            in_template.insert((*it)[1]);
        std::set<std::string> declared;
        for (auto p : parameters_of(doc, path, operation)) {
            if (p.contains("$ref")) {
                const auto* target = resolve_ref(doc, p["$ref"].get<std::string>());
                if (!target) continue;
                p = *target;
            }
            if (p.value("in", "") == "path") {
                declared.insert(p.value("name", ""));
                if (!p.value("required", false))
                    problems.push_back(
                        where + ": path parameter " + p.value("name", "") + " not required"
                    );
            }
        }
        if (in_template != declared)
            problems.push_back(where + ": path parameters do not match the template");
        if (!operation.contains("responses") || operation["responses"].empty())
            problems.push_back(where + ": no responses");
        auto id = operation.value("operationId", "");
        if (id.empty() || !operation_ids.insert(id).second)
            problems.push_back(where + ": missing or duplicate operationId '" + id + "'");
    }
    return problems;
}

}  // namespace solar::test
