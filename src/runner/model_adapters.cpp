// The real tokenizer and encoder model behind the server's interfaces.
#include <solar/runner/model_adapters.hpp>

namespace solar::runner {

tokenized_text hf_text_tokenizer::encode(
    std::string_view text, bool add_special, std::size_t max_length
) const {
    encode_options options;
    options.add_special_tokens = add_special;
    if (max_length > 0) options.max_length = max_length;
    auto encoded = tok_.encode(text, options);
    return {std::move(encoded.ids), std::move(encoded.type_ids), encoded.truncated};
}

std::string hf_text_tokenizer::decode(std::span<const std::int32_t> ids, bool skip_special) const {
    return tok_.decode(ids, skip_special);
}

pooling pooling_from_name(const std::string& name) {
    if (name == "cls") return pooling::cls;
    if (name == "last") return pooling::last;
    return pooling::mean;
}

encoder_backend::encoder_backend(std::unique_ptr<encoder_model> model, const runner_config& config)
    : model_(std::move(model)),
      task_(config.task),
      pooling_(pooling_from_name(config.pooling)),
      normalize_(config.normalize) {
    const auto& d = model_->description();
    facts_.labels = d.labels;
    facts_.max_positions = d.max_tokens > 0 ? static_cast<std::size_t>(d.max_tokens) : 0;
    facts_.hidden_size = d.hidden_size > 0 ? static_cast<std::size_t>(d.hidden_size) : 0;
    facts_.vocab_size = d.vocab_size > 0 ? static_cast<std::size_t>(d.vocab_size) : 0;
    facts_.parameters = d.parameter_count;
    facts_.architecture = d.architecture;
}

std::vector<std::vector<float>> encoder_backend::forward(
    const std::vector<std::vector<std::int32_t>>& ids,
    const std::vector<std::vector<std::int32_t>>& type_ids
) {
    token_batch batch{ids, type_ids};
    if (task_ == runner_task::classification) return model_->classify_logits(batch);
    return model_->embed(batch, pooling_, normalize_);
}

}  // namespace solar::runner
