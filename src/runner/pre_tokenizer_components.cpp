// The pre-tokenizers of tokenizer.json: BertPreTokenizer, Whitespace, WhitespaceSplit,
// ByteLevel, Split, Metaspace, Punctuation, Digits, CharDelimiterSplit and Sequence.
#include <solar/runner/tokenizer/components.hpp>
#include <solar/runner/tokenizer/pattern.hpp>
#include <solar/runner/tokenizer/unicode.hpp>

#include <nlohmann/json.hpp>

namespace solar::runner {

namespace {

// GPT-2's split expression, as the ByteLevel pre-tokenizer uses it with use_regex.
constexpr const char* gpt2_regex =
    R"('s|'t|'re|'ve|'m|'ll|'d| ?\p{L}+| ?\p{N}+| ?[^\s\p{L}\p{N}]+|\s+(?!\S)|\s+)";

class char_split final : public pre_tokenizer {
public:
    using predicate = bool (*)(char32_t);
    char_split(predicate pred, split_behavior behavior) : pred_(pred), behavior_(behavior) {}
    std::vector<aligned_text> split(aligned_text text) const override {
        return split_by_matches(text, match_chars(text, pred_), behavior_);
    }

private:
    predicate pred_;
    split_behavior behavior_;
};

class delimiter_split final : public pre_tokenizer {
public:
    explicit delimiter_split(char32_t delimiter) : delimiter_(delimiter) {}
    std::vector<aligned_text> split(aligned_text text) const override {
        auto matches = match_chars(text, [this](char32_t cp) { return cp == delimiter_; });
        return split_by_matches(text, matches, split_behavior::removed);
    }

private:
    char32_t delimiter_;
};

class pattern_split final : public pre_tokenizer {
public:
    pattern_split(pattern p, split_behavior behavior, bool invert)
        : pattern_(std::move(p)), behavior_(behavior), invert_(invert) {}
    std::vector<aligned_text> split(aligned_text text) const override {
        return split_by_matches(text, pattern_.find_all(text), behavior_, invert_);
    }

private:
    pattern pattern_;
    split_behavior behavior_;
    bool invert_;
};

class sequence_pre_tokenizer final : public pre_tokenizer {
public:
    explicit sequence_pre_tokenizer(std::vector<std::unique_ptr<pre_tokenizer>> parts)
        : parts_(std::move(parts)) {}
    std::vector<aligned_text> split(aligned_text text) const override {
        std::vector<aligned_text> pieces;
        pieces.push_back(std::move(text));
        for (const auto& part : parts_) {
            std::vector<aligned_text> next;
            for (auto& piece : pieces) {
                for (auto& sub : part->split(std::move(piece))) next.push_back(std::move(sub));
            }
            pieces = std::move(next);
        }
        return pieces;
    }

private:
    std::vector<std::unique_ptr<pre_tokenizer>> parts_;
};

class bert_pre_tokenizer final : public pre_tokenizer {
public:
    std::vector<aligned_text> split(aligned_text text) const override {
        std::vector<aligned_text> out;
        auto words = split_by_matches(
            text, match_chars(text, unicode::is_whitespace), split_behavior::removed
        );
        for (const auto& word : words) {
            auto parts = split_by_matches(
                word, match_chars(word, unicode::is_punctuation), split_behavior::isolated
            );
            for (auto& part : parts) out.push_back(std::move(part));
        }
        return out;
    }
};

class byte_level_pre_tokenizer final : public pre_tokenizer {
public:
    byte_level_pre_tokenizer(bool add_prefix_space, std::optional<pattern> regex)
        : add_prefix_space_(add_prefix_space), regex_(std::move(regex)) {}

    std::vector<aligned_text> split(aligned_text text) const override {
        if (add_prefix_space_ && !text.empty() && text.front().cp != U' ') {
            text.insert(text.begin(), {U' ', text.front().begin, text.front().end});
        }
        std::vector<aligned_text> pieces;
        if (regex_) {
            pieces = split_by_matches(text, regex_->find_all(text), split_behavior::isolated);
        } else if (!text.empty()) {
            pieces.push_back(std::move(text));
        }
        const auto& alphabet = byte_level_alphabet();
        for (auto& piece : pieces) {
            aligned_text bytes;
            bytes.reserve(piece.size() * 2);
            std::string utf8;
            for (const auto& c : piece) {
                utf8.clear();
                unicode::append_utf8(utf8, c.cp);
                for (unsigned char b : utf8) bytes.push_back({alphabet[b], c.begin, c.end});
            }
            piece = std::move(bytes);
        }
        return pieces;
    }

private:
    bool add_prefix_space_;
    std::optional<pattern> regex_;
};

enum class prepend_scheme { always, first, never };

class metaspace_pre_tokenizer final : public pre_tokenizer {
public:
    metaspace_pre_tokenizer(char32_t replacement, prepend_scheme scheme, bool split)
        : replacement_(replacement), scheme_(scheme), split_(split) {}

    std::vector<aligned_text> split(aligned_text text) const override {
        for (auto& c : text) {
            if (c.cp == U' ') c.cp = replacement_;
        }
        bool prepend =
            scheme_ == prepend_scheme::always ||
            (scheme_ == prepend_scheme::first && !text.empty() && text.front().begin == 0);
        if (prepend && !text.empty() && text.front().cp != replacement_) {
            text.insert(text.begin(), {replacement_, text.front().begin, text.front().end});
        }
        if (!split_) {
            std::vector<aligned_text> out;
            if (!text.empty()) out.push_back(std::move(text));
            return out;
        }
        auto matches = match_chars(text, [this](char32_t cp) { return cp == replacement_; });
        return split_by_matches(text, matches, split_behavior::merged_with_next);
    }

private:
    char32_t replacement_;
    prepend_scheme scheme_;
    bool split_;
};

tokenizer_error invalid(const std::string& what) {
    return make_tokenizer_error(tokenizer_errc::invalid_component, what);
}

tokenizer_result<split_behavior> behavior_of(const nlohmann::json& j, const char* fallback) {
    std::string name = j.value("behavior", std::string(fallback));
    auto behavior = parse_split_behavior(name);
    if (!behavior) return invalid("unknown split behavior \"" + name + "\"");
    return *behavior;
}

bool is_numeric(char32_t cp) { return unicode::is_numeric(cp); }

}  // namespace

const std::u32string& byte_level_alphabet() {
    static const std::u32string alphabet = [] {
        std::u32string a(256, 0);
        char32_t next = 256;
        for (int b = 0; b < 256; ++b) {
            bool printable = (b >= 33 && b <= 126) || (b >= 161 && b <= 172) || (b >= 174);
            a[b] = printable ? static_cast<char32_t>(b) : next++;
        }
        return a;
    }();
    return alphabet;
}

int byte_level_byte(char32_t cp) {
    static const std::vector<int> inverse = [] {
        std::vector<int> v(512, -1);
        const auto& a = byte_level_alphabet();
        for (int b = 0; b < 256; ++b) v[a[b]] = b;
        return v;
    }();
    return cp < inverse.size() ? inverse[cp] : -1;
}

tokenizer_result<std::unique_ptr<pre_tokenizer>> make_pre_tokenizer(const nlohmann::json& j) {
    std::string type = j.value("type", "");
    if (type == "BertPreTokenizer") return std::make_unique<bert_pre_tokenizer>();
    if (type == "WhitespaceSplit") {
        return std::make_unique<char_split>(unicode::is_whitespace, split_behavior::removed);
    }
    if (type == "Whitespace") {
        // \w as the Rust regex crate has it: letters, marks, numbers and connector punctuation.
        auto p = pattern::regex(R"([\p{L}\p{M}\p{N}\p{Pc}]+|[^\p{L}\p{M}\p{N}\p{Pc}\s]+)");
        if (!p) return p.error();
        return std::make_unique<pattern_split>(*p, split_behavior::removed, true);
    }
    if (type == "Punctuation") {
        auto behavior = behavior_of(j, "Isolated");
        if (!behavior) return behavior.error();
        return std::make_unique<char_split>(unicode::is_punctuation, *behavior);
    }
    if (type == "Digits") {
        bool individual = j.value("individual_digits", false);
        return std::make_unique<char_split>(
            is_numeric, individual ? split_behavior::isolated : split_behavior::contiguous
        );
    }
    if (type == "CharDelimiterSplit") {
        auto delimiter = unicode::decode(j.value("delimiter", std::string(" ")));
        if (delimiter.size() != 1) return invalid("CharDelimiterSplit needs one delimiter char");
        return std::make_unique<delimiter_split>(delimiter[0]);
    }
    if (type == "Split") {
        auto p = pattern::from_json(j.value("pattern", nlohmann::json()));
        if (!p) return p.error();
        auto behavior = behavior_of(j, "Isolated");
        if (!behavior) return behavior.error();
        return std::make_unique<pattern_split>(*p, *behavior, j.value("invert", false));
    }
    if (type == "ByteLevel") {
        std::optional<pattern> regex;
        if (j.value("use_regex", true)) {
            auto p = pattern::regex(gpt2_regex);
            if (!p) return p.error();
            regex = std::move(*p);
        }
        return std::make_unique<byte_level_pre_tokenizer>(
            j.value("add_prefix_space", true), std::move(regex)
        );
    }
    if (type == "Metaspace") {
        std::string replacement = j.value("replacement", std::string("\xE2\x96\x81"));
        if (j.contains("str_rep") && j["str_rep"].is_string()) replacement = j["str_rep"];
        auto cps = unicode::decode(replacement);
        if (cps.size() != 1) return invalid("Metaspace replacement must be one character");
        prepend_scheme scheme = prepend_scheme::always;
        if (j.contains("prepend_scheme") && j["prepend_scheme"].is_string()) {
            std::string s = j["prepend_scheme"];
            if (s == "first") {
                scheme = prepend_scheme::first;
            } else if (s == "never") {
                scheme = prepend_scheme::never;
            } else if (s != "always") {
                return invalid("unknown Metaspace prepend_scheme \"" + s + "\"");
            }
        } else if (j.contains("add_prefix_space") && j["add_prefix_space"].is_boolean()) {
            scheme =
                j["add_prefix_space"].get<bool>() ? prepend_scheme::always : prepend_scheme::never;
        }
        return std::make_unique<metaspace_pre_tokenizer>(cps[0], scheme, j.value("split", true));
    }
    if (type == "Sequence") {
        std::vector<std::unique_ptr<pre_tokenizer>> parts;
        for (const auto& part : j.value("pretokenizers", nlohmann::json::array())) {
            if (part.is_null()) continue;
            auto p = make_pre_tokenizer(part);
            if (!p) return p.error();
            parts.push_back(std::move(*p));
        }
        return std::make_unique<sequence_pre_tokenizer>(std::move(parts));
    }
    return make_tokenizer_error(
        tokenizer_errc::unsupported_component, "unsupported pre_tokenizer type \"" + type + "\""
    );
}

}  // namespace solar::runner
