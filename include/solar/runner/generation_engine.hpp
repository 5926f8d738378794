// Continuous batching over a decoder_model, single-threaded: each step() prefills the
// sequences that joined, then runs ONE batched decode_step over every running sequence;
// a sequence leaves at any step (finished, cancelled, failed) and a waiting one takes its place.
// generation_scheduler runs it on its worker thread; tests drive it step by step.
#pragma once

#include <solar/runner/decoder_model.hpp>
#include <solar/runner/generation.hpp>
#include <solar/runner/incremental_detokenizer.hpp>
#include <solar/runner/inference_backend.hpp>
#include <solar/runner/stop_matcher.hpp>

#include <chrono>
#include <deque>
#include <memory>
#include <vector>

namespace solar::runner {

class generation_engine {
public:
    // `model` and `tokenizer` must outlive the engine. At most `max_running` sequences decode
    // together; a sequence ends with reason length once prompt and generation reach
    // `max_length` tokens.
    generation_engine(
        decoder_model& model,
        const text_tokenizer& tokenizer,
        std::size_t max_running,
        std::size_t max_length
    );
    ~generation_engine();

    // Queues a generation; it joins the running batch at the first step with room.
    void add(std::shared_ptr<generation_stream> stream, generation_request request);

    // Drops cancelled sequences, admits waiting ones (prefill + first token), then one batched
    // decode step for the rest. Each sequence's stream gets an event per token.
    void step();

    // Ends every sequence, running or waiting, with finish_reason::error and `why`.
    void fail_all(const std::string& why);

    bool idle() const { return running_.empty() && waiting_.empty(); }
    std::size_t running() const { return running_.size(); }
    std::size_t waiting() const { return waiting_.size(); }
    // decode_step calls so far and the sequences in the last one (tests, the log).
    std::size_t decode_steps() const { return decode_steps_; }

private:
    struct sequence_state;
    using clock = std::chrono::steady_clock;

    void admit(std::unique_ptr<sequence_state> s);
    // Samples from `logits` and reports; returns whether the sequence goes on.
    bool advance(sequence_state& s, std::span<const float> logits);
    void finish(sequence_state& s, generation_event& event, finish_reason reason);

    decoder_model& model_;
    const text_tokenizer& tokenizer_;
    std::size_t max_running_;
    std::size_t max_length_;
    std::deque<std::unique_ptr<sequence_state>> waiting_;
    std::vector<std::unique_ptr<sequence_state>> running_;
    std::size_t decode_steps_ = 0;
};

}  // namespace solar::runner
