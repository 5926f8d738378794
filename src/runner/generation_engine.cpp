// The continuous-batching step: per-sequence sampler, detokenizer and stop matcher around one
// shared decode_step.
#include <solar/runner/generation_engine.hpp>

#include <algorithm>

namespace solar::runner {

struct generation_engine::sequence_state {
    sequence_state(
        std::shared_ptr<generation_stream> out,
        generation_request req,
        const text_tokenizer& tokenizer
    )
        : stream(std::move(out)),
          request(std::move(req)),
          sampler(request.sampling, request.seed),
          detokenizer(tokenizer, request.prompt),
          stops(request.stop),
          history(request.prompt),
          submitted(clock::now()) {}

    std::shared_ptr<generation_stream> stream;
    generation_request request;
    token_sampler sampler;
    incremental_detokenizer detokenizer;
    stop_matcher stops;
    std::unique_ptr<decoder_sequence> sequence;
    std::vector<std::int32_t> history;  // prompt, then every sampled token
    std::int32_t next_input = -1;       // sampled, not yet fed to the model
    generation_stats stats;
    clock::time_point submitted;
};

namespace {

double ms_since(std::chrono::steady_clock::time_point start) {
    return std::chrono::duration<double, std::milli>(std::chrono::steady_clock::now() - start)
        .count();
}

}  // namespace

generation_engine::generation_engine(
    decoder_model& model,
    const text_tokenizer& tokenizer,
    std::size_t max_running,
    std::size_t max_length
)
    : model_(model),
      tokenizer_(tokenizer),
      max_running_(std::max<std::size_t>(max_running, 1)),
      max_length_(max_length) {}

generation_engine::~generation_engine() = default;

void generation_engine::add(std::shared_ptr<generation_stream> stream, generation_request request) {
    waiting_.push_back(
        std::make_unique<sequence_state>(std::move(stream), std::move(request), tokenizer_)
    );
}

void generation_engine::finish(sequence_state& s, generation_event& event, finish_reason reason) {
    event.finish = reason;
    s.stats.prompt_tokens = s.request.prompt.size();
    s.stats.generated_tokens = s.history.size() - s.request.prompt.size();
    event.stats = s.stats;
    s.next_input = -1;
}

bool generation_engine::advance(sequence_state& s, std::span<const float> logits) {
    const auto& r = s.request;
    std::size_t generated = s.history.size() - r.prompt.size();
    auto token =
        s.sampler.sample(logits, s.history, generated, r.logprobs ? r.top_logprobs : 0, r.logprobs);
    s.history.push_back(token.id);
    ++generated;
    generation_event event;
    if (r.logprobs) event.tokens.push_back(token);
    bool eos = std::find(r.eos_ids.begin(), r.eos_ids.end(), token.id) != r.eos_ids.end();
    stop_matcher::result shown;
    if (eos) {
        shown = s.stops.feed(s.detokenizer.flush());
    } else {
        shown = s.stops.feed(s.detokenizer.push(token.id));
    }
    event.text = std::move(shown.emit);
    bool at_limit =
        generated >= r.max_tokens || (max_length_ > 0 && s.history.size() >= max_length_);
    if (!shown.stopped && !eos && at_limit) {
        auto rest = s.stops.feed(s.detokenizer.flush());
        event.text += rest.emit;
        shown.stopped = rest.stopped;
        event.text += s.stops.flush();
    }
    if (eos || shown.stopped) {
        if (eos) event.text += s.stops.flush();
        finish(s, event, finish_reason::stop);
    } else if (at_limit) {
        finish(s, event, finish_reason::length);
    } else {
        s.next_input = token.id;
    }
    bool goes_on = event.finish == finish_reason::none;
    s.stream->push(std::move(event));
    return goes_on;
}

void generation_engine::admit(std::unique_ptr<sequence_state> s) {
    s->stats.queue_ms = ms_since(s->submitted);
    auto started = clock::now();
    std::vector<float> logits;
    try {
        s->sequence = model_.new_sequence();
        logits = model_.prefill(*s->sequence, s->request.prompt);
    } catch (const std::exception& e) {
        generation_event event;
        event.error = e.what();
        finish(*s, event, finish_reason::error);
        s->stream->push(std::move(event));
        return;
    }
    s->stats.prompt_ms = ms_since(started);
    if (advance(*s, logits)) running_.push_back(std::move(s));
}

void generation_engine::step() {
    auto gone = [](const std::unique_ptr<sequence_state>& s) {
        if (!s->stream->cancelled()) return false;
        generation_event event;
        s->stats.prompt_tokens = s->request.prompt.size();
        s->stats.generated_tokens = s->history.size() - s->request.prompt.size();
        event.stats = s->stats;
        event.finish = finish_reason::cancelled;
        s->stream->push(std::move(event));
        return true;
    };
    std::erase_if(running_, gone);
    std::erase_if(waiting_, gone);
    while (running_.size() < max_running_ && !waiting_.empty()) {
        auto s = std::move(waiting_.front());
        waiting_.pop_front();
        admit(std::move(s));
    }
    if (running_.empty()) return;

    std::vector<decoder_sequence*> sequences;
    std::vector<std::int32_t> tokens;
    for (auto& s : running_) {
        sequences.push_back(s->sequence.get());
        tokens.push_back(s->next_input);
    }
    auto started = clock::now();
    std::vector<std::vector<float>> logits;
    try {
        logits = model_.decode_step(sequences, tokens);
        if (logits.size() != running_.size()) throw std::logic_error("decode_step row count");
    } catch (const std::exception& e) {
        fail_all(e.what());
        return;
    }
    ++decode_steps_;
    double step_ms = ms_since(started);
    std::vector<std::unique_ptr<sequence_state>> still;
    for (std::size_t i = 0; i < running_.size(); ++i) {
        auto& s = running_[i];
        s->stats.decode_ms += step_ms;
        if (advance(*s, logits[i])) still.push_back(std::move(s));
    }
    running_ = std::move(still);
}

void generation_engine::fail_all(const std::string& why) {
    auto fail = [&](std::unique_ptr<sequence_state>& s) {
        generation_event event;
        event.error = why;
        finish(*s, event, finish_reason::error);
        s->stream->push(std::move(event));
    };
    for (auto& s : running_) fail(s);
    for (auto& s : waiting_) fail(s);
    running_.clear();
    waiting_.clear();
}

}  // namespace solar::runner
