// Unit tests of each tokenizer stage (normalizers, pre-tokenizers, models, post-processors,
// decoders, added tokens, truncation, padding) on small inline tokenizer.json configurations.
#include <solar/runner/tokenizer.hpp>

#include <gtest/gtest.h>
#include <nlohmann/json.hpp>

#include <atomic>
#include <thread>

namespace solar::runner {
namespace {

using nlohmann::json;

// A WordLevel-like vocabulary as a WordPiece model: every word in `words` is a token.
json wordpiece_model(std::vector<std::string> words) {
    json vocab = {{"[UNK]", 0}, {"[CLS]", 1}, {"[SEP]", 2}, {"[PAD]", 3}};
    for (const auto& w : words) vocab[w] = static_cast<int>(vocab.size());
    return {
        {"type", "WordPiece"},
        {"unk_token", "[UNK]"},
        {"continuing_subword_prefix", "##"},
        {"max_input_chars_per_word", 100},
        {"vocab", vocab}};
}

tokenizer make(json j) {
    if (!j.contains("added_tokens")) j["added_tokens"] = json::array();
    auto t = tokenizer::from_json(j);
    if (!t) throw std::runtime_error(t.error().message);
    return std::move(*t);
}

std::vector<std::string> tokens_of(
    const tokenizer& t, std::string_view text, bool special = false
) {
    return t.encode(text, {.add_special_tokens = special}).tokens;
}

using strings = std::vector<std::string>;

TEST(tokenizer_normalizer, bert_lowercases_strips_accents_and_spaces_cjk) {
    auto t = make(
        {{"normalizer",
          {{"type", "BertNormalizer"}, {"lowercase", true}, {"strip_accents", nullptr}}},
         {"pre_tokenizer", {{"type", "WhitespaceSplit"}}},
         {"model", wordpiece_model({"cafe", "你", "好", "x"})}}
    );
    EXPECT_EQ(tokens_of(t, "CAFÉ 你好"), (strings{"cafe", "你", "好"}));
    EXPECT_EQ(tokens_of(t, "x\tx\x01"), (strings{"x", "x"}));  // control removed, tab a space
}

TEST(tokenizer_normalizer, bert_keeps_accents_when_asked) {
    auto t = make(
        {{"normalizer",
          {{"type", "BertNormalizer"}, {"lowercase", true}, {"strip_accents", false}}},
         {"pre_tokenizer", {{"type", "WhitespaceSplit"}}},
         {"model", wordpiece_model({"café"})}}
    );
    EXPECT_EQ(tokens_of(t, "CAFÉ"), (strings{"café"}));
}

TEST(tokenizer_normalizer, unicode_forms_compose_and_decompose) {
    auto nfc = make({{"normalizer", {{"type", "NFC"}}}, {"model", wordpiece_model({"é"})}});
    EXPECT_EQ(tokens_of(nfc, "e\xCC\x81"), (strings{"é"}));
    auto nfkc = make({{"normalizer", {{"type", "NFKC"}}}, {"model", wordpiece_model({"fi"})}});
    EXPECT_EQ(tokens_of(nfkc, "ﬁ"), (strings{"fi"}));
    auto nfd = make(
        {{"normalizer",
          {{"type", "Sequence"}, {"normalizers", {{{"type", "NFD"}}, {{"type", "StripAccents"}}}}}},
         {"model", wordpiece_model({"e"})}}
    );
    EXPECT_EQ(tokens_of(nfd, "é"), (strings{"e"}));
    auto nfkd = make({{"normalizer", {{"type", "NFKD"}}}, {"model", wordpiece_model({"2"})}});
    EXPECT_EQ(tokens_of(nfkd, "²"), (strings{"2"}));
}

TEST(tokenizer_normalizer, replace_prepend_strip_lowercase) {
    auto t = make(
        {{"normalizer",
          {{"type", "Sequence"},
           {"normalizers",
            {{{"type", "Strip"}, {"strip_left", true}, {"strip_right", true}},
             {{"type", "Lowercase"}},
             {{"type", "Replace"}, {"pattern", {{"Regex", "\\s+"}}}, {"content", "_"}},
             {{"type", "Prepend"}, {"prepend", "^"}}}}}},
         {"model", wordpiece_model({"^a_b"})}}
    );
    EXPECT_EQ(tokens_of(t, "  A \t B  "), (strings{"^a_b"}));
    auto offsets = t.encode("  A \t B  ", {.add_special_tokens = false}).offsets;
    EXPECT_EQ(offsets[0], (std::pair<std::size_t, std::size_t>{2, 7}));
}

TEST(tokenizer_pre_tokenizer, bert_splits_whitespace_and_punctuation) {
    auto t = make(
        {{"pre_tokenizer", {{"type", "BertPreTokenizer"}}},
         {"model", wordpiece_model({"a", "b", ",", "!"})}}
    );
    EXPECT_EQ(tokens_of(t, "a, b!!"), (strings{"a", ",", "b", "!", "!"}));
}

TEST(tokenizer_pre_tokenizer, whitespace_punctuation_digits) {
    auto ws = make(
        {{"pre_tokenizer", {{"type", "Whitespace"}}},
         {"model", wordpiece_model({"ab", "12", "?!"})}}
    );
    EXPECT_EQ(tokens_of(ws, "ab ?! 12"), (strings{"ab", "?!", "12"}));
    auto digits = make(
        {{"pre_tokenizer", {{"type", "Digits"}, {"individual_digits", true}}},
         {"model", wordpiece_model({"1", "2", "a"})}}
    );
    EXPECT_EQ(tokens_of(digits, "a12"), (strings{"a", "1", "2"}));
    auto punct = make(
        {{"pre_tokenizer", {{"type", "Punctuation"}, {"behavior", "Contiguous"}}},
         {"model", wordpiece_model({"a", "?!"})}}
    );
    EXPECT_EQ(tokens_of(punct, "a?!a"), (strings{"a", "?!", "a"}));
}

TEST(tokenizer_pre_tokenizer, split_behaviors) {
    auto with = [](const char* behavior, bool invert) {
        return make(
            {{"pre_tokenizer",
              {{"type", "Split"},
               {"pattern", {{"String", "-"}}},
               {"behavior", behavior},
               {"invert", invert}}},
             {"model", wordpiece_model({"a", "b", "-", "a-", "-b", "a--", "--"})}}
        );
    };
    EXPECT_EQ(tokens_of(with("Removed", false), "a-b"), (strings{"a", "b"}));
    EXPECT_EQ(tokens_of(with("Isolated", false), "a-b"), (strings{"a", "-", "b"}));
    EXPECT_EQ(tokens_of(with("MergedWithPrevious", false), "a-b"), (strings{"a-", "b"}));
    EXPECT_EQ(tokens_of(with("MergedWithNext", false), "a-b"), (strings{"a", "-b"}));
    EXPECT_EQ(tokens_of(with("Contiguous", false), "a--b"), (strings{"a", "--", "b"}));
    EXPECT_EQ(tokens_of(with("Removed", true), "a-b"), (strings{"-"}));
}

TEST(tokenizer_pre_tokenizer, metaspace_new_and_old_forms) {
    json model = wordpiece_model(
        {"\xE2\x96\x81"
         "a",
         "\xE2\x96\x81"
         "b",
         "a"}
    );
    auto fresh = make(
        {{"pre_tokenizer",
          {{"type", "Metaspace"},
           {"replacement", "\xE2\x96\x81"},
           {"prepend_scheme", "always"},
           {"split", true}}},
         {"model", model}}
    );
    EXPECT_EQ(
        tokens_of(fresh, "a b"),
        (strings{
            "\xE2\x96\x81"
            "a",
            "\xE2\x96\x81"
            "b"})
    );
    auto never = make(
        {{"pre_tokenizer", {{"type", "Metaspace"}, {"prepend_scheme", "never"}}}, {"model", model}}
    );
    EXPECT_EQ(
        tokens_of(never, "a b"),
        (strings{
            "a",
            "\xE2\x96\x81"
            "b"})
    );
    auto old = make(
        {{"pre_tokenizer",
          {{"type", "Metaspace"}, {"str_rep", "\xE2\x96\x81"}, {"add_prefix_space", false}}},
         {"model", model}}
    );
    EXPECT_EQ(
        tokens_of(old, "a b"),
        (strings{
            "a",
            "\xE2\x96\x81"
            "b"})
    );
}

json byte_level_bpe() {
    // "Ġ" is the byte-level form of a space.
    json vocab = {
        {"h", 0},
        {"i", 1},
        {"\xC4\xA0", 2},
        {"hi", 3},
        {"\xC4\xA0h", 4},
        {"\xC4\xA0hi", 5},
        {"!", 6}};
    return {{"type", "BPE"}, {"vocab", vocab}, {"merges", {"h i", "\xC4\xA0 hi"}}};
}

TEST(tokenizer_pre_tokenizer, byte_level_maps_bytes_and_splits_gpt2_style) {
    auto t = make(
        {{"pre_tokenizer",
          {{"type", "ByteLevel"}, {"add_prefix_space", false}, {"use_regex", true}}},
         {"model", byte_level_bpe()},
         {"decoder", {{"type", "ByteLevel"}}}}
    );
    auto e = t.encode("hi hi!", {.add_special_tokens = false});
    EXPECT_EQ(e.tokens, (strings{"hi", "\xC4\xA0hi", "!"}));
    EXPECT_EQ(t.decode(e.ids), "hi hi!");
    auto prefixed = make(
        {{"pre_tokenizer", {{"type", "ByteLevel"}, {"add_prefix_space", true}}},
         {"model", byte_level_bpe()}}
    );
    EXPECT_EQ(tokens_of(prefixed, "hi"), (strings{"\xC4\xA0hi"}));
}

TEST(tokenizer_model, bpe_accepts_array_merges_and_suffix) {
    json vocab = {{"a", 0}, {"b</w>", 1}, {"ab</w>", 2}, {"<unk>", 3}};
    auto t = make(
        {{"model",
          {{"type", "BPE"},
           {"vocab", vocab},
           {"merges", json::array({json::array({"a", "b</w>"})})},
           {"end_of_word_suffix", "</w>"},
           {"unk_token", "<unk>"}}},
         {"pre_tokenizer", {{"type", "WhitespaceSplit"}}},
         {"decoder", {{"type", "BPEDecoder"}, {"suffix", "</w>"}}}}
    );
    auto e = t.encode("ab ab zz", {.add_special_tokens = false});
    EXPECT_EQ(e.tokens, (strings{"ab</w>", "ab</w>", "<unk>", "<unk>"}));
    EXPECT_EQ(t.decode(e.ids, false), "ab ab <unk><unk>");  // only suffixes become spaces
}

TEST(tokenizer_model, bpe_byte_fallback_and_fuse_unk) {
    json vocab = {{"<unk>", 0}, {"<0xC3>", 1}, {"<0xA9>", 2}, {"a", 3}};
    auto t = make(
        {{"model",
          {{"type", "BPE"},
           {"vocab", vocab},
           {"merges", json::array()},
           {"unk_token", "<unk>"},
           {"byte_fallback", true},
           {"fuse_unk", true}}},
         {"decoder",
          {{"type", "Sequence"}, {"decoders", {{{"type", "ByteFallback"}}, {{"type", "Fuse"}}}}}}}
    );
    auto e = t.encode("aé", {.add_special_tokens = false});
    EXPECT_EQ(e.ids, (std::vector<std::int32_t>{3, 1, 2}));
    EXPECT_EQ(t.decode(e.ids), "aé");
    EXPECT_EQ(
        t.decode(std::vector<std::int32_t>{1, 3}),
        "\xEF\xBF\xBD"
        "a"
    );
    auto fused = make(
        {{"model",
          {{"type", "BPE"},
           {"vocab", vocab},
           {"merges", json::array()},
           {"unk_token", "<unk>"},
           {"fuse_unk", true}}}}
    );
    EXPECT_EQ(
        fused.encode("xya", {.add_special_tokens = false}).ids, (std::vector<std::int32_t>{0, 3})
    );
}

TEST(tokenizer_model, bpe_ignore_merges_takes_whole_words) {
    json vocab = {{"a", 0}, {"b", 1}, {"c", 2}, {"ab", 3}, {"abc", 4}};
    auto t = make(
        {{"model",
          {{"type", "BPE"}, {"vocab", vocab}, {"merges", {"a b"}}, {"ignore_merges", true}}}}
    );
    EXPECT_EQ(tokens_of(t, "abc"), (strings{"abc"}));
}

TEST(tokenizer_model, wordpiece_subwords_unknown_and_long_words) {
    json model = wordpiece_model({"un", "##aff", "##able"});
    model["max_input_chars_per_word"] = 10;
    auto t = make(
        {{"model", model},
         {"pre_tokenizer", {{"type", "WhitespaceSplit"}}},
         {"decoder", {{"type", "WordPiece"}, {"prefix", "##"}}}}
    );
    EXPECT_EQ(
        tokens_of(t, "unaffable unx unaffableun"),
        (strings{"un", "##aff", "##able", "[UNK]", "[UNK]"})
    );
    EXPECT_EQ(t.decode(t.encode("unaffable").ids), "unaffable");
}

TEST(tokenizer_model, type_is_inferred_when_missing) {
    json model = wordpiece_model({"a"});
    model.erase("type");
    EXPECT_EQ(tokens_of(make({{"model", model}}), "a"), (strings{"a"}));
    json bpe = byte_level_bpe();
    bpe.erase("type");
    EXPECT_EQ(tokens_of(make({{"model", bpe}}), "hi"), (strings{"hi"}));
}

TEST(tokenizer_load, names_unsupported_components) {
    auto t =
        tokenizer::from_json({{"model", wordpiece_model({})}, {"normalizer", {{"type", "Fancy"}}}});
    ASSERT_FALSE(t);
    EXPECT_EQ(t.error().code, tokenizer_errc::unsupported_component);
    EXPECT_NE(t.error().message.find("Fancy"), std::string::npos);
    auto unigram =
        tokenizer::from_json({{"model", {{"type", "Unigram"}, {"vocab", json::array()}}}});
    ASSERT_FALSE(unigram);
    EXPECT_NE(unigram.error().message.find("Unigram"), std::string::npos);
    EXPECT_FALSE(tokenizer::load("/nonexistent/tokenizer.json"));
}

json bert_template() {
    return {
        {"type", "TemplateProcessing"},
        {"single",
         {{{"SpecialToken", {{"id", "[CLS]"}, {"type_id", 0}}}},
          {{"Sequence", {{"id", "A"}, {"type_id", 0}}}},
          {{"SpecialToken", {{"id", "[SEP]"}, {"type_id", 0}}}}}},
        {"pair",
         {{{"SpecialToken", {{"id", "[CLS]"}, {"type_id", 0}}}},
          {{"Sequence", {{"id", "A"}, {"type_id", 0}}}},
          {{"SpecialToken", {{"id", "[SEP]"}, {"type_id", 0}}}},
          {{"Sequence", {{"id", "B"}, {"type_id", 1}}}},
          {{"SpecialToken", {{"id", "[SEP]"}, {"type_id", 1}}}}}},
        {"special_tokens",
         {{"[CLS]", {{"id", "[CLS]"}, {"ids", {1}}, {"tokens", {"[CLS]"}}}},
          {"[SEP]", {{"id", "[SEP]"}, {"ids", {2}}, {"tokens", {"[SEP]"}}}}}}};
}

TEST(tokenizer_post_processor, template_bert_and_roberta_agree_on_layout) {
    json base = {
        {"pre_tokenizer", {{"type", "WhitespaceSplit"}}}, {"model", wordpiece_model({"a", "b"})}};
    json templ = base;
    templ["post_processor"] = bert_template();
    json bert = base;
    bert["post_processor"] = {
        {"type", "BertProcessing"}, {"cls", {"[CLS]", 1}}, {"sep", {"[SEP]", 2}}};
    for (const auto& j : {templ, bert}) {
        auto t = make(j);
        auto e = t.encode_pair("a a", "b");
        EXPECT_EQ(e.ids, (std::vector<std::int32_t>{1, 4, 4, 2, 5, 2}));
        EXPECT_EQ(e.type_ids, (std::vector<std::int32_t>{0, 0, 0, 0, 1, 1}));
        EXPECT_EQ(e.special_tokens_mask, (std::vector<std::uint8_t>{1, 0, 0, 1, 0, 1}));
        EXPECT_EQ(e.offsets[4], (std::pair<std::size_t, std::size_t>{0, 1}));
        EXPECT_EQ(t.special_tokens_added(true), 3u);
    }
    json roberta = base;
    roberta["post_processor"] = {
        {"type", "RobertaProcessing"}, {"cls", {"[CLS]", 1}}, {"sep", {"[SEP]", 2}}};
    auto r = make(roberta).encode_pair("a", "b");
    EXPECT_EQ(r.ids, (std::vector<std::int32_t>{1, 4, 2, 2, 5, 2}));
    EXPECT_EQ(r.type_ids, (std::vector<std::int32_t>(6, 0)));
}

TEST(tokenizer_post_processor, byte_level_trims_offsets) {
    auto t = make(
        {{"pre_tokenizer", {{"type", "ByteLevel"}, {"add_prefix_space", false}}},
         {"model", byte_level_bpe()},
         {"post_processor", {{"type", "ByteLevel"}, {"trim_offsets", true}}}}
    );
    auto e = t.encode("hi hi");
    EXPECT_EQ(e.offsets[1], (std::pair<std::size_t, std::size_t>{3, 5}));
}

TEST(tokenizer_truncation, counts_special_tokens_and_pads_from_file) {
    json j = {
        {"pre_tokenizer", {{"type", "WhitespaceSplit"}}},
        {"model", wordpiece_model({"a"})},
        {"post_processor", bert_template()},
        {"truncation", {{"max_length", 4}, {"strategy", "LongestFirst"}, {"direction", "Right"}}},
        {"padding",
         {{"strategy", "BatchLongest"},
          {"pad_to_multiple_of", 8},
          {"pad_id", 3},
          {"pad_token", "[PAD]"}}}};
    auto t = make(j);
    auto plain = t.encode("a a a a a");
    EXPECT_EQ(plain.ids.size(), 7u);  // the file's sections apply only when asked
    auto cut = t.encode("a a a a a", {.max_length = 5});
    EXPECT_EQ(cut.ids, (std::vector<std::int32_t>{1, 4, 4, 4, 2}));
    EXPECT_TRUE(cut.truncated);
    auto file = t.encode("a a a a a", {.apply_file_padding = true});
    EXPECT_EQ(file.ids, (std::vector<std::int32_t>{1, 4, 4, 2, 3, 3, 3, 3}));
    EXPECT_EQ(file.attention_mask, (std::vector<std::uint8_t>{1, 1, 1, 1, 0, 0, 0, 0}));
    EXPECT_EQ(t.pad_id(), 3);
    EXPECT_EQ(t.file_max_length(), 4u);
}

TEST(tokenizer_added_tokens, split_before_normalization_with_strip_rules) {
    json j = {
        {"normalizer", {{"type", "Lowercase"}}},
        {"pre_tokenizer", {{"type", "WhitespaceSplit"}}},
        {"model", wordpiece_model({"a", "b"})},
        {"added_tokens",
         {{{"id", 1},
           {"content", "[CLS]"},
           {"special", true},
           {"normalized", false},
           {"lstrip", false},
           {"rstrip", false},
           {"single_word", false}},
          {{"id", 50},
           {"content", "<M>"},
           {"special", true},
           {"normalized", false},
           {"lstrip", true},
           {"rstrip", true},
           {"single_word", false}},
          {{"id", 51},
           {"content", "tok"},
           {"special", false},
           {"normalized", true},
           {"lstrip", false},
           {"rstrip", false},
           {"single_word", true}}}}};
    auto t = make(j);
    auto e = t.encode("A[CLS]b  <M>  a TOK atok", {.add_special_tokens = false});
    EXPECT_EQ(e.ids, (std::vector<std::int32_t>{4, 1, 5, 50, 4, 51, 0}));
    EXPECT_EQ(e.tokens[3], "  <M>  ");
    EXPECT_EQ(t.token_to_id("<M>"), 50);
    EXPECT_EQ(t.id_to_token(51), "tok");
    EXPECT_TRUE(t.is_special(50));
    EXPECT_EQ(t.decode(e.ids, true), "a b a tok [UNK]");
    EXPECT_EQ(t.vocab_size(), 4u + 2u + 2u);  // model (incl. [CLS]) plus <M> and tok
}

TEST(tokenizer_decoder, strip_replace_metaspace) {
    json vocab = {
        {"\xE2\x96\x81"
         "a",
         0},
        {"\xE2\x96\x81"
         "b",
         1}};
    auto t = make(
        {{"model", {{"type", "BPE"}, {"vocab", vocab}, {"merges", json::array()}}},
         {"decoder",
          {{"type", "Metaspace"}, {"replacement", "\xE2\x96\x81"}, {"prepend_scheme", "always"}}}}
    );
    EXPECT_EQ(t.decode(std::vector<std::int32_t>{0, 1}), "a b");
    auto s = make(
        {{"model", {{"type", "BPE"}, {"vocab", vocab}, {"merges", json::array()}}},
         {"decoder",
          {{"type", "Sequence"},
           {"decoders",
            {{{"type", "Replace"}, {"pattern", {{"String", "\xE2\x96\x81"}}}, {"content", " "}},
             {{"type", "Fuse"}},
             {{"type", "Strip"}, {"content", " "}, {"start", 1}, {"stop", 0}}}}}}}
    );
    EXPECT_EQ(s.decode(std::vector<std::int32_t>{0, 1}), "a b");
}

TEST(tokenizer_threads, concurrent_encodes_agree) {
    auto t = make({{"pre_tokenizer", {{"type", "ByteLevel"}}}, {"model", byte_level_bpe()}});
    auto expected = t.encode("hi hi hi").ids;
    std::vector<std::thread> threads;
    std::atomic<int> mismatches = 0;
    for (int k = 0; k < 4; ++k) {
        threads.emplace_back([&] {
            for (int i = 0; i < 200; ++i) {
                if (t.encode("hi hi hi").ids != expected) ++mismatches;
            }
        });
    }
    for (auto& th : threads) th.join();
    EXPECT_EQ(mismatches, 0);
}

}  // namespace
}  // namespace solar::runner
