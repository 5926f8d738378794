// The WordPiece model: greedy longest-match-first subwords, a whole-word unknown otherwise; and
// the shared vocabulary parser.
#include <solar/runner/tokenizer/components.hpp>
#include <solar/runner/tokenizer/vocabulary.hpp>

#include <nlohmann/json.hpp>

namespace solar::runner {

tokenizer_result<vocabulary> vocabulary::from_json(const nlohmann::json& j) {
    if (!j.is_object()) {
        return make_tokenizer_error(
            tokenizer_errc::invalid_component, "model vocab must be an object of token ids"
        );
    }
    vocabulary v;
    v.ids_.reserve(j.size());
    for (const auto& [token, id] : j.items()) {
        if (!id.is_number_integer() || id.get<std::int64_t>() < 0) {
            return make_tokenizer_error(
                tokenizer_errc::invalid_component, "vocab id of \"" + token + "\" is not valid"
            );
        }
        auto n = id.get<std::int32_t>();
        v.ids_.emplace(token, n);
        if (static_cast<std::size_t>(n) >= v.tokens_.size()) {
            v.tokens_.resize(n + 1);
            v.present_.resize(n + 1, false);
        }
        v.tokens_[n] = token;
        v.present_[n] = true;
    }
    return v;
}

namespace {

class wordpiece_model final : public model {
public:
    wordpiece_model(
        runner::vocabulary vocab, std::string unk, std::string prefix, std::size_t max_chars
    )
        : vocab_(std::move(vocab)),
          unk_(std::move(unk)),
          prefix_(std::move(prefix)),
          max_chars_(max_chars) {}

    void tokenize(const aligned_text& word, std::vector<model_token>& out) const override {
        if (word.empty()) return;
        if (word.size() > max_chars_) {
            push_unk(word.size(), out);
            return;
        }
        std::vector<std::size_t> char_at_byte;
        std::string utf8 = to_utf8(word, &char_at_byte);
        std::vector<std::size_t> byte_of(word.size() + 1, utf8.size());
        for (std::size_t b = utf8.size(); b-- > 0;) byte_of[char_at_byte[b]] = b;

        std::size_t before = out.size();
        std::string candidate;
        for (std::size_t start = 0; start < word.size();) {
            bool found = false;
            for (std::size_t end = word.size(); end > start; --end) {
                candidate.assign(start > 0 ? prefix_ : std::string());
                candidate.append(utf8, byte_of[start], byte_of[end] - byte_of[start]);
                if (auto id = vocab_.find(candidate)) {
                    out.push_back({*id, candidate, start, end});
                    start = end;
                    found = true;
                    break;
                }
            }
            if (!found) {
                out.resize(before);
                push_unk(word.size(), out);
                return;
            }
        }
    }

    std::optional<std::int32_t> token_to_id(std::string_view token) const override {
        return vocab_.find(token);
    }
    std::optional<std::string> id_to_token(std::int32_t id) const override {
        if (const auto* t = vocab_.token(id)) return *t;
        return std::nullopt;
    }
    std::size_t vocab_size() const override { return vocab_.size(); }
    std::vector<std::pair<std::string, std::int32_t>> vocabulary() const override {
        return vocab_.entries();
    }

private:
    void push_unk(std::size_t length, std::vector<model_token>& out) const {
        if (auto id = vocab_.find(unk_)) out.push_back({*id, unk_, 0, length});
    }

    runner::vocabulary vocab_;
    std::string unk_;
    std::string prefix_;
    std::size_t max_chars_;
};

}  // namespace

tokenizer_result<std::unique_ptr<model>> make_wordpiece_model(const nlohmann::json& j) {
    auto vocab = vocabulary::from_json(j.value("vocab", nlohmann::json()));
    if (!vocab) return vocab.error();
    auto text = [&](const char* key, const char* fallback) {
        auto it = j.find(key);
        return it != j.end() && it->is_string() ? it->get<std::string>() : std::string(fallback);
    };
    std::size_t max_chars = 100;
    if (auto it = j.find("max_input_chars_per_word"); it != j.end() && it->is_number_unsigned()) {
        max_chars = it->get<std::size_t>();
    }
    return std::make_unique<wordpiece_model>(
        std::move(*vocab),
        text("unk_token", "[UNK]"),
        text("continuing_subword_prefix", "##"),
        max_chars
    );
}

}  // namespace solar::runner
