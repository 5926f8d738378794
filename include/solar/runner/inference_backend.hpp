// The seams between the server and the model: a tokenizer and a forward pass, as interfaces,
// so solar_runner never links libtorch (the torch-backed encoder_model plugs in from main).
#pragma once

#include <cstddef>
#include <cstdint>
#include <span>
#include <string>
#include <string_view>
#include <vector>

namespace solar::runner {

// One input as the model is fed it.
struct tokenized_text {
    std::vector<std::int32_t> ids;
    std::vector<std::int32_t> type_ids;
    bool truncated = false;  // the text had more tokens than max_length allowed
};

// Text to token ids and back. Implementations are safe to call from several threads at once.
class text_tokenizer {
public:
    virtual ~text_tokenizer() = default;
    // Encodes `text`, keeping at most `max_length` tokens (0 = no limit), special tokens
    // included when `add_special`.
    virtual tokenized_text encode(std::string_view text, bool add_special, std::size_t max_length)
        const = 0;
    // The text of `ids`; special tokens left out when `skip_special`.
    virtual std::string decode(std::span<const std::int32_t> ids, bool skip_special) const = 0;
    virtual std::size_t vocab_size() const = 0;
};

// What /v1/models and the request checks need to know of the loaded model.
struct backend_facts {
    std::vector<std::string> labels;  // classification: one per output, in id2label order
    std::size_t max_positions = 0;    // tokens the model accepts per sequence (0 = unknown)
    std::size_t hidden_size = 0;      // embedding width
    std::size_t vocab_size = 0;       // token ids the model accepts (0 = the tokenizer's)
    std::uint64_t parameters = 0;
    std::string architecture;  // "BertModel", ...
};

// One padded forward pass over ragged sequences, already configured for the runner's task:
// classification logits, or pooled (and maybe normalised) embeddings. Called from one thread
// at a time (the batcher's worker); throws on a model failure.
class inference_backend {
public:
    virtual ~inference_backend() = default;
    // One output row per sequence, in order. `type_ids` has the shape of `ids`.
    virtual std::vector<std::vector<float>> forward(
        const std::vector<std::vector<std::int32_t>>& ids,
        const std::vector<std::vector<std::int32_t>>& type_ids
    ) = 0;
    virtual const backend_facts& facts() const = 0;
};

}  // namespace solar::runner
