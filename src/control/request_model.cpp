// One pass over the request body that validates it as JSON (RFC 8259, with nlohmann's rules:
// strict UTF-8, paired surrogates, an optional leading BOM) and keeps only the top-level
// "model" string. Nothing is allocated unless "model" itself must be unescaped: the proxy
// forwards bodies untouched, and a DOM or even a SAX token buffer per request cost a third of
// its CPU (bench/README.md, "Profile of the hot path").
#include <solar/control/request_model.hpp>
#include <solar/core/utf8.hpp>

#include <algorithm>
#include <array>
#include <bit>
#include <cmath>
#include <cstdint>
#include <cstdlib>
#include <cstring>
#include <optional>
#include <vector>

#if defined(__SSE2__)
#include <emmintrin.h>
#endif

namespace solar::control {

namespace {

// What the top-level "model" member held, as far as the proxy cares.
enum class model_value { absent, string, other };

bool is_json_space(char c) { return c == ' ' || c == '\n' || c == '\r' || c == '\t'; }

int hex_digit(char c) {
    if (c >= '0' && c <= '9') return c - '0';
    if (c >= 'a' && c <= 'f') return c - 'a' + 10;
    if (c >= 'A' && c <= 'F') return c - 'A' + 10;
    return -1;
}

// Open objects (true) and arrays, innermost last. The first 128 levels live inline: a request
// body should not cost an allocation for its nesting.
class container_stack {
public:
    bool empty() const { return depth_ == 0; }
    std::size_t size() const { return depth_; }
    bool back() const {
        std::size_t i = depth_ - 1;
        return i < inline_levels ? (inline_[i / 64] >> (i % 64)) & 1 : overflow_[i - inline_levels];
    }
    void push_back(bool object) {
        std::size_t i = depth_++;
        if (i >= inline_levels) {
            overflow_.push_back(object);
            return;
        }
        auto bit = std::uint64_t{1} << (i % 64);
        inline_[i / 64] = object ? inline_[i / 64] | bit : inline_[i / 64] & ~bit;
    }
    void pop_back() {
        if (--depth_ >= inline_levels) overflow_.pop_back();
    }

private:
    static constexpr std::size_t inline_levels = 128;
    std::size_t depth_ = 0;
    std::array<std::uint64_t, inline_levels / 64> inline_{};
    std::vector<bool> overflow_;
};

// Validates a JSON text and remembers its top-level "model" member (the last one when the key
// repeats, as a parser keeping one value per key does). Iterative, so nesting depth is bounded
// by memory, not by the stack.
class model_scanner {
public:
    explicit model_scanner(std::string_view text)
        : p_(text.data()), end_(text.data() + text.size()) {}

    bool scan() {
        skip_bom();
        if (!value_sequence()) return false;
        skip_space();
        return p_ == end_;
    }

    bool top_level_is_object() const { return top_level_object_; }
    model_value kind() const { return kind_; }
    std::string& model() { return model_; }

private:
    // One string's extent; `escaped` says whether it must be decoded to be read.
    struct string_token {
        const char* begin;
        const char* end;
        bool escaped;
    };

    void skip_bom() {
        if (end_ - p_ >= 3 && p_[0] == '\xEF' && p_[1] == '\xBB' && p_[2] == '\xBF') p_ += 3;
    }

    void skip_space() {
        while (p_ != end_ && is_json_space(*p_)) ++p_;
    }

    bool at(char c) const { return p_ != end_ && *p_ == c; }

    // The whole document: values, containers and their separators, driven by `containers_`
    // (true = object) instead of recursion.
    bool value_sequence() {
        for (;;) {
            skip_space();
            if (p_ == end_) return false;
            bool model_value_here = expect_model_value_;
            expect_model_value_ = false;
            if (containers_.empty()) top_level_object_ = *p_ == '{';
            if (model_value_here && *p_ != '"') kind_ = model_value::other;

            switch (*p_) {
                case '{':
                    ++p_;
                    containers_.push_back(true);
                    skip_space();
                    if (at('}')) {
                        ++p_;
                        containers_.pop_back();
                        break;
                    }
                    if (!member_key()) return false;
                    continue;
                case '[':
                    ++p_;
                    containers_.push_back(false);
                    skip_space();
                    if (at(']')) {
                        ++p_;
                        containers_.pop_back();
                        break;
                    }
                    continue;
                case '"': {
                    auto token = string();
                    if (!token) return false;
                    if (model_value_here) {
                        kind_ = model_value::string;
                        model_.clear();
                        read_string(*token, model_);
                    }
                    break;
                }
                case 't':
                    if (!literal("true")) return false;
                    break;
                case 'f':
                    if (!literal("false")) return false;
                    break;
                case 'n':
                    if (!literal("null")) return false;
                    break;
                default:
                    if (!number()) return false;
                    break;
            }

            // After a complete value: close containers or move to the next element.
            for (;;) {
                if (containers_.empty()) return true;
                skip_space();
                if (p_ == end_) return false;
                bool in_object = containers_.back();
                if (*p_ == ',') {
                    ++p_;
                    if (in_object && !member_key()) return false;
                    break;
                }
                if (*p_ != (in_object ? '}' : ']')) return false;
                ++p_;
                containers_.pop_back();
            }
        }
    }

    // `"key" :` inside an object; notes whether it names the top-level "model".
    bool member_key() {
        skip_space();
        if (!at('"')) return false;
        auto token = string();
        if (!token) return false;
        if (containers_.size() == 1) expect_model_value_ = names_model(*token);
        skip_space();
        if (!at(':')) return false;
        ++p_;
        return true;
    }

    static bool names_model(const string_token& token) {
        constexpr std::string_view model = "model";
        if (!token.escaped) return std::string_view(token.begin, token.end - token.begin) == model;
        std::string decoded;
        read_string(token, decoded);
        return decoded == model;
    }

    // A string starting at the opening quote; checks escapes and UTF-8, stops after the close.
    std::optional<string_token> string() {
        ++p_;
        string_token token{p_, p_, false};
        while (p_ != end_) {
            skip_plain_run();
            if (p_ == end_) break;
            auto c = static_cast<unsigned char>(*p_);
            if (c == '"') {
                token.end = p_++;
                return token;
            }
            if (c < 0x20) return std::nullopt;
            if (c == '\\') {
                token.escaped = true;
                if (!escape()) return std::nullopt;
            } else if (c < 0x80) {
                ++p_;
            } else if (!utf8_sequence()) {
                return std::nullopt;
            }
        }
        return std::nullopt;
    }

    // Skips plain string bytes (none a quote, a backslash, a control character or non-ASCII)
    // sixteen at a time with SSE2, eight at a time elsewhere, and stops on the first other
    // one: most of a request body is plain text inside strings.
    void skip_plain_run() {
#if defined(__SSE2__)
        const __m128i quote = _mm_set1_epi8('"');
        const __m128i backslash = _mm_set1_epi8('\\');
        const __m128i space = _mm_set1_epi8(0x20);
        while (end_ - p_ >= 16) {
            __m128i bytes = _mm_loadu_si128(reinterpret_cast<const __m128i*>(p_));
            // Signed: below 0x20 catches control characters and non-ASCII (negative) at once.
            __m128i special = _mm_or_si128(
                _mm_or_si128(_mm_cmpeq_epi8(bytes, quote), _mm_cmpeq_epi8(bytes, backslash)),
                _mm_cmplt_epi8(bytes, space)
            );
            if (auto mask = static_cast<unsigned>(_mm_movemask_epi8(special))) {
                p_ += std::countr_zero(mask);
                return;
            }
            p_ += 16;
        }
#endif
        constexpr std::uint64_t ones = 0x0101010101010101ull;
        constexpr std::uint64_t highs = 0x8080808080808080ull;
        auto has_zero_byte = [](std::uint64_t x) { return (x - ones) & ~x & highs; };
        while (end_ - p_ >= 8) {
            std::uint64_t word;
            std::memcpy(&word, p_, 8);
            std::uint64_t special = has_zero_byte(word ^ (ones * '"')) |
                                    has_zero_byte(word ^ (ones * '\\')) |
                                    ((word - ones * 0x20) & ~word & highs) | (word & highs);
            if (special) {
                // The lowest flag is exact (borrows only run upwards): on a little-endian
                // machine it marks the first special byte.
                if constexpr (std::endian::native == std::endian::little)
                    p_ += std::countr_zero(special) / 8;
                return;
            }
            p_ += 8;
        }
    }

    // One escape after the backslash; a \u high surrogate must be followed by a low one.
    bool escape() {
        ++p_;
        if (p_ == end_) return false;
        switch (*p_) {
            case '"':
            case '\\':
            case '/':
            case 'b':
            case 'f':
            case 'n':
            case 'r':
            case 't':
                ++p_;
                return true;
            case 'u': {
                auto unit = code_unit();
                if (!unit) return false;
                if (*unit >= 0xDC00 && *unit <= 0xDFFF) return false;
                if (*unit >= 0xD800 && *unit <= 0xDBFF) {
                    if (end_ - p_ < 2 || p_[0] != '\\' || p_[1] != 'u') return false;
                    ++p_;
                    auto low = code_unit();
                    if (!low || *low < 0xDC00 || *low > 0xDFFF) return false;
                }
                return true;
            }
            default:
                return false;
        }
    }

    // The four hex digits after `u` (p_ at the `u`); leaves p_ after them.
    std::optional<std::uint32_t> code_unit() {
        if (end_ - p_ < 5) return std::nullopt;
        std::uint32_t value = 0;
        for (int i = 1; i <= 4; ++i) {
            int digit = hex_digit(p_[i]);
            if (digit < 0) return std::nullopt;
            value = value * 16 + static_cast<std::uint32_t>(digit);
        }
        p_ += 5;
        return value;
    }

    // A multi-byte UTF-8 sequence as RFC 3629 allows it: no overlong forms, no surrogates,
    // nothing above U+10FFFF.
    bool utf8_sequence() {
        auto byte = [&](std::ptrdiff_t i) { return static_cast<unsigned char>(p_[i]); };
        auto in = [](unsigned char b, unsigned char lo, unsigned char hi) {
            return b >= lo && b <= hi;
        };
        auto left = end_ - p_;
        unsigned char lead = byte(0);
        int length = 0;
        unsigned char second_lo = 0x80, second_hi = 0xBF;
        if (in(lead, 0xC2, 0xDF)) {
            length = 2;
        } else if (in(lead, 0xE0, 0xEF)) {
            length = 3;
            if (lead == 0xE0) second_lo = 0xA0;
            if (lead == 0xED) second_hi = 0x9F;
        } else if (in(lead, 0xF0, 0xF4)) {
            length = 4;
            if (lead == 0xF0) second_lo = 0x90;
            if (lead == 0xF4) second_hi = 0x8F;
        } else {
            return false;
        }
        if (left < length || !in(byte(1), second_lo, second_hi)) return false;
        for (int i = 2; i < length; ++i) {
            if (!in(byte(i), 0x80, 0xBF)) return false;
        }
        p_ += length;
        return true;
    }

    // Appends the decoded text of an already validated string.
    static void read_string(const string_token& token, std::string& out) {
        if (!token.escaped) {
            out.append(token.begin, token.end);
            return;
        }
        for (const char* q = token.begin; q != token.end;) {
            if (*q != '\\') {
                out += *q++;
                continue;
            }
            char kind = q[1];
            q += 2;
            switch (kind) {
                case 'b':
                    out += '\b';
                    break;
                case 'f':
                    out += '\f';
                    break;
                case 'n':
                    out += '\n';
                    break;
                case 'r':
                    out += '\r';
                    break;
                case 't':
                    out += '\t';
                    break;
                case 'u': {
                    std::uint32_t code_point = hex4(q);
                    q += 4;
                    if (code_point >= 0xD800 && code_point <= 0xDBFF) {
                        std::uint32_t low = hex4(q + 2);
                        q += 6;
                        code_point = 0x10000 + ((code_point - 0xD800) << 10) + (low - 0xDC00);
                    }
                    core::append_utf8(out, static_cast<char32_t>(code_point));
                    break;
                }
                default:
                    out += kind;
                    break;  // " \ /
            }
        }
    }

    static std::uint32_t hex4(const char* q) {
        std::uint32_t value = 0;
        for (int i = 0; i < 4; ++i)
            value = value * 16 + static_cast<std::uint32_t>(hex_digit(q[i]));
        return value;
    }

    bool literal(std::string_view word) {
        if (static_cast<std::size_t>(end_ - p_) < word.size() ||
            std::string_view(p_, word.size()) != word) {
            return false;
        }
        p_ += word.size();
        return true;
    }

    // -?(0|[1-9][0-9]*)(\.[0-9]+)?([eE][+-]?[0-9]+)?, and finite as a double: a parser
    // reading numbers as doubles (nlohmann, llama-server) refuses 1e999.
    bool number() {
        const char* start = p_;
        if (!number_syntax()) return false;
        bool may_overflow = p_ - start > 300 || std::find_if(start, p_, [](char c) {
                                                    return c == 'e' || c == 'E';
                                                }) != p_;
        if (!may_overflow) return true;
        std::string text(start, p_);
        return std::isfinite(std::strtod(text.c_str(), nullptr));
    }

    bool number_syntax() {
        auto digit = [&] { return p_ != end_ && *p_ >= '0' && *p_ <= '9'; };
        auto digits = [&] {
            if (!digit()) return false;
            while (digit()) ++p_;
            return true;
        };
        if (at('-')) ++p_;
        if (at('0')) {
            ++p_;
        } else if (!digits()) {
            return false;
        }
        if (at('.')) {
            ++p_;
            if (!digits()) return false;
        }
        if (at('e') || at('E')) {
            ++p_;
            if (at('+') || at('-')) ++p_;
            if (!digits()) return false;
        }
        return true;
    }

    const char* p_;
    const char* end_;
    container_stack containers_;
    bool expect_model_value_ = false;
    bool top_level_object_ = false;
    model_value kind_ = model_value::absent;
    std::string model_;
};

}  // namespace

boost::system::result<std::string, core::api_error> read_model_field(std::string_view body) {
    model_scanner scanner(body);
    if (!scanner.scan()) {
        return core::bad_request("Request body is not valid JSON", std::nullopt, "invalid_json");
    }
    if (!scanner.top_level_is_object()) {
        return core::bad_request(
            "Request body must be a JSON object", std::nullopt, "invalid_json"
        );
    }
    if (scanner.kind() != model_value::string || scanner.model().empty()) {
        return core::bad_request(
            "You must provide a model parameter (a non-empty string)", "model", "missing_model"
        );
    }
    return std::move(scanner.model());
}

}  // namespace solar::control
