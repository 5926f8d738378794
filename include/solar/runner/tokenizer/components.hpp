// The stages of the tokenizer pipeline as interfaces, and their factories from tokenizer.json.
#pragma once

#include <solar/runner/tokenizer/aligned_text.hpp>
#include <solar/runner/tokenizer/error.hpp>

#include <nlohmann/json_fwd.hpp>

#include <cstddef>
#include <cstdint>
#include <memory>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

namespace solar::runner {

struct encoding;

// Rewrites text in place, keeping each character aligned to its original bytes.
class normalizer {
public:
    virtual ~normalizer() = default;
    virtual void normalize(aligned_text& text) const = 0;
};

// Cuts one piece of normalised text into words (and may rewrite them, as ByteLevel does).
class pre_tokenizer {
public:
    virtual ~pre_tokenizer() = default;
    virtual std::vector<aligned_text> split(aligned_text text) const = 0;
};

// A token the model produced for a word: characters [first, last) of that word.
struct model_token {
    std::int32_t id;
    std::string value;
    std::size_t first;
    std::size_t last;
};

// Maps words to vocabulary ids and back.
class model {
public:
    virtual ~model() = default;
    // Appends the tokens of one word.
    virtual void tokenize(const aligned_text& word, std::vector<model_token>& out) const = 0;
    virtual std::optional<std::int32_t> token_to_id(std::string_view token) const = 0;
    virtual std::optional<std::string> id_to_token(std::int32_t id) const = 0;
    // The model's own vocabulary size, without added tokens.
    virtual std::size_t vocab_size() const = 0;
    // Every (token, id) pair of the model's vocabulary.
    virtual std::vector<std::pair<std::string, std::int32_t>> vocabulary() const = 0;
};

// Adds special tokens and type ids to encoded sequences (one, or two for a pair); the
// sequences it returns are concatenated afterwards, so stages can be chained.
class post_processor {
public:
    virtual ~post_processor() = default;
    // How many tokens process() adds with add_special_tokens.
    virtual std::size_t added_tokens(bool is_pair) const = 0;
    virtual std::vector<encoding> process(std::vector<encoding> sequences, bool add_special_tokens)
        const = 0;
};

// Turns token strings back into text, one stage of a chain.
class decoder {
public:
    virtual ~decoder() = default;
    virtual std::vector<std::string> decode_chain(std::vector<std::string> tokens) const = 0;
};

// Each factory reads one tokenizer.json section; a null section is not passed in. Failures
// name the unsupported type or the bad field.
tokenizer_result<std::unique_ptr<normalizer>> make_normalizer(const nlohmann::json& j);
tokenizer_result<std::unique_ptr<pre_tokenizer>> make_pre_tokenizer(const nlohmann::json& j);
tokenizer_result<std::unique_ptr<model>> make_model(const nlohmann::json& j);
tokenizer_result<std::unique_ptr<post_processor>> make_post_processor(const nlohmann::json& j);
tokenizer_result<std::unique_ptr<decoder>> make_decoder(const nlohmann::json& j);

// The model factories, also used by make_model once the type is known or inferred.
tokenizer_result<std::unique_ptr<model>> make_wordpiece_model(const nlohmann::json& j);
tokenizer_result<std::unique_ptr<model>> make_bpe_model(const nlohmann::json& j);

// Concatenates `second` onto `first` (the post-processor-less default).
void append_encoding(encoding& first, const encoding& second);

// The byte-to-character table of GPT-2's byte-level alphabet, and its inverse (-1: none).
const std::u32string& byte_level_alphabet();
int byte_level_byte(char32_t cp);

}  // namespace solar::runner
