// Public API of the Jinja subset engine: parse once, render with a JSON context.
#pragma once

#include <nlohmann/json.hpp>

#include <memory>
#include <string>
#include <string_view>
#include <vector>

#include "solar/jinja/ast.hpp"
#include "solar/jinja/builtins.hpp"
#include "solar/jinja/error.hpp"
#include "solar/jinja/interpreter.hpp"

namespace solar::jinja {

struct render_options {
    // strftime_now's clock (UTC); the system clock when empty. Tests inject a fixed one.
    clock_function clock;
    render_limits limits;
};

class template_program {
public:
    // Parses the template with the reference's settings (trim_blocks, lstrip_blocks);
    // throws template_error(syntax) with line/column.
    explicit template_program(std::string_view text);

    // Renders with the context's top-level keys as variables (ordered_json keeps key order,
    // which tojson output depends on); throws template_error on runtime failures.
    std::string render(const nlohmann::ordered_json& context, const render_options& options = {})
        const;

private:
    std::string source_;
    std::vector<node_ptr> program_;
};

// Parse and render in one call.
std::string render(
    std::string_view template_text,
    const nlohmann::ordered_json& context,
    const render_options& options = {}
);

}  // namespace solar::jinja
