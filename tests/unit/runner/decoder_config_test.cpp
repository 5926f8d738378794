// Tests for config.json reading of the Llama, Mistral, Qwen2, Phi-3 and GPT-2 decoders.
#include <solar/runner/decoder_config.hpp>

#include <gtest/gtest.h>

namespace solar::runner {
namespace {

const std::filesystem::path models_dir =
    std::filesystem::path(__FILE__).parent_path() / "../../data/models";

nlohmann::json llama_json() {
    return {
        {"architectures", {"LlamaForCausalLM"}},
        {"model_type", "llama"},
        {"hidden_size", 64},
        {"intermediate_size", 128},
        {"num_hidden_layers", 2},
        {"num_attention_heads", 8},
        {"num_key_value_heads", 2},
        {"rms_norm_eps", 1e-5},
        {"rope_theta", 500000.0},
        {"max_position_embeddings", 8192},
        {"vocab_size", 1000},
        {"bos_token_id", 128000},
        {"eos_token_id", {128001, 128009}},
        {"tie_word_embeddings", true},
    };
}

TEST(decoder_config, reads_llama_fields) {
    auto config = parse_decoder_config(llama_json());
    ASSERT_TRUE(config) << config.error();
    EXPECT_EQ(config->architecture, "LlamaForCausalLM");
    EXPECT_EQ(config->model_type, "llama");
    EXPECT_EQ(config->hidden_size, 64);
    EXPECT_EQ(config->intermediate_size, 128);
    EXPECT_EQ(config->num_hidden_layers, 2);
    EXPECT_EQ(config->num_attention_heads, 8);
    EXPECT_EQ(config->num_key_value_heads, 2);
    EXPECT_EQ(config->head_dim, 8);
    EXPECT_DOUBLE_EQ(config->rms_norm_eps, 1e-5);
    EXPECT_DOUBLE_EQ(config->rope_theta, 500000.0);
    EXPECT_EQ(config->max_position_embeddings, 8192);
    EXPECT_EQ(config->vocab_size, 1000);
    EXPECT_EQ(config->bos_token_id, 128000);
    EXPECT_EQ(config->eos_token_ids, (std::vector<std::int32_t>{128001, 128009}));
    EXPECT_TRUE(config->tie_word_embeddings);
    EXPECT_FALSE(config->qkv_bias);
    EXPECT_FALSE(config->sliding_window);
    EXPECT_EQ(config->rope_scaling.kind, rope_scaling_kind::none);
}

TEST(decoder_config, applies_the_family_defaults) {
    auto llama = parse_decoder_config({{"model_type", "llama"}});
    ASSERT_TRUE(llama) << llama.error();
    EXPECT_EQ(llama->num_key_value_heads, 32);
    EXPECT_EQ(llama->head_dim, 128);
    EXPECT_EQ(llama->eos_token_ids, (std::vector<std::int32_t>{2}));
    EXPECT_EQ(llama->bos_token_id, 1);

    auto mistral = parse_decoder_config({{"architectures", {"MistralForCausalLM"}}});
    ASSERT_TRUE(mistral) << mistral.error();
    EXPECT_EQ(mistral->num_key_value_heads, 8);
    EXPECT_EQ(mistral->sliding_window, 4096);
    auto no_window = parse_decoder_config(
        {{"architectures", {"MistralForCausalLM"}}, {"sliding_window", nullptr}}
    );
    ASSERT_TRUE(no_window) << no_window.error();
    EXPECT_FALSE(no_window->sliding_window);

    auto qwen =
        parse_decoder_config({{"architectures", {"Qwen2ForCausalLM"}}, {"eos_token_id", 151643}});
    ASSERT_TRUE(qwen) << qwen.error();
    EXPECT_TRUE(qwen->qkv_bias);
    EXPECT_EQ(qwen->vocab_size, 151936);
    EXPECT_FALSE(qwen->sliding_window);
    EXPECT_FALSE(qwen->bos_token_id);
    EXPECT_EQ(qwen->eos_token_ids, (std::vector<std::int32_t>{151643}));
    auto windowed = parse_decoder_config(
        {{"architectures", {"Qwen2ForCausalLM"}},
         {"use_sliding_window", true},
         {"sliding_window", 512},
         {"max_window_layers", 3}}
    );
    ASSERT_TRUE(windowed) << windowed.error();
    EXPECT_EQ(windowed->sliding_window, 512);
    EXPECT_EQ(windowed->sliding_window_first_layer, 3);
}

TEST(decoder_config, reads_rope_scaling) {
    auto json = llama_json();
    json["rope_scaling"] = {
        {"rope_type", "llama3"},
        {"factor", 8.0},
        {"low_freq_factor", 1.0},
        {"high_freq_factor", 4.0},
        {"original_max_position_embeddings", 8192},
    };
    auto llama3 = parse_decoder_config(json);
    ASSERT_TRUE(llama3) << llama3.error();
    EXPECT_EQ(llama3->rope_scaling.kind, rope_scaling_kind::llama3);
    EXPECT_DOUBLE_EQ(llama3->rope_scaling.factor, 8.0);
    EXPECT_EQ(llama3->rope_scaling.original_max_position_embeddings, 8192);

    json["rope_scaling"] = {{"type", "linear"}, {"factor", 2.0}};
    auto linear = parse_decoder_config(json);
    ASSERT_TRUE(linear) << linear.error();
    EXPECT_EQ(linear->rope_scaling.kind, rope_scaling_kind::linear);
    EXPECT_DOUBLE_EQ(linear->rope_scaling.factor, 2.0);

    json["rope_scaling"] = {{"type", "dynamic"}, {"factor", 4.0}};
    auto dynamic = parse_decoder_config(json);
    ASSERT_TRUE(dynamic) << dynamic.error();
    EXPECT_EQ(dynamic->rope_scaling.kind, rope_scaling_kind::dynamic);
    EXPECT_EQ(dynamic->rope_scaling.original_max_position_embeddings, 8192);

    json["rope_scaling"] = {{"type", "yarn"}, {"factor", 4.0}};
    auto yarn = parse_decoder_config(json);
    ASSERT_FALSE(yarn);
    EXPECT_NE(yarn.error().find("yarn"), std::string::npos);
}

TEST(decoder_config, rejects_inconsistent_configs) {
    auto json = llama_json();
    json["num_key_value_heads"] = 3;
    auto heads = parse_decoder_config(json);
    ASSERT_FALSE(heads);
    EXPECT_NE(heads.error().find("key/value heads"), std::string::npos);

    json = llama_json();
    json["hidden_size"] = "64";
    auto typed = parse_decoder_config(json);
    ASSERT_FALSE(typed);
    EXPECT_NE(typed.error().find("hidden_size"), std::string::npos);

    json = llama_json();
    json["hidden_act"] = "gelu";
    EXPECT_FALSE(parse_decoder_config(json));

    auto bert = parse_decoder_config({{"architectures", {"BertModel"}}});
    ASSERT_FALSE(bert);
    EXPECT_NE(bert.error().find("LlamaForCausalLM"), std::string::npos);
    EXPECT_FALSE(is_decoder_config({{"architectures", {"BertModel"}}}));
    EXPECT_TRUE(is_decoder_config({{"model_type", "qwen2"}}));
    EXPECT_TRUE(is_decoder_config({{"architectures", {"GPT2LMHeadModel"}}}));
    EXPECT_TRUE(is_decoder_config({{"architectures", {"Phi3ForCausalLM"}}}));
}

TEST(decoder_config, reads_phi3_with_its_defaults) {
    auto phi3 = parse_decoder_config({{"architectures", {"Phi3ForCausalLM"}}});
    ASSERT_TRUE(phi3) << phi3.error();
    EXPECT_EQ(phi3->model_type, "phi3");
    EXPECT_EQ(phi3->vocab_size, 32064);
    EXPECT_EQ(phi3->hidden_size, 3072);
    EXPECT_EQ(phi3->intermediate_size, 8192);
    EXPECT_EQ(phi3->num_key_value_heads, 32);
    EXPECT_EQ(phi3->head_dim, 96);
    EXPECT_DOUBLE_EQ(phi3->rms_norm_eps, 1e-5);
    EXPECT_EQ(phi3->max_position_embeddings, 4096);
    EXPECT_EQ(phi3->bos_token_id, 1);
    EXPECT_EQ(phi3->eos_token_ids, (std::vector<std::int32_t>{32000}));
    EXPECT_FALSE(phi3->sliding_window);
    EXPECT_FALSE(phi3->qkv_bias);
    EXPECT_FALSE(phi3->layer_norm);
    EXPECT_TRUE(phi3->gated_mlp);

    auto windowed =
        parse_decoder_config({{"architectures", {"Phi3ForCausalLM"}}, {"sliding_window", 2047}});
    ASSERT_TRUE(windowed) << windowed.error();
    EXPECT_EQ(windowed->sliding_window, 2047);

    auto partial = parse_decoder_config(
        {{"architectures", {"Phi3ForCausalLM"}}, {"partial_rotary_factor", 0.75}}
    );
    ASSERT_FALSE(partial);
    EXPECT_NE(partial.error().find("partial_rotary_factor"), std::string::npos);
    auto longrope = parse_decoder_config(
        {{"architectures", {"Phi3ForCausalLM"}},
         {"rope_scaling", {{"type", "longrope"}, {"short_factor", {1.0}}}}}
    );
    ASSERT_FALSE(longrope);
    EXPECT_NE(longrope.error().find("longrope"), std::string::npos);
}

TEST(decoder_config, reads_gpt2_under_its_own_field_names) {
    auto gpt2 = parse_decoder_config({{"architectures", {"GPT2LMHeadModel"}}});
    ASSERT_TRUE(gpt2) << gpt2.error();
    EXPECT_EQ(gpt2->model_type, "gpt2");
    EXPECT_EQ(gpt2->vocab_size, 50257);
    EXPECT_EQ(gpt2->hidden_size, 768);
    EXPECT_EQ(gpt2->num_hidden_layers, 12);
    EXPECT_EQ(gpt2->num_attention_heads, 12);
    EXPECT_EQ(gpt2->num_key_value_heads, 12);
    EXPECT_EQ(gpt2->head_dim, 64);
    EXPECT_EQ(gpt2->intermediate_size, 3072);
    EXPECT_EQ(gpt2->max_position_embeddings, 1024);
    EXPECT_DOUBLE_EQ(gpt2->rms_norm_eps, 1e-5);
    EXPECT_EQ(gpt2->bos_token_id, 50256);
    EXPECT_EQ(gpt2->eos_token_ids, (std::vector<std::int32_t>{50256}));
    EXPECT_TRUE(gpt2->tie_word_embeddings);
    EXPECT_TRUE(gpt2->layer_norm);
    EXPECT_TRUE(gpt2->learned_positions);
    EXPECT_TRUE(gpt2->qkv_bias);
    EXPECT_TRUE(gpt2->linear_bias);
    EXPECT_FALSE(gpt2->gated_mlp);
    EXPECT_EQ(gpt2->activation, decoder_activation::gelu_tanh);

    auto sized = parse_decoder_config(
        {{"model_type", "gpt2"},
         {"n_embd", 48},
         {"n_head", 3},
         {"n_layer", 2},
         {"n_positions", 64},
         {"n_inner", 100},
         {"layer_norm_epsilon", 1e-6},
         {"activation_function", "gelu"},
         {"tie_word_embeddings", false}}
    );
    ASSERT_TRUE(sized) << sized.error();
    EXPECT_EQ(sized->head_dim, 16);
    EXPECT_EQ(sized->intermediate_size, 100);
    EXPECT_EQ(sized->max_position_embeddings, 64);
    EXPECT_DOUBLE_EQ(sized->rms_norm_eps, 1e-6);
    EXPECT_EQ(sized->activation, decoder_activation::gelu);
    EXPECT_FALSE(sized->tie_word_embeddings);

    auto relu = parse_decoder_config({{"model_type", "gpt2"}, {"activation_function", "relu"}});
    ASSERT_FALSE(relu);
    EXPECT_NE(relu.error().find("relu"), std::string::npos);
    auto inverse =
        parse_decoder_config({{"model_type", "gpt2"}, {"scale_attn_by_inverse_layer_idx", true}});
    ASSERT_FALSE(inverse);
    EXPECT_NE(inverse.error().find("scale_attn_by_inverse_layer_idx"), std::string::npos);
    auto uneven = parse_decoder_config({{"model_type", "gpt2"}, {"n_embd", 50}, {"n_head", 3}});
    ASSERT_FALSE(uneven);
    EXPECT_NE(uneven.error().find("n_head"), std::string::npos);
}

TEST(decoder_config, reads_the_generated_tiny_decoders) {
    auto qwen2 = read_decoder_config(models_dir / "qwen2_tiny");
    ASSERT_TRUE(qwen2) << qwen2.error();
    EXPECT_TRUE(qwen2->qkv_bias);
    EXPECT_TRUE(qwen2->tie_word_embeddings);
    EXPECT_EQ(qwen2->num_key_value_heads, 2);
    EXPECT_DOUBLE_EQ(qwen2->rope_theta, 1e6);
    EXPECT_FALSE(qwen2->sliding_window);
    auto mistral = read_decoder_config(models_dir / "mistral_tiny");
    ASSERT_TRUE(mistral) << mistral.error();
    EXPECT_EQ(mistral->sliding_window, 16);
    auto phi3 = read_decoder_config(models_dir / "phi3_tiny");
    ASSERT_TRUE(phi3) << phi3.error();
    EXPECT_EQ(phi3->model_type, "phi3");
    EXPECT_EQ(phi3->head_dim, 8);
    auto gpt2 = read_decoder_config(models_dir / "gpt2_tiny");
    ASSERT_TRUE(gpt2) << gpt2.error();
    EXPECT_EQ(gpt2->hidden_size, 32);
    EXPECT_EQ(gpt2->intermediate_size, 128);
    EXPECT_EQ(gpt2->max_position_embeddings, 512);
    EXPECT_TRUE(gpt2->learned_positions);
}

TEST(decoder_config, reads_the_converted_tiny_llama) {
    auto config = read_decoder_config(models_dir / "llama_tiny");
    ASSERT_TRUE(config) << config.error();
    EXPECT_EQ(config->hidden_size, 8);
    EXPECT_EQ(config->num_attention_heads, 2);
    EXPECT_EQ(config->num_key_value_heads, 2);
    EXPECT_EQ(config->head_dim, 4);
    EXPECT_EQ(config->intermediate_size, 32);
    EXPECT_EQ(config->vocab_size, 32000);
    EXPECT_EQ(config->max_position_embeddings, 4096);
    EXPECT_FALSE(config->tie_word_embeddings);
    EXPECT_FALSE(read_decoder_config(models_dir / "no_such_model"));
}

}  // namespace
}  // namespace solar::runner
