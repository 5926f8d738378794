// The libtorch encoder against a second, independent reference: transformers.js running ONNX
// exports of the same weights (tests/data/models/<model>/transformersjs.json, committed; written
// by tests/reference/transformersjs/generate.sh, so no npm is needed here).
#include <solar/runner/encoder_model.hpp>

#include <gtest/gtest.h>
#include <nlohmann/json.hpp>

#include <memory>
#include <string>
#include <vector>

#include "encoder_reference.hpp"

namespace solar::runner {
namespace {

using namespace encoder_reference;

class transformersjs_test : public ::testing::TestWithParam<std::string> {
protected:
    void SetUp() override {
        golden_ = read_reference(GetParam(), "transformersjs.json");
        batch_ = batch_of(golden_["inputs"]);
        model_ = load_model(GetParam());
        ASSERT_NE(model_, nullptr);
    }

    void report(const std::string& what, double difference) {
        expect_float32_close(GetParam(), "transformers.js " + what, difference);
    }

    // Compares every pooling, raw and normalized, with the golden section's embeddings.
    void compare_embeddings(
        const std::string& what, const nlohmann::json& section, bool one_at_a_time
    ) {
        for (auto how : {pooling::mean, pooling::cls, pooling::last}) {
            for (bool normalize : {false, true}) {
                std::vector<std::vector<float>> rows;
                if (one_at_a_time) {
                    for (std::size_t i = 0; i < batch_.ids.size(); ++i) {
                        rows.push_back(model_->embed(single(batch_, i), how, normalize).at(0));
                    }
                } else {
                    rows = model_->embed(batch_, how, normalize);
                }
                const auto& expected =
                    section["embeddings"][pooling_name(how)][normalize ? "normalized" : "raw"];
                report(
                    what + " " + pooling_name(how) + (normalize ? " normalized" : ""),
                    max_difference(rows, expected)
                );
            }
        }
    }

    nlohmann::json golden_;
    token_batch batch_;
    std::unique_ptr<encoder_model> model_;
};

TEST_P(transformersjs_test, golden_is_from_transformersjs_on_the_sequences_of_expected_json) {
    EXPECT_EQ(golden_["reference"], "transformers.js");
    EXPECT_FALSE(golden_["packages"]["@huggingface/transformers"].get<std::string>().empty());
    auto expected = read_reference(GetParam(), "expected.json");
    EXPECT_EQ(golden_["inputs"], expected["inputs"]);
    EXPECT_EQ(golden_["architecture"], expected["architecture"]);
    EXPECT_EQ(golden_.contains("logits"), model_->description().has_classifier);
    // The padded batch mixes lengths, so masking is exercised.
    ASSERT_GE(batch_.ids.size(), 2u);
    EXPECT_NE(batch_.ids.front().size(), batch_.ids.back().size());
}

TEST_P(transformersjs_test, embeds_each_sequence_alone_as_transformersjs_does) {
    compare_embeddings("embed alone", golden_, true);
}

TEST_P(transformersjs_test, embeds_a_padded_batch_as_transformersjs_does) {
    compare_embeddings("embed batch", golden_["padded_batch"], false);
}

TEST_P(transformersjs_test, classifies_alone_and_in_a_padded_batch_as_transformersjs_does) {
    if (!golden_.contains("logits")) {
        EXPECT_FALSE(model_->description().has_classifier);  // an embedder: nothing to classify
        return;
    }
    std::vector<std::vector<float>> alone;
    for (std::size_t i = 0; i < batch_.ids.size(); ++i) {
        alone.push_back(model_->classify_logits(single(batch_, i)).at(0));
    }
    report("logits alone", max_difference(alone, golden_["logits"]));
    report(
        "logits batch",
        max_difference(model_->classify_logits(batch_), golden_["padded_batch"]["logits"])
    );
}

INSTANTIATE_TEST_SUITE_P(
    models,
    transformersjs_test,
    ::testing::Values(
        "bert_classifier",
        "distilbert_classifier",
        "roberta_classifier",
        "minilm_embedder",
        "xlm_roberta_embedder"
    )
);

}  // namespace
}  // namespace solar::runner
