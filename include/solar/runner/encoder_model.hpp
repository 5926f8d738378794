// An encoder model (BERT, DistilBERT, RoBERTa, XLM-RoBERTa) loaded from a HuggingFace model
// directory: classification logits and pooled embeddings. The interface holds no torch types,
// so only src/runner/torch/ pays for torch headers; load() is defined there (solar_runner_torch).
#pragma once

#include <boost/system/result.hpp>

#include <cstdint>
#include <filesystem>
#include <memory>
#include <string>
#include <vector>

namespace solar::runner {

// How token vectors become one embedding: the masked mean, the first ([CLS]/<s>) token, or the
// last non-padding token.
enum class pooling { mean, cls, last };

struct model_load_options {
    std::string device = "auto";  // auto (cpu unless CUDA is available), cpu, cuda, cuda:N
    std::string dtype = "auto";   // auto (float32 on cpu), float32, float16, bfloat16
    std::size_t threads = 0;      // torch intra-op threads (process-wide), 0 = one per core
};

// Token ids per sequence, ragged; the model pads with its pad id and masks the padding.
// type_ids is empty (all zeros) or has one row per sequence, each as long as its ids.
struct token_batch {
    std::vector<std::vector<std::int32_t>> ids;
    std::vector<std::vector<std::int32_t>> type_ids;
};

// What the loaded model is, for /v1/models, logs and request validation.
struct model_description {
    std::string architecture;  // e.g. "BertForSequenceClassification"
    std::string model_type;    // e.g. "bert"
    std::int64_t hidden_size = 0;
    std::int64_t max_position_embeddings = 0;
    std::int64_t max_tokens = 0;  // longest accepted sequence (RoBERTa: positions - pad - 1)
    std::int64_t vocab_size = 0;
    std::int64_t type_vocab_size = 0;
    std::int64_t pad_token_id = 0;
    bool has_classifier = false;
    std::vector<std::string> labels;  // id2label order; empty without a classifier
    std::string problem_type;         // from config.json, "" when absent
    std::uint64_t parameter_count = 0;
    std::string dtype;   // the compute dtype: "float32", "float16", "bfloat16"
    std::string device;  // "cpu", "cuda:0"
    int threads = 0;     // the intra-op thread count load() gave torch
};

// Forward passes are not thread-safe: call classify_logits and embed from one thread at a time
// (the server's batcher serialises them). Torch parallelises each pass over the cores itself.
class encoder_model {
public:
    virtual ~encoder_model() = default;

    // Loads config.json and the safetensors weights (single or sharded) of a local model
    // directory and sets torch's intra-op threads to options.threads (0: the core count). Fails
    // with a message naming the problem: unsupported architecture, missing tensor, shape mismatch,
    // unknown dtype or device, no CUDA in this libtorch build, float16 on CPU.
    static boost::system::result<std::unique_ptr<encoder_model>, std::string> load(
        const std::filesystem::path& model_dir, const model_load_options& options
    );

    // One row of num_labels raw logits per sequence, in float32. Throws std::invalid_argument
    // when the model has no classifier, a sequence is empty or longer than max_tokens, or an id
    // is outside the vocabulary.
    virtual std::vector<std::vector<float>> classify_logits(const token_batch& batch) = 0;

    // One hidden_size vector per sequence, pooled and optionally L2-normalised, in float32.
    // Throws std::invalid_argument on the same bad input as classify_logits.
    virtual std::vector<std::vector<float>> embed(
        const token_batch& batch, pooling how, bool normalize
    ) = 0;

    virtual const model_description& description() const = 0;
};

}  // namespace solar::runner
