// Turns generated token ids into text one token at a time without ever cutting a UTF-8
// character: byte-fallback tokens that end mid-character are held until the character is
// complete. A few context tokens keep SentencePiece's leading spaces as the whole text has them.
#pragma once

#include <solar/runner/inference_backend.hpp>

#include <cstdint>
#include <span>
#include <string>
#include <vector>

namespace solar::runner {

// Whether `text` ends inside a UTF-8 sequence or with U+FFFD (what a decoder makes of a
// partial byte sequence).
bool ends_incomplete_utf8(std::string_view text);

class incremental_detokenizer {
public:
    // `context`: the prompt's ids (its last few are decoded with each step, never emitted).
    // Special tokens are left out of the text.
    incremental_detokenizer(const text_tokenizer& tokenizer, std::span<const std::int32_t> context);

    // The new complete text that `id` adds (possibly empty while a character is incomplete).
    std::string push(std::int32_t id);

    // The rest of the text at the end of the generation, incomplete characters included.
    std::string flush();

private:
    std::string delta(bool final);

    const text_tokenizer& tokenizer_;
    std::vector<std::int32_t> ids_;
    std::size_t prefix_ = 0;  // ids_[prefix_, read_) is text already emitted, kept as context
    std::size_t read_ = 0;
};

}  // namespace solar::runner
