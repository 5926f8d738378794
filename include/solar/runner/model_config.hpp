// A HuggingFace config.json for the encoder families the runner serves: BERT, DistilBERT,
// RoBERTa and XLM-RoBERTa, read into one plain struct.
#pragma once

#include <boost/system/result.hpp>

#include <nlohmann/json.hpp>

#include <cstdint>
#include <filesystem>
#include <string>
#include <vector>

namespace solar::runner {

// The weight layouts: BERT-style (also RoBERTa and XLM-RoBERTa, which differ only in position
// ids and the classification head) and DistilBERT's own names and lack of token types.
enum class encoder_family { bert, roberta, distilbert };

// What sits on top of the encoder.
enum class model_head { none, sequence_classification };

// The feed-forward activation: exact erf GELU, the tanh approximation ("gelu_new",
// "gelu_pytorch_tanh") or ReLU.
enum class activation { gelu, gelu_new, relu };

struct model_config {
    std::string architecture;  // e.g. "BertForSequenceClassification"
    std::string model_type;    // e.g. "bert", "xlm-roberta"
    encoder_family family = encoder_family::bert;
    model_head head = model_head::none;

    std::int64_t vocab_size = 0;
    std::int64_t hidden_size = 768;
    std::int64_t num_hidden_layers = 12;
    std::int64_t num_attention_heads = 12;
    std::int64_t intermediate_size = 3072;
    activation hidden_act = activation::gelu;
    double layer_norm_eps = 1e-12;
    std::int64_t max_position_embeddings = 512;
    std::int64_t type_vocab_size = 2;  // 0 for DistilBERT, which has no token types
    std::int64_t pad_token_id = 0;

    // Class names in id order (id2label); empty without a classification head.
    std::vector<std::string> labels;
    std::string problem_type;  // "single_label_classification", "multi_label_classification", ""
    std::string torch_dtype;   // as the checkpoint declares it, "" when absent

    // The first position id: RoBERTa counts from pad_token_id + 1, the others from 0.
    std::int64_t position_offset() const;

    // The longest input, in tokens, that the position embeddings cover.
    std::int64_t max_tokens() const;
};

// The architectures load() accepts, for messages: "BertModel, BertForSequenceClassification, ...".
std::string supported_architectures();

// Reads a parsed config.json. Fails with a message naming the problem: an unsupported
// architecture (naming it and the supported ones), a missing or malformed field, sizes that do
// not fit together (hidden size not divisible by the heads), labels with gaps.
boost::system::result<model_config, std::string> parse_model_config(const nlohmann::json& config);

// The parsed `model_dir`/config.json, for encoders and decoders alike; fails with a message when
// it is missing or not JSON.
boost::system::result<nlohmann::json, std::string> read_config_json(
    const std::filesystem::path& model_dir
);

// Reads `model_dir`/config.json; fails when it is missing or not JSON, or as parse_model_config.
boost::system::result<model_config, std::string> read_model_config(
    const std::filesystem::path& model_dir
);

}  // namespace solar::runner
