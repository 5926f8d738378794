// The post-processors of tokenizer.json: TemplateProcessing, BertProcessing,
// RobertaProcessing, ByteLevel (offset trimming only) and Sequence.
#include <solar/runner/tokenizer.hpp>
#include <solar/runner/tokenizer/components.hpp>
#include <solar/runner/tokenizer/unicode.hpp>

#include <nlohmann/json.hpp>

#include <map>

namespace solar::runner {

namespace {

encoding special_encoding(
    const std::vector<std::int32_t>& ids,
    const std::vector<std::string>& tokens,
    std::int32_t type_id
) {
    encoding e;
    e.ids = ids;
    e.tokens = tokens;
    e.type_ids.assign(ids.size(), type_id);
    e.attention_mask.assign(ids.size(), 1);
    e.special_tokens_mask.assign(ids.size(), 1);
    e.offsets.assign(ids.size(), {0, 0});
    return e;
}

void set_type_ids(encoding& e, std::int32_t type_id) { e.type_ids.assign(e.ids.size(), type_id); }

// Moves offsets past the byte-level spaces ('Ġ') and whitespace that start or end a token,
// keeping a single leading space the pre-tokenizer added to the first token.
void trim_byte_level_offsets(encoding& e, bool add_prefix_space) {
    const char32_t space = byte_level_alphabet()[' '];
    auto is_space = [&](char32_t c) { return c == space || unicode::is_whitespace(c); };
    for (std::size_t i = 0; i < e.tokens.size(); ++i) {
        std::u32string chars = unicode::decode(e.tokens[i]);
        std::size_t leading = 0;
        while (leading < chars.size() && is_space(chars[leading])) ++leading;
        std::size_t trailing = 0;
        while (trailing < chars.size() && is_space(chars[chars.size() - 1 - trailing])) ++trailing;
        auto& [begin, end] = e.offsets[i];
        if (leading > 0) {
            bool is_first = i == 0 || begin == 0;
            if (is_first && add_prefix_space && leading == 1) leading = 0;
            begin = std::min(begin + leading, end);
        }
        if (trailing > 0 && end >= trailing) end = std::max(end - trailing, begin);
    }
}

class byte_level_processor final : public post_processor {
public:
    byte_level_processor(bool trim, bool add_prefix_space)
        : trim_(trim), add_prefix_space_(add_prefix_space) {}
    std::size_t added_tokens(bool) const override { return 0; }
    std::vector<encoding> process(std::vector<encoding> sequences, bool) const override {
        if (trim_) {
            for (auto& e : sequences) trim_byte_level_offsets(e, add_prefix_space_);
        }
        return sequences;
    }

private:
    bool trim_, add_prefix_space_;
};

struct special_token {
    std::string token;
    std::int32_t id;
};

// BertProcessing and RobertaProcessing: [CLS] A [SEP] (B [SEP]) and <s> A </s></s> B </s>.
class cls_sep_processor final : public post_processor {
public:
    cls_sep_processor(special_token cls, special_token sep, bool roberta, bool trim, bool prefix)
        : cls_(std::move(cls)),
          sep_(std::move(sep)),
          roberta_(roberta),
          trim_(trim),
          prefix_(prefix) {}

    std::size_t added_tokens(bool is_pair) const override {
        if (!is_pair) return 2;
        return roberta_ ? 4 : 3;
    }

    std::vector<encoding> process(std::vector<encoding> sequences, bool add_special)
        const override {
        if (roberta_ && trim_) {
            for (auto& e : sequences) trim_byte_level_offsets(e, prefix_);
        }
        if (!add_special) return sequences;
        std::vector<encoding> out;
        out.push_back(special_encoding({cls_.id}, {cls_.token}, 0));
        set_type_ids(sequences[0], 0);
        out.push_back(std::move(sequences[0]));
        out.push_back(special_encoding({sep_.id}, {sep_.token}, 0));
        if (sequences.size() > 1) {
            std::int32_t type_id = roberta_ ? 0 : 1;
            if (roberta_) out.push_back(special_encoding({sep_.id}, {sep_.token}, 0));
            set_type_ids(sequences[1], type_id);
            out.push_back(std::move(sequences[1]));
            out.push_back(special_encoding({sep_.id}, {sep_.token}, type_id));
        }
        return out;
    }

private:
    special_token cls_, sep_;
    bool roberta_, trim_, prefix_;
};

struct template_piece {
    bool is_sequence;
    std::string id;  // "A"/"B" for sequences, the special token's name otherwise
    std::int32_t type_id;
};

struct template_special {
    std::vector<std::int32_t> ids;
    std::vector<std::string> tokens;
};

class template_processor final : public post_processor {
public:
    template_processor(
        std::vector<template_piece> single,
        std::vector<template_piece> pair,
        std::map<std::string, template_special> specials
    )
        : single_(std::move(single)), pair_(std::move(pair)), specials_(std::move(specials)) {}

    std::size_t added_tokens(bool is_pair) const override {
        std::size_t n = 0;
        for (const auto& piece : is_pair ? pair_ : single_) {
            if (!piece.is_sequence) n += specials_.at(piece.id).ids.size();
        }
        return n;
    }

    std::vector<encoding> process(std::vector<encoding> sequences, bool add_special)
        const override {
        std::vector<encoding> out;
        for (const auto& piece : sequences.size() > 1 ? pair_ : single_) {
            if (piece.is_sequence) {
                std::size_t i = piece.id == "A" ? 0 : 1;
                if (i >= sequences.size()) continue;
                encoding e = sequences[i];
                set_type_ids(e, piece.type_id);
                out.push_back(std::move(e));
            } else if (add_special) {
                const auto& s = specials_.at(piece.id);
                out.push_back(special_encoding(s.ids, s.tokens, piece.type_id));
            }
        }
        return out;
    }

private:
    std::vector<template_piece> single_, pair_;
    std::map<std::string, template_special> specials_;
};

class sequence_processor final : public post_processor {
public:
    explicit sequence_processor(std::vector<std::unique_ptr<post_processor>> parts)
        : parts_(std::move(parts)) {}
    std::size_t added_tokens(bool is_pair) const override {
        std::size_t n = 0;
        for (const auto& p : parts_) n += p->added_tokens(is_pair);
        return n;
    }
    std::vector<encoding> process(std::vector<encoding> sequences, bool add_special)
        const override {
        for (const auto& p : parts_) sequences = p->process(std::move(sequences), add_special);
        return sequences;
    }

private:
    std::vector<std::unique_ptr<post_processor>> parts_;
};

tokenizer_error invalid(std::string message) {
    return make_tokenizer_error(tokenizer_errc::invalid_component, std::move(message));
}

tokenizer_result<special_token> parse_special(const nlohmann::json& j, const char* key) {
    auto it = j.find(key);
    if (it == j.end() || !it->is_array() || it->size() != 2 || !(*it)[0].is_string() ||
        !(*it)[1].is_number_integer()) {
        return invalid(std::string("post_processor field \"") + key + "\" must be [token, id]");
    }
    return special_token{(*it)[0].get<std::string>(), (*it)[1].get<std::int32_t>()};
}

tokenizer_result<std::vector<template_piece>> parse_template(
    const nlohmann::json& list, const std::map<std::string, template_special>& specials
) {
    std::vector<template_piece> out;
    for (const auto& item : list) {
        if (item.contains("Sequence")) {
            const auto& s = item["Sequence"];
            out.push_back({true, s.value("id", std::string("A")), s.value("type_id", 0)});
        } else if (item.contains("SpecialToken")) {
            const auto& s = item["SpecialToken"];
            std::string id = s.value("id", std::string());
            if (!specials.contains(id)) {
                return invalid("TemplateProcessing names unknown special token \"" + id + "\"");
            }
            out.push_back({false, id, s.value("type_id", 0)});
        } else {
            return invalid("TemplateProcessing piece " + item.dump() + " is not understood");
        }
    }
    return out;
}

}  // namespace

void append_encoding(encoding& first, const encoding& second) {
    auto append = [](auto& a, const auto& b) { a.insert(a.end(), b.begin(), b.end()); };
    append(first.ids, second.ids);
    append(first.type_ids, second.type_ids);
    append(first.attention_mask, second.attention_mask);
    append(first.special_tokens_mask, second.special_tokens_mask);
    append(first.tokens, second.tokens);
    append(first.offsets, second.offsets);
    first.truncated = first.truncated || second.truncated;
}

tokenizer_result<std::unique_ptr<post_processor>> make_post_processor(const nlohmann::json& j) {
    std::string type = j.value("type", "");
    if (type == "ByteLevel") {
        return std::make_unique<byte_level_processor>(
            j.value("trim_offsets", true), j.value("add_prefix_space", true)
        );
    }
    if (type == "BertProcessing" || type == "RobertaProcessing") {
        auto cls = parse_special(j, "cls");
        if (!cls) return cls.error();
        auto sep = parse_special(j, "sep");
        if (!sep) return sep.error();
        bool roberta = type == "RobertaProcessing";
        return std::make_unique<cls_sep_processor>(
            *cls, *sep, roberta, j.value("trim_offsets", true), j.value("add_prefix_space", true)
        );
    }
    if (type == "TemplateProcessing") {
        std::map<std::string, template_special> specials;
        const nlohmann::json table = j.value("special_tokens", nlohmann::json::object());
        for (const auto& [name, s] : table.items()) {
            template_special t;
            for (const auto& id : s.value("ids", nlohmann::json::array())) t.ids.push_back(id);
            for (const auto& tok : s.value("tokens", nlohmann::json::array()))
                t.tokens.push_back(tok);
            if (t.ids.size() != t.tokens.size()) {
                return invalid("TemplateProcessing special token \"" + name + "\" is inconsistent");
            }
            specials.emplace(name, std::move(t));
        }
        auto single = parse_template(j.value("single", nlohmann::json::array()), specials);
        if (!single) return single.error();
        auto pair = parse_template(j.value("pair", nlohmann::json::array()), specials);
        if (!pair) return pair.error();
        return std::make_unique<template_processor>(*single, *pair, std::move(specials));
    }
    if (type == "Sequence") {
        std::vector<std::unique_ptr<post_processor>> parts;
        for (const auto& part : j.value("processors", nlohmann::json::array())) {
            auto p = make_post_processor(part);
            if (!p) return p.error();
            parts.push_back(std::move(*p));
        }
        return std::make_unique<sequence_processor>(std::move(parts));
    }
    return make_tokenizer_error(
        tokenizer_errc::unsupported_component, "unsupported post_processor type \"" + type + "\""
    );
}

}  // namespace solar::runner
