// API key extraction and comparison.
#include <solar/core/api_key.hpp>
#include <solar/core/auth.hpp>

namespace solar::core {

std::string presented_key(const request& req, const std::optional<std::string>& query_key) {
    if (auto it = req.find("x-api-key"); it != req.end()) return std::string(it->value());
    if (auto it = req.find(http::field::authorization); it != req.end()) {
        std::string_view value = it->value();
        constexpr std::string_view scheme = "Bearer ";
        if (value.size() > scheme.size() && value.substr(0, scheme.size()) == scheme) {
            return std::string(value.substr(scheme.size()));
        }
    }
    if (query_key) return *query_key;
    return {};
}

bool key_matches(std::string_view presented, std::string_view configured) {
    if (configured.empty()) return false;  // never run open
    return constant_time_equals(presented, configured);
}

}  // namespace solar::core
