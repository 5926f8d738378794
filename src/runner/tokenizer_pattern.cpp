// Patterns: literal search, or PCRE2 in UTF + UCP mode (the GPT-2 and Qwen split expressions
// need look-ahead, which RE2 lacks).
#include <solar/runner/tokenizer/pattern.hpp>

#define PCRE2_CODE_UNIT_WIDTH 8
#include <nlohmann/json.hpp>

#include <pcre2.h>

namespace solar::runner {

struct pattern::compiled {
    pcre2_code* code = nullptr;
    ~compiled() { pcre2_code_free(code); }
};

pattern pattern::literal(std::string text) {
    pattern p;
    p.literal_ = std::move(text);
    return p;
}

tokenizer_result<pattern> pattern::regex(const std::string& expression) {
    int error = 0;
    PCRE2_SIZE error_offset = 0;
    pcre2_code* code = pcre2_compile(
        reinterpret_cast<PCRE2_SPTR>(expression.data()),
        expression.size(),
        PCRE2_UTF | PCRE2_UCP | PCRE2_NO_UTF_CHECK,
        &error,
        &error_offset,
        nullptr
    );
    if (!code) {
        PCRE2_UCHAR buffer[256];
        pcre2_get_error_message(error, buffer, sizeof buffer);
        return make_tokenizer_error(
            tokenizer_errc::invalid_regex,
            "regex \"" + expression + "\" does not compile at offset " +
                std::to_string(error_offset) + ": " + reinterpret_cast<const char*>(buffer)
        );
    }
    pcre2_jit_compile(code, PCRE2_JIT_COMPLETE);  // best effort: falls back to the interpreter
    auto c = std::make_shared<compiled>();
    c->code = code;
    pattern p;
    p.regex_ = std::move(c);
    return p;
}

tokenizer_result<pattern> pattern::from_json(const nlohmann::json& j) {
    if (j.is_string()) return literal(j.get<std::string>());
    if (j.is_object() && j.contains("String") && j["String"].is_string()) {
        return literal(j["String"].get<std::string>());
    }
    if (j.is_object() && j.contains("Regex") && j["Regex"].is_string()) {
        return regex(j["Regex"].get<std::string>());
    }
    return make_tokenizer_error(
        tokenizer_errc::invalid_component, "pattern must be {\"String\": ...} or {\"Regex\": ...}"
    );
}

std::vector<std::pair<std::size_t, std::size_t>> pattern::find_all(std::string_view text) const {
    std::vector<std::pair<std::size_t, std::size_t>> out;
    if (!regex_) {
        if (literal_.empty()) return out;
        for (std::size_t pos = text.find(literal_); pos != std::string_view::npos;
             pos = text.find(literal_, pos + literal_.size())) {
            out.emplace_back(pos, pos + literal_.size());
        }
        return out;
    }
    std::unique_ptr<pcre2_match_data, decltype(&pcre2_match_data_free)> data(
        pcre2_match_data_create_from_pattern(regex_->code, nullptr), &pcre2_match_data_free
    );
    auto subject = reinterpret_cast<PCRE2_SPTR>(text.data());
    std::size_t start = 0;
    while (start <= text.size()) {
        int rc = pcre2_match(
            regex_->code, subject, text.size(), start, PCRE2_NO_UTF_CHECK, data.get(), nullptr
        );
        if (rc < 0) break;
        PCRE2_SIZE* ov = pcre2_get_ovector_pointer(data.get());
        std::size_t b = ov[0], e = ov[1];
        if (e > b) {
            out.emplace_back(b, e);
            start = e;
        } else {
            // An empty match: step over one whole character.
            start = e + 1;
            while (start < text.size() && (static_cast<unsigned char>(text[start]) & 0xC0) == 0x80
            ) {
                ++start;
            }
        }
    }
    return out;
}

std::vector<std::pair<std::size_t, std::size_t>> pattern::find_all(const aligned_text& text) const {
    std::vector<std::size_t> char_at_byte;
    std::string utf8 = to_utf8(text, &char_at_byte);
    auto bytes = find_all(std::string_view(utf8));
    std::vector<std::pair<std::size_t, std::size_t>> out;
    out.reserve(bytes.size());
    for (auto [b, e] : bytes) {
        std::size_t first = char_at_byte[b];
        std::size_t last = e < utf8.size() ? char_at_byte[e] : text.size();
        out.emplace_back(first, last);
    }
    return out;
}

}  // namespace solar::runner
