// The libtorch encoder against reference outputs of an independent torch.nn implementation
// (tests/data/models/generate.py), for every architecture, head and pooling.
#include <solar/runner/encoder_model.hpp>

#include <gtest/gtest.h>
#include <nlohmann/json.hpp>

#include <ATen/Parallel.h>
#include <algorithm>
#include <cmath>
#include <cstdio>
#include <cstdlib>
#include <fstream>
#include <stdexcept>
#include <thread>

#include "encoder_reference.hpp"

namespace solar::runner {
namespace {

using namespace encoder_reference;

nlohmann::json read_expected(const std::string& model) {
    return read_reference(model, "expected.json");
}

class reference_test : public ::testing::TestWithParam<std::string> {
protected:
    void SetUp() override {
        expected_ = read_expected(GetParam());
        batch_ = batch_of(expected_["inputs"]);
        model_ = load_model(GetParam());
        ASSERT_NE(model_, nullptr);
    }

    void report(const std::string& what, double difference) {
        expect_float32_close(GetParam(), what, difference);
    }

    nlohmann::json expected_;
    token_batch batch_;
    std::unique_ptr<encoder_model> model_;
};

TEST_P(reference_test, describes_the_model) {
    const auto& d = model_->description();
    EXPECT_EQ(d.architecture, expected_["architecture"].get<std::string>());
    EXPECT_EQ(d.dtype, "float32");
    EXPECT_EQ(d.device, "cpu");
    EXPECT_GT(d.parameter_count, 1000u);
    EXPECT_EQ(d.has_classifier, expected_.contains("logits"));
    if (expected_.contains("labels")) {
        EXPECT_EQ(d.labels, expected_["labels"].get<std::vector<std::string>>());
    }
    EXPECT_EQ(
        static_cast<std::size_t>(d.hidden_size), expected_["embeddings"]["cls"]["raw"][0].size()
    );
}

TEST_P(reference_test, embeds_each_sequence_alone_as_the_reference_does) {
    for (auto how : {pooling::mean, pooling::cls, pooling::last}) {
        const char* name = pooling_name(how);
        for (bool normalize : {false, true}) {
            std::vector<std::vector<float>> rows;
            for (std::size_t i = 0; i < batch_.ids.size(); ++i) {
                rows.push_back(model_->embed(single(batch_, i), how, normalize).at(0));
            }
            const auto& expected = expected_["embeddings"][name][normalize ? "normalized" : "raw"];
            report(
                std::string("embed alone ") + name + (normalize ? " normalized" : ""),
                max_difference(rows, expected)
            );
        }
    }
}

TEST_P(reference_test, embeds_a_padded_batch_as_the_reference_does_unpadded) {
    for (auto how : {pooling::mean, pooling::cls, pooling::last}) {
        const char* name = pooling_name(how);
        for (bool normalize : {false, true}) {
            auto rows = model_->embed(batch_, how, normalize);
            const auto& expected = expected_["embeddings"][name][normalize ? "normalized" : "raw"];
            report(
                std::string("embed batch ") + name + (normalize ? " normalized" : ""),
                max_difference(rows, expected)
            );
        }
    }
}

TEST_P(reference_test, classifies_alone_and_in_a_padded_batch) {
    if (!expected_.contains("logits")) {
        EXPECT_THROW(model_->classify_logits(batch_), std::invalid_argument);
        return;
    }
    std::vector<std::vector<float>> alone;
    for (std::size_t i = 0; i < batch_.ids.size(); ++i) {
        alone.push_back(model_->classify_logits(single(batch_, i)).at(0));
    }
    report("logits alone", max_difference(alone, expected_["logits"]));
    report("logits batch", max_difference(model_->classify_logits(batch_), expected_["logits"]));
}

TEST_P(reference_test, treats_missing_type_ids_as_zeros) {
    // Sequences whose type ids are all zero, given without type ids at all.
    token_batch batch;
    nlohmann::json expected = nlohmann::json::array();
    for (std::size_t i = 0; i < batch_.ids.size(); ++i) {
        const auto& types = batch_.type_ids[i];
        if (std::all_of(types.begin(), types.end(), [](int t) { return t == 0; })) {
            batch.ids.push_back(batch_.ids[i]);
            expected.push_back(expected_["embeddings"]["mean"]["raw"][i]);
        }
    }
    report(
        "embed without type ids",
        max_difference(model_->embed(batch, pooling::mean, false), expected)
    );
}

TEST_P(reference_test, computes_in_bfloat16_close_to_the_reference) {
    model_load_options options;
    options.dtype = "bfloat16";
    auto model = load_model(GetParam(), options);
    ASSERT_NE(model, nullptr);
    EXPECT_EQ(model->description().dtype, "bfloat16");
    auto rows = model->embed(batch_, pooling::mean, true);
    double difference = max_difference(rows, expected_["embeddings"]["mean"]["normalized"]);
    std::printf(
        "[ max diff ] %s bfloat16 embed mean normalized: %.3g\n", GetParam().c_str(), difference
    );
    // bfloat16 keeps 8 bits of mantissa: about two decimal digits survive the layers.
    EXPECT_LE(difference, 0.05);
}

INSTANTIATE_TEST_SUITE_P(
    models,
    reference_test,
    ::testing::Values(
        "bert_classifier",
        "distilbert_classifier",
        "roberta_classifier",
        "minilm_embedder",
        "xlm_roberta_embedder"
    )
);

// --threads reaches torch: the count is process-wide, so the test restores one per core.
TEST(encoder_model_threads, load_sets_the_requested_intra_op_threads) {
    int cores = static_cast<int>(std::max(1u, std::thread::hardware_concurrency()));
    for (std::size_t requested : {3u, 1u}) {
        model_load_options options;
        options.threads = requested;
        auto model = load_model("minilm_embedder", options);
        ASSERT_NE(model, nullptr);
        EXPECT_EQ(at::get_num_threads(), static_cast<int>(requested));
        EXPECT_EQ(model->description().threads, static_cast<int>(requested));
    }
    auto model = load_model("minilm_embedder");  // threads 0: one per core
    ASSERT_NE(model, nullptr);
    EXPECT_EQ(at::get_num_threads(), cores);
    EXPECT_EQ(model->description().threads, cores);
}

class load_failure_test : public ::testing::Test {
protected:
    load_failure_test() {
        std::string pattern =
            (std::filesystem::temp_directory_path() / "solar-encoder-XXXXXX").string();
        dir_ = ::mkdtemp(pattern.data());
    }
    ~load_failure_test() override { std::filesystem::remove_all(dir_); }

    std::string load_error(
        const std::filesystem::path& dir, const model_load_options& options = {}
    ) {
        auto model = encoder_model::load(dir, options);
        EXPECT_FALSE(model);
        return model ? std::string() : model.error();
    }

    void write_config(const nlohmann::json& config) {
        std::ofstream(dir_ / "config.json") << config.dump();
    }

    nlohmann::json minilm_config() const {
        std::ifstream in(models_dir / "minilm_embedder" / "config.json");
        return nlohmann::json::parse(in);
    }

    std::filesystem::path dir_;
};

TEST_F(load_failure_test, names_an_unsupported_architecture_and_the_supported_ones) {
    write_config({{"architectures", {"GPT2LMHeadModel"}}, {"model_type", "gpt2"}});
    auto error = load_error(dir_);
    EXPECT_NE(error.find("GPT2LMHeadModel"), std::string::npos) << error;
    EXPECT_NE(error.find("BertForSequenceClassification"), std::string::npos) << error;
}

TEST_F(load_failure_test, refuses_cuda_in_a_cpu_build) {
    model_load_options options;
    options.device = "cuda";
    auto model = encoder_model::load(models_dir / "bert_classifier", options);
    if (model) GTEST_SKIP() << "this libtorch build has CUDA";
    EXPECT_NE(model.error().find("no CUDA"), std::string::npos) << model.error();
    options.device = "cuda:1";
    EXPECT_NE(
        load_error(models_dir / "bert_classifier", options).find("no CUDA"), std::string::npos
    );
}

TEST_F(load_failure_test, refuses_float16_on_the_cpu) {
    model_load_options options;
    options.dtype = "float16";
    auto error = load_error(models_dir / "distilbert_classifier", options);
    EXPECT_NE(error.find("float16"), std::string::npos) << error;
    EXPECT_NE(error.find("bfloat16 or float32"), std::string::npos) << error;
}

TEST_F(load_failure_test, names_unknown_devices_and_dtypes) {
    model_load_options device;
    device.device = "tpu";
    EXPECT_NE(
        load_error(models_dir / "bert_classifier", device).find("unknown device tpu"),
        std::string::npos
    );
    model_load_options dtype;
    dtype.dtype = "int8";
    EXPECT_NE(
        load_error(models_dir / "bert_classifier", dtype).find("unknown dtype int8"),
        std::string::npos
    );
}

TEST_F(load_failure_test, names_a_missing_tensor) {
    write_config(minilm_config());
    // The model's own weights, minus everything but the word embeddings.
    std::filesystem::copy_file(models_dir / "minilm_embedder" / "model.safetensors", dir_ / "full");
    std::ifstream in(dir_ / "full", std::ios::binary);
    std::string bytes((std::istreambuf_iterator<char>(in)), {});
    std::uint64_t n = 0;
    for (int i = 7; i >= 0; --i) n = (n << 8) | static_cast<unsigned char>(bytes[i]);
    auto header = nlohmann::json::parse(bytes.substr(8, n));
    nlohmann::json kept = {
        {"embeddings.word_embeddings.weight", header["embeddings.word_embeddings.weight"]}};
    std::string text = kept.dump();
    std::string out;
    for (int i = 0; i < 8; ++i) out.push_back(static_cast<char>((text.size() >> (8 * i)) & 0xff));
    std::ofstream(dir_ / "model.safetensors", std::ios::binary)
        << out << text << bytes.substr(8 + n);
    auto error = load_error(dir_);
    EXPECT_NE(error.find("missing tensor embeddings.position_embeddings.weight"), std::string::npos)
        << error;
}

TEST_F(load_failure_test, names_a_shape_mismatch) {
    auto config = minilm_config();
    config["vocab_size"] = 99;
    write_config(config);
    std::filesystem::copy_file(
        models_dir / "minilm_embedder" / "model.safetensors", dir_ / "model.safetensors"
    );
    auto error = load_error(dir_);
    EXPECT_NE(
        error.find("embeddings.word_embeddings.weight has shape [120, 48]"), std::string::npos
    ) << error;
}

TEST_F(load_failure_test, names_missing_weights) {
    write_config(minilm_config());
    auto error = load_error(dir_);
    EXPECT_NE(error.find("no model.safetensors"), std::string::npos) << error;
}

TEST(encoder_model_input, refuses_bad_sequences) {
    auto model = load_model("roberta_classifier");
    ASSERT_NE(model, nullptr);
    EXPECT_EQ(model->description().max_tokens, 40);
    token_batch too_long{{std::vector<std::int32_t>(41, 5)}, {}};
    EXPECT_THROW(model->classify_logits(too_long), std::invalid_argument);
    token_batch longest{{std::vector<std::int32_t>(40, 5)}, {}};
    EXPECT_EQ(model->classify_logits(longest).size(), 1u);
    token_batch empty_sequence{{{}}, {}};
    EXPECT_THROW(model->embed(empty_sequence, pooling::mean, false), std::invalid_argument);
    token_batch outside_vocab{{{0, 100, 2}}, {}};
    EXPECT_THROW(model->embed(outside_vocab, pooling::cls, false), std::invalid_argument);
    token_batch bad_type{{{0, 5, 2}}, {{0, 1, 0}}};
    EXPECT_THROW(model->embed(bad_type, pooling::cls, false), std::invalid_argument);
    token_batch ragged_types{{{0, 5, 2}}, {{0, 0}}};
    EXPECT_THROW(model->embed(ragged_types, pooling::cls, false), std::invalid_argument);
    EXPECT_TRUE(model->embed(token_batch{}, pooling::mean, true).empty());
}

}  // namespace
}  // namespace solar::runner
