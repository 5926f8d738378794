// Unit tests for endpoint paths and the backend-type to endpoint table.
#include <solar/control/endpoint.hpp>

#include <gtest/gtest.h>

namespace solar::control {
namespace {

using endpoints = std::vector<endpoint>;

TEST(endpoint, paths_match_the_openai_routes) {
    EXPECT_EQ(endpoint_path(endpoint::chat_completions), "/v1/chat/completions");
    EXPECT_EQ(endpoint_path(endpoint::completions), "/v1/completions");
    EXPECT_EQ(endpoint_path(endpoint::embeddings), "/v1/embeddings");
    EXPECT_EQ(endpoint_path(endpoint::classify), "/v1/classify");
}

TEST(endpoint, from_path_round_trips_every_endpoint) {
    for (auto ep : all_endpoints) {
        auto parsed = endpoint_from_path(endpoint_path(ep));
        ASSERT_TRUE(parsed.has_value()) << endpoint_path(ep);
        EXPECT_EQ(*parsed, ep);
    }
}

TEST(endpoint, from_path_rejects_other_paths) {
    EXPECT_FALSE(endpoint_from_path("/v1/models").has_value());
    EXPECT_FALSE(endpoint_from_path("").has_value());
    EXPECT_FALSE(endpoint_from_path("/v1/chat/completions/").has_value());
    EXPECT_FALSE(endpoint_from_path("v1/completions").has_value());
    EXPECT_FALSE(endpoint_from_path("/V1/COMPLETIONS").has_value());
}

TEST(endpoint, generative_backends_serve_chat_and_completions) {
    endpoints expected{endpoint::chat_completions, endpoint::completions};
    EXPECT_EQ(endpoints_for_backend("llamacpp"), expected);
    EXPECT_EQ(endpoints_for_backend("huggingface_causal"), expected);
}

TEST(endpoint, classification_backend_serves_classify_only) {
    EXPECT_EQ(endpoints_for_backend("huggingface_classification"), endpoints{endpoint::classify});
}

TEST(endpoint, embedding_backend_serves_embeddings_only) {
    EXPECT_EQ(endpoints_for_backend("huggingface_embedding"), endpoints{endpoint::embeddings});
}

TEST(endpoint, unknown_backend_serves_nothing) {
    EXPECT_TRUE(endpoints_for_backend("vllm").empty());
    EXPECT_TRUE(endpoints_for_backend("").empty());
    EXPECT_TRUE(endpoints_for_backend("LLAMACPP").empty());
}

}  // namespace
}  // namespace solar::control
