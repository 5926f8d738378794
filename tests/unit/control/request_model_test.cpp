// Unit tests for reading "model" from a request body without a JSON document.
#include <solar/control/request_model.hpp>

#include <gtest/gtest.h>
#include <nlohmann/json.hpp>

#include <random>
#include <string>
#include <vector>

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

// What a JSON parser building a document (nlohmann) makes of the same body, in model_of's terms.
std::string reference_model_of(const std::string& body) {
    using json = nlohmann::json;
    if (!json::accept(body)) return "<invalid_json>";
    auto doc = json::parse(body);
    if (!doc.is_object()) return "<invalid_json>";
    auto it = doc.find("model");
    if (it == doc.end() || !it->is_string() || it->get_ref<const std::string&>().empty())
        return "<missing_model>";
    return it->get<std::string>();
}

TEST(request_model, agrees_with_a_json_parser_on_edge_cases) {
    const std::vector<std::string> bodies = {
        "\xEF\xBB\xBF{\"model\":\"bom\"}",  // a UTF-8 byte order mark is skipped
        "\xEF\xBB{\"model\":\"m\"}",
        R"({"mod\u0065l":"escaped key"})",
        R"({"model":"\ud83d\ude00 pair"})",
        R"({"model":"\ud83d lone high"})",
        R"({"model":"\ude00 lone low"})",
        R"({"model":"\ud83d\u0041 bad pair"})",
        R"({"model":"\u00"})",
        R"({"model":"\u0000nul"})",
        R"({"model":"tab\there \/ \b\f\n\r"})",
        "{\"model\":\"raw\ttab\"}",
        "{\"model\":\"\xC3\xA9 \xE2\x82\xAC \xF0\x9F\x98\x80\"}",
        "{\"model\":\"\xC0\xAF overlong\"}",
        "{\"model\":\"\xE0\x80\xAF overlong\"}",
        "{\"model\":\"\xED\xA0\x80 surrogate\"}",
        "{\"model\":\"\xF4\x90\x80\x80 too big\"}",
        "{\"model\":\"\xF5\x80\x80\x80\"}",
        "{\"model\":\"\xC3 cut\"}",
        "{\"model\":\"\xC3",
        R"({"model":"m","n":-0,"a":[0.5,1e9,1E-2,-1.25e+3,12345678901234567890123]})",
        R"({"model":"m","n":01})",
        R"({"model":"m","n":1.})",
        R"({"model":"m","n":.5})",
        R"({"model":"m","n":1e})",
        R"({"model":"m","n":1e+})",
        R"({"model":"m","n":-})",
        R"({"model":"m","n":+1})",
        R"({"model":"m","n":1e999})",
        R"({"model":"m","t":[true,false,null]})",
        R"({"model":"m","t":tru})",
        R"({"model":"m","t":nulll})",
        R"({"model":"m","t":True})",
        "{\"model\":\"m\"}\f",
        "\t{\r\"model\"\n:\"m\" }\r\n",
        R"({"model":"m",})",
        R"({"model":"m"],)",
        R"({"a":[1,2,]"model":"m"})",
        R"({"a":[1 2],"model":"m"})",
        R"({"a":{"b":1}} )",
        R"({"model" "m"})",
        R"({model:"m"})",
        R"({'model':'m'})",
        R"({"model":"m"}{})",
        R"([[[[]]]])",
        std::string("{\"model\":\"m\0\"}", 13),
        std::string(20000, '[') + std::string(20000, ']'),
        "{\"a\":" + std::string(300, '[') + std::string(300, ']') + ",\"model\":\"deep\"}",
        "{\"a\":" + std::string(300, '[') + std::string(299, ']') + ",\"model\":\"deep\"}",
    };
    for (const auto& body : bodies) {
        EXPECT_EQ(model_of(body), reference_model_of(body)) << body;
    }
}

// nlohmann stops reading at a NUL byte between tokens and accepts what came before; the text is
// not JSON (RFC 8259) and would be forwarded with its tail, so the gateway refuses it.
TEST(request_model, refuses_a_nul_byte_after_the_document) {
    EXPECT_EQ(model_of(std::string("{\"model\":\"m\"}\0", 14)), "<invalid_json>");
    EXPECT_EQ(model_of(std::string("{\"model\":\"m\"}\0{", 15)), "<invalid_json>");
}

// Random edits of valid requests: every verdict and every model must be the parser's.
TEST(request_model, agrees_with_a_json_parser_on_mutated_bodies) {
    const std::vector<std::string> seeds = {
        R"({"model":"llama3:8b","messages":[{"role":"user","content":"hi \"there\" \u00e9"}],"stream":true,"temperature":0.7,"max_tokens":128,"stop":null})",
        R"({"input":["a","b"],"model":"emb\u0065d","dimensions":256,"encoding_format":"base64"})",
        R"({"metadata":{"model":"inner","tags":[1,-2.5e3,false]},"model":"outer\ud83d\ude00"})",
        "{\"model\":\"caf\xC3\xA9\",\"prompt\":\"\xE2\x82\xAC \xF0\x9F\x98\x80\",\"n\":[[],{}]}",
        R"([{"model":"not top level"},{"model":1}])",
    };
    const std::string alphabet =
        "{}[]\":,\\u0123456789abcdefABCDEF-+.eE tnrfl\x01\x7f\x80\xbf\xc3\xed\xf0\xff";
    std::mt19937 random(20261202);
    auto below = [&](std::size_t n) {
        return std::uniform_int_distribution<std::size_t>(0, n - 1)(random);
    };
    int valid = 0;
    for (int round = 0; round < 30000; ++round) {
        std::string body = seeds[below(seeds.size())];
        int edits = 1 + static_cast<int>(below(3));
        for (int e = 0; e < edits && !body.empty(); ++e) {
            std::size_t at = below(body.size());
            switch (below(4)) {
                case 0:
                    body[at] = alphabet[below(alphabet.size())];
                    break;
                case 1:
                    body.erase(at, 1);
                    break;
                case 2:
                    body.insert(at, 1, alphabet[below(alphabet.size())]);
                    break;
                default:
                    body.insert(at, body.substr(at, below(8)));
                    break;
            }
        }
        auto expected = reference_model_of(body);
        if (expected != "<invalid_json>") ++valid;
        ASSERT_EQ(model_of(body), expected) << "round " << round << ": " << body;
    }
    // The edits must leave enough bodies valid for the comparison to cover the success path.
    EXPECT_GT(valid, 3000);
}

}  // namespace
}  // namespace solar::control
