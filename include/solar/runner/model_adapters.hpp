// Plugs the real tokenizer and encoder_model into the server's seams (inference_backend.hpp).
// Only encoder_model's interface is used here, so solar_runner still links no torch; main()
// passes in the model that encoder_model::load (solar_runner_torch) returned.
#pragma once

#include <solar/runner/encoder_model.hpp>
#include <solar/runner/inference_backend.hpp>
#include <solar/runner/runner_config.hpp>
#include <solar/runner/tokenizer.hpp>

#include <memory>

namespace solar::runner {

// text_tokenizer over solar::runner::tokenizer.
class hf_text_tokenizer final : public text_tokenizer {
public:
    explicit hf_text_tokenizer(tokenizer tok) : tok_(std::move(tok)) {}
    tokenized_text encode(std::string_view text, bool add_special, std::size_t max_length)
        const override;
    std::string decode(std::span<const std::int32_t> ids, bool skip_special) const override;
    std::size_t vocab_size() const override { return tok_.vocab_size(); }

private:
    tokenizer tok_;
};

// inference_backend over an encoder_model: classify_logits for the classification task,
// embed with the configured pooling and normalisation for the embedding task.
class encoder_backend final : public inference_backend {
public:
    encoder_backend(std::unique_ptr<encoder_model> model, const runner_config& config);
    std::vector<std::vector<float>> forward(
        const std::vector<std::vector<std::int32_t>>& ids,
        const std::vector<std::vector<std::int32_t>>& type_ids
    ) override;
    const backend_facts& facts() const override { return facts_; }

private:
    std::unique_ptr<encoder_model> model_;
    runner_task task_;
    pooling pooling_;
    bool normalize_;
    backend_facts facts_;
};

// "mean", "cls" or "last" (anything else is mean).
pooling pooling_from_name(const std::string& name);

}  // namespace solar::runner
