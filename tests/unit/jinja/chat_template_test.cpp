// chat_template: the context built from tokenizer_config.json, template sources, the no-template
// case.
#include "solar/jinja/chat_template.hpp"

#include <gtest/gtest.h>

#include <filesystem>
#include <fstream>
#include <unistd.h>

namespace solar::jinja {
namespace {

using json = nlohmann::ordered_json;

TEST(jinja_chat_template, reads_template_and_special_tokens_from_config) {
    const json config = {
        {"chat_template",
         "{{ bos_token }}{% for m in messages %}[{{ m.role }}:{{ m.content }}]{% endfor %}"
         "{% if add_generation_prompt %}>{% endif %}{{ eos_token }}"},
        {"bos_token", {{"content", "<s>"}, {"lstrip", false}}},
        {"eos_token", "</s>"}};
    const auto tmpl = chat_template::from_tokenizer_config(config);
    ASSERT_TRUE(tmpl.has_value());
    chat_request request;
    request.messages = json::array({{{"role", "user"}, {"content", "hi"}}});
    EXPECT_EQ(tmpl->apply(request), "<s>[user:hi]></s>");
    request.add_generation_prompt = false;
    EXPECT_EQ(tmpl->apply(request), "<s>[user:hi]</s>");
}

TEST(jinja_chat_template, tools_are_absent_unless_given) {
    const auto tmpl = chat_template(
        "{% if tools is defined %}{{ tools | tojson }}{% else %}none{% endif %}", "", ""
    );
    chat_request request;
    EXPECT_EQ(tmpl.apply(request), "none");
    request.tools = json::array({{{"type", "function"}, {"function", {{"name", "f"}}}}});
    EXPECT_EQ(tmpl.apply(request), R"([{"type": "function", "function": {"name": "f"}}])");
    request.extra = {{"tools", nullptr}};
    EXPECT_EQ(tmpl.apply(request), "null");
}

TEST(jinja_chat_template, a_config_without_a_template_gives_nullopt) {
    EXPECT_FALSE(chat_template::from_tokenizer_config(json{{"bos_token", "<s>"}}).has_value());
    EXPECT_FALSE(chat_template::from_tokenizer_config(json{{"chat_template", nullptr}}).has_value()
    );
    EXPECT_FALSE(chat_template::from_tokenizer_config(json::array()).has_value());
    EXPECT_EQ(special_token(json{{"eos_token", nullptr}}, "eos_token"), "");
}

TEST(jinja_chat_template, named_template_lists_use_default) {
    const json config = {
        {"chat_template",
         json::array(
             {{{"name", "tool_use"}, {"template", "T"}}, {{"name", "default"}, {"template", "D"}}}
         )}};
    EXPECT_EQ(chat_template::from_tokenizer_config(config)->apply({}), "D");
}

TEST(jinja_chat_template, directory_prefers_chat_template_jinja) {
    const auto dir =
        std::filesystem::temp_directory_path() / ("solar_jinja_" + std::to_string(::getpid()));
    std::filesystem::create_directories(dir);
    std::ofstream(dir / "tokenizer_config.json")
        << R"({"chat_template": "config", "eos_token": "E"})";
    ASSERT_EQ(chat_template::from_directory(dir)->apply({}), "config");
    std::ofstream(dir / "chat_template.jinja") << "file{{ eos_token }}\n";
    EXPECT_EQ(chat_template::from_directory(dir)->apply({}), "fileE");
    std::filesystem::remove_all(dir);
    EXPECT_FALSE(chat_template::from_directory(dir).has_value());
}

TEST(jinja_chat_template, bad_template_syntax_fails_at_load) {
    EXPECT_THROW(
        chat_template::from_tokenizer_config(json{{"chat_template", "{% if %}"}}), template_error
    );
}

}  // namespace
}  // namespace solar::jinja
