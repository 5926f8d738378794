// Leftmost-longest matching of added tokens, with the single_word, lstrip and rstrip rules.
#include <solar/runner/tokenizer/added_vocabulary.hpp>
#include <solar/runner/tokenizer/components.hpp>
#include <solar/runner/tokenizer/unicode.hpp>

#include <algorithm>

namespace solar::runner {

namespace {

bool is_word_char(char32_t cp) { return cp == U'_' || unicode::is_alphanumeric(cp); }

}  // namespace

added_vocabulary::added_vocabulary(std::vector<added_token> tokens, const normalizer* n)
    : tokens_(std::move(tokens)) {
    raw_.by_first_byte.resize(256);
    normalized_.by_first_byte.resize(256);
    for (std::size_t i = 0; i < tokens_.size(); ++i) {
        const auto& t = tokens_[i];
        by_id_[t.id] = i;
        by_content_[t.content] = i;
        if (t.content.empty()) continue;
        if (!t.normalized) {
            add_pattern(raw_, t.content, i);
        } else {
            aligned_text text = make_aligned_text(t.content);
            if (n) n->normalize(text);
            add_pattern(normalized_, to_utf8(text), i);
        }
    }
    index(raw_);
    index(normalized_);
}

void added_vocabulary::add_pattern(matcher& m, std::string text, std::size_t token) {
    if (text.empty()) return;
    m.patterns.push_back(std::move(text));
    m.token_of.push_back(token);
}

void added_vocabulary::index(matcher& m) {
    for (std::size_t p = 0; p < m.patterns.size(); ++p) {
        m.by_first_byte[static_cast<unsigned char>(m.patterns[p][0])].push_back(p);
    }
    for (auto& list : m.by_first_byte) {
        std::stable_sort(list.begin(), list.end(), [&](std::size_t a, std::size_t b) {
            return m.patterns[a].size() > m.patterns[b].size();
        });
    }
}

std::vector<added_piece> added_vocabulary::split(const aligned_text& text, bool normalized_pass)
    const {
    const matcher& m = normalized_pass ? normalized_ : raw_;
    std::vector<added_piece> out;
    if (m.patterns.empty()) {
        out.push_back({text, std::nullopt});
        return out;
    }
    std::vector<std::size_t> char_at_byte;
    std::string utf8 = to_utf8(text, &char_at_byte);
    auto char_index = [&](std::size_t byte) {
        return byte < utf8.size() ? char_at_byte[byte] : text.size();
    };
    std::size_t start_offset = 0;  // in characters
    std::size_t pos = 0;           // in bytes
    while (pos < utf8.size()) {
        const auto& candidates = m.by_first_byte[static_cast<unsigned char>(utf8[pos])];
        const std::string* hit = nullptr;
        std::size_t hit_pattern = 0;
        for (std::size_t p : candidates) {
            if (utf8.compare(pos, m.patterns[p].size(), m.patterns[p]) == 0) {
                hit = &m.patterns[p];
                hit_pattern = p;
                break;
            }
        }
        if (!hit) {
            ++pos;
            continue;
        }
        std::size_t match_end = pos + hit->size();
        const added_token& token = tokens_[m.token_of[hit_pattern]];
        std::size_t start = char_index(pos);
        std::size_t stop = char_index(match_end);
        pos = match_end;
        if (token.single_word) {
            bool start_ok = start == 0 || !is_word_char(text[start - 1].cp);
            bool stop_ok = stop == text.size() || !is_word_char(text[stop].cp);
            if (!start_ok || !stop_ok) continue;
        }
        if (token.lstrip) {
            std::size_t s = start;
            while (s > 0 && unicode::is_whitespace(text[s - 1].cp)) --s;
            start = std::max(s, start_offset);
        }
        if (token.rstrip) {
            while (stop < text.size() && unicode::is_whitespace(text[stop].cp)) ++stop;
        }
        if (start_offset < start) {
            out.push_back(
                {aligned_text(text.begin() + start_offset, text.begin() + start), std::nullopt}
            );
        }
        out.push_back({aligned_text(text.begin() + start, text.begin() + stop), token.id});
        start_offset = stop;
    }
    if (start_offset < text.size()) {
        out.push_back({aligned_text(text.begin() + start_offset, text.end()), std::nullopt});
    }
    return out;
}

const added_token* added_vocabulary::find(std::int32_t id) const {
    auto it = by_id_.find(id);
    return it == by_id_.end() ? nullptr : &tokens_[it->second];
}

std::optional<std::int32_t> added_vocabulary::find(std::string_view content) const {
    auto it = by_content_.find(std::string(content));
    if (it == by_content_.end()) return std::nullopt;
    return tokens_[it->second].id;
}

bool added_vocabulary::is_special_content(std::string_view content) const {
    auto it = by_content_.find(std::string(content));
    return it != by_content_.end() && tokens_[it->second].special;
}

}  // namespace solar::runner
