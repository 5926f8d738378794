// generation_config.json's end-of-sequence ids and sampling defaults.
#include <solar/runner/causal_model.hpp>

#include <gtest/gtest.h>

namespace solar::runner {
namespace {

using json = nlohmann::json;

TEST(causal_settings, eos_and_defaults_from_generation_config) {
    decoder_config config;
    config.eos_token_ids = {2};
    auto plain = causal_settings_from(nullptr, config);
    EXPECT_EQ(plain.eos_ids, std::vector<std::int32_t>{2});
    EXPECT_EQ(plain.defaults.sampling.temperature, 1.0);
    auto g = causal_settings_from(
        json::parse(
            R"({"eos_token_id":[7,8],"temperature":0.6,"top_p":0.9,"top_k":20,"max_new_tokens":30})"
        ),
        config
    );
    EXPECT_EQ(g.eos_ids, (std::vector<std::int32_t>{7, 8}));
    EXPECT_EQ(g.defaults.sampling.temperature, 0.6);
    EXPECT_EQ(g.defaults.sampling.top_p, 0.9);
    EXPECT_EQ(g.defaults.sampling.top_k, 20);
    EXPECT_EQ(g.defaults.max_tokens, 30u);
    auto greedy = causal_settings_from(json::parse(R"({"do_sample":false})"), config);
    EXPECT_EQ(greedy.defaults.sampling.temperature, 0.0);
}

}  // namespace
}  // namespace solar::runner
