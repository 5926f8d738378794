// Helpers shared by the encoder tests that compare the libtorch encoder with committed reference
// outputs in tests/data/models/<model>/ (expected.json from torch.nn, transformersjs.json).
#pragma once

#include <solar/runner/encoder_model.hpp>

#include <gtest/gtest.h>
#include <nlohmann/json.hpp>

#include <algorithm>
#include <cmath>
#include <cstdio>
#include <filesystem>
#include <fstream>
#include <memory>
#include <string>
#include <vector>

namespace solar::runner::encoder_reference {

inline const std::filesystem::path models_dir =
    std::filesystem::path(__FILE__).parent_path() / "../../data/models";

// Outputs compared in float32 agree to this absolute difference.
constexpr double float32_tolerance = 1e-4;

// tests/data/models/<model>/<file>, parsed; throws when missing or malformed.
inline nlohmann::json read_reference(const std::string& model, const std::string& file) {
    std::ifstream in(models_dir / model / file);
    return nlohmann::json::parse(in);
}

// The reference's "inputs" ([{ids, type_ids}]) as one ragged batch.
inline token_batch batch_of(const nlohmann::json& inputs) {
    token_batch batch;
    for (const auto& input : inputs) {
        batch.ids.push_back(input["ids"].get<std::vector<std::int32_t>>());
        batch.type_ids.push_back(input["type_ids"].get<std::vector<std::int32_t>>());
    }
    return batch;
}

inline token_batch single(const token_batch& batch, std::size_t i) {
    return {{batch.ids[i]}, {batch.type_ids[i]}};
}

inline const char* pooling_name(pooling how) {
    return how == pooling::mean ? "mean" : how == pooling::cls ? "cls" : "last";
}

// The largest absolute difference; fails when the shapes differ.
inline double max_difference(
    const std::vector<std::vector<float>>& actual, const nlohmann::json& expected
) {
    EXPECT_EQ(actual.size(), expected.size());
    double worst = 0;
    for (std::size_t i = 0; i < std::min(actual.size(), expected.size()); ++i) {
        EXPECT_EQ(actual[i].size(), expected[i].size()) << "row " << i;
        for (std::size_t j = 0; j < std::min(actual[i].size(), expected[i].size()); ++j) {
            worst = std::max(worst, std::abs(actual[i][j] - expected[i][j].get<double>()));
        }
    }
    return worst;
}

// Prints the figure (the READMEs quote these lines) and checks it against float32_tolerance.
inline void expect_float32_close(
    const std::string& model, const std::string& what, double difference
) {
    std::printf("[ max diff ] %s %s: %.3g\n", model.c_str(), what.c_str(), difference);
    EXPECT_LE(difference, float32_tolerance) << model << " " << what;
}

inline std::unique_ptr<encoder_model> load_model(
    const std::string& name, const model_load_options& options = {}
) {
    auto model = encoder_model::load(models_dir / name, options);
    EXPECT_TRUE(model) << model.error();
    return model ? std::move(*model) : nullptr;
}

}  // namespace solar::runner::encoder_reference
