// Unit tests for reading "model" from a request body without a JSON document.
#include <solar/control/request_model.hpp>

#include <gtest/gtest.h>

namespace solar::control {
namespace {

std::string model_of(std::string_view body) {
    auto model = read_model_field(body);
    return model ? *model : "<" + model.error().code.value_or("") + ">";
}

TEST(request_model, finds_the_top_level_model_wherever_it_is) {
    EXPECT_EQ(model_of(R"({"model":"llama3:8b","messages":[]})"), "llama3:8b");
    EXPECT_EQ(model_of(R"({"messages":[{"role":"user","content":"hi"}],"model":"m"})"), "m");
    EXPECT_EQ(model_of(" \n{ \"stream\" : true , \"model\" : \"x\" } \n"), "x");
}

TEST(request_model, unescapes_the_string) {
    EXPECT_EQ(model_of(R"({"model":"a\"b\u00e9"})"), "a\"b\xc3\xa9");
}

TEST(request_model, ignores_model_keys_nested_deeper) {
    EXPECT_EQ(model_of(R"({"metadata":{"model":"inner"},"model":"outer"})"), "outer");
    EXPECT_EQ(model_of(R"({"tools":[{"model":"inner"}]})"), "<missing_model>");
    EXPECT_EQ(model_of(R"({"a":{"b":{"model":"deep"}}})"), "<missing_model>");
}

TEST(request_model, the_last_of_repeated_keys_counts_as_in_a_parsed_document) {
    EXPECT_EQ(model_of(R"({"model":"first","model":"second"})"), "second");
    EXPECT_EQ(model_of(R"({"model":"first","model":7})"), "<missing_model>");
}

TEST(request_model, refuses_invalid_json) {
    for (std::string_view body :
         {"",
          "{",
          R"({"model":"m")",
          R"({"model":"m",})",
          "{\"model\":\"m\"} trailing",
          "nul",
          R"({"model":"m\x"})",
          "\xff"}) {
        auto model = read_model_field(body);
        ASSERT_FALSE(model) << body;
        EXPECT_EQ(model.error().code, "invalid_json") << body;
        EXPECT_EQ(model.error().message, "Request body is not valid JSON");
    }
}

TEST(request_model, refuses_a_body_that_is_not_an_object) {
    for (std::string_view body : {"[]", R"(["model","m"])", R"("model")", "42", "null"}) {
        auto model = read_model_field(body);
        ASSERT_FALSE(model) << body;
        EXPECT_EQ(model.error().message, "Request body must be a JSON object") << body;
    }
}

TEST(request_model, refuses_a_missing_empty_or_non_string_model) {
    for (std::string_view body :
         {"{}",
          R"({"model":""})",
          R"({"model":null})",
          R"({"model":3})",
          R"({"model":["m"]})",
          R"({"model":{"name":"m"}})",
          R"({"Model":"m"})"}) {
        auto model = read_model_field(body);
        ASSERT_FALSE(model) << body;
        EXPECT_EQ(model.error().code, "missing_model") << body;
        EXPECT_EQ(model.error().param, "model") << body;
    }
}

}  // namespace
}  // namespace solar::control
