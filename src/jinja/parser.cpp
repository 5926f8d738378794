// Recursive descent parser, statements; grammar and precedence follow @huggingface/jinja's
// parser.ts.
#include "solar/jinja/parser.hpp"

#include "parser_impl.hpp"

namespace solar::jinja {
namespace detail {

node_ptr parser::parse_any() {
    depth_guard guard(*this);
    const token& t = tokens_[current_];
    switch (t.type) {
        case token_type::comment: {
            ++current_;
            return make(node_kind::comment, t.offset);
        }
        case token_type::text: {
            auto n = make(node_kind::text, t.offset);
            n->name = tokens_[current_++].value;
            return n;
        }
        case token_type::open_statement:
            return parse_statement();
        case token_type::open_expression: {
            ++current_;
            node_ptr n = parse_expression();
            expect(token_type::close_expression, "}}");
            return n;
        }
        default:
            fail("Unexpected token: " + t.value);
    }
}

node_ptr parser::parse_statement() {
    expect(token_type::open_statement, "{%");
    if (!is(token_type::identifier))
        fail(peek() ? "Unknown statement" : "Unexpected end of template in a statement");
    const token& name = tokens_[current_++];
    if (name.value == "set") return parse_set();
    if (name.value == "if") {
        node_ptr n = parse_if();
        expect_end("endif");
        return n;
    }
    if (name.value == "for") {
        node_ptr n = parse_for();
        expect_end("endfor");
        return n;
    }
    if (name.value == "macro") {
        node_ptr n = parse_macro();
        expect_end("endmacro");
        return n;
    }
    if (name.value == "break" || name.value == "continue") {
        expect(token_type::close_statement, "%}");
        return make(
            name.value == "break" ? node_kind::break_loop : node_kind::continue_loop, name.offset
        );
    }
    if (name.value == "filter") {
        auto n = make(node_kind::filter_block, name.offset);
        node_ptr filter = parse_primary();
        if (filter->kind == node_kind::identifier && is(token_type::open_paren))
            filter = parse_call(filter);
        n->a = filter;
        expect(token_type::close_statement, "%}");
        n->body = block_until({"endfilter"}, "{% endfilter %}");
        expect_end("endfilter");
        return n;
    }
    --current_;
    fail("Unknown statement type: " + name.value);
}

node_ptr parser::parse_set() {
    auto n = make(node_kind::set, here());
    n->a = parse_sequence(false);
    if (is(token_type::equals)) {
        ++current_;
        n->b = parse_sequence(false);
    } else {
        expect(token_type::close_statement, "%}");
        n->body = block_until({"endset"}, "{% endset %}");
        expect(token_type::open_statement, "{%");
        expect_identifier("endset");
    }
    expect(token_type::close_statement, "%}");
    return n;
}

node_ptr parser::parse_if() {
    auto n = make(node_kind::if_block, here());
    n->a = parse_expression();
    expect(token_type::close_statement, "%}");
    n->body = block_until({"elif", "else", "endif"}, "{% endif %}");
    if (is_statement({"elif"})) {
        current_ += 2;
        n->alternate.push_back(parse_if());
    } else if (is_statement({"else"})) {
        current_ += 2;
        expect(token_type::close_statement, "%}");
        n->alternate = block_until({"endif"}, "{% endif %}");
    }
    return n;
}

node_ptr parser::parse_for() {
    auto n = make(node_kind::for_loop, here());
    n->a = parse_sequence(true);
    if (n->a->kind != node_kind::identifier && n->a->kind != node_kind::tuple_literal) {
        fail("Expected identifier/tuple for the loop variable");
    }
    if (!is_identifier("in")) fail("Expected `in` keyword following loop variable");
    ++current_;
    n->b = parse_expression();
    expect(token_type::close_statement, "%}");
    n->body = block_until({"endfor", "else"}, "{% endfor %}");
    if (is_statement({"else"})) {
        current_ += 2;
        expect(token_type::close_statement, "%}");
        n->alternate = block_until({"endfor"}, "{% endfor %}");
    }
    return n;
}

node_ptr parser::parse_macro() {
    auto n = make(node_kind::macro, here());
    node_ptr name = parse_primary();
    if (name->kind != node_kind::identifier) fail("Expected identifier following macro statement");
    n->name = name->name;
    n->list = parse_args(true);
    expect(token_type::close_statement, "%}");
    n->body = block_until({"endmacro"}, "{% endmacro %}");
    return n;
}

node_ptr parser::parse_sequence(bool primary) {
    const std::size_t offset = here();
    std::vector<node_ptr> items{primary ? parse_primary() : parse_expression()};
    if (!is(token_type::comma)) return items[0];
    while (is(token_type::comma)) {
        ++current_;
        items.push_back(primary ? parse_primary() : parse_expression());
    }
    auto n = make(node_kind::tuple_literal, offset);
    n->list = std::move(items);
    return n;
}

}  // namespace detail

std::vector<node_ptr> parse(
    std::string_view source, const std::vector<token>& tokens, const parse_limits& limits
) {
    return detail::parser(source, tokens, limits).program();
}

}  // namespace solar::jinja
