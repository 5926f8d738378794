// The handlers' shared state and the moment the runner becomes ready.
#include <solar/runner/runner_service.hpp>

namespace solar::runner {

runner_service::runner_service(const runner_config& config, asio::thread_pool& blocking)
    : config_(config), blocking_(blocking) {}

runner_service::~runner_service() { stop(); }

namespace {

backend_facts decoder_facts(const decoder_model& decoder) {
    const auto& d = decoder.description();
    backend_facts facts;
    facts.max_positions = static_cast<std::size_t>(d.config.max_position_embeddings);
    facts.hidden_size = static_cast<std::size_t>(d.config.hidden_size);
    facts.vocab_size = static_cast<std::size_t>(d.config.vocab_size);
    facts.parameters = d.parameter_count;
    facts.architecture = d.config.architecture;
    return facts;
}

}  // namespace

std::optional<std::string> runner_service::set_ready(loaded_model model) {
    facts_ = model.decoder ? decoder_facts(*model.decoder) : model.backend->facts();
    const auto& facts = facts_;
    labels_ = config_.labels.empty() ? facts.labels : config_.labels;
    if (config_.task == runner_task::classification && !config_.labels.empty() &&
        !facts.labels.empty() && config_.labels.size() != facts.labels.size()) {
        return "--labels names " + std::to_string(config_.labels.size()) +
               " labels but the model has " + std::to_string(facts.labels.size()) + " outputs";
    }
    max_length_ = config_.max_length;
    if (facts.max_positions > 0 && facts.max_positions < max_length_) {
        max_length_ = facts.max_positions;
    }
    model_ = std::move(model);
    if (model_.decoder) {
        scheduler_ = std::make_unique<generation_scheduler>(
            *model_.decoder, *model_.tokenizer, config_.max_batch_size, max_length_
        );
        ready_.store(true, std::memory_order_release);
        return std::nullopt;
    }
    auto* backend = model_.backend.get();
    batcher_ = std::make_unique<dynamic_batcher>(
        batch_limits{config_.max_batch_size, config_.max_batch_wait},
        [backend](const auto& ids, const auto& type_ids) { return backend->forward(ids, type_ids); }
    );
    ready_.store(true, std::memory_order_release);
    return std::nullopt;
}

void runner_service::stop() {
    if (batcher_) batcher_->stop();
    if (scheduler_) scheduler_->stop();
}

}  // namespace solar::runner
