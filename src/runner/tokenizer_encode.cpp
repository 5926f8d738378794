// The encode pipeline (added tokens, normalizer, pre-tokenizer, model), truncation,
// post-processing, padding, and decoding.
#include <solar/runner/tokenizer/impl.hpp>

namespace solar::runner {

namespace {

// Keeps `length` tokens (from the end when `left`); returns whether any were removed.
void truncate(encoding& e, std::size_t length, bool left) {
    if (e.ids.size() <= length) return;
    auto cut = [&](auto& v) {
        if (left) {
            v.erase(v.begin(), v.end() - static_cast<std::ptrdiff_t>(length));
        } else {
            v.resize(length);
        }
    };
    cut(e.ids);
    cut(e.type_ids);
    cut(e.attention_mask);
    cut(e.special_tokens_mask);
    cut(e.tokens);
    cut(e.offsets);
    e.truncated = true;
}

// Rust's truncate_encodings: LongestFirst gives the shorter sequence what it needs, or splits
// the budget in half when both are too long.
void truncate_pair(
    encoding& first, encoding* second, std::size_t max_length, const truncation_config& config
) {
    std::size_t total = first.ids.size() + (second ? second->ids.size() : 0);
    if (total <= max_length) return;
    std::size_t to_remove = total - max_length;
    if (!second) {
        truncate(first, total - to_remove, config.left);
        return;
    }
    switch (config.strategy) {
        case truncation_strategy::longest_first: {
            std::size_t n1 = first.ids.size(), n2 = second->ids.size();
            bool swap = n1 > n2;
            if (swap) std::swap(n1, n2);
            // The reference (npm tokenizers 0.23.2) gives the odd token of a halved budget to
            // the longer sequence only while the shorter one fits the whole max_length (before
            // the specials are taken off); otherwise to the second. Measured over a grid of
            // lengths, see the truncation goldens.
            bool swap_back = swap && n1 <= config.max_length;
            n2 = n1 > max_length ? n1 : std::max(n1, max_length - n1);
            if (n1 + n2 > max_length) {
                n1 = max_length / 2;
                n2 = n1 + max_length % 2;
            }
            if (swap_back) std::swap(n1, n2);
            truncate(first, n1, config.left);
            truncate(*second, n2, config.left);
            break;
        }
        case truncation_strategy::only_first:
            if (first.ids.size() > to_remove)
                truncate(first, first.ids.size() - to_remove, config.left);
            break;
        case truncation_strategy::only_second:
            if (second->ids.size() > to_remove) {
                truncate(*second, second->ids.size() - to_remove, config.left);
            }
            break;
    }
}

void pad(encoding& e, const padding_config& config) {
    std::size_t target = config.fixed_length.value_or(e.ids.size());
    if (config.multiple_of > 0 && target % config.multiple_of != 0) {
        target += config.multiple_of - target % config.multiple_of;
    }
    if (e.ids.size() >= target) return;
    std::size_t n = target - e.ids.size();
    auto grow = [&](auto& v, auto value) {
        using value_type = typename std::decay_t<decltype(v)>::value_type;
        v.insert(config.left ? v.begin() : v.end(), n, static_cast<value_type>(value));
    };
    grow(e.ids, config.pad_id);
    grow(e.type_ids, config.pad_type_id);
    grow(e.attention_mask, 0);
    grow(e.special_tokens_mask, 1);
    e.tokens.insert(config.left ? e.tokens.begin() : e.tokens.end(), n, config.pad_token);
    e.offsets.insert(
        config.left ? e.offsets.begin() : e.offsets.end(),
        n,
        std::pair<std::size_t, std::size_t>{0, 0}
    );
}

}  // namespace

encoding tokenizer::impl::encode_sequence(std::string_view text, std::int32_t type_id) const {
    encoding out;
    auto push = [&](std::int32_t id, std::string value, std::pair<std::size_t, std::size_t> span) {
        out.ids.push_back(id);
        out.tokens.push_back(std::move(value));
        out.offsets.push_back(span);
    };
    std::vector<model_token> tokens;
    for (auto& raw : added.split(make_aligned_text(text), false)) {
        if (raw.id) {
            push(*raw.id, to_utf8(raw.text), original_span(raw.text, 0, raw.text.size()));
            continue;
        }
        if (norm) norm->normalize(raw.text);
        for (auto& piece : added.split(raw.text, true)) {
            if (piece.id) {
                push(
                    *piece.id, to_utf8(piece.text), original_span(piece.text, 0, piece.text.size())
                );
                continue;
            }
            if (piece.text.empty()) continue;
            std::vector<aligned_text> words;
            if (pre) {
                words = pre->split(std::move(piece.text));
            } else {
                words.push_back(std::move(piece.text));
            }
            for (const auto& word : words) {
                tokens.clear();
                mdl->tokenize(word, tokens);
                for (auto& t : tokens)
                    push(t.id, std::move(t.value), original_span(word, t.first, t.last));
            }
        }
    }
    out.type_ids.assign(out.ids.size(), type_id);
    out.attention_mask.assign(out.ids.size(), 1);
    out.special_tokens_mask.assign(out.ids.size(), 0);
    return out;
}

encoding tokenizer::impl::finish(
    encoding first, std::optional<encoding> second, const encode_options& options
) const {
    std::optional<truncation_config> trunc;
    if (options.max_length) {
        trunc = truncation_config{*options.max_length};
    } else if (options.apply_file_padding && truncation) {
        trunc = truncation;
    }
    if (trunc) {
        std::size_t added_count =
            options.add_special_tokens && post ? post->added_tokens(second.has_value()) : 0;
        std::size_t budget = trunc->max_length > added_count ? trunc->max_length - added_count : 0;
        truncate_pair(first, second ? &*second : nullptr, budget, *trunc);
    }
    std::vector<encoding> sequences;
    sequences.push_back(std::move(first));
    if (second) sequences.push_back(std::move(*second));
    if (post) sequences = post->process(std::move(sequences), options.add_special_tokens);
    encoding out;
    for (const auto& s : sequences) append_encoding(out, s);
    if (options.apply_file_padding && padding) pad(out, *padding);
    return out;
}

encoding tokenizer::encode(std::string_view text, const encode_options& options) const {
    return impl_->finish(impl_->encode_sequence(text, 0), std::nullopt, options);
}

encoding tokenizer::encode_pair(
    std::string_view first, std::string_view second, const encode_options& options
) const {
    return impl_->finish(
        impl_->encode_sequence(first, 0), impl_->encode_sequence(second, 1), options
    );
}

std::string tokenizer::decode(std::span<const std::int32_t> ids, bool skip_special_tokens) const {
    std::vector<std::string> tokens;
    tokens.reserve(ids.size());
    for (std::int32_t id : ids) {
        auto token = id_to_token(id);
        if (!token) continue;
        if (skip_special_tokens && impl_->added.is_special_content(*token)) continue;
        tokens.push_back(std::move(*token));
    }
    if (impl_->dec)
        tokens = impl_->dec->decode_chain(std::move(tokens));
    else if (!tokens.empty()) {
        std::string joined = tokens[0];
        for (std::size_t i = 1; i < tokens.size(); ++i) joined += " " + tokens[i];
        return joined;
    }
    std::string out;
    for (const auto& t : tokens) out += t;
    return out;
}

}  // namespace solar::runner
