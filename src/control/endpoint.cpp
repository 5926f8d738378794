// Endpoint paths and the backend-type table from the solar-host README (seed 002).
#include <solar/control/endpoint.hpp>

namespace solar::control {

std::string_view endpoint_path(endpoint ep) {
    switch (ep) {
        case endpoint::chat_completions:
            return "/v1/chat/completions";
        case endpoint::completions:
            return "/v1/completions";
        case endpoint::embeddings:
            return "/v1/embeddings";
        case endpoint::classify:
            return "/v1/classify";
    }
    return {};
}

std::optional<endpoint> endpoint_from_path(std::string_view path) {
    for (auto ep : all_endpoints) {
        if (endpoint_path(ep) == path) return ep;
    }
    return std::nullopt;
}

std::vector<endpoint> endpoints_for_backend(std::string_view backend_type) {
    if (backend_type == "llamacpp" || backend_type == "huggingface_causal") {
        return {endpoint::chat_completions, endpoint::completions};
    }
    if (backend_type == "huggingface_classification") return {endpoint::classify};
    if (backend_type == "huggingface_embedding") return {endpoint::embeddings};
    return {};
}

}  // namespace solar::control
