// The tokenizer.json converted from the tiny Llama GGUF (tests/data/models/convert_gguf.py)
// against llama.cpp's own SentencePiece tokenizer: the prompt ids recorded by
// tests/reference/llamacpp/generate.mjs, <s> included.
#include <solar/runner/tokenizer.hpp>

#include <gtest/gtest.h>
#include <nlohmann/json.hpp>

#include <filesystem>
#include <fstream>

namespace solar::runner {
namespace {

const std::filesystem::path model_dir =
    std::filesystem::path(__FILE__).parent_path() / "../../data/models/llama_tiny";

nlohmann::json goldens() {
    std::ifstream in(model_dir / "llamacpp_goldens.json");
    return nlohmann::json::parse(in);
}

TEST(llama_tokenizer, encodes_as_llama_cpp) {
    auto tok = tokenizer::load(model_dir / "tokenizer.json");
    ASSERT_TRUE(tok) << tok.error().message;
    auto g = goldens();
    ASSERT_EQ(g["cases"].size(), 10u);
    for (const auto& c : g["cases"]) {
        auto text = c["text"].get<std::string>();
        auto expected = c["prompt_ids"].get<std::vector<std::int32_t>>();
        EXPECT_EQ(tok->encode(text).ids, expected) << text;
    }
}

TEST(llama_tokenizer, decodes_as_llama_cpp) {
    auto tok = tokenizer::load(model_dir / "tokenizer.json");
    ASSERT_TRUE(tok) << tok.error().message;
    EXPECT_EQ(tok->bos_id(), 1);
    EXPECT_EQ(tok->eos_id(), 2);
    // Kept in a local: a range-for over goldens()["cases"] would iterate a destroyed temporary.
    const auto all = goldens();
    for (const auto& c : all["cases"]) {
        auto text = c["text"].get<std::string>();
        auto prompt = c["prompt_ids"].get<std::vector<std::int32_t>>();
        EXPECT_EQ(tok->decode(prompt), text);
        // llama.cpp's detokenize of its greedy continuation (no special tokens in it).
        auto greedy = c["greedy"].get<std::vector<std::int32_t>>();
        EXPECT_EQ(tok->decode(greedy), c["detokenized"].get<std::string>()) << text;
    }
}

}  // namespace
}  // namespace solar::runner
