// A model's chat template (chat_template.jinja or tokenizer_config.json "chat_template")
// rendering OpenAI messages into the prompt text, through solar_jinja.
#pragma once

#include <boost/system/result.hpp>

#include <nlohmann/json.hpp>

#include <filesystem>
#include <memory>
#include <optional>
#include <string>

namespace solar::jinja {
class chat_template;
}

namespace solar::runner {

class chat_prompt {
public:
    // nullopt when the directory has no template. Throws std::runtime_error naming the file
    // when the template does not parse.
    static std::optional<chat_prompt> from_directory(const std::filesystem::path& dir);
    // From template text (tests). Throws as from_directory.
    static chat_prompt from_text(std::string text, std::string bos_token, std::string eos_token);

    // The prompt for `messages` (objects with role and string content), ending with the
    // assistant's turn opening. Fails with the template's message (raise_exception, a bad
    // role order) so the client gets a 400.
    boost::system::result<std::string, std::string> render(const nlohmann::ordered_json& messages
    ) const;

private:
    explicit chat_prompt(std::shared_ptr<const jinja::chat_template> impl)
        : impl_(std::move(impl)) {}
    std::shared_ptr<const jinja::chat_template> impl_;
};

}  // namespace solar::runner
