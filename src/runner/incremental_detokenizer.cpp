// Incremental decoding as HuggingFace text-generation-inference does it: decode a short window
// twice (before and after the new token) and emit the difference once it is whole UTF-8.
#include <solar/runner/incremental_detokenizer.hpp>

namespace solar::runner {

namespace {

// Prompt tokens decoded before the first generated one, enough for its leading space.
constexpr std::size_t context_tokens = 4;

}  // namespace

bool ends_incomplete_utf8(std::string_view text) {
    if (text.size() >= 3 && text.substr(text.size() - 3) == "\xEF\xBF\xBD") return true;
    // Walk back over continuation bytes to the lead byte of the last character.
    std::size_t back = 0;
    while (back < text.size() && back < 4 &&
           (static_cast<unsigned char>(text[text.size() - 1 - back]) & 0xC0) == 0x80) {
        ++back;
    }
    if (back == text.size()) return back > 0;
    auto lead = static_cast<unsigned char>(text[text.size() - 1 - back]);
    std::size_t need = lead < 0x80             ? 0
                       : (lead & 0xE0) == 0xC0 ? 1
                       : (lead & 0xF0) == 0xE0 ? 2
                       : (lead & 0xF8) == 0xF0 ? 3
                                               : 0;
    return back < need;
}

incremental_detokenizer::incremental_detokenizer(
    const text_tokenizer& tokenizer, std::span<const std::int32_t> context
)
    : tokenizer_(tokenizer) {
    auto n = std::min(context.size(), context_tokens);
    ids_.assign(context.end() - static_cast<std::ptrdiff_t>(n), context.end());
    read_ = ids_.size();
}

std::string incremental_detokenizer::delta(bool final) {
    std::span<const std::int32_t> all(ids_);
    auto before = tokenizer_.decode(all.subspan(prefix_, read_ - prefix_), true);
    auto after = tokenizer_.decode(all.subspan(prefix_), true);
    if (after.size() <= before.size() || after.compare(0, before.size(), before) != 0) {
        // Nothing new yet, or the decoder rewrote the window (cleanup rules): wait for more.
        if (!final || after.size() <= before.size()) return {};
    }
    if (!final && ends_incomplete_utf8(after)) return {};
    std::string out = after.substr(std::min(before.size(), after.size()));
    // Drop the emitted window but keep the last token as context for the next space.
    prefix_ = read_;
    read_ = ids_.size();
    if (prefix_ > 0) {
        ids_.erase(ids_.begin(), ids_.begin() + static_cast<std::ptrdiff_t>(prefix_));
        read_ -= prefix_;
        prefix_ = 0;
    }
    return out;
}

std::string incremental_detokenizer::push(std::int32_t id) {
    ids_.push_back(id);
    return delta(false);
}

std::string incremental_detokenizer::flush() {
    if (read_ == ids_.size()) return {};
    return delta(true);
}

}  // namespace solar::runner
