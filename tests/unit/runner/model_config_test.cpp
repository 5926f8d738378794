// Tests for config.json reading across BERT, DistilBERT, RoBERTa and XLM-RoBERTa.
#include <solar/runner/model_config.hpp>

#include <gtest/gtest.h>

namespace solar::runner {
namespace {

const std::filesystem::path models_dir =
    std::filesystem::path(__FILE__).parent_path() / "../../data/models";

nlohmann::json bert_json() {
    return {
        {"architectures", {"BertForSequenceClassification"}},
        {"model_type", "bert"},
        {"hidden_size", 64},
        {"num_hidden_layers", 3},
        {"num_attention_heads", 4},
        {"intermediate_size", 128},
        {"hidden_act", "gelu"},
        {"layer_norm_eps", 1e-12},
        {"max_position_embeddings", 128},
        {"type_vocab_size", 2},
        {"vocab_size", 500},
        {"pad_token_id", 0},
        {"id2label", {{"0", "neg"}, {"1", "pos"}}},
        {"label2id", {{"neg", 0}, {"pos", 1}}},
    };
}

TEST(model_config, reads_bert_fields) {
    auto config = parse_model_config(bert_json());
    ASSERT_TRUE(config) << config.error();
    EXPECT_EQ(config->architecture, "BertForSequenceClassification");
    EXPECT_EQ(config->family, encoder_family::bert);
    EXPECT_EQ(config->head, model_head::sequence_classification);
    EXPECT_EQ(config->hidden_size, 64);
    EXPECT_EQ(config->num_hidden_layers, 3);
    EXPECT_EQ(config->num_attention_heads, 4);
    EXPECT_EQ(config->intermediate_size, 128);
    EXPECT_EQ(config->vocab_size, 500);
    EXPECT_EQ(config->hidden_act, activation::gelu);
    EXPECT_EQ(config->max_tokens(), 128);
    EXPECT_EQ(config->position_offset(), 0);
    EXPECT_EQ(config->labels, (std::vector<std::string>{"neg", "pos"}));
}

TEST(model_config, orders_labels_by_id) {
    auto json = bert_json();
    json["id2label"] = {{"2", "c"}, {"0", "a"}, {"1", "b"}};
    json.erase("label2id");
    auto config = parse_model_config(json);
    ASSERT_TRUE(config) << config.error();
    EXPECT_EQ(config->labels, (std::vector<std::string>{"a", "b", "c"}));
}

TEST(model_config, falls_back_to_label2id_then_num_labels) {
    auto json = bert_json();
    json.erase("id2label");
    json["label2id"] = {{"yes", 1}, {"no", 0}};
    auto from_label2id = parse_model_config(json);
    ASSERT_TRUE(from_label2id) << from_label2id.error();
    EXPECT_EQ(from_label2id->labels, (std::vector<std::string>{"no", "yes"}));
    json.erase("label2id");
    json["num_labels"] = 3;
    auto generic = parse_model_config(json);
    ASSERT_TRUE(generic) << generic.error();
    EXPECT_EQ(generic->labels, (std::vector<std::string>{"LABEL_0", "LABEL_1", "LABEL_2"}));
}

TEST(model_config, rejects_labels_with_gaps) {
    auto json = bert_json();
    json["id2label"] = {{"0", "a"}, {"2", "c"}};
    auto config = parse_model_config(json);
    ASSERT_FALSE(config);
    EXPECT_NE(config.error().find("id2label"), std::string::npos);
}

TEST(model_config, reads_roberta_positions_from_the_pad_id) {
    auto json = bert_json();
    json["architectures"] = {"XLMRobertaForSequenceClassification"};
    json["model_type"] = "xlm-roberta";
    json["pad_token_id"] = 1;
    json["max_position_embeddings"] = 514;
    json["hidden_act"] = "gelu_new";
    auto config = parse_model_config(json);
    ASSERT_TRUE(config) << config.error();
    EXPECT_EQ(config->family, encoder_family::roberta);
    EXPECT_EQ(config->position_offset(), 2);
    EXPECT_EQ(config->max_tokens(), 512);
    EXPECT_EQ(config->hidden_act, activation::gelu_new);
}

TEST(model_config, reads_distilbert_names) {
    nlohmann::json json = {
        {"architectures", {"DistilBertModel"}},
        {"model_type", "distilbert"},
        {"dim", 96},
        {"n_layers", 2},
        {"n_heads", 3},
        {"hidden_dim", 200},
        {"activation", "relu"},
        {"max_position_embeddings", 64},
        {"vocab_size", 300},
    };
    auto config = parse_model_config(json);
    ASSERT_TRUE(config) << config.error();
    EXPECT_EQ(config->family, encoder_family::distilbert);
    EXPECT_EQ(config->head, model_head::none);
    EXPECT_EQ(config->hidden_size, 96);
    EXPECT_EQ(config->num_hidden_layers, 2);
    EXPECT_EQ(config->num_attention_heads, 3);
    EXPECT_EQ(config->intermediate_size, 200);
    EXPECT_EQ(config->hidden_act, activation::relu);
    EXPECT_EQ(config->type_vocab_size, 0);
    EXPECT_EQ(config->layer_norm_eps, 1e-12);
    EXPECT_TRUE(config->labels.empty());
}

TEST(model_config, uses_model_type_without_architectures) {
    nlohmann::json json = {
        {"model_type", "roberta"}, {"hidden_size", 32}, {"num_attention_heads", 4}};
    auto config = parse_model_config(json);
    ASSERT_TRUE(config) << config.error();
    EXPECT_EQ(config->architecture, "RobertaModel");
    EXPECT_EQ(config->pad_token_id, 1);
    EXPECT_EQ(config->vocab_size, 50265);
}

TEST(model_config, names_an_unsupported_architecture_and_the_supported_ones) {
    auto json = bert_json();
    json["architectures"] = {"GPT2LMHeadModel"};
    auto config = parse_model_config(json);
    ASSERT_FALSE(config);
    EXPECT_NE(config.error().find("unsupported architecture GPT2LMHeadModel"), std::string::npos);
    EXPECT_NE(config.error().find("DistilBertForSequenceClassification"), std::string::npos);
    EXPECT_NE(config.error().find("XLMRobertaModel"), std::string::npos);
}

TEST(model_config, rejects_an_unknown_activation) {
    auto json = bert_json();
    json["hidden_act"] = "swish";
    auto config = parse_model_config(json);
    ASSERT_FALSE(config);
    EXPECT_NE(config.error().find("swish"), std::string::npos);
}

TEST(model_config, rejects_heads_that_do_not_divide_the_hidden_size) {
    auto json = bert_json();
    json["num_attention_heads"] = 5;
    auto config = parse_model_config(json);
    ASSERT_FALSE(config);
    EXPECT_NE(config.error().find("multiple"), std::string::npos);
}

TEST(model_config, rejects_mistyped_fields) {
    auto json = bert_json();
    json["hidden_size"] = "64";
    auto config = parse_model_config(json);
    ASSERT_FALSE(config);
    EXPECT_NE(config.error().find("hidden_size"), std::string::npos);
}

TEST(model_config, reads_the_committed_configs) {
    auto bert = read_model_config(models_dir / "bert_classifier");
    ASSERT_TRUE(bert) << bert.error();
    EXPECT_EQ(bert->labels, (std::vector<std::string>{"negative", "neutral", "positive"}));
    auto distil = read_model_config(models_dir / "distilbert_classifier");
    ASSERT_TRUE(distil) << distil.error();
    EXPECT_EQ(distil->family, encoder_family::distilbert);
    auto roberta = read_model_config(models_dir / "roberta_classifier");
    ASSERT_TRUE(roberta) << roberta.error();
    EXPECT_EQ(roberta->max_tokens(), 40);
    EXPECT_EQ(roberta->layer_norm_eps, 1e-5);
    auto minilm = read_model_config(models_dir / "minilm_embedder");
    ASSERT_TRUE(minilm) << minilm.error();
    EXPECT_EQ(minilm->head, model_head::none);
}

TEST(model_config, names_a_missing_config) {
    auto config = read_model_config(models_dir / "no_such_model");
    ASSERT_FALSE(config);
    EXPECT_NE(config.error().find("no config.json"), std::string::npos);
}

}  // namespace
}  // namespace solar::runner
