// The runner's one use of solar_jinja: HF's apply_chat_template with add_generation_prompt.
#include <solar/jinja/chat_template.hpp>
#include <solar/jinja/error.hpp>
#include <solar/runner/chat_prompt.hpp>

#include <stdexcept>

namespace solar::runner {

std::optional<chat_prompt> chat_prompt::from_directory(const std::filesystem::path& dir) {
    try {
        auto found = jinja::chat_template::from_directory(dir);
        if (!found) return std::nullopt;
        return chat_prompt(std::make_shared<const jinja::chat_template>(std::move(*found)));
    } catch (const jinja::template_error& e) {
        throw std::runtime_error("chat template of " + dir.string() + ": " + e.what());
    }
}

chat_prompt chat_prompt::from_text(std::string text, std::string bos_token, std::string eos_token) {
    try {
        return chat_prompt(std::make_shared<const jinja::chat_template>(
            std::move(text), std::move(bos_token), std::move(eos_token)
        ));
    } catch (const jinja::template_error& e) {
        throw std::runtime_error(std::string("chat template: ") + e.what());
    }
}

boost::system::result<std::string, std::string> chat_prompt::render(
    const nlohmann::ordered_json& messages
) const {
    jinja::chat_request request;
    request.messages = messages;
    request.add_generation_prompt = true;
    try {
        return boost::system::result<std::string, std::string>(
            boost::system::in_place_value, impl_->apply(request)
        );
    } catch (const jinja::template_error& e) {
        return boost::system::result<std::string, std::string>(
            boost::system::in_place_error, e.message()
        );
    }
}

}  // namespace solar::runner
