// The decoders of tokenizer.json: ByteLevel, WordPiece, Metaspace, BPEDecoder, ByteFallback,
// Fuse, Strip, Replace and Sequence, each a stage over the list of token strings.
#include <solar/runner/tokenizer/components.hpp>
#include <solar/runner/tokenizer/pattern.hpp>
#include <solar/runner/tokenizer/unicode.hpp>

#include <nlohmann/json.hpp>

namespace solar::runner {

namespace {

void replace_all(std::string& text, std::string_view from, std::string_view to) {
    if (from.empty()) return;
    std::string out;
    std::size_t prev = 0;
    for (std::size_t pos = text.find(from); pos != std::string::npos; pos = text.find(from, prev)) {
        out.append(text, prev, pos - prev);
        out.append(to);
        prev = pos + from.size();
    }
    out.append(text, prev);
    text = std::move(out);
}

class byte_level_decoder final : public decoder {
public:
    std::vector<std::string> decode_chain(std::vector<std::string> tokens) const override {
        std::string bytes;
        for (const auto& token : tokens) {
            for (char32_t cp : unicode::decode(token)) {
                int b = byte_level_byte(cp);
                if (b >= 0) {
                    bytes.push_back(static_cast<char>(b));
                } else {
                    unicode::append_utf8(bytes, cp);
                }
            }
        }
        return {unicode::from_utf8_lossy(bytes)};
    }
};

class wordpiece_decoder final : public decoder {
public:
    wordpiece_decoder(std::string prefix, bool cleanup)
        : prefix_(std::move(prefix)), cleanup_(cleanup) {}
    std::vector<std::string> decode_chain(std::vector<std::string> tokens) const override {
        for (std::size_t i = 0; i < tokens.size(); ++i) {
            auto& token = tokens[i];
            if (i > 0) {
                if (token.rfind(prefix_, 0) == 0) {
                    token.erase(0, prefix_.size());
                } else {
                    token.insert(0, " ");
                }
            }
            if (cleanup_) {
                static constexpr std::pair<std::string_view, std::string_view> rules[] = {
                    {" .", "."},
                    {" ?", "?"},
                    {" !", "!"},
                    {" ,", ","},
                    {" ' ", "'"},
                    {" n't", "n't"},
                    {" 'm", "'m"},
                    {" do not", " don't"},
                    {" 's", "'s"},
                    {" 've", "'ve"},
                    {" 're", "'re"},
                };
                for (auto [from, to] : rules) replace_all(token, from, to);
            }
        }
        return tokens;
    }

private:
    std::string prefix_;
    bool cleanup_;
};

class metaspace_decoder final : public decoder {
public:
    metaspace_decoder(char32_t replacement, bool strip_first)
        : replacement_(replacement), strip_first_(strip_first) {}
    std::vector<std::string> decode_chain(std::vector<std::string> tokens) const override {
        for (std::size_t i = 0; i < tokens.size(); ++i) {
            std::string out;
            for (char32_t cp : unicode::decode(tokens[i])) {
                if (cp != replacement_) {
                    unicode::append_utf8(out, cp);
                } else if (!(i == 0 && strip_first_)) {
                    out.push_back(' ');
                }
            }
            tokens[i] = std::move(out);
        }
        return tokens;
    }

private:
    char32_t replacement_;
    bool strip_first_;
};

class bpe_decoder final : public decoder {
public:
    explicit bpe_decoder(std::string suffix) : suffix_(std::move(suffix)) {}
    std::vector<std::string> decode_chain(std::vector<std::string> tokens) const override {
        for (std::size_t i = 0; i < tokens.size(); ++i) {
            replace_all(tokens[i], suffix_, i + 1 == tokens.size() ? "" : " ");
        }
        return tokens;
    }

private:
    std::string suffix_;
};

class byte_fallback_decoder final : public decoder {
public:
    std::vector<std::string> decode_chain(std::vector<std::string> tokens) const override {
        std::vector<std::string> out;
        std::string bytes;
        std::size_t pending = 0;
        auto flush = [&] {
            if (pending == 0) return;
            if (unicode::is_valid_utf8(bytes)) {
                out.push_back(bytes);
            } else {
                for (std::size_t k = 0; k < pending; ++k) out.emplace_back("\xEF\xBF\xBD");
            }
            bytes.clear();
            pending = 0;
        };
        for (auto& token : tokens) {
            if (auto b = byte_of(token)) {
                bytes.push_back(static_cast<char>(*b));
                ++pending;
            } else {
                flush();
                out.push_back(std::move(token));
            }
        }
        flush();
        return out;
    }

private:
    static std::optional<int> byte_of(const std::string& token) {
        if (token.size() != 6 || token.rfind("<0x", 0) != 0 || token[5] != '>') return std::nullopt;
        int value = 0;
        for (char c : token.substr(3, 2)) {
            value *= 16;
            if (c >= '0' && c <= '9') {
                value += c - '0';
            } else if (c >= 'A' && c <= 'F') {
                value += c - 'A' + 10;
            } else if (c >= 'a' && c <= 'f') {
                value += c - 'a' + 10;
            } else {
                return std::nullopt;
            }
        }
        return value;
    }
};

class fuse_decoder final : public decoder {
public:
    std::vector<std::string> decode_chain(std::vector<std::string> tokens) const override {
        std::string joined;
        for (const auto& t : tokens) joined += t;
        return {joined};
    }
};

class strip_decoder final : public decoder {
public:
    strip_decoder(char32_t content, std::size_t start, std::size_t stop)
        : content_(content), start_(start), stop_(stop) {}
    std::vector<std::string> decode_chain(std::vector<std::string> tokens) const override {
        for (auto& token : tokens) {
            std::u32string chars = unicode::decode(token);
            std::size_t first = 0;
            while (first < start_ && first < chars.size() && chars[first] == content_) ++first;
            std::size_t last = chars.size();
            for (std::size_t k = 0; k < stop_ && last > first && chars[last - 1] == content_; ++k) {
                --last;
            }
            token = unicode::encode(std::u32string_view(chars).substr(first, last - first));
        }
        return tokens;
    }

private:
    char32_t content_;
    std::size_t start_, stop_;
};

class replace_decoder final : public decoder {
public:
    replace_decoder(pattern p, std::string content)
        : pattern_(std::move(p)), content_(std::move(content)) {}
    std::vector<std::string> decode_chain(std::vector<std::string> tokens) const override {
        for (auto& token : tokens) {
            std::string out;
            std::size_t prev = 0;
            for (auto [b, e] : pattern_.find_all(std::string_view(token))) {
                out.append(token, prev, b - prev);
                out += content_;
                prev = e;
            }
            out.append(token, prev);
            token = std::move(out);
        }
        return tokens;
    }

private:
    pattern pattern_;
    std::string content_;
};

class sequence_decoder final : public decoder {
public:
    explicit sequence_decoder(std::vector<std::unique_ptr<decoder>> parts)
        : parts_(std::move(parts)) {}
    std::vector<std::string> decode_chain(std::vector<std::string> tokens) const override {
        for (const auto& p : parts_) tokens = p->decode_chain(std::move(tokens));
        return tokens;
    }

private:
    std::vector<std::unique_ptr<decoder>> parts_;
};

tokenizer_error invalid(std::string message) {
    return make_tokenizer_error(tokenizer_errc::invalid_component, std::move(message));
}

tokenizer_result<char32_t> one_char(
    const nlohmann::json& j, const char* key, const char* fallback
) {
    auto cps = unicode::decode(j.value(key, std::string(fallback)));
    if (cps.size() != 1)
        return invalid(std::string("decoder field \"") + key + "\" must be one character");
    return cps[0];
}

}  // namespace

tokenizer_result<std::unique_ptr<decoder>> make_decoder(const nlohmann::json& j) {
    std::string type = j.value("type", "");
    if (type == "ByteLevel") return std::make_unique<byte_level_decoder>();
    if (type == "WordPiece") {
        return std::make_unique<wordpiece_decoder>(
            j.value("prefix", std::string("##")), j.value("cleanup", true)
        );
    }
    if (type == "Metaspace") {
        auto replacement = one_char(j, "replacement", "\xE2\x96\x81");
        if (!replacement) return replacement.error();
        bool strip_first = true;
        if (j.contains("prepend_scheme") && j["prepend_scheme"].is_string()) {
            strip_first = j["prepend_scheme"] != "never";
        } else if (j.contains("add_prefix_space") && j["add_prefix_space"].is_boolean()) {
            strip_first = j["add_prefix_space"].get<bool>();
        }
        return std::make_unique<metaspace_decoder>(*replacement, strip_first);
    }
    if (type == "BPEDecoder") {
        return std::make_unique<bpe_decoder>(j.value("suffix", std::string("</w>")));
    }
    if (type == "ByteFallback") return std::make_unique<byte_fallback_decoder>();
    if (type == "Fuse") return std::make_unique<fuse_decoder>();
    if (type == "Strip") {
        auto content = one_char(j, "content", " ");
        if (!content) return content.error();
        return std::make_unique<strip_decoder>(
            *content, j.value("start", std::size_t{0}), j.value("stop", std::size_t{0})
        );
    }
    if (type == "Replace") {
        auto p = pattern::from_json(j.value("pattern", nlohmann::json()));
        if (!p) return p.error();
        return std::make_unique<replace_decoder>(*p, j.value("content", std::string()));
    }
    if (type == "Sequence") {
        std::vector<std::unique_ptr<decoder>> parts;
        for (const auto& part : j.value("decoders", nlohmann::json::array())) {
            auto d = make_decoder(part);
            if (!d) return d.error();
            parts.push_back(std::move(*d));
        }
        return std::make_unique<sequence_decoder>(std::move(parts));
    }
    return make_tokenizer_error(
        tokenizer_errc::unsupported_component, "unsupported decoder type \"" + type + "\""
    );
}

}  // namespace solar::runner
