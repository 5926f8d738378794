// Tests for the safetensors reader: header validation, dtypes, single files and shards.
#include <solar/runner/safetensors.hpp>

#include <gtest/gtest.h>
#include <nlohmann/json.hpp>

#include <cstdlib>
#include <cstring>
#include <fstream>
#include <string>
#include <vector>

namespace solar::runner {
namespace {

std::span<const std::byte> as_bytes(const std::string& s) {
    return {reinterpret_cast<const std::byte*>(s.data()), s.size()};
}

// A safetensors file: 8-byte little-endian header length, the header, the data.
std::string safetensors_bytes(const std::string& header, const std::string& data) {
    std::string out;
    std::uint64_t n = header.size();
    for (int i = 0; i < 8; ++i) out.push_back(static_cast<char>((n >> (8 * i)) & 0xff));
    return out + header + data;
}

std::string floats(const std::vector<float>& values) {
    return {reinterpret_cast<const char*>(values.data()), values.size() * sizeof(float)};
}

class safetensors_test : public ::testing::Test {
protected:
    safetensors_test() {
        std::string pattern =
            (std::filesystem::temp_directory_path() / "solar-safetensors-XXXXXX").string();
        dir_ = ::mkdtemp(pattern.data());
    }
    ~safetensors_test() override { std::filesystem::remove_all(dir_); }

    void write(const std::string& name, const std::string& content) {
        std::ofstream(dir_ / name, std::ios::binary) << content;
    }

    std::filesystem::path dir_;
};

TEST(parse_safetensors, reads_dtype_shape_and_bytes) {
    nlohmann::json header = {
        {"__metadata__", {{"format", "pt"}}},
        {"w", {{"dtype", "F32"}, {"shape", {2, 2}}, {"data_offsets", {0, 16}}}},
        {"ids", {{"dtype", "I64"}, {"shape", {1, 1}}, {"data_offsets", {16, 24}}}},
        {"h", {{"dtype", "F16"}, {"shape", {2}}, {"data_offsets", {24, 28}}}},
        {"b", {{"dtype", "BF16"}, {"shape", {2}}, {"data_offsets", {28, 32}}}},
    };
    std::string data = floats({1, 2, 3, 4}) + std::string(16, '\0');
    auto file = safetensors_bytes(header.dump(), data);
    auto tensors = parse_safetensors(as_bytes(file), "test");
    ASSERT_TRUE(tensors) << tensors.error();
    ASSERT_EQ(tensors->size(), 4u);
    const auto& w = tensors->at("w");
    EXPECT_EQ(w.dtype, tensor_dtype::f32);
    EXPECT_EQ(w.shape, (std::vector<std::int64_t>{2, 2}));
    EXPECT_EQ(w.element_count(), 4);
    float third = 0;
    std::memcpy(&third, w.bytes.data() + 8, sizeof third);
    EXPECT_EQ(third, 3.0f);
    EXPECT_EQ(tensors->at("ids").dtype, tensor_dtype::i64);
    EXPECT_EQ(tensors->at("h").dtype, tensor_dtype::f16);
    EXPECT_EQ(tensors->at("b").dtype, tensor_dtype::bf16);
    EXPECT_EQ(tensors->at("b").bytes.size(), 4u);
    EXPECT_EQ(dtype_name(tensor_dtype::bf16), "BF16");
    EXPECT_EQ(dtype_size(tensor_dtype::i64), 8u);
}

TEST(parse_safetensors, accepts_scalars_and_empty_tensors) {
    nlohmann::json header = {
        {"s", {{"dtype", "F32"}, {"shape", nlohmann::json::array()}, {"data_offsets", {0, 4}}}},
        {"e", {{"dtype", "F32"}, {"shape", {0, 3}}, {"data_offsets", {4, 4}}}},
    };
    auto file = safetensors_bytes(header.dump(), floats({7}));
    auto tensors = parse_safetensors(as_bytes(file), "test");
    ASSERT_TRUE(tensors) << tensors.error();
    EXPECT_EQ(tensors->at("s").element_count(), 1);
    EXPECT_EQ(tensors->at("e").element_count(), 0);
}

void expect_rejected(const std::string& file, const std::string& needle) {
    auto tensors = parse_safetensors(as_bytes(file), "bad.safetensors");
    ASSERT_FALSE(tensors);
    EXPECT_NE(tensors.error().find("bad.safetensors"), std::string::npos) << tensors.error();
    EXPECT_NE(tensors.error().find(needle), std::string::npos) << tensors.error();
}

TEST(parse_safetensors, rejects_a_short_file) { expect_rejected("abc", "too short"); }

TEST(parse_safetensors, rejects_a_header_longer_than_the_file) {
    auto file = safetensors_bytes("{}", "");
    file[0] = 100;
    expect_rejected(file, "header length 100");
}

TEST(parse_safetensors, rejects_a_huge_header_length) {
    std::string file(16, '\xff');
    expect_rejected(file, "header length");
}

TEST(parse_safetensors, rejects_a_header_that_is_not_json) {
    expect_rejected(safetensors_bytes("{nope", ""), "not a JSON object");
    expect_rejected(safetensors_bytes("[1]", ""), "not a JSON object");
}

TEST(parse_safetensors, rejects_offsets_outside_the_data) {
    nlohmann::json header = {{"w", {{"dtype", "F32"}, {"shape", {4}}, {"data_offsets", {0, 16}}}}};
    expect_rejected(safetensors_bytes(header.dump(), floats({1, 2})), "outside");
}

TEST(parse_safetensors, rejects_reversed_offsets) {
    nlohmann::json header = {{"w", {{"dtype", "F32"}, {"shape", {0}}, {"data_offsets", {8, 4}}}}};
    expect_rejected(safetensors_bytes(header.dump(), floats({1, 2, 3})), "outside");
}

TEST(parse_safetensors, rejects_a_size_that_does_not_match_the_shape) {
    nlohmann::json header = {{"w", {{"dtype", "F32"}, {"shape", {3}}, {"data_offsets", {0, 8}}}}};
    expect_rejected(safetensors_bytes(header.dump(), floats({1, 2})), "tensor w");
}

TEST(parse_safetensors, rejects_an_overflowing_shape) {
    nlohmann::json header = {
        {"w", {{"dtype", "F32"}, {"shape", {1ull << 40, 1ull << 40}}, {"data_offsets", {0, 8}}}}};
    expect_rejected(safetensors_bytes(header.dump(), floats({1, 2})), "too large");
}

TEST(parse_safetensors, rejects_an_unknown_dtype) {
    nlohmann::json header = {{"w", {{"dtype", "F8"}, {"shape", {1}}, {"data_offsets", {0, 1}}}}};
    expect_rejected(safetensors_bytes(header.dump(), "x"), "unsupported dtype F8");
}

TEST(parse_safetensors, rejects_malformed_entries) {
    nlohmann::json no_shape = {{"w", {{"dtype", "F32"}, {"data_offsets", {0, 4}}}}};
    expect_rejected(safetensors_bytes(no_shape.dump(), floats({1})), "no shape");
    nlohmann::json negative = {
        {"w", {{"dtype", "F32"}, {"shape", {-1}}, {"data_offsets", {0, 4}}}}};
    expect_rejected(safetensors_bytes(negative.dump(), floats({1})), "not a size");
    nlohmann::json offsets = {{"w", {{"dtype", "F32"}, {"shape", {1}}, {"data_offsets", {0}}}}};
    expect_rejected(safetensors_bytes(offsets.dump(), floats({1})), "data_offsets");
}

TEST_F(safetensors_test, opens_a_single_file_directory) {
    nlohmann::json header = {{"w", {{"dtype", "F32"}, {"shape", {2}}, {"data_offsets", {0, 8}}}}};
    write("model.safetensors", safetensors_bytes(header.dump(), floats({5, 6})));
    auto weights = safetensors_weights::open_directory(dir_);
    ASSERT_TRUE(weights) << weights.error();
    EXPECT_EQ(weights->file_count(), 1u);
    const tensor_view* w = weights->find("w");
    ASSERT_NE(w, nullptr);
    float second = 0;
    std::memcpy(&second, w->bytes.data() + 4, sizeof second);
    EXPECT_EQ(second, 6.0f);
    EXPECT_EQ(weights->find("missing"), nullptr);
}

TEST_F(safetensors_test, opens_shards_through_the_index) {
    nlohmann::json a = {{"a", {{"dtype", "F32"}, {"shape", {1}}, {"data_offsets", {0, 4}}}}};
    nlohmann::json b = {{"b", {{"dtype", "F32"}, {"shape", {1}}, {"data_offsets", {0, 4}}}}};
    write("one.safetensors", safetensors_bytes(a.dump(), floats({1})));
    write("two.safetensors", safetensors_bytes(b.dump(), floats({2})));
    nlohmann::json index = {
        {"metadata", {{"total_size", 8}}},
        {"weight_map", {{"a", "one.safetensors"}, {"b", "two.safetensors"}}}};
    write("model.safetensors.index.json", index.dump());
    auto weights = safetensors_weights::open_directory(dir_);
    ASSERT_TRUE(weights) << weights.error();
    EXPECT_EQ(weights->file_count(), 2u);
    EXPECT_NE(weights->find("a"), nullptr);
    EXPECT_NE(weights->find("b"), nullptr);
}

TEST_F(safetensors_test, rejects_an_index_naming_a_tensor_its_shard_lacks) {
    nlohmann::json a = {{"a", {{"dtype", "F32"}, {"shape", {1}}, {"data_offsets", {0, 4}}}}};
    write("one.safetensors", safetensors_bytes(a.dump(), floats({1})));
    nlohmann::json index = {{"weight_map", {{"a", "one.safetensors"}, {"z", "one.safetensors"}}}};
    write("model.safetensors.index.json", index.dump());
    auto weights = safetensors_weights::open_directory(dir_);
    ASSERT_FALSE(weights);
    EXPECT_NE(weights.error().find("tensor z is not in one.safetensors"), std::string::npos)
        << weights.error();
}

TEST_F(safetensors_test, rejects_a_shard_outside_the_directory) {
    nlohmann::json index = {{"weight_map", {{"a", "../elsewhere.safetensors"}}}};
    write("model.safetensors.index.json", index.dump());
    auto weights = safetensors_weights::open_directory(dir_);
    ASSERT_FALSE(weights);
    EXPECT_NE(weights.error().find("not a file in the model directory"), std::string::npos);
}

TEST_F(safetensors_test, rejects_a_missing_shard) {
    nlohmann::json index = {{"weight_map", {{"a", "gone.safetensors"}}}};
    write("model.safetensors.index.json", index.dump());
    auto weights = safetensors_weights::open_directory(dir_);
    ASSERT_FALSE(weights);
    EXPECT_NE(weights.error().find("gone.safetensors"), std::string::npos) << weights.error();
}

TEST_F(safetensors_test, names_the_missing_weights) {
    auto weights = safetensors_weights::open_directory(dir_);
    ASSERT_FALSE(weights);
    EXPECT_NE(weights.error().find("no model.safetensors"), std::string::npos);
}

TEST(safetensors_weights, reads_the_committed_sharded_model) {
    auto dir = std::filesystem::path(__FILE__).parent_path() / "../../data/models/bert_classifier";
    auto weights = safetensors_weights::open_directory(dir);
    ASSERT_TRUE(weights) << weights.error();
    EXPECT_EQ(weights->file_count(), 2u);
    const tensor_view* word = weights->find("bert.embeddings.word_embeddings.weight");
    ASSERT_NE(word, nullptr);
    EXPECT_EQ(word->shape, (std::vector<std::int64_t>{100, 32}));
    EXPECT_NE(weights->find("classifier.weight"), nullptr);
    const tensor_view* positions = weights->find("bert.embeddings.position_ids");
    ASSERT_NE(positions, nullptr);
    EXPECT_EQ(positions->dtype, tensor_dtype::i64);
}

TEST(safetensors_weights, reads_committed_half_precision_weights) {
    auto dir = std::filesystem::path(__FILE__).parent_path() / "../../data/models";
    auto f16 = safetensors_weights::open_directory(dir / "distilbert_classifier");
    ASSERT_TRUE(f16) << f16.error();
    EXPECT_EQ(f16->find("classifier.weight")->dtype, tensor_dtype::f16);
    auto bf16 = safetensors_weights::open_directory(dir / "xlm_roberta_embedder");
    ASSERT_TRUE(bf16) << bf16.error();
    EXPECT_EQ(bf16->find("embeddings.word_embeddings.weight")->dtype, tensor_dtype::bf16);
}

}  // namespace
}  // namespace solar::runner
