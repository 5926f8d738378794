// The normalizers of tokenizer.json: BertNormalizer, the Unicode forms, Lowercase,
// StripAccents, Replace, Prepend, Strip and Sequence.
#include <solar/runner/tokenizer/components.hpp>
#include <solar/runner/tokenizer/pattern.hpp>
#include <solar/runner/tokenizer/unicode.hpp>

#include <nlohmann/json.hpp>

namespace solar::runner {

namespace {

// Characters that replace a range of the input all stand for the range's original bytes.
aligned_char aligned_like(char32_t cp, const aligned_char& first, const aligned_char& last) {
    return {cp, first.begin, last.end};
}

void strip_marks(aligned_text& text) {
    std::erase_if(text, [](const aligned_char& c) { return unicode::is_nonspacing_mark(c.cp); });
}

void lowercase(aligned_text& text) {
    aligned_text out;
    out.reserve(text.size());
    for (const auto& c : text) {
        for (char32_t lower : unicode::to_lower(c.cp)) out.push_back({lower, c.begin, c.end});
    }
    text = std::move(out);
}

// Normalises segment by segment (a starter and what combines with it), so that every output
// character can be aligned to the input characters it came from.
void apply_form(aligned_text& text, unicode::normal_form form) {
    aligned_text out;
    out.reserve(text.size());
    std::u32string segment;
    std::size_t segment_first = 0;
    auto flush = [&](std::size_t end) {
        if (segment.empty()) return;
        std::u32string normal = unicode::normalize(segment, form);
        if (normal.size() == segment.size()) {
            // Unchanged or only reordered: each position keeps its input's bytes.
            for (std::size_t k = 0; k < normal.size(); ++k) {
                auto c = text[segment_first + k];
                c.cp = normal[k];
                out.push_back(c);
            }
        } else {
            // Characters that survive keep their own bytes; a composed or decomposed one takes
            // those of the input character it replaces, and the characters it absorbed vanish
            // (as the reference's alignments do: "e\u0301" composes to an "é" of the "e" only).
            std::size_t i = segment_first;
            for (std::size_t k = 0; k < normal.size(); ++k) {
                if (i < end && normal[k] == text[i].cp) {
                    out.push_back(text[i++]);
                    continue;
                }
                const aligned_char& source = text[i < end ? i : end - 1];
                out.push_back({normal[k], source.begin, source.end});
                if (i < end) ++i;
                while (i < end && (k + 1 >= normal.size() || text[i].cp != normal[k + 1])) ++i;
            }
        }
        segment.clear();
        segment_first = end;
    };
    for (std::size_t i = 0; i < text.size(); ++i) {
        char32_t cp = text[i].cp;
        bool boundary = segment.empty() || cp < 0x80;
        if (!boundary && unicode::combining_class(cp) == 0) {
            std::u32string joined = segment + cp;
            boundary =
                unicode::normalize(joined, form) ==
                unicode::normalize(segment, form) + unicode::normalize(std::u32string(1, cp), form);
        }
        if (boundary) flush(i);
        segment.push_back(cp);
    }
    flush(text.size());
    text = std::move(out);
}

class bert_normalizer final : public normalizer {
public:
    bert_normalizer(bool clean_text, bool chinese, bool strip_accents, bool lowercase)
        : clean_text_(clean_text),
          chinese_(chinese),
          strip_accents_(strip_accents),
          lowercase_(lowercase) {}

    void normalize(aligned_text& text) const override {
        if (clean_text_) {
            aligned_text out;
            out.reserve(text.size());
            for (auto c : text) {
                if (c.cp == 0 || c.cp == 0xFFFD || unicode::is_bert_control(c.cp)) continue;
                if (unicode::is_whitespace(c.cp)) c.cp = U' ';
                out.push_back(c);
            }
            text = std::move(out);
        }
        if (chinese_) {
            aligned_text out;
            out.reserve(text.size());
            for (const auto& c : text) {
                if (unicode::is_chinese_char(c.cp)) {
                    out.push_back({U' ', c.begin, c.end});
                    out.push_back(c);
                    out.push_back({U' ', c.begin, c.end});
                } else {
                    out.push_back(c);
                }
            }
            text = std::move(out);
        }
        if (strip_accents_) {
            apply_form(text, unicode::normal_form::nfd);
            strip_marks(text);
        }
        if (lowercase_) runner::lowercase(text);
    }

private:
    bool clean_text_, chinese_, strip_accents_, lowercase_;
};

class form_normalizer final : public normalizer {
public:
    explicit form_normalizer(unicode::normal_form form) : form_(form) {}
    void normalize(aligned_text& text) const override { apply_form(text, form_); }

private:
    unicode::normal_form form_;
};

class lowercase_normalizer final : public normalizer {
public:
    void normalize(aligned_text& text) const override { lowercase(text); }
};

class strip_accents_normalizer final : public normalizer {
public:
    void normalize(aligned_text& text) const override { strip_marks(text); }
};

class replace_normalizer final : public normalizer {
public:
    replace_normalizer(pattern p, std::string content)
        : pattern_(std::move(p)), content_(unicode::decode(content)) {}

    void normalize(aligned_text& text) const override {
        auto matches = pattern_.find_all(text);
        if (matches.empty()) return;
        aligned_text out;
        out.reserve(text.size());
        std::size_t prev = 0;
        for (auto [b, e] : matches) {
            out.insert(out.end(), text.begin() + prev, text.begin() + b);
            for (char32_t cp : content_) out.push_back(aligned_like(cp, text[b], text[e - 1]));
            prev = e;
        }
        out.insert(out.end(), text.begin() + prev, text.end());
        text = std::move(out);
    }

private:
    pattern pattern_;
    std::u32string content_;
};

class prepend_normalizer final : public normalizer {
public:
    explicit prepend_normalizer(std::string prefix) : prefix_(unicode::decode(prefix)) {}
    void normalize(aligned_text& text) const override {
        if (text.empty()) return;
        aligned_text head;
        for (char32_t cp : prefix_) head.push_back({cp, text.front().begin, text.front().end});
        text.insert(text.begin(), head.begin(), head.end());
    }

private:
    std::u32string prefix_;
};

class strip_normalizer final : public normalizer {
public:
    strip_normalizer(bool left, bool right) : left_(left), right_(right) {}
    void normalize(aligned_text& text) const override {
        auto ws = [](const aligned_char& c) { return unicode::is_whitespace(c.cp); };
        if (right_) {
            while (!text.empty() && ws(text.back())) text.pop_back();
        }
        if (left_) {
            auto it = std::find_if_not(text.begin(), text.end(), ws);
            text.erase(text.begin(), it);
        }
    }

private:
    bool left_, right_;
};

class sequence_normalizer final : public normalizer {
public:
    explicit sequence_normalizer(std::vector<std::unique_ptr<normalizer>> parts)
        : parts_(std::move(parts)) {}
    void normalize(aligned_text& text) const override {
        for (const auto& part : parts_) part->normalize(text);
    }

private:
    std::vector<std::unique_ptr<normalizer>> parts_;
};

bool flag(const nlohmann::json& j, const char* key, bool fallback) {
    auto it = j.find(key);
    return it != j.end() && it->is_boolean() ? it->get<bool>() : fallback;
}

}  // namespace

tokenizer_result<std::unique_ptr<normalizer>> make_normalizer(const nlohmann::json& j) {
    std::string type = j.value("type", "");
    if (type == "BertNormalizer") {
        bool lower = flag(j, "lowercase", true);
        return std::make_unique<bert_normalizer>(
            flag(j, "clean_text", true),
            flag(j, "handle_chinese_chars", true),
            flag(j, "strip_accents", lower),  // null: follows lowercase
            lower
        );
    }
    if (type == "NFC") return std::make_unique<form_normalizer>(unicode::normal_form::nfc);
    if (type == "NFD") return std::make_unique<form_normalizer>(unicode::normal_form::nfd);
    if (type == "NFKC") return std::make_unique<form_normalizer>(unicode::normal_form::nfkc);
    if (type == "NFKD") return std::make_unique<form_normalizer>(unicode::normal_form::nfkd);
    if (type == "Lowercase") return std::make_unique<lowercase_normalizer>();
    if (type == "StripAccents") return std::make_unique<strip_accents_normalizer>();
    if (type == "Strip") {
        return std::make_unique<strip_normalizer>(
            flag(j, "strip_left", true), flag(j, "strip_right", true)
        );
    }
    if (type == "Prepend") {
        return std::make_unique<prepend_normalizer>(j.value("prepend", std::string()));
    }
    if (type == "Replace") {
        auto p = pattern::from_json(j.value("pattern", nlohmann::json()));
        if (!p) return p.error();
        return std::make_unique<replace_normalizer>(*p, j.value("content", std::string()));
    }
    if (type == "Sequence") {
        std::vector<std::unique_ptr<normalizer>> parts;
        for (const auto& part : j.value("normalizers", nlohmann::json::array())) {
            if (part.is_null()) continue;
            auto n = make_normalizer(part);
            if (!n) return n.error();
            parts.push_back(std::move(*n));
        }
        return std::make_unique<sequence_normalizer>(std::move(parts));
    }
    return make_tokenizer_error(
        tokenizer_errc::unsupported_component, "unsupported normalizer type \"" + type + "\""
    );
}

}  // namespace solar::runner
