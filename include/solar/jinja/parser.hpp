// Parser from tokens to the syntax tree (a port of the reference's recursive descent grammar).
#pragma once

#include <string_view>
#include <vector>

#include "solar/jinja/ast.hpp"
#include "solar/jinja/lexer.hpp"

namespace solar::jinja {

struct parse_limits {
    // Nesting of blocks and sub-expressions; deeper templates fail instead of exhausting the stack.
    int max_depth = 128;
};

// Parses a whole template; throws template_error(syntax) with the position of the offending token.
std::vector<node_ptr> parse(
    std::string_view source, const std::vector<token>& tokens, const parse_limits& limits = {}
);

}  // namespace solar::jinja
