// solar-hf-runner's tokenizer: loads a HuggingFace tokenizer.json and encodes and decodes text
// exactly as HuggingFace's Rust `tokenizers` does.
#pragma once

#include <solar/runner/tokenizer/error.hpp>

#include <nlohmann/json_fwd.hpp>

#include <cstddef>
#include <cstdint>
#include <filesystem>
#include <memory>
#include <optional>
#include <span>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

namespace solar::runner {

// One encoded text (or pair). Offsets are UTF-8 byte ranges [begin, end) of the input text the
// token came from ((0, 0) for tokens the post-processor or padding added); for a pair, offsets
// of the second sequence's tokens refer to the second text.
struct encoding {
    std::vector<std::int32_t> ids;
    std::vector<std::int32_t> type_ids;
    std::vector<std::uint8_t> attention_mask;
    std::vector<std::uint8_t> special_tokens_mask;
    std::vector<std::string> tokens;
    std::vector<std::pair<std::size_t, std::size_t>> offsets;
    bool truncated = false;
};

struct encode_options {
    bool add_special_tokens = true;
    // Truncates (longest first, counting the special tokens to add) to at most this many tokens;
    // overrides the file's "truncation" section.
    std::optional<std::size_t> max_length;
    // Applies the file's "truncation" (when max_length is unset) and "padding" sections; off by
    // default because the runner truncates and pads batches itself.
    bool apply_file_padding = false;
};

// Immutable after loading: encode and decode may run concurrently from any number of threads.
// Copies share the loaded tables.
class tokenizer {
public:
    // Reads and parses a tokenizer.json; fails with a message naming the unreadable file, the
    // JSON error, or the unsupported component type.
    static tokenizer_result<tokenizer> load(const std::filesystem::path& tokenizer_json);
    // Builds from parsed tokenizer.json content; fails like load().
    static tokenizer_result<tokenizer> from_json(const nlohmann::json& j);

    // Encodes one text: added tokens, normalizer, pre-tokenizer, model, truncation,
    // post-processor, then padding when asked.
    encoding encode(std::string_view text, const encode_options& options = {}) const;
    // Encodes a pair of texts (type ids 0 and 1 as the post-processor assigns them).
    encoding encode_pair(
        std::string_view first, std::string_view second, const encode_options& options = {}
    ) const;

    // The text of the ids through the file's decoder (ids that are unknown are dropped).
    std::string decode(std::span<const std::int32_t> ids, bool skip_special_tokens = true) const;

    // The id of a token string, added tokens first, then the model's vocabulary.
    std::optional<std::int32_t> token_to_id(std::string_view token) const;
    // The token string of an id; nullopt when out of range.
    std::optional<std::string> id_to_token(std::int32_t id) const;
    // Vocabulary size including added tokens, counted as the reference does (distinct tokens).
    std::size_t vocab_size() const;
    // Whether the id is an added token marked special.
    bool is_special(std::int32_t id) const;

    // The padding id from the file's padding section, else the id of [PAD], <pad> or <|pad|>.
    std::optional<std::int32_t> pad_id() const;
    // Ids of the usual special tokens where the vocabulary has them: [CLS]/<s>, [SEP]/</s>,
    // [UNK]/<unk>, [MASK]/<mask>, <s>/<|startoftext|>, </s>/<|endoftext|>.
    std::optional<std::int32_t> cls_id() const;
    std::optional<std::int32_t> sep_id() const;
    std::optional<std::int32_t> unk_id() const;
    std::optional<std::int32_t> mask_id() const;
    std::optional<std::int32_t> bos_id() const;
    std::optional<std::int32_t> eos_id() const;
    // The file's truncation max_length, if it has a truncation section.
    std::optional<std::size_t> file_max_length() const;
    // How many tokens the post-processor adds to a single text (or a pair).
    std::size_t special_tokens_added(bool is_pair = false) const;

    struct impl;

private:
    explicit tokenizer(std::shared_ptr<const impl> impl) : impl_(std::move(impl)) {}
    std::shared_ptr<const impl> impl_;
};

}  // namespace solar::runner
