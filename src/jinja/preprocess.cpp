// The reference's template preprocessing (trim_blocks, lstrip_blocks, generation tags), with
// offsets.
#include "solar/jinja/js_text.hpp"
#include "solar/jinja/lexer.hpp"

namespace solar::jinja {
namespace {

// Applies fn(out, text, origin, i) -> next i over the input, building a new preprocessed text.
template <typename Step>
preprocessed rewrite(const preprocessed& in, Step step) {
    preprocessed out;
    out.text.reserve(in.text.size());
    out.origin.reserve(in.origin.size());
    for (std::size_t i = 0; i < in.text.size();) i = step(out, in, i);
    return out;
}

void copy(preprocessed& out, const preprocessed& in, std::size_t from, std::size_t to) {
    out.text.append(in.text, from, to - from);
    out.origin.insert(
        out.origin.end(),
        in.origin.begin() + static_cast<std::ptrdiff_t>(from),
        in.origin.begin() + static_cast<std::ptrdiff_t>(to)
    );
}

// Length of `{%-? \s* (end)?generation \s* -?%}` at i, or 0; sets the strip flags.
std::size_t generation_tag_at(std::string_view s, std::size_t i, bool& lstrip, bool& rstrip) {
    if (s.substr(i, 2) != "{%") return 0;
    std::size_t p = i + 2;
    lstrip = p < s.size() && s[p] == '-';
    if (lstrip) ++p;
    while (std::size_t n = js_space_at(s, p)) p += n;
    if (s.substr(p, 3) == "end") p += 3;
    if (s.substr(p, 10) != "generation") return 0;
    p += 10;
    while (std::size_t n = js_space_at(s, p)) p += n;
    rstrip = p < s.size() && s[p] == '-';
    if (rstrip) ++p;
    if (s.substr(p, 2) != "%}") return 0;
    return p + 2 - i;
}

}  // namespace

preprocessed preprocess(std::string_view source) {
    preprocessed text{std::string(source), {}};
    for (std::size_t i = 0; i < source.size(); ++i) text.origin.push_back(i);
    if (!text.text.empty() && text.text.back() == '\n') {
        text.text.pop_back();
        text.origin.pop_back();
    }
    // lstrip_blocks: /^[ \t]*({[#%-])/gm -> "$1".
    text = rewrite(text, [](preprocessed& out, const preprocessed& in, std::size_t i) {
        const std::string& s = in.text;
        const bool line_start =
            i == 0 || js_line_break_at(s, i - 1) || (i >= 3 && js_line_break_at(s, i - 3) == 3);
        std::size_t j = i;
        if (line_start) {
            while (j < s.size() && (s[j] == ' ' || s[j] == '\t')) ++j;
            if (j + 1 < s.size() && s[j] == '{' &&
                (s[j + 1] == '#' || s[j + 1] == '%' || s[j + 1] == '-')) {
                copy(out, in, j, j + 2);
                return j + 2;
            }
        }
        copy(out, in, i, i + 1);
        return i + 1;
    });
    // trim_blocks: /([#%-]})\n/g -> "$1".
    text = rewrite(text, [](preprocessed& out, const preprocessed& in, std::size_t i) {
        const std::string& s = in.text;
        if (i + 2 < s.size() && (s[i] == '#' || s[i] == '%' || s[i] == '-') && s[i + 1] == '}' &&
            s[i + 2] == '\n') {
            copy(out, in, i, i + 2);
            return i + 3;
        }
        copy(out, in, i, i + 1);
        return i + 1;
    });
    // /(\s*){%(-?)\s*(?:end)?generation\s*(-?)%}(\s*)/gs: the tag goes, '-' also eats the spaces.
    if (text.text.find("generation") == std::string::npos) return text;
    preprocessed out;
    const std::string& s = text.text;
    for (std::size_t i = 0; i < s.size();) {
        std::size_t run_end = i;
        while (std::size_t n = js_space_at(s, run_end)) run_end += n;
        bool lstrip = false, rstrip = false;
        if (const std::size_t length = generation_tag_at(s, run_end, lstrip, rstrip)) {
            if (!lstrip) copy(out, text, i, run_end);
            std::size_t after = run_end + length;
            std::size_t after_end = after;
            while (std::size_t n = js_space_at(s, after_end)) after_end += n;
            if (!rstrip) copy(out, text, after, after_end);
            i = after_end;
        } else {
            const std::size_t next = run_end > i ? run_end : i + 1;
            copy(out, text, i, next);
            i = next;
        }
    }
    return out;
}

void line_column(
    std::string_view source, std::size_t offset, std::size_t& line, std::size_t& column
) {
    line = 1;
    column = 1;
    for (std::size_t i = 0; i < offset && i < source.size(); ++i) {
        if (source[i] == '\n') {
            ++line;
            column = 1;
        } else {
            ++column;
        }
    }
}

}  // namespace solar::jinja
