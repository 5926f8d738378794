// Route table: (method, path pattern) -> handler; unknown path 404, wrong method 405.
#pragma once

#include <solar/core/request_context.hpp>

#include <functional>
#include <string>
#include <vector>

namespace solar::core {

// A handler answers with a response, or with nullopt when it wrote to the stream itself
// (server-sent events, WebSocket upgrade).
using handler_result = std::optional<response>;
using handler = std::function<asio::awaitable<handler_result>(request_context&)>;

struct route_options {
    bool public_access = false;    // no API key needed (health probes)
    bool allow_query_key = false;  // accept ?api_key= (browsers cannot set WebSocket headers)
};

struct route {
    http::verb method;
    std::string pattern;  // "/hosts/{id}/instances"; a segment in braces captures a parameter
    handler run;
    route_options options;
    std::vector<std::string> segments;
};

struct route_match {
    const route* matched = nullptr;    // null: no route for this method
    bool path_known = false;           // the path exists for another method (405 rather than 404)
    std::vector<std::string> allowed;  // methods allowed on a known path
    route_params params;
};

class router {
public:
    // Registers a route; patterns are matched segment by segment, literal segments exactly.
    void add(http::verb method, std::string pattern, handler run, route_options options = {});

    // Finds the route for a method and a path (without query string).
    route_match match(http::verb method, std::string_view path) const;

    const std::vector<route>& routes() const { return routes_; }

private:
    std::vector<route> routes_;
};

}  // namespace solar::core
