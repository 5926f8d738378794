// What the HTTP handlers share: the configuration, the loading state, and once loaded the
// tokenizer, the model behind its batcher, and the blocking pool for tokenizing.
#pragma once

#include <solar/runner/causal_model.hpp>
#include <solar/runner/dynamic_batcher.hpp>
#include <solar/runner/generation_scheduler.hpp>
#include <solar/runner/inference_backend.hpp>
#include <solar/runner/runner_config.hpp>

#include <boost/asio/thread_pool.hpp>

#include <atomic>
#include <cstdint>
#include <memory>
#include <string>
#include <vector>

namespace solar::runner {

// A tokenizer and a model, ready to serve: an encoder behind `backend`, or (--task causal) a
// decoder with its generation settings.
struct loaded_model {
    std::unique_ptr<text_tokenizer> tokenizer;
    std::unique_ptr<inference_backend> backend;
    std::unique_ptr<decoder_model> decoder;
    causal_settings causal;
};

class runner_service {
public:
    // `config` and `blocking` must outlive the service.
    runner_service(const runner_config& config, asio::thread_pool& blocking);
    ~runner_service();

    // Installs the model and starts its batcher (an encoder) or its generation scheduler (a
    // decoder); from then on ready() is true. Call once. Fails (returns a message, stays
    // loading) when --labels does not match the model's outputs.
    std::optional<std::string> set_ready(loaded_model model);
    bool ready() const { return ready_.load(std::memory_order_acquire); }

    // Fails queued requests and stops the batcher or scheduler (shutdown).
    void stop();

    const runner_config& config() const { return config_; }
    asio::thread_pool& blocking() { return blocking_; }

    // Valid only when ready().
    const text_tokenizer& tokenizer() const { return *model_.tokenizer; }
    const backend_facts& facts() const { return facts_; }
    dynamic_batcher& batcher() { return *batcher_; }
    // --task causal only.
    generation_scheduler& scheduler() { return *scheduler_; }
    const causal_settings& causal() const { return model_.causal; }
    // The labels classify answers with: --labels, else the model's id2label.
    const std::vector<std::string>& labels() const { return labels_; }
    // Tokens per input (causal: prompt and generation): --max-length, capped by the model's
    // position count when known.
    std::size_t max_length() const { return max_length_; }

    // A new task number for the slot log lines.
    std::int64_t next_task() { return next_task_++; }

private:
    const runner_config& config_;
    asio::thread_pool& blocking_;
    loaded_model model_;
    std::unique_ptr<dynamic_batcher> batcher_;
    std::unique_ptr<generation_scheduler> scheduler_;
    backend_facts facts_;
    std::vector<std::string> labels_;
    std::size_t max_length_ = 0;
    std::atomic<bool> ready_{false};
    std::atomic<std::int64_t> next_task_{0};
};

}  // namespace solar::runner
