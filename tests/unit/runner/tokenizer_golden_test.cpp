// Compares the tokenizer with golden outputs of HuggingFace's Rust tokenizers (npm binding,
// see tests/data/tokenizers/golden/generate.js) over every committed text.
#include <solar/runner/tokenizer.hpp>

#include <gtest/gtest.h>
#include <nlohmann/json.hpp>

#include <filesystem>
#include <fstream>
#include <sstream>

namespace solar::runner {
namespace {

std::filesystem::path data_dir() {
    return std::filesystem::path(__FILE__).parent_path() / "../../data/tokenizers";
}

nlohmann::json read_json(const std::filesystem::path& path) {
    std::ifstream in(path, std::ios::binary);
    std::stringstream buffer;
    buffer << in.rdbuf();
    return nlohmann::json::parse(buffer.str());
}

struct golden_data {
    nlohmann::json golden;
    std::vector<std::string> corpus;
};

const golden_data& data() {
    static const golden_data d = [] {
        golden_data g;
        g.golden = read_json(data_dir() / "golden/golden.json");
        g.corpus = read_json(data_dir() / "golden/corpus.json").get<std::vector<std::string>>();
        return g;
    }();
    return d;
}

const nlohmann::json& entry(const std::string& name) {
    for (const auto& t : data().golden["tokenizers"]) {
        if (t["name"] == name) return t;
    }
    throw std::runtime_error("no golden entry for " + name);
}

std::string shorten(const std::string& text) {
    return text.size() > 160
               ? text.substr(0, 160) + "... (" + std::to_string(text.size()) + " bytes)"
               : text;
}

// Counts the cases where `actual` differs from the golden JSON value, reporting the first few
// with the text and the first differing position.
class checker {
public:
    explicit checker(std::string what) : what_(std::move(what)) {}
    ~checker() {
        std::cout << "[golden] " << what_ << ": " << (total_ - failed_) << "/" << total_
                  << " match\n";
        EXPECT_EQ(failed_, 0) << what_;
    }

    template <class T>
    void check(
        const std::string& text, const char* field, const T& actual, const nlohmann::json& expected
    ) {
        ++total_;
        nlohmann::json got = actual;
        if (got == expected) return;
        ++failed_;
        if (failed_ > 8) return;
        std::size_t pos = 0;
        if (got.is_array() && expected.is_array()) {
            while (pos < got.size() && pos < expected.size() && got[pos] == expected[pos]) ++pos;
        } else if (got.is_string() && expected.is_string()) {
            auto a = got.get<std::string>(), b = expected.get<std::string>();
            while (pos < a.size() && pos < b.size() && a[pos] == b[pos]) ++pos;
        }
        auto at = [&](const nlohmann::json& v) {
            if (v.is_array()) return pos < v.size() ? v[pos].dump() : std::string("(end)");
            return shorten(v.dump());
        };
        ADD_FAILURE() << what_ << " " << field << " differs for text "
                      << nlohmann::json(shorten(text)).dump() << "\n  first difference at position "
                      << pos << ": got " << at(got) << ", expected " << at(expected);
    }

private:
    std::string what_;
    int total_ = 0;
    int failed_ = 0;
};

using offsets_t = std::vector<std::pair<std::size_t, std::size_t>>;

nlohmann::json offsets_json(const offsets_t& offsets) {
    nlohmann::json out = nlohmann::json::array();
    for (auto [b, e] : offsets) out.push_back({b, e});
    return out;
}

class golden : public ::testing::TestWithParam<std::string> {
protected:
    void SetUp() override {
        auto loaded = tokenizer::load(data_dir() / GetParam() / "tokenizer.json");
        ASSERT_TRUE(loaded) << loaded.error().message;
        tok_.emplace(std::move(*loaded));
    }
    const std::string& text(const nlohmann::json& index) {
        return data().corpus.at(index.get<std::size_t>());
    }
    std::optional<tokenizer> tok_;
};

TEST_P(golden, vocab_size) {
    EXPECT_EQ(tok_->vocab_size(), entry(GetParam())["vocab_size"].get<std::size_t>());
}

TEST_P(golden, ids) {
    checker c(GetParam() + " ids");
    for (const auto& g : entry(GetParam())["cases"]) {
        const auto& t = text(g["text"]);
        c.check(t, "ids", tok_->encode(t).ids, g["ids"]);
        c.check(t, "ids_plain", tok_->encode(t, {.add_special_tokens = false}).ids, g["ids_plain"]);
    }
}

TEST_P(golden, tokens_offsets_and_masks) {
    checker c(GetParam() + " details");
    for (const auto& g : entry(GetParam())["cases"]) {
        if (!g.contains("tokens")) continue;
        const auto& t = text(g["text"]);
        auto e = tok_->encode(t);
        c.check(t, "tokens", e.tokens, g["tokens"]);
        c.check(t, "type_ids", e.type_ids, g["type_ids"]);
        c.check(t, "attention_mask", e.attention_mask, g["attention_mask"]);
        c.check(t, "offsets", offsets_json(e.offsets), g["offsets"]);
        auto plain = tok_->encode(t, {.add_special_tokens = false});
        c.check(t, "offsets_plain", offsets_json(plain.offsets), g["offsets_plain"]);
    }
}

TEST_P(golden, decode) {
    checker c(GetParam() + " decode");
    for (const auto& g : entry(GetParam())["cases"]) {
        const auto& t = text(g["text"]);
        auto ids = g["ids"].get<std::vector<std::int32_t>>();
        c.check(t, "decode_skip", tok_->decode(ids, true), g["decode_skip"]);
        c.check(t, "decode_keep", tok_->decode(ids, false), g["decode_keep"]);
    }
}

TEST_P(golden, pairs) {
    checker c(GetParam() + " pairs");
    for (const auto& g : entry(GetParam())["pairs"]) {
        const auto& a = text(g["a"]);
        const auto& b = text(g["b"]);
        auto e = tok_->encode_pair(a, b);
        c.check(a + " | " + b, "ids", e.ids, g["ids"]);
        c.check(a + " | " + b, "type_ids", e.type_ids, g["type_ids"]);
        c.check(a + " | " + b, "tokens", e.tokens, g["tokens"]);
    }
}

TEST_P(golden, truncation) {
    checker c(GetParam() + " truncation");
    std::size_t max_length = data().golden["truncation_length"];
    for (const auto& g : entry(GetParam())["truncated"]) {
        const auto& t = text(g["text"]);
        const auto& b = text(g["pair_with"]);
        c.check(t, "ids", tok_->encode(t, {.max_length = max_length}).ids, g["ids"]);
        c.check(
            t,
            "ids_plain",
            tok_->encode(t, {.add_special_tokens = false, .max_length = max_length}).ids,
            g["ids_plain"]
        );
        auto pair = tok_->encode_pair(t, b, {.max_length = max_length});
        c.check(t, "pair_ids", pair.ids, g["pair_ids"]);
        c.check(t, "pair_type_ids", pair.type_ids, g["pair_type_ids"]);
    }
}

TEST_P(golden, file_truncation_and_padding) {
    checker c(GetParam() + " file padding");
    for (const auto& g : entry(GetParam())["file_padding"]) {
        const auto& t = text(g["text"]);
        auto e = tok_->encode(t, {.apply_file_padding = true});
        c.check(t, "ids", e.ids, g["ids"]);
        c.check(t, "attention_mask", e.attention_mask, g["attention_mask"]);
        c.check(t, "type_ids", e.type_ids, g["type_ids"]);
    }
}

INSTANTIATE_TEST_SUITE_P(
    tokenizers,
    golden,
    ::testing::Values(
        "bert-base-uncased",
        "all-minilm-l6-v2",
        "roberta-base",
        "phi-2",
        "qwen3",
        "phi-3-mini",
        "falcon",
        "clip",
        "whisper-large-v3"
    ),
    [](const auto& info) {
        std::string name = info.param;
        for (char& ch : name) {
            if (ch == '-' || ch == '.') ch = '_';
        }
        return name;
    }
);

}  // namespace
}  // namespace solar::runner
