// Segment-by-segment route matching with captured parameters.
#include <solar/core/router.hpp>

namespace solar::core {

namespace {

std::vector<std::string_view> split_path(std::string_view path) {
    std::vector<std::string_view> parts;
    std::size_t start = 0;
    while (start < path.size()) {
        if (path[start] == '/') {
            ++start;
            continue;
        }
        auto end = path.find('/', start);
        if (end == std::string_view::npos) end = path.size();
        parts.push_back(path.substr(start, end - start));
        start = end;
    }
    return parts;
}

bool is_capture(std::string_view segment) {
    return segment.size() > 2 && segment.front() == '{' && segment.back() == '}';
}

bool match_segments(const route& r, const std::vector<std::string_view>& parts, route_params& out) {
    if (r.segments.size() != parts.size()) return false;
    route_params params;
    for (std::size_t i = 0; i < parts.size(); ++i) {
        const auto& segment = r.segments[i];
        if (is_capture(segment)) {
            params.emplace_back(segment.substr(1, segment.size() - 2), std::string(parts[i]));
        } else if (segment != parts[i]) {
            return false;
        }
    }
    out = std::move(params);
    return true;
}

}  // namespace

void router::add(http::verb method, std::string pattern, handler run, route_options options) {
    route r{method, std::move(pattern), std::move(run), options, {}};
    for (auto part : split_path(r.pattern)) r.segments.emplace_back(part);
    routes_.push_back(std::move(r));
}

route_match router::match(http::verb method, std::string_view path) const {
    auto parts = split_path(path);
    route_match result;
    for (const auto& r : routes_) {
        route_params params;
        if (!match_segments(r, parts, params)) continue;
        if (r.method == method) {
            result.matched = &r;
            result.params = std::move(params);
            return result;
        }
        result.path_known = true;
        result.allowed.emplace_back(http::to_string(r.method));
    }
    return result;
}

}  // namespace solar::core
