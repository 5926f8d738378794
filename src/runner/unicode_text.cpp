// UTF-8 coding by hand, character properties and normalisation forms through utf8proc.
#include <solar/runner/tokenizer/unicode.hpp>

#include <cstdlib>
#include <memory>
#include <utf8proc.h>

namespace solar::runner::unicode {

namespace {

constexpr char32_t replacement_char = 0xFFFD;

// Length of the maximal valid prefix of a UTF-8 sequence at `pos` (0 when the lead byte itself
// is invalid) and whether it is complete; the decoder and the lossy converter share it.
struct sequence_scan {
    std::size_t length;
    bool complete;
    char32_t cp;
};

sequence_scan scan_sequence(std::string_view text, std::size_t pos) {
    auto byte = [&](std::size_t i) { return static_cast<unsigned char>(text[i]); };
    unsigned char lead = byte(pos);
    if (lead < 0x80) return {1, true, lead};
    std::size_t need = 0;
    char32_t cp = 0;
    unsigned char lo = 0x80, hi = 0xBF;
    if (lead >= 0xC2 && lead <= 0xDF) {
        need = 1;
        cp = lead & 0x1F;
    } else if (lead >= 0xE0 && lead <= 0xEF) {
        need = 2;
        cp = lead & 0x0F;
        if (lead == 0xE0) lo = 0xA0;
        if (lead == 0xED) hi = 0x9F;
    } else if (lead >= 0xF0 && lead <= 0xF4) {
        need = 3;
        cp = lead & 0x07;
        if (lead == 0xF0) lo = 0x90;
        if (lead == 0xF4) hi = 0x8F;
    } else {
        return {0, false, 0};
    }
    std::size_t length = 1;
    for (std::size_t k = 0; k < need; ++k) {
        if (pos + length >= text.size()) return {length, false, 0};
        unsigned char c = byte(pos + length);
        if (c < lo || c > hi) return {length, false, 0};
        lo = 0x80;
        hi = 0xBF;
        cp = (cp << 6) | (c & 0x3F);
        ++length;
    }
    return {length, true, cp};
}

bool in_ranges(char32_t cp, std::initializer_list<std::pair<char32_t, char32_t>> ranges) {
    for (auto [lo, hi] : ranges) {
        if (cp >= lo && cp <= hi) return true;
    }
    return false;
}

utf8proc_category_t category(char32_t cp) {
    return utf8proc_category(static_cast<utf8proc_int32_t>(cp));
}

}  // namespace

char32_t decode_next(std::string_view text, std::size_t& pos) {
    auto scan = scan_sequence(text, pos);
    if (!scan.complete) {
        pos += scan.length == 0 ? 1 : scan.length;
        return replacement_char;
    }
    pos += scan.length;
    return scan.cp;
}

std::u32string decode(std::string_view text) {
    std::u32string out;
    out.reserve(text.size());
    for (std::size_t pos = 0; pos < text.size();) out.push_back(decode_next(text, pos));
    return out;
}

std::string encode(std::u32string_view text) {
    std::string out;
    out.reserve(text.size());
    for (char32_t cp : text) append_utf8(out, cp);
    return out;
}

std::string from_utf8_lossy(std::string_view bytes) {
    std::string out;
    out.reserve(bytes.size());
    for (std::size_t pos = 0; pos < bytes.size();) {
        auto scan = scan_sequence(bytes, pos);
        if (scan.complete) {
            out.append(bytes.substr(pos, scan.length));
            pos += scan.length;
        } else {
            append_utf8(out, replacement_char);
            pos += scan.length == 0 ? 1 : scan.length;
        }
    }
    return out;
}

bool is_valid_utf8(std::string_view bytes) {
    for (std::size_t pos = 0; pos < bytes.size();) {
        auto scan = scan_sequence(bytes, pos);
        if (!scan.complete) return false;
        pos += scan.length;
    }
    return true;
}

bool is_whitespace(char32_t cp) {
    return in_ranges(
        cp,
        {{0x09, 0x0D},
         {0x20, 0x20},
         {0x85, 0x85},
         {0xA0, 0xA0},
         {0x1680, 0x1680},
         {0x2000, 0x200A},
         {0x2028, 0x2029},
         {0x202F, 0x202F},
         {0x205F, 0x205F},
         {0x3000, 0x3000}}
    );
}

bool is_alphanumeric(char32_t cp) {
    switch (category(cp)) {
        case UTF8PROC_CATEGORY_LU:
        case UTF8PROC_CATEGORY_LL:
        case UTF8PROC_CATEGORY_LT:
        case UTF8PROC_CATEGORY_LM:
        case UTF8PROC_CATEGORY_LO:
        case UTF8PROC_CATEGORY_ND:
        case UTF8PROC_CATEGORY_NL:
        case UTF8PROC_CATEGORY_NO:
        case UTF8PROC_CATEGORY_MC:
            return true;
        default:
            return false;
    }
}

bool is_numeric(char32_t cp) {
    auto c = category(cp);
    return c == UTF8PROC_CATEGORY_ND || c == UTF8PROC_CATEGORY_NL || c == UTF8PROC_CATEGORY_NO;
}

bool is_punctuation(char32_t cp) {
    if (cp < 0x80) {
        return (cp >= 0x21 && cp <= 0x2F) || (cp >= 0x3A && cp <= 0x40) ||
               (cp >= 0x5B && cp <= 0x60) || (cp >= 0x7B && cp <= 0x7E);
    }
    switch (category(cp)) {
        case UTF8PROC_CATEGORY_PC:
        case UTF8PROC_CATEGORY_PD:
        case UTF8PROC_CATEGORY_PS:
        case UTF8PROC_CATEGORY_PE:
        case UTF8PROC_CATEGORY_PI:
        case UTF8PROC_CATEGORY_PF:
        case UTF8PROC_CATEGORY_PO:
            return true;
        default:
            return false;
    }
}

bool is_nonspacing_mark(char32_t cp) { return category(cp) == UTF8PROC_CATEGORY_MN; }

bool is_bert_control(char32_t cp) {
    if (cp == '\t' || cp == '\n' || cp == '\r') return false;
    switch (category(cp)) {
        case UTF8PROC_CATEGORY_CC:
        case UTF8PROC_CATEGORY_CF:
        case UTF8PROC_CATEGORY_CN:
        case UTF8PROC_CATEGORY_CO:
        case UTF8PROC_CATEGORY_CS:
            return true;
        default:
            return false;
    }
}

bool is_chinese_char(char32_t cp) {
    return in_ranges(
        cp,
        {{0x4E00, 0x9FFF},
         {0x3400, 0x4DBF},
         {0x20000, 0x2A6DF},
         {0x2A700, 0x2B73F},
         {0x2B740, 0x2B81F},
         {0x2B820, 0x2CEAF},
         {0xF900, 0xFAFF},
         {0x2F800, 0x2FA1F}}
    );
}

int combining_class(char32_t cp) {
    return utf8proc_get_property(static_cast<utf8proc_int32_t>(cp))->combining_class;
}

std::u32string to_lower(char32_t cp) {
    if (cp == 0x130) return U"i\u0307";  // the one unconditional multi-character lowercase
    return std::u32string(
        1, static_cast<char32_t>(utf8proc_tolower(static_cast<utf8proc_int32_t>(cp)))
    );
}

std::u32string normalize(std::u32string_view text, normal_form form) {
    int options = UTF8PROC_STABLE;
    switch (form) {
        case normal_form::nfc:
            options |= UTF8PROC_COMPOSE;
            break;
        case normal_form::nfd:
            options |= UTF8PROC_DECOMPOSE;
            break;
        case normal_form::nfkc:
            options |= UTF8PROC_COMPOSE | UTF8PROC_COMPAT;
            break;
        case normal_form::nfkd:
            options |= UTF8PROC_DECOMPOSE | UTF8PROC_COMPAT;
            break;
    }
    std::string utf8 = encode(text);
    utf8proc_uint8_t* out = nullptr;
    auto length = utf8proc_map(
        reinterpret_cast<const utf8proc_uint8_t*>(utf8.data()),
        static_cast<utf8proc_ssize_t>(utf8.size()),
        &out,
        static_cast<utf8proc_option_t>(options)
    );
    if (length < 0) return std::u32string(text);  // only for invalid code points, never decoded
    std::unique_ptr<utf8proc_uint8_t, decltype(&std::free)> owned(out, &std::free);
    return decode(
        std::string_view(reinterpret_cast<const char*>(out), static_cast<std::size_t>(length))
    );
}

}  // namespace solar::runner::unicode
