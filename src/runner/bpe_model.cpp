// The BPE model: characters (or byte fallbacks, or unknowns) merged pair by pair in merge-rank
// order, lowest rank and then leftmost first, as Rust's Word::merge_all does.
#include <solar/runner/tokenizer/components.hpp>
#include <solar/runner/tokenizer/unicode.hpp>
#include <solar/runner/tokenizer/vocabulary.hpp>

#include <nlohmann/json.hpp>

#include <cstdio>
#include <queue>

namespace solar::runner {

namespace {

struct merge_target {
    std::uint32_t rank;
    std::int32_t id;
};

std::uint64_t pair_key(std::int32_t a, std::int32_t b) {
    return (static_cast<std::uint64_t>(static_cast<std::uint32_t>(a)) << 32) |
           static_cast<std::uint32_t>(b);
}

struct bpe_options {
    std::optional<std::string> unk;
    std::string prefix;
    std::string suffix;
    bool fuse_unk = false;
    bool byte_fallback = false;
    bool ignore_merges = false;
};

class bpe_model final : public model {
public:
    bpe_model(
        runner::vocabulary vocab,
        std::unordered_map<std::uint64_t, merge_target> merges,
        bpe_options options
    )
        : vocab_(std::move(vocab)), merges_(std::move(merges)), options_(std::move(options)) {
        for (int b = 0; b < 256; ++b) {
            char name[8];
            std::snprintf(name, sizeof name, "<0x%02X>", b);
            byte_ids_[b] = vocab_.find(name).value_or(-1);
        }
        if (options_.unk) unk_id_ = vocab_.find(*options_.unk);
    }

    void tokenize(const aligned_text& word, std::vector<model_token>& out) const override {
        if (word.empty()) return;
        if (options_.ignore_merges) {
            std::string whole = to_utf8(word);
            if (auto id = vocab_.find(whole)) {
                out.push_back({*id, whole, 0, word.size()});
                return;
            }
        }
        std::vector<symbol> symbols = initial_symbols(word);
        merge_all(symbols);
        for (const auto& s : symbols) {
            if (s.removed) continue;
            out.push_back({s.id, *vocab_.token(s.id), s.first, s.last});
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
    struct symbol {
        std::int32_t id;
        std::size_t first, last;  // characters of the word
        std::ptrdiff_t prev, next;
        bool removed = false;
    };

    std::vector<symbol> initial_symbols(const aligned_text& word) const {
        std::vector<symbol> symbols;
        symbols.reserve(word.size());
        auto add = [&](std::int32_t id, std::size_t first, std::size_t last) {
            symbols.push_back({id, first, last, 0, 0});
        };
        std::optional<symbol> unk;  // a pending unknown, kept to fuse with the next one
        std::string s;
        for (std::size_t i = 0; i < word.size(); ++i) {
            s.clear();
            if (i > 0) s = options_.prefix;
            unicode::append_utf8(s, word[i].cp);
            if (i + 1 == word.size()) s += options_.suffix;
            if (auto id = vocab_.find(s)) {
                if (unk) {
                    symbols.push_back(*unk);
                    unk.reset();
                }
                add(*id, i, i + 1);
                continue;
            }
            if (options_.byte_fallback) {
                bool all = true;
                for (unsigned char b : s) all = all && byte_ids_[b] >= 0;
                if (all) {
                    // Like the reference, a pending unknown waits until after these bytes.
                    for (unsigned char b : s) add(byte_ids_[b], i, i + 1);
                    continue;
                }
            }
            if (!unk_id_) continue;  // no unknown token: the character is dropped
            if (unk && options_.fuse_unk) {
                unk->last = i + 1;
            } else {
                if (unk) symbols.push_back(*unk);
                unk = symbol{*unk_id_, i, i + 1, 0, 0};
            }
        }
        if (unk) symbols.push_back(*unk);
        for (std::size_t k = 0; k < symbols.size(); ++k) {
            symbols[k].prev = static_cast<std::ptrdiff_t>(k) - 1;
            symbols[k].next = k + 1 < symbols.size() ? static_cast<std::ptrdiff_t>(k + 1) : -1;
        }
        return symbols;
    }

    const merge_target* find_merge(std::int32_t a, std::int32_t b) const {
        auto it = merges_.find(pair_key(a, b));
        return it == merges_.end() ? nullptr : &it->second;
    }

    void merge_all(std::vector<symbol>& symbols) const {
        struct candidate {
            std::uint32_t rank;
            std::size_t pos;
            std::int32_t id;
            bool operator<(const candidate& o) const {  // the queue pops the greatest
                return rank != o.rank ? rank > o.rank : pos > o.pos;
            }
        };
        std::priority_queue<candidate> queue;
        for (std::size_t k = 0; k + 1 < symbols.size(); ++k) {
            if (auto m = find_merge(symbols[k].id, symbols[k + 1].id)) {
                queue.push({m->rank, k, m->id});
            }
        }
        while (!queue.empty()) {
            candidate top = queue.top();
            queue.pop();
            symbol& left = symbols[top.pos];
            if (left.removed || left.next < 0) continue;
            symbol& right = symbols[left.next];
            auto m = find_merge(left.id, right.id);
            if (!m || m->id != top.id) continue;  // an expired entry
            left.id = top.id;
            left.last = right.last;
            right.removed = true;
            left.next = right.next;
            if (left.next >= 0) symbols[left.next].prev = static_cast<std::ptrdiff_t>(top.pos);
            if (left.prev >= 0) {
                if (auto p = find_merge(symbols[left.prev].id, left.id)) {
                    queue.push({p->rank, static_cast<std::size_t>(left.prev), p->id});
                }
            }
            if (left.next >= 0) {
                if (auto n = find_merge(left.id, symbols[left.next].id)) {
                    queue.push({n->rank, top.pos, n->id});
                }
            }
        }
    }

    runner::vocabulary vocab_;
    std::unordered_map<std::uint64_t, merge_target> merges_;
    bpe_options options_;
    std::int32_t byte_ids_[256];
    std::optional<std::int32_t> unk_id_;
};

tokenizer_error invalid(std::string message) {
    return make_tokenizer_error(tokenizer_errc::invalid_component, std::move(message));
}

std::string optional_text(const nlohmann::json& j, const char* key) {
    auto it = j.find(key);
    return it != j.end() && it->is_string() ? it->get<std::string>() : std::string();
}

}  // namespace

tokenizer_result<std::unique_ptr<model>> make_bpe_model(const nlohmann::json& j) {
    auto vocab = vocabulary::from_json(j.value("vocab", nlohmann::json()));
    if (!vocab) return vocab.error();
    bpe_options options;
    if (auto it = j.find("unk_token"); it != j.end() && it->is_string()) options.unk = *it;
    options.prefix = optional_text(j, "continuing_subword_prefix");
    options.suffix = optional_text(j, "end_of_word_suffix");
    options.fuse_unk = j.value("fuse_unk", false);
    options.byte_fallback = j.value("byte_fallback", false);
    options.ignore_merges = j.value("ignore_merges", false);

    std::unordered_map<std::uint64_t, merge_target> merges;
    const auto& list = j.value("merges", nlohmann::json::array());
    merges.reserve(list.size());
    std::uint32_t rank = 0;
    for (const auto& entry : list) {
        std::string a, b;
        if (entry.is_string()) {
            const auto& line = entry.get_ref<const std::string&>();
            auto space = line.find(' ');
            if (space == std::string::npos)
                return invalid("BPE merge \"" + line + "\" has no space");
            a = line.substr(0, space);
            b = line.substr(space + 1);
        } else if (entry.is_array() && entry.size() == 2 && entry[0].is_string() && entry[1].is_string()) {
            a = entry[0];
            b = entry[1];
        } else {
            return invalid("BPE merge " + entry.dump() + " is neither \"a b\" nor [a, b]");
        }
        auto a_id = vocab->find(a);
        auto b_id = vocab->find(b);
        // The reference drops the prefix length from b unconditionally.
        std::string joined = a + b.substr(std::min(options.prefix.size(), b.size()));
        auto joined_id = vocab->find(joined);
        if (!a_id || !b_id || !joined_id) {
            return invalid("BPE merge \"" + a + " " + b + "\" uses tokens missing from the vocab");
        }
        // Like the reference's HashMap collect, a repeated pair keeps its last rank.
        merges.insert_or_assign(pair_key(*a_id, *b_id), merge_target{rank++, *joined_id});
    }
    return std::make_unique<bpe_model>(std::move(*vocab), std::move(merges), std::move(options));
}

tokenizer_result<std::unique_ptr<model>> make_model(const nlohmann::json& j) {
    std::string type = j.value("type", "");
    if (type.empty()) {
        // Older files omit the type; infer it from the fields each model has.
        if (j.contains("merges")) {
            type = "BPE";
        } else if (j.contains("vocab") && j["vocab"].is_array()) {
            type = "Unigram";
        } else if (j.contains("max_input_chars_per_word") || j.contains("continuing_subword_prefix")) {
            type = "WordPiece";
        } else if (j.contains("vocab")) {
            type = "WordLevel";
        }
    }
    if (type == "BPE") return make_bpe_model(j);
    if (type == "WordPiece") return make_wordpiece_model(j);
    return make_tokenizer_error(
        tokenizer_errc::unsupported_component,
        "unsupported model type \"" + (type.empty() ? std::string("(unknown)") : type) + "\""
    );
}

}  // namespace solar::runner
