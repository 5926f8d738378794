// Tests for reading parameter counts from GGUF and safetensors headers, real and crafted.
#include <solar/host/model_facts.hpp>

#include <gtest/gtest.h>
#include <nlohmann/json.hpp>

#include <cstdlib>
#include <fstream>
#include <sstream>

namespace solar::host {
namespace {

#ifndef SOLAR_FIXTURES_DIR
#define SOLAR_FIXTURES_DIR "/work/shared/fixtures"
#endif
const std::filesystem::path tiny_gguf =
    std::filesystem::path(SOLAR_FIXTURES_DIR) / "llama-2-tiny-random.gguf";

// Builds GGUF bytes field by field, little-endian.
class gguf_builder {
public:
    gguf_builder& u32(std::uint32_t v) { return le(v, 4); }
    gguf_builder& u64(std::uint64_t v) { return le(v, 8); }
    gguf_builder& raw(std::string_view bytes) {
        out_ += bytes;
        return *this;
    }
    gguf_builder& str(std::string_view s) { return u64(s.size()).raw(s); }
    gguf_builder& header(std::uint64_t tensors, std::uint64_t kvs, std::uint32_t version = 3) {
        return raw("GGUF").u32(version).u64(tensors).u64(kvs);
    }
    gguf_builder& tensor(std::string_view name, std::initializer_list<std::uint64_t> dims) {
        str(name).u32(static_cast<std::uint32_t>(dims.size()));
        for (auto d : dims) u64(d);
        return u32(0).u64(0);  // type f32, offset 0
    }
    std::string bytes() const { return out_; }

private:
    gguf_builder& le(std::uint64_t v, int n) {
        for (int i = 0; i < n; ++i) out_ += static_cast<char>((v >> (8 * i)) & 0xFF);
        return *this;
    }
    std::string out_;
};

boost::system::result<model_facts> gguf(const std::string& bytes) {
    std::istringstream in(bytes);
    return read_gguf_facts(in, bytes.size());
}

boost::system::result<model_facts> safetensors(const std::string& bytes) {
    std::istringstream in(bytes);
    return read_safetensors_facts(in, bytes.size());
}

std::string safetensors_bytes(const nlohmann::json& header, std::size_t data_bytes = 0) {
    auto text = header.dump();
    std::string out;
    for (int i = 0; i < 8; ++i) out += static_cast<char>((text.size() >> (8 * i)) & 0xFF);
    return out + text + std::string(data_bytes, '\0');
}

class model_facts_test : public ::testing::Test {
protected:
    model_facts_test() {
        std::string pattern =
            (std::filesystem::temp_directory_path() / "solar-model-facts-XXXXXX").string();
        dir_ = ::mkdtemp(pattern.data());
    }
    ~model_facts_test() override { std::filesystem::remove_all(dir_); }

    static void write(const std::filesystem::path& file, const std::string& bytes) {
        std::ofstream out(file, std::ios::binary);
        out << bytes;
    }

    std::filesystem::path dir_;
};

TEST_F(model_facts_test, the_tiny_llama_has_the_count_llama_server_reports) {
    if (!std::filesystem::exists(tiny_gguf)) GTEST_SKIP() << "no fixture at " << tiny_gguf;
    auto facts = read_model_facts(tiny_gguf);
    ASSERT_TRUE(facts) << facts.error().message();
    EXPECT_EQ(facts->format, model_format::gguf);
    EXPECT_EQ(facts->parameter_count, 513048u);  // n_params in GET /v1/models
    EXPECT_EQ(facts->tensor_count, 12u);
    EXPECT_EQ(facts->architecture, "llama");
    EXPECT_EQ(format_parameter_count(facts->parameter_count), "513K");
}

TEST_F(model_facts_test, every_truncation_of_the_real_header_fails_cleanly) {
    if (!std::filesystem::exists(tiny_gguf)) GTEST_SKIP() << "no fixture at " << tiny_gguf;
    std::ifstream in(tiny_gguf, std::ios::binary);
    std::ostringstream whole;
    whole << in.rdbuf();
    std::string file = whole.str();
    ASSERT_TRUE(gguf(file));
    // Densely over the fixed header, then across the metadata (a 32000-token vocabulary) and
    // the tensor infos; cuts in the tensor data after them still succeed, as it is not read.
    std::vector<std::size_t> cuts;
    for (std::size_t cut = 0; cut < 256; ++cut) cuts.push_back(cut);
    for (std::size_t cut = 256; cut < file.size(); cut += 4999) cuts.push_back(cut);
    std::size_t failures = 0;
    for (auto cut : cuts) {
        auto facts = gguf(file.substr(0, cut));
        if (facts) continue;
        ++failures;
        EXPECT_TRUE(
            facts.error() == model_facts_errc::truncated ||
            facts.error() == model_facts_errc::unknown_format
        ) << "cut at "
          << cut << ": " << facts.error().message();
    }
    EXPECT_GT(failures, 256u);
}

TEST_F(model_facts_test, gguf_sums_tensor_dims) {
    auto bytes = gguf_builder()
                     .header(3, 1)
                     .str("general.architecture")
                     .u32(8)
                     .str("llama")
                     .tensor("a", {4, 8})
                     .tensor("b", {10})
                     .tensor("c", {2, 3, 4, 5})
                     .bytes();
    auto facts = gguf(bytes);
    ASSERT_TRUE(facts) << facts.error().message();
    EXPECT_EQ(facts->parameter_count, 32u + 10u + 120u);
    EXPECT_FALSE(facts->count_from_metadata);
    EXPECT_EQ(facts->tensor_count, 3u);
    EXPECT_EQ(facts->architecture, "llama");
}

TEST_F(model_facts_test, gguf_prefers_general_parameter_count) {
    auto bytes = gguf_builder()
                     .header(1, 2, 2)
                     .str("general.name")
                     .u32(8)
                     .str("Tiny")
                     .str("general.parameter_count")
                     .u32(10)
                     .u64(7'241'732'096)
                     .tensor("a", {4, 8})
                     .bytes();
    auto facts = gguf(bytes);
    ASSERT_TRUE(facts) << facts.error().message();
    EXPECT_EQ(facts->parameter_count, 7'241'732'096u);
    EXPECT_TRUE(facts->count_from_metadata);
    EXPECT_EQ(facts->name, "Tiny");
}

TEST_F(model_facts_test, gguf_skips_every_value_type) {
    gguf_builder b;
    b.header(1, 14);
    b.str("u8").u32(0).raw("\x01");
    b.str("i8").u32(1).raw("\xff");
    b.str("u16").u32(2).raw("\x01\x02");
    b.str("i16").u32(3).raw("\x01\x02");
    b.str("u32").u32(4).u32(1);
    b.str("i32").u32(5).u32(1);
    b.str("f32").u32(6).u32(0x3f800000);
    b.str("bool").u32(7).raw("\x01");
    b.str("string").u32(8).str("hello");
    b.str("u64").u32(10).u64(1);
    b.str("i64").u32(11).u64(1);
    b.str("f64").u32(12).u64(0);
    b.str("tokens").u32(9).u32(8).u64(3).str("a").str("bc").str("");
    b.str("nested").u32(9).u32(9).u64(2).u32(4).u64(2).u32(1).u32(2).u32(0).u64(1).raw("\x05");
    b.tensor("t", {6, 7});
    auto facts = gguf(b.bytes());
    ASSERT_TRUE(facts) << facts.error().message();
    EXPECT_EQ(facts->parameter_count, 42u);
}

TEST_F(model_facts_test, gguf_rejects_bad_magic_and_versions) {
    EXPECT_EQ(gguf("").error(), model_facts_errc::unknown_format);
    EXPECT_EQ(gguf("GGU").error(), model_facts_errc::unknown_format);
    EXPECT_EQ(gguf("GGML\x03\0\0\0").error(), model_facts_errc::unknown_format);
    EXPECT_EQ(
        gguf(gguf_builder().header(0, 0, 1).bytes()).error(), model_facts_errc::unsupported_version
    );
    EXPECT_EQ(
        gguf(gguf_builder().header(0, 0, 4).bytes()).error(), model_facts_errc::unsupported_version
    );
    auto empty = gguf(gguf_builder().header(0, 0).bytes());
    ASSERT_TRUE(empty);
    EXPECT_EQ(empty->parameter_count, 0u);
}

TEST_F(model_facts_test, gguf_huge_lengths_and_counts_fail_without_allocating) {
    // Counts far beyond what the bytes left could hold.
    EXPECT_EQ(gguf(gguf_builder().header(0, ~0ull).bytes()).error(), model_facts_errc::truncated);
    EXPECT_EQ(gguf(gguf_builder().header(~0ull, 0).bytes()).error(), model_facts_errc::truncated);
    // A key, a string value, a tensor name claiming exabytes.
    EXPECT_EQ(
        gguf(gguf_builder().header(0, 1).u64(~0ull).raw(std::string(20, 'k')).bytes()).error(),
        model_facts_errc::truncated
    );
    EXPECT_EQ(
        gguf(gguf_builder().header(0, 1).str("k").u32(8).u64(1ull << 60).raw("xxxx").bytes())
            .error(),
        model_facts_errc::truncated
    );
    EXPECT_EQ(
        gguf(gguf_builder().header(1, 0).u64(1ull << 62).raw(std::string(30, 'n')).bytes()).error(),
        model_facts_errc::truncated
    );
    // Arrays whose element count cannot fit, fixed-size and string elements alike.
    EXPECT_EQ(
        gguf(gguf_builder().header(0, 1).str("a").u32(9).u32(12).u64(1ull << 61).bytes()).error(),
        model_facts_errc::truncated
    );
    EXPECT_EQ(
        gguf(gguf_builder().header(0, 1).str("a").u32(9).u32(8).u64(~0ull).u64(0).bytes()).error(),
        model_facts_errc::truncated
    );
    // A key longer than the format allows.
    EXPECT_EQ(
        gguf(gguf_builder().header(0, 1).str(std::string(70'000, 'k')).u32(0).raw("\x01").bytes())
            .error(),
        model_facts_errc::malformed
    );
}

TEST_F(model_facts_test, gguf_malformed_content) {
    // Unknown value type.
    EXPECT_EQ(
        gguf(gguf_builder().header(0, 1).str("k").u32(13).u64(0).bytes()).error(),
        model_facts_errc::malformed
    );
    // Unknown array element type.
    EXPECT_EQ(
        gguf(gguf_builder().header(0, 1).str("k").u32(9).u32(99).u64(0).bytes()).error(),
        model_facts_errc::malformed
    );
    // Too many dims.
    EXPECT_EQ(
        gguf(gguf_builder().header(1, 0).tensor("t", {1, 1, 1, 1, 1}).bytes()).error(),
        model_facts_errc::malformed
    );
    // Element count overflow.
    EXPECT_EQ(
        gguf(gguf_builder().header(1, 0).tensor("t", {1ull << 40, 1ull << 40}).bytes()).error(),
        model_facts_errc::malformed
    );
    // Arrays nested without end.
    gguf_builder deep;
    deep.header(0, 1).str("k").u32(9);
    for (int i = 0; i < 20; ++i) deep.u32(9).u64(1);
    deep.u32(0).u64(0);
    EXPECT_EQ(gguf(deep.bytes()).error(), model_facts_errc::malformed);
}

TEST_F(model_facts_test, safetensors_sums_shapes_and_skips_metadata) {
    nlohmann::json header = {
        {"__metadata__", {{"format", "pt"}}},
        {"embed.weight", {{"dtype", "F16"}, {"shape", {32000, 8}}, {"data_offsets", {0, 512000}}}},
        {"norm.weight", {{"dtype", "F16"}, {"shape", {8}}, {"data_offsets", {512000, 512016}}}},
        {"scalar",
         {{"dtype", "F32"}, {"shape", nlohmann::json::array()}, {"data_offsets", {0, 4}}}},
    };
    auto facts = safetensors(safetensors_bytes(header, 16));
    ASSERT_TRUE(facts) << facts.error().message();
    EXPECT_EQ(facts->format, model_format::safetensors);
    EXPECT_EQ(facts->parameter_count, 256000u + 8u + 1u);
    EXPECT_EQ(facts->tensor_count, 3u);
}

TEST_F(model_facts_test, safetensors_bad_headers) {
    EXPECT_EQ(safetensors("").error(), model_facts_errc::unknown_format);
    std::string huge_length("\xff\xff\xff\xff\xff\xff\xff\x7f", 8);
    EXPECT_EQ(safetensors(huge_length + "{}").error(), model_facts_errc::malformed);
    std::string past_end("\x10\0\0\0\0\0\0\0", 8);
    EXPECT_EQ(safetensors(past_end + "{}").error(), model_facts_errc::truncated);
    std::string not_json("\x03\0\0\0\0\0\0\0", 8);
    EXPECT_EQ(safetensors(not_json + "abc").error(), model_facts_errc::malformed);
    EXPECT_EQ(
        safetensors(safetensors_bytes({{"t", {{"shape", {-1, 2}}}}})).error(),
        model_facts_errc::malformed
    );
    EXPECT_EQ(
        safetensors(safetensors_bytes({{"t", {{"dtype", "F16"}}}})).error(),
        model_facts_errc::malformed
    );
    EXPECT_EQ(
        safetensors(safetensors_bytes(nlohmann::json::array())).error(), model_facts_errc::malformed
    );
}

TEST_F(model_facts_test, a_directory_with_model_safetensors) {
    write(
        dir_ / "model.safetensors",
        safetensors_bytes({{"w", {{"dtype", "F16"}, {"shape", {3, 5}}}}})
    );
    write(dir_ / "config.json", "{}");
    auto facts = read_model_facts(dir_);
    ASSERT_TRUE(facts) << facts.error().message();
    EXPECT_EQ(facts->parameter_count, 15u);
    // The file alone, by extension or by content.
    EXPECT_EQ(read_model_facts(dir_ / "model.safetensors")->parameter_count, 15u);
}

TEST_F(model_facts_test, a_sharded_directory_sums_every_shard_once) {
    write(
        dir_ / "model-00001-of-00002.safetensors",
        safetensors_bytes({{"a", {{"shape", {10, 10}}}}, {"b", {{"shape", {5}}}}})
    );
    write(dir_ / "model-00002-of-00002.safetensors", safetensors_bytes({{"c", {{"shape", {7}}}}}));
    nlohmann::json index = {
        {"metadata", {{"total_size", 1234}}},
        {"weight_map",
         {{"a", "model-00001-of-00002.safetensors"},
          {"b", "model-00001-of-00002.safetensors"},
          {"c", "model-00002-of-00002.safetensors"}}},
    };
    write(dir_ / "model.safetensors.index.json", index.dump());
    auto facts = read_model_facts(dir_);
    ASSERT_TRUE(facts) << facts.error().message();
    EXPECT_EQ(facts->parameter_count, 112u);
    EXPECT_EQ(facts->tensor_count, 3u);
}

TEST_F(model_facts_test, a_sharded_index_may_not_point_outside_the_directory) {
    write(
        dir_ / "model.safetensors.index.json", R"({"weight_map":{"a":"../elsewhere.safetensors"}})"
    );
    EXPECT_EQ(read_model_facts(dir_).error(), model_facts_errc::malformed);
    write(dir_ / "model.safetensors.index.json", R"({"weight_map":{"a":"missing.safetensors"}})");
    EXPECT_EQ(read_model_facts(dir_).error(), model_facts_errc::not_found);
    write(dir_ / "model.safetensors.index.json", R"({"nothing":1})");
    EXPECT_EQ(read_model_facts(dir_).error(), model_facts_errc::malformed);
}

TEST_F(model_facts_test, a_directory_with_one_gguf) {
    write(dir_ / "m.gguf", gguf_builder().header(1, 0).tensor("t", {9}).bytes());
    EXPECT_EQ(read_model_facts(dir_)->parameter_count, 9u);
    write(dir_ / "n.gguf", gguf_builder().header(1, 0).tensor("t", {9}).bytes());
    EXPECT_EQ(read_model_facts(dir_).error(), model_facts_errc::no_weights);
}

TEST_F(model_facts_test, missing_empty_and_unknown) {
    EXPECT_EQ(read_model_facts(dir_ / "nope.gguf").error(), model_facts_errc::not_found);
    EXPECT_EQ(read_model_facts(dir_).error(), model_facts_errc::no_weights);
    write(dir_ / "notes.txt", "just some text that is long enough");
    EXPECT_EQ(read_model_facts(dir_ / "notes.txt").error(), model_facts_errc::unknown_format);
    write(dir_ / "empty.bin", "");
    EXPECT_EQ(read_model_facts(dir_ / "empty.bin").error(), model_facts_errc::unknown_format);
}

TEST_F(model_facts_test, hf_model_ids_resolve_to_directories) {
    EXPECT_EQ(resolve_hf_model_dir(dir_.string(), dir_ / "hub"), dir_);
    auto hub = dir_ / "hub";
    auto snapshot = hub / "models--org--name" / "snapshots" / "abc123";
    std::filesystem::create_directories(snapshot);
    std::filesystem::create_directories(hub / "models--org--name" / "refs");
    write(hub / "models--org--name" / "refs" / "main", "abc123\n");
    EXPECT_EQ(resolve_hf_model_dir("org/name", hub), snapshot);
    // Without refs/main, the only snapshot.
    std::filesystem::create_directories(hub / "models--gpt2" / "snapshots" / "fff");
    EXPECT_EQ(resolve_hf_model_dir("gpt2", hub), hub / "models--gpt2" / "snapshots" / "fff");
    EXPECT_FALSE(resolve_hf_model_dir("org/missing", hub));
    EXPECT_FALSE(resolve_hf_model_dir("org/../x", hub));
    EXPECT_FALSE(resolve_hf_model_dir("a/b/c", hub));
    EXPECT_FALSE(resolve_hf_model_dir("", hub));
}

TEST(format_parameter_count_test, short_human_forms) {
    EXPECT_EQ(format_parameter_count(0), "0");
    EXPECT_EQ(format_parameter_count(999), "999");
    EXPECT_EQ(format_parameter_count(1000), "1K");
    EXPECT_EQ(format_parameter_count(1500), "1.5K");
    EXPECT_EQ(format_parameter_count(513048), "513K");
    EXPECT_EQ(format_parameter_count(999'600), "1M");
    EXPECT_EQ(format_parameter_count(7'241'732'096), "7.2B");
    EXPECT_EQ(format_parameter_count(13'015'864'320), "13B");
    EXPECT_EQ(format_parameter_count(1'500'000'000'000), "1.5T");
}

}  // namespace
}  // namespace solar::host
