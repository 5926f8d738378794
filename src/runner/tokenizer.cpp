// Loading a tokenizer.json into the pipeline, and the vocabulary lookups a server needs.
#include <solar/runner/tokenizer.hpp>
#include <solar/runner/tokenizer/impl.hpp>

#include <nlohmann/json.hpp>

#include <fstream>
#include <initializer_list>
#include <sstream>
#include <unordered_set>

namespace solar::runner {

namespace {

tokenizer_error invalid(std::string message) {
    return make_tokenizer_error(tokenizer_errc::invalid_component, std::move(message));
}

bool present(const nlohmann::json& j, const char* key) {
    return j.contains(key) && !j[key].is_null();
}

tokenizer_result<std::optional<truncation_config>> parse_truncation(const nlohmann::json& j) {
    if (!present(j, "truncation")) return std::optional<truncation_config>{};
    const auto& t = j["truncation"];
    truncation_config c;
    c.max_length = t.value("max_length", std::size_t{512});
    std::string strategy = t.value("strategy", std::string("LongestFirst"));
    if (strategy == "OnlyFirst") {
        c.strategy = truncation_strategy::only_first;
    } else if (strategy == "OnlySecond") {
        c.strategy = truncation_strategy::only_second;
    } else if (strategy != "LongestFirst") {
        return invalid("unknown truncation strategy \"" + strategy + "\"");
    }
    c.left = t.value("direction", std::string("Right")) == "Left";
    return std::optional<truncation_config>{c};
}

tokenizer_result<std::optional<padding_config>> parse_padding(const nlohmann::json& j) {
    if (!present(j, "padding")) return std::optional<padding_config>{};
    const auto& p = j["padding"];
    padding_config c;
    if (p.contains("strategy") && p["strategy"].is_object() && p["strategy"].contains("Fixed")) {
        c.fixed_length = p["strategy"]["Fixed"].get<std::size_t>();
    } else if (p.value("strategy", nlohmann::json("BatchLongest")) != "BatchLongest") {
        return invalid("unknown padding strategy " + p["strategy"].dump());
    }
    if (present(p, "pad_to_multiple_of"))
        c.multiple_of = p["pad_to_multiple_of"].get<std::size_t>();
    c.left = p.value("direction", std::string("Right")) == "Left";
    c.pad_id = p.value("pad_id", 0);
    c.pad_type_id = p.value("pad_type_id", 0);
    c.pad_token = p.value("pad_token", std::string("[PAD]"));
    return std::optional<padding_config>{c};
}

}  // namespace

tokenizer_result<tokenizer> tokenizer::load(const std::filesystem::path& tokenizer_json) {
    std::ifstream in(tokenizer_json, std::ios::binary);
    if (!in) {
        return make_tokenizer_error(
            tokenizer_errc::unreadable_file, "cannot read " + tokenizer_json.string()
        );
    }
    std::ostringstream buffer;
    buffer << in.rdbuf();
    auto j = nlohmann::json::parse(buffer.str(), nullptr, false);
    if (j.is_discarded()) {
        return make_tokenizer_error(
            tokenizer_errc::malformed_json, tokenizer_json.string() + " is not valid JSON"
        );
    }
    return from_json(j);
}

tokenizer_result<tokenizer> tokenizer::from_json(const nlohmann::json& j) {
    if (!j.is_object() || !present(j, "model")) return invalid("tokenizer.json has no model");
    auto p = std::make_shared<impl>();
    if (present(j, "normalizer")) {
        auto n = make_normalizer(j["normalizer"]);
        if (!n) return n.error();
        p->norm = std::move(*n);
    }
    if (present(j, "pre_tokenizer")) {
        auto pre = make_pre_tokenizer(j["pre_tokenizer"]);
        if (!pre) return pre.error();
        p->pre = std::move(*pre);
    }
    auto m = make_model(j["model"]);
    if (!m) return m.error();
    p->mdl = std::move(*m);
    if (present(j, "post_processor")) {
        auto post = make_post_processor(j["post_processor"]);
        if (!post) return post.error();
        p->post = std::move(*post);
    }
    if (present(j, "decoder")) {
        auto d = make_decoder(j["decoder"]);
        if (!d) return d.error();
        p->dec = std::move(*d);
    }
    std::vector<added_token> added;
    for (const auto& t : j.value("added_tokens", nlohmann::json::array())) {
        if (!t.contains("id") || !t.contains("content"))
            return invalid("added token without id or content");
        added_token a;
        a.id = t["id"].get<std::int32_t>();
        a.content = t["content"].get<std::string>();
        a.special = t.value("special", false);
        a.single_word = t.value("single_word", false);
        a.lstrip = t.value("lstrip", false);
        a.rstrip = t.value("rstrip", false);
        a.normalized = t.value("normalized", !a.special);
        added.push_back(std::move(a));
    }
    p->added = added_vocabulary(std::move(added), p->norm.get());
    auto truncation = parse_truncation(j);
    if (!truncation) return truncation.error();
    p->truncation = *truncation;
    auto padding = parse_padding(j);
    if (!padding) return padding.error();
    p->padding = *padding;

    // Counted as the reference's get_vocab(true).len(): distinct token strings.
    std::unordered_set<std::string> extra;
    for (const auto& t : p->added.tokens()) {
        if (!p->mdl->token_to_id(t.content)) extra.insert(t.content);
    }
    p->vocab_size = p->mdl->vocab_size() + extra.size();
    return tokenizer(std::move(p));
}

std::optional<std::int32_t> tokenizer::token_to_id(std::string_view token) const {
    if (auto id = impl_->added.find(token)) return id;
    return impl_->mdl->token_to_id(token);
}

std::optional<std::string> tokenizer::id_to_token(std::int32_t id) const {
    if (const auto* t = impl_->added.find(id)) return t->content;
    return impl_->mdl->id_to_token(id);
}

std::size_t tokenizer::vocab_size() const { return impl_->vocab_size; }

bool tokenizer::is_special(std::int32_t id) const {
    const auto* t = impl_->added.find(id);
    return t && t->special;
}

namespace {

std::optional<std::int32_t> first_of(
    const tokenizer& t, std::initializer_list<std::string_view> names
) {
    for (auto name : names) {
        if (auto id = t.token_to_id(name)) return id;
    }
    return std::nullopt;
}

}  // namespace

std::optional<std::int32_t> tokenizer::pad_id() const {
    if (impl_->padding) return impl_->padding->pad_id;
    return first_of(*this, {"[PAD]", "<pad>", "<|pad|>"});
}
std::optional<std::int32_t> tokenizer::cls_id() const { return first_of(*this, {"[CLS]", "<s>"}); }
std::optional<std::int32_t> tokenizer::sep_id() const { return first_of(*this, {"[SEP]", "</s>"}); }
std::optional<std::int32_t> tokenizer::unk_id() const {
    return first_of(*this, {"[UNK]", "<unk>"});
}
std::optional<std::int32_t> tokenizer::mask_id() const {
    return first_of(*this, {"[MASK]", "<mask>"});
}
std::optional<std::int32_t> tokenizer::bos_id() const {
    return first_of(*this, {"<s>", "<|startoftext|>", "<|begin_of_text|>"});
}
std::optional<std::int32_t> tokenizer::eos_id() const {
    return first_of(*this, {"</s>", "<|endoftext|>", "<|end_of_text|>"});
}

std::optional<std::size_t> tokenizer::file_max_length() const {
    if (impl_->truncation) return impl_->truncation->max_length;
    return std::nullopt;
}

std::size_t tokenizer::special_tokens_added(bool is_pair) const {
    return impl_->post ? impl_->post->added_tokens(is_pair) : 0;
}

}  // namespace solar::runner
