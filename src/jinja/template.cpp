// Template parsing and rendering entry points.
#include "solar/jinja/template.hpp"

#include "solar/jinja/lexer.hpp"
#include "solar/jinja/parser.hpp"

namespace solar::jinja {

template_program::template_program(std::string_view text) : source_(text) {
    program_ = parse(source_, tokenize(source_));
}

std::string template_program::render(
    const nlohmann::ordered_json& context, const render_options& options
) const {
    auto globals = std::make_shared<environment>();
    install_globals(*globals, options.clock);
    if (!context.is_object() && !context.is_null())
        throw template_error(error_kind::runtime, "The context must be a JSON object", 0, 0);
    if (context.is_object()) {
        for (const auto& [key, item] : context.items()) globals->set(key, from_json(item));
    }
    interpreter runner(source_, options.limits);
    try {
        return runner.run(program_, globals);
    } catch (const value_error& e) {
        throw template_error(e.kind(), e.what(), 0, 0);
    }
}

std::string render(
    std::string_view template_text,
    const nlohmann::ordered_json& context,
    const render_options& options
) {
    return template_program(template_text).render(context, options);
}

}  // namespace solar::jinja
