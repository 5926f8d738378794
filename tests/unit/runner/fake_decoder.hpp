// A torch-free decoder_model and tokenizer for the generation tests: one token per byte
// (id 10 + byte), <s> = 0 and </s> = 1, and logits chosen by a test function of the sequence.
#pragma once

#include <solar/runner/decoder_model.hpp>
#include <solar/runner/inference_backend.hpp>

#include <atomic>
#include <functional>
#include <memory>
#include <mutex>
#include <stdexcept>
#include <string>
#include <vector>

namespace solar::runner::test {

constexpr std::int32_t bos_id = 0;
constexpr std::int32_t eos_id = 1;
constexpr std::int32_t fake_vocab = 266;

inline std::int32_t byte_id(unsigned char c) { return 10 + c; }

struct fake_tokenizer final : text_tokenizer {
    tokenized_text encode(std::string_view text, bool add_special, std::size_t) const override {
        tokenized_text out;
        if (add_special) out.ids.push_back(bos_id);
        for (unsigned char c : text) out.ids.push_back(byte_id(c));
        out.type_ids.assign(out.ids.size(), 0);
        return out;
    }
    std::string decode(std::span<const std::int32_t> ids, bool skip_special) const override {
        std::string s;
        for (auto id : ids) {
            if (id >= 10) {
                s += static_cast<char>(id - 10);
            } else if (!skip_special) {
                s += id == bos_id ? "<s>" : id == eos_id ? "</s>" : "<?>";
            }
        }
        return s;
    }
    std::size_t vocab_size() const override { return fake_vocab; }
};

struct fake_sequence final : decoder_sequence {
    explicit fake_sequence(std::atomic<int>& live) : live(live) { ++live; }
    ~fake_sequence() override { --live; }
    std::size_t length() const override { return tokens.size(); }
    void clear() override { tokens.clear(); }
    std::vector<std::int32_t> tokens;
    std::size_t prompt_length = 0;
    std::atomic<int>& live;
};

// Next-token logits for a sequence: its tokens so far and how many were the prompt.
using logits_fn = std::function<std::vector<float>(const fake_sequence&)>;

// Greedy-friendly: the bytes of `script` after the prompt, then </s>.
inline logits_fn scripted(std::string script) {
    return [script](const fake_sequence& s) {
        std::vector<float> logits(fake_vocab, 0.0f);
        auto i = s.tokens.size() - s.prompt_length;
        auto next = i < script.size() ? byte_id(script[i]) : eos_id;
        logits[next] = 10.0f;
        return logits;
    };
}

// Spread-out logits that depend on every token of the sequence (a mix-up between sequences
// changes them), over the bytes 'a'..'z' only so the text stays printable; never </s>.
inline std::vector<float> hashed_logits(const fake_sequence& s) {
    std::uint64_t h = 1469598103934665603ull;
    for (auto t : s.tokens) h = (h ^ static_cast<std::uint64_t>(t)) * 1099511628211ull;
    std::vector<float> logits(fake_vocab, -100.0f);
    for (int c = 'a'; c <= 'z'; ++c) {
        std::uint64_t x = (h ^ static_cast<std::uint64_t>(c)) * 0x9E3779B97F4A7C15ull;
        logits[byte_id(c)] = static_cast<float>((x >> 40) % 1000) / 250.0f;
    }
    return logits;
}

class fake_decoder final : public decoder_model {
public:
    explicit fake_decoder(logits_fn fn, std::int64_t max_positions = 1 << 20) : fn_(std::move(fn)) {
        description_.config.vocab_size = fake_vocab;
        description_.config.max_position_embeddings = max_positions;
        description_.config.architecture = "FakeForCausalLM";
        description_.config.eos_token_ids = {eos_id};
        description_.parameter_count = 42;
    }
    std::unique_ptr<decoder_sequence> new_sequence() override {
        return std::make_unique<fake_sequence>(live);
    }
    std::vector<float> prefill(decoder_sequence& seq, std::span<const std::int32_t> ids) override {
        if (ids.empty()) throw std::invalid_argument("empty prefill");
        auto& s = static_cast<fake_sequence&>(seq);
        s.tokens.insert(s.tokens.end(), ids.begin(), ids.end());
        s.prompt_length = s.tokens.size();
        ++prefills;
        return fn_(s);
    }
    std::vector<std::vector<float>> decode_step(
        std::span<decoder_sequence* const> seqs, std::span<const std::int32_t> tokens
    ) override {
        std::vector<std::vector<float>> out;
        for (std::size_t i = 0; i < seqs.size(); ++i) {
            auto& s = static_cast<fake_sequence&>(*seqs[i]);
            if (tokens[i] < 0 || tokens[i] >= fake_vocab) throw std::invalid_argument("bad id");
            s.tokens.push_back(tokens[i]);
            out.push_back(fn_(s));
        }
        {
            std::lock_guard lock(mutex);
            batch_sizes.push_back(seqs.size());
        }
        return out;
    }
    const decoder_description& description() const override { return description_; }

    std::vector<std::size_t> batches() {
        std::lock_guard lock(mutex);
        return batch_sizes;
    }

    std::atomic<int> live{0};
    std::atomic<int> prefills{0};

private:
    logits_fn fn_;
    decoder_description description_;
    std::mutex mutex;
    std::vector<std::size_t> batch_sizes;
};

}  // namespace solar::runner::test
