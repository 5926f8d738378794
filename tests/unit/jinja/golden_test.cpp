// The proof: every committed @huggingface/jinja golden renders byte-identically with our engine.
#include <gtest/gtest.h>

#include <filesystem>
#include <fstream>
#include <map>
#include <sstream>

#include "solar/jinja/chat_template.hpp"

namespace solar::jinja {
namespace {

using json = nlohmann::ordered_json;

json read_json(const std::filesystem::path& path) {
    std::ifstream in(path, std::ios::binary);
    if (!in) throw std::runtime_error("cannot read " + path.string());
    std::ostringstream text;
    text << in.rdbuf();
    return json::parse(text.str());
}

const std::filesystem::path data_dir =
    std::filesystem::path(SOLAR_TEST_DATA_DIR) / "chat_templates";
const std::filesystem::path fixtures_dir = SOLAR_FIXTURES_DIR;

// Loads each template as generate_goldens.mjs does: an index entry or a tokenizer_config.json.
std::map<std::string, chat_template> load_templates() {
    std::map<std::string, chat_template> out;
    const json listing = read_json(data_dir / "templates.json");
    for (const auto& entry : listing["templates"]) {
        const json file = read_json(fixtures_dir / entry["file"].get<std::string>());
        const std::string id = entry["id"].get<std::string>();
        if (entry.contains("index")) {
            out.emplace(
                id,
                chat_template(
                    file[entry["index"].get<std::size_t>()]["template"].get<std::string>(),
                    entry["bos_token"].get<std::string>(),
                    entry["eos_token"].get<std::string>()
                )
            );
            continue;
        }
        auto from_config = chat_template::from_tokenizer_config(file);
        if (!from_config) throw std::runtime_error(id + " has no chat_template");
        if (entry.contains("bos_token")) {
            from_config.emplace(
                file["chat_template"].get<std::string>(),
                entry["bos_token"].get<std::string>(),
                entry["eos_token"].get<std::string>()
            );
        }
        out.emplace(id, std::move(*from_config));
    }
    return out;
}

TEST(jinja_golden, every_case_matches_the_reference) {
    if (!std::filesystem::exists(fixtures_dir / "tokenizers"))
        GTEST_SKIP() << "no fixtures at " << fixtures_dir;
    const auto templates = load_templates();
    std::map<std::string, json> conversations;
    const json corpus = read_json(data_dir / "conversations.json");
    for (const auto& c : corpus["conversations"]) conversations[c["name"].get<std::string>()] = c;
    const json goldens = read_json(data_dir / "goldens.json");
    std::size_t checked = 0, errors = 0;
    for (const auto& golden : goldens["cases"]) {
        const std::string label = golden["template"].get<std::string>() + " x " +
                                  golden["conversation"].get<std::string>() +
                                  (golden["add_generation_prompt"].get<bool>() ? " +gen" : "");
        const json& conversation = conversations.at(golden["conversation"].get<std::string>());
        chat_request request;
        request.messages = conversation["messages"];
        if (conversation.contains("tools")) request.tools = conversation["tools"];
        request.add_generation_prompt = golden["add_generation_prompt"].get<bool>();
        if (conversation.contains("extra")) request.extra = conversation["extra"];
        const chat_template& tmpl = templates.at(golden["template"].get<std::string>());
        ++checked;
        if (golden.contains("error")) {
            ++errors;
            try {
                const std::string output = tmpl.apply(request);
                ADD_FAILURE() << label << ": expected an error (" << golden["error"]
                              << "), rendered:\n"
                              << output;
            } catch (const template_error& e) {
                if (golden["error_kind"] == "raised") {
                    EXPECT_EQ(e.kind(), error_kind::raised) << label << ": " << e.what();
                    EXPECT_EQ(e.message(), golden["error"].get<std::string>()) << label;
                }
            }
            continue;
        }
        try {
            EXPECT_EQ(tmpl.apply(request), golden["output"].get<std::string>()) << label;
        } catch (const template_error& e) {
            ADD_FAILURE() << label << ": unexpected error " << e.what();
        }
    }
    EXPECT_GT(checked, 1000u);
    EXPECT_GT(errors, 0u);
    std::cout << checked << " golden cases, " << errors << " expected errors\n";
}

}  // namespace
}  // namespace solar::jinja

namespace solar::jinja {
namespace {

TEST(jinja_golden, engine_feature_cases_match_the_reference) {
    const nlohmann::ordered_json corpus = read_json(data_dir / "engine_cases.json");
    const nlohmann::ordered_json goldens = read_json(data_dir / "goldens.json");
    ASSERT_EQ(corpus["cases"].size(), goldens["engine"].size());
    render_options options;
    // The generator pins Date to 2024-07-26T00:00Z.
    options.clock = [] {
        return std::chrono::system_clock::time_point(std::chrono::seconds(1721952000));
    };
    for (std::size_t i = 0; i < corpus["cases"].size(); ++i) {
        const auto& golden = goldens["engine"][i];
        const std::string name = golden["name"].get<std::string>();
        const std::string text = corpus["cases"][i]["template"].get<std::string>();
        if (golden.contains("error")) {
            try {
                const std::string output = render(text, corpus["context"], options);
                ADD_FAILURE() << name << ": expected an error (" << golden["error"]
                              << "), rendered:\n"
                              << output;
            } catch (const template_error& e) {
                if (golden["error_kind"] == "raised") {
                    EXPECT_EQ(e.message(), golden["error"].get<std::string>()) << name;
                }
            }
            continue;
        }
        try {
            EXPECT_EQ(render(text, corpus["context"], options), golden["output"].get<std::string>())
                << name;
        } catch (const template_error& e) {
            ADD_FAILURE() << name << ": unexpected error " << e.what();
        }
    }
}

}  // namespace
}  // namespace solar::jinja
