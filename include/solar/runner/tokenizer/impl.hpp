// The loaded pipeline behind solar::runner::tokenizer, shared by its load and encode sources.
#pragma once

#include <solar/runner/tokenizer.hpp>
#include <solar/runner/tokenizer/added_vocabulary.hpp>
#include <solar/runner/tokenizer/components.hpp>

#include <cstddef>
#include <cstdint>
#include <memory>
#include <optional>
#include <string>

namespace solar::runner {

enum class truncation_strategy { longest_first, only_first, only_second };

// The file's "truncation" section.
struct truncation_config {
    std::size_t max_length = 0;
    truncation_strategy strategy = truncation_strategy::longest_first;
    bool left = false;  // "direction": "Left" removes from the start
};

// The file's "padding" section.
struct padding_config {
    std::optional<std::size_t> fixed_length;  // "Fixed"; BatchLongest pads to the own length
    std::size_t multiple_of = 0;
    bool left = false;
    std::int32_t pad_id = 0;
    std::int32_t pad_type_id = 0;
    std::string pad_token = "[PAD]";
};

struct tokenizer::impl {
    std::unique_ptr<normalizer> norm;
    std::unique_ptr<pre_tokenizer> pre;
    std::unique_ptr<model> mdl;
    std::unique_ptr<post_processor> post;
    std::unique_ptr<decoder> dec;
    added_vocabulary added;
    std::optional<truncation_config> truncation;
    std::optional<padding_config> padding;
    std::size_t vocab_size = 0;

    // Encodes one sequence without special tokens, all type ids `type_id`.
    encoding encode_sequence(std::string_view text, std::int32_t type_id) const;
    // Truncation, post-processing and padding of one or two encoded sequences.
    encoding finish(encoding first, std::optional<encoding> second, const encode_options& o) const;
};

}  // namespace solar::runner
