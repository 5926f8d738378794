// Tests for instance config validation, JSON output, endpoints and the 422 body.
#include <solar/host/instance_config.hpp>

#include <gtest/gtest.h>

#include <set>
#include <string>

namespace solar::host {
namespace {

using nlohmann::json;
using strings = std::vector<std::string>;

// Every path exists except those under /missing/.
validation_env fake_files() {
    return {[](const std::string& path) { return path.rfind("/missing/", 0) != 0; }};
}

json llama_minimal() {
    return {{"model", "/models/m.gguf"}, {"alias", "llama:8b"}, {"api_key", "k"}};
}

instance_config parse_ok(const json& config) {
    auto result = parse_instance_config(config, fake_files());
    EXPECT_TRUE(result) << (result ? "" : describe(result.error()));
    return result ? *result : instance_config{};
}

field_errors parse_errors(const json& config) {
    auto result = parse_instance_config(config, fake_files());
    EXPECT_FALSE(result);
    return result ? field_errors{} : result.error();
}

const field_error* error_at(const field_errors& errors, const std::string& field) {
    for (const auto& error : errors) {
        if (error.loc == strings{"config", field}) return &error;
    }
    return nullptr;
}

TEST(instance_config, config_without_backend_type_is_llamacpp_with_defaults) {
    auto config = parse_ok(llama_minimal());
    ASSERT_TRUE(std::holds_alternative<llamacpp_config>(config));
    const auto& c = std::get<llamacpp_config>(config);
    EXPECT_EQ(c.model, "/models/m.gguf");
    EXPECT_EQ(c.alias, "llama:8b");
    EXPECT_EQ(c.api_key, "k");
    EXPECT_EQ(c.threads, 1);
    EXPECT_EQ(c.n_gpu_layers, 999);
    EXPECT_EQ(c.temp, 1.0);
    EXPECT_EQ(c.top_p, 1.0);
    EXPECT_EQ(c.top_k, 0);
    EXPECT_EQ(c.min_p, 0.0);
    EXPECT_EQ(c.ctx_size, 131072);
    EXPECT_FALSE(c.chat_template_file);
    EXPECT_FALSE(c.special);
    EXPECT_FALSE(c.embeddings);
    EXPECT_FALSE(c.pooling);
    EXPECT_EQ(c.host, "0.0.0.0");
    EXPECT_FALSE(c.port);
    EXPECT_FALSE(c.auto_restart);
    EXPECT_EQ(backend_type_of(config), "llamacpp");
}

TEST(instance_config, every_llamacpp_field_is_read) {
    auto input = llama_minimal();
    input.update({
        {"backend_type", "llamacpp"},
        {"threads", 4},
        {"n_gpu_layers", 20},
        {"temp", 0.7},
        {"top_p", 0.9},
        {"top_k", 40},
        {"min_p", 0.05},
        {"ctx_size", 8192},
        {"chat_template_file", "/t/harmony.jinja"},
        {"special", true},
        {"embeddings", true},
        {"pooling", "mean"},
        {"host", "127.0.0.1"},
        {"port", 3600},
        {"auto_restart", true},
    });
    const auto c = std::get<llamacpp_config>(parse_ok(input));
    EXPECT_EQ(c.threads, 4);
    EXPECT_EQ(c.n_gpu_layers, 20);
    EXPECT_DOUBLE_EQ(c.temp, 0.7);
    EXPECT_DOUBLE_EQ(c.top_p, 0.9);
    EXPECT_EQ(c.top_k, 40);
    EXPECT_DOUBLE_EQ(c.min_p, 0.05);
    EXPECT_EQ(c.ctx_size, 8192);
    EXPECT_EQ(c.chat_template_file, "/t/harmony.jinja");
    EXPECT_TRUE(c.special);
    EXPECT_TRUE(c.embeddings);
    EXPECT_EQ(c.pooling, "mean");
    EXPECT_EQ(c.host, "127.0.0.1");
    EXPECT_EQ(c.port, 3600);
    EXPECT_TRUE(c.auto_restart);
}

TEST(instance_config, every_offending_field_is_reported_at_once) {
    json input = {
        {"alias", "a"},
        {"api_key", "k"},
        {"temp", 2.5},
        {"top_p", -0.1},
        {"min_p", 1.5},
        {"top_k", -1},
        {"ctx_size", 0},
        {"threads", "abc"},
        {"special", "maybe"},
        {"port", 70000},
        {"host", 5},
    };
    auto errors = parse_errors(input);
    ASSERT_EQ(errors.size(), 10u) << describe(errors);

    auto* model = error_at(errors, "model");
    ASSERT_NE(model, nullptr);
    EXPECT_EQ(model->type, "missing");
    EXPECT_EQ(model->msg, "Field required");

    auto* temp = error_at(errors, "temp");
    ASSERT_NE(temp, nullptr);
    EXPECT_EQ(temp->type, "less_than_equal");
    EXPECT_EQ(temp->msg, "Input should be from 0 to 2, got number 2.5");
    EXPECT_EQ(temp->input, 2.5);
    EXPECT_EQ(temp->ctx, (json{{"le", 2}}));

    EXPECT_EQ(error_at(errors, "top_p")->type, "greater_than_equal");
    EXPECT_EQ(error_at(errors, "min_p")->type, "less_than_equal");
    EXPECT_EQ(error_at(errors, "top_k")->type, "greater_than_equal");
    EXPECT_EQ(
        error_at(errors, "top_k")->msg, "Input should be greater than or equal to 0, got number -1"
    );
    EXPECT_EQ(error_at(errors, "ctx_size")->type, "greater_than_equal");
    EXPECT_EQ(error_at(errors, "threads")->type, "int_parsing");
    EXPECT_EQ(error_at(errors, "special")->type, "bool_parsing");
    EXPECT_EQ(error_at(errors, "port")->type, "less_than_equal");
    EXPECT_EQ(error_at(errors, "port")->msg, "Input should be from 1 to 65535, got number 70000");
    EXPECT_EQ(error_at(errors, "host")->type, "string_type");
}

TEST(instance_config, llamacpp_pooling_is_one_of_llama_servers_and_null_means_the_models_own) {
    auto input = llama_minimal();
    input["pooling"] = nullptr;
    EXPECT_FALSE(std::get<llamacpp_config>(parse_ok(input)).pooling);
    input["pooling"] = "max";
    auto errors = parse_errors(input);
    ASSERT_EQ(errors.size(), 1u) << describe(errors);
    EXPECT_EQ(error_at(errors, "pooling")->type, "enum");
    input["pooling"] = "rank";
    auto c = std::get<llamacpp_config>(parse_ok(input));
    EXPECT_EQ(c.pooling, "rank");
    EXPECT_EQ(to_json(instance_config{c})["pooling"], "rank");
}

TEST(instance_config, wrong_json_types_are_named) {
    auto input = llama_minimal();
    input.update(
        {{"temp", "hot"},
         {"top_p", true},
         {"threads", 4.5},
         {"ctx_size", nullptr},
         {"special", 2},
         {"embeddings", json::array()}}
    );
    auto errors = parse_errors(input);
    ASSERT_EQ(errors.size(), 6u) << describe(errors);
    EXPECT_EQ(error_at(errors, "temp")->type, "float_parsing");
    EXPECT_EQ(error_at(errors, "top_p")->type, "float_type");
    EXPECT_EQ(error_at(errors, "top_p")->msg, "Input should be a valid number, got boolean true");
    EXPECT_EQ(error_at(errors, "threads")->type, "int_from_float");
    EXPECT_EQ(error_at(errors, "ctx_size")->type, "int_type");
    EXPECT_EQ(error_at(errors, "special")->type, "bool_type");
    EXPECT_EQ(error_at(errors, "embeddings")->type, "bool_type");
}

TEST(instance_config, lax_coercion_matches_pydantic) {
    auto input = llama_minimal();
    input.update(
        {{"threads", "8"},
         {"n_gpu_layers", 10.0},
         {"temp", "0.5"},
         {"top_k", 3},
         {"special", 1},
         {"embeddings", "yes"},
         {"port", "3601"}}
    );
    const auto c = std::get<llamacpp_config>(parse_ok(input));
    EXPECT_EQ(c.threads, 8);
    EXPECT_EQ(c.n_gpu_layers, 10);
    EXPECT_DOUBLE_EQ(c.temp, 0.5);
    EXPECT_TRUE(c.special);
    EXPECT_TRUE(c.embeddings);
    EXPECT_EQ(c.port, 3601);
}

TEST(instance_config, required_strings_must_be_non_empty) {
    auto errors = parse_errors({{"model", ""}, {"alias", ""}, {"api_key", ""}});
    ASSERT_EQ(errors.size(), 3u);
    for (const auto& error : errors) EXPECT_EQ(error.type, "string_too_short");
}

TEST(instance_config, null_port_and_empty_template_mean_not_given) {
    auto input = llama_minimal();
    input.update({{"port", nullptr}, {"chat_template_file", ""}});
    const auto c = std::get<llamacpp_config>(parse_ok(input));
    EXPECT_FALSE(c.port);
    EXPECT_FALSE(c.chat_template_file);
}

TEST(instance_config, files_are_checked_through_the_env) {
    auto input = llama_minimal();
    input.update({{"model", "/missing/m.gguf"}, {"chat_template_file", "/missing/t.jinja"}});
    auto errors = parse_errors(input);
    ASSERT_EQ(errors.size(), 2u);
    EXPECT_EQ(error_at(errors, "model")->type, "value_error");
    EXPECT_EQ(error_at(errors, "model")->msg, "Value error, file not found: /missing/m.gguf");
    EXPECT_EQ(error_at(errors, "model")->input, "/missing/m.gguf");
    EXPECT_EQ(error_at(errors, "chat_template_file")->type, "value_error");

    // Without a file check (loading config.json) the same config is fine.
    EXPECT_TRUE(parse_instance_config(input, validation_env{}));
}

TEST(instance_config, api_key_is_never_echoed) {
    auto input = llama_minimal();
    input["api_key"] = 12345;
    auto errors = parse_errors(input);
    ASSERT_EQ(errors.size(), 1u);
    EXPECT_EQ(errors[0].type, "string_type");
    EXPECT_TRUE(errors[0].input.is_null());
    EXPECT_EQ(errors[0].msg.find("12345"), std::string::npos);
}

TEST(instance_config, unknown_fields_are_ignored) {
    auto input = llama_minimal();
    input.update({{"future_option", 1}, {"model_id", 5}});
    EXPECT_TRUE(parse_instance_config(input, fake_files()));
}

TEST(instance_config, unknown_backend_type_is_the_only_error) {
    auto errors = parse_errors({{"backend_type", "vllm"}, {"temp", 9}});
    ASSERT_EQ(errors.size(), 1u);
    EXPECT_EQ(errors[0].loc, (strings{"config", "backend_type"}));
    EXPECT_EQ(errors[0].type, "union_tag_invalid");
    EXPECT_NE(errors[0].msg.find("'huggingface_embedding'"), std::string::npos);
    EXPECT_NE(errors[0].msg.find("vllm"), std::string::npos);
}

TEST(instance_config, huggingface_causal_defaults_and_enums) {
    json input = {
        {"backend_type", "huggingface_causal"},
        {"model_id", "microsoft/phi-2"},
        {"alias", "phi-2:2.7b"},
        {"api_key", "k"}};
    const auto c = std::get<hf_causal_config>(parse_ok(input));
    EXPECT_EQ(c.model_id, "microsoft/phi-2");
    EXPECT_EQ(c.device, "auto");
    EXPECT_EQ(c.dtype, "auto");
    EXPECT_EQ(c.max_length, 4096);
    EXPECT_FALSE(c.trust_remote_code);
    EXPECT_TRUE(c.use_flash_attention);

    input.update({{"device", "tpu"}, {"dtype", "int8"}, {"max_length", 0}});
    auto errors = parse_errors(input);
    ASSERT_EQ(errors.size(), 3u);
    EXPECT_EQ(error_at(errors, "device")->type, "enum");
    EXPECT_EQ(
        error_at(errors, "device")->msg,
        "Input should be 'auto', 'cuda', 'mps' or 'cpu', got string \"tpu\""
    );
    EXPECT_EQ(error_at(errors, "dtype")->type, "enum");
    EXPECT_EQ(error_at(errors, "max_length")->type, "greater_than_equal");
}

TEST(instance_config, huggingface_model_id_is_required) {
    auto errors = parse_errors(
        {{"backend_type", "huggingface_embedding"},
         {"alias", "e"},
         {"api_key", "k"},
         {"model", "/models/m.gguf"}}
    );
    ASSERT_EQ(errors.size(), 1u);
    EXPECT_EQ(errors[0].loc, (strings{"config", "model_id"}));
    EXPECT_EQ(errors[0].type, "missing");
}

TEST(instance_config, classification_labels) {
    json input = {
        {"backend_type", "huggingface_classification"},
        {"model_id", "m"},
        {"alias", "s"},
        {"api_key", "k"}};
    auto plain = std::get<hf_classification_config>(parse_ok(input));
    EXPECT_EQ(plain.max_length, 512);
    EXPECT_FALSE(plain.labels);

    input["labels"] = {"negative", "positive"};
    auto labelled = std::get<hf_classification_config>(parse_ok(input));
    EXPECT_EQ(labelled.labels, (strings{"negative", "positive"}));

    for (const json& bad : {json::array(), json{"a", 1}, json{"a", ""}, json{"a,b"}, json("a,b")}) {
        input["labels"] = bad;
        auto errors = parse_errors(input);
        ASSERT_EQ(errors.size(), 1u) << bad;
        EXPECT_EQ(errors[0].loc, (strings{"config", "labels"}));
    }
}

TEST(instance_config, embedding_defaults_and_pooling) {
    json input = {
        {"backend_type", "huggingface_embedding"},
        {"model_id", "all-MiniLM"},
        {"alias", "mini"},
        {"api_key", "k"}};
    auto c = std::get<hf_embedding_config>(parse_ok(input));
    EXPECT_EQ(c.max_length, 512);
    EXPECT_TRUE(c.normalize);
    EXPECT_EQ(c.pooling, "mean");
    input.update({{"pooling", "cls"}, {"normalize", false}});
    c = std::get<hf_embedding_config>(parse_ok(input));
    EXPECT_EQ(c.pooling, "cls");
    EXPECT_FALSE(c.normalize);
    input["pooling"] = "max";
    EXPECT_EQ(parse_errors(input).at(0).type, "enum");
}

TEST(instance_config, to_json_fills_every_default_and_round_trips) {
    std::vector<json> inputs = {
        llama_minimal(),
        {{"backend_type", "huggingface_causal"},
         {"model_id", "m"},
         {"alias", "a"},
         {"api_key", "k"}},
        {{"backend_type", "huggingface_classification"},
         {"model_id", "m"},
         {"alias", "a"},
         {"api_key", "k"},
         {"labels", {"x", "y"}}},
        {{"backend_type", "huggingface_embedding"},
         {"model_id", "m"},
         {"alias", "a"},
         {"api_key", "k"},
         {"port", 4000}},
    };
    for (const auto& input : inputs) {
        auto out = to_json(parse_ok(input));
        auto again = to_json(parse_ok(out));
        EXPECT_EQ(out, again);
        EXPECT_EQ(out["api_key"], "k");
        EXPECT_TRUE(out.contains("port"));
        EXPECT_TRUE(out.contains("auto_restart"));
        EXPECT_TRUE(out.contains("host"));
    }
    auto llama = to_json(parse_ok(llama_minimal()));
    EXPECT_EQ(llama["backend_type"], "llamacpp");
    EXPECT_TRUE(llama["port"].is_null());
    EXPECT_TRUE(llama["chat_template_file"].is_null());
    EXPECT_EQ(llama["ctx_size"], 131072);
    EXPECT_EQ(llama["temp"], 1.0);
    EXPECT_TRUE(llama["pooling"].is_null());
    EXPECT_EQ(llama.size(), 18u);
    EXPECT_EQ(to_json(parse_ok(inputs[3]))["port"], 4000);
    EXPECT_TRUE(to_json(parse_ok(inputs[1]))["use_flash_attention"].get<bool>());
}

TEST(instance_config, endpoints_follow_the_backend) {
    const strings generation = {"/v1/chat/completions", "/v1/completions"};
    EXPECT_EQ(endpoints_for(llamacpp_config{}), generation);
    llamacpp_config embedding;
    embedding.embeddings = true;
    EXPECT_EQ(endpoints_for(embedding), strings{"/v1/embeddings"});
    EXPECT_EQ(endpoints_for(hf_causal_config{}), generation);
    EXPECT_EQ(endpoints_for(hf_classification_config{}), strings{"/v1/classify"});
    EXPECT_EQ(endpoints_for(hf_embedding_config{}), strings{"/v1/embeddings"});
}

TEST(instance_config, common_fields_are_shared) {
    instance_config config = hf_embedding_config{};
    common(config).alias = "x";
    EXPECT_EQ(std::get<hf_embedding_config>(config).alias, "x");
    EXPECT_EQ(common(static_cast<const instance_config&>(config)).host, "0.0.0.0");
}

TEST(instance_config, error_body_is_fastapi_422_shape) {
    auto input = llama_minimal();
    input.erase("model");
    input["temp"] = 3;
    auto body = error_body(parse_errors(input));
    ASSERT_TRUE(body["detail"].is_array());
    ASSERT_EQ(body["detail"].size(), 2u);
    std::set<json> locs;
    for (const auto& item : body["detail"]) {
        locs.insert(item["loc"]);
        EXPECT_TRUE(item.contains("msg"));
        EXPECT_TRUE(item.contains("type"));
        EXPECT_TRUE(item.contains("input"));
    }
    EXPECT_TRUE(locs.count(json{"body", "config", "model"}));
    EXPECT_TRUE(locs.count(json{"body", "config", "temp"}));
}

TEST(instance_config, body_level_errors) {
    auto not_object = parse_instance_body(json::array(), fake_files());
    ASSERT_FALSE(not_object);
    EXPECT_TRUE(not_object.error().at(0).loc.empty());
    EXPECT_EQ(error_body(not_object.error())["detail"][0]["loc"], json{"body"});

    auto no_config = parse_instance_body(json::object(), fake_files());
    ASSERT_FALSE(no_config);
    EXPECT_EQ(no_config.error().at(0).loc, strings{"config"});
    EXPECT_EQ(no_config.error().at(0).type, "missing");

    auto not_object_config = parse_instance_body({{"config", "x"}}, fake_files());
    ASSERT_FALSE(not_object_config);
    EXPECT_EQ(not_object_config.error().at(0).type, "model_attributes_type");

    EXPECT_TRUE(parse_instance_body({{"config", llama_minimal()}}, fake_files()));
}

TEST(instance_config, describe_names_fields_without_values) {
    auto input = llama_minimal();
    input["temp"] = 2.75;
    auto text = describe(parse_errors(input));
    EXPECT_EQ(text, "config.temp: Input should be from 0 to 2");
    EXPECT_THROW(parse_instance_config(input, fake_files()).value(), std::invalid_argument);
}

}  // namespace
}  // namespace solar::host
