// Recursive descent parser, expressions: precedence climbing from `a if b else c` down to literals.
#include <set>

#include "parser_impl.hpp"

namespace solar::jinja::detail {

node_ptr parser::parse_expression() {
    depth_guard guard(*this);
    node_ptr a = parse_or();
    if (!is_identifier("if")) return a;
    const std::size_t offset = here();
    ++current_;
    node_ptr test = parse_or();
    if (is_identifier("else")) {
        ++current_;
        auto n = make(node_kind::ternary, offset);
        n->a = test;
        n->b = a;
        n->c = parse_expression();
        return n;
    }
    auto n = make(node_kind::select, offset);
    n->a = a;
    n->b = test;
    return n;
}

node_ptr parser::parse_or() {
    node_ptr left = parse_and();
    while (is_identifier("or")) {
        const token& op = tokens_[current_++];
        left = binary(op, left, parse_and());
    }
    return left;
}

node_ptr parser::parse_and() {
    node_ptr left = parse_not();
    while (is_identifier("and")) {
        const token& op = tokens_[current_++];
        left = binary(op, left, parse_not());
    }
    return left;
}

node_ptr parser::parse_not() {
    if (!is_identifier("not")) return parse_comparison();
    depth_guard guard(*this);
    auto n = make(node_kind::unary, tokens_[current_++].offset);
    n->name = "not";
    n->a = parse_not();
    return n;
}

node_ptr parser::parse_comparison() {
    node_ptr left = parse_additive();
    while (true) {
        token op;
        if (is_identifier("not") && is_identifier("in", 1)) {
            op = token{token_type::identifier, "not in", tokens_[current_].offset};
            current_ += 2;
        } else if (is_identifier("in") || is(token_type::comparison_operator)) {
            op = tokens_[current_++];
        } else {
            return left;
        }
        left = binary(op, left, parse_additive());
    }
}

node_ptr parser::parse_additive() {
    node_ptr left = parse_multiplicative();
    while (is(token_type::additive_operator)) {
        const token& op = tokens_[current_++];
        left = binary(op, left, parse_multiplicative());
    }
    return left;
}

node_ptr parser::parse_multiplicative() {
    node_ptr left = parse_power();
    while (is(token_type::multiplicative_operator)) {
        const token& op = tokens_[current_++];
        left = binary(op, left, parse_power());
    }
    return left;
}

node_ptr parser::parse_power() {
    node_ptr left = parse_test();
    while (is(token_type::exponentiation_operator)) {
        const token& op = tokens_[current_++];
        left = binary(op, left, parse_test());
    }
    return left;
}

node_ptr parser::parse_test() {
    node_ptr operand = parse_filter();
    while (is_identifier("is")) {
        auto n = make(node_kind::test, tokens_[current_++].offset);
        n->flag = is_identifier("not");
        if (n->flag) ++current_;
        node_ptr name = parse_primary();
        if (name->kind != node_kind::identifier) fail("Expected identifier for the test");
        n->name = name->name;
        n->a = operand;
        operand = n;
    }
    return operand;
}

node_ptr parser::parse_filter() {
    node_ptr operand = parse_unary_sign();
    while (is(token_type::pipe)) {
        auto n = make(node_kind::filter, tokens_[current_++].offset);
        node_ptr filter = parse_primary();
        if (filter->kind != node_kind::identifier) fail("Expected identifier for the filter");
        if (is(token_type::open_paren)) filter = parse_call(filter);
        n->a = operand;
        n->b = filter;
        operand = n;
    }
    return operand;
}

node_ptr parser::parse_unary_sign() {
    const token* t = peek();
    if (t && (t->type == token_type::unary_operator || t->type == token_type::additive_operator) &&
        (t->value == "-" || t->value == "+")) {
        depth_guard guard(*this);
        auto n = make(node_kind::unary, t->offset);
        n->name = tokens_[current_++].value;
        n->a = parse_unary_sign();
        return n;
    }
    return parse_call_member();
}

node_ptr parser::parse_call_member() {
    node_ptr member = parse_member(parse_primary());
    return is(token_type::open_paren) ? parse_call(member) : member;
}

node_ptr parser::parse_call(node_ptr callee) {
    depth_guard guard(*this);
    auto n = make(node_kind::call, here());
    n->a = std::move(callee);
    n->list = parse_args(false);
    node_ptr expression = parse_member(n);
    return is(token_type::open_paren) ? parse_call(expression) : expression;
}

std::vector<node_ptr> parser::parse_args(bool parameters) {
    expect(token_type::open_paren, "(");
    std::vector<node_ptr> args;
    std::set<std::string> names;
    bool saw_keyword = false;
    bool saw_spread = false;
    while (!is(token_type::close_paren)) {
        if (!peek()) fail("Unexpected end of template, expected )");
        const bool keyword_spread = is(token_type::exponentiation_operator);
        const bool positional_spread =
            is(token_type::multiplicative_operator) && peek()->value == "*";
        if (parameters && (keyword_spread || positional_spread)) {
            fail("Argument unpacking is not allowed in parameter declarations");
        }
        const std::size_t offset = here();
        if (keyword_spread) {
            ++current_;
            auto n = make(node_kind::keyword_spread, offset);
            n->a = parse_expression();
            args.push_back(n);
            if (is(token_type::comma)) ++current_;
            if (!is(token_type::close_paren))
                fail("Expected closing parenthesis: `**` must be applied to the final argument");
            break;
        }
        node_ptr argument;
        if (positional_spread) {
            if (saw_spread) fail("Only one `*` argument unpacking is allowed");
            saw_spread = true;
            ++current_;
            auto n = make(node_kind::spread, offset);
            n->a = parse_expression();
            argument = n;
        } else {
            argument = parse_expression();
            if (is(token_type::equals)) {
                ++current_;
                if (argument->kind != node_kind::identifier)
                    fail("Expected identifier for keyword argument");
                auto n = make(node_kind::keyword_argument, offset);
                n->name = argument->name;
                n->a = parse_expression();
                argument = n;
            }
            if (parameters) {
                if (argument->kind != node_kind::identifier &&
                    argument->kind != node_kind::keyword_argument) {
                    fail("Expected identifier for parameter declaration");
                }
                if (!names.insert(argument->name).second)
                    fail("Duplicate parameter name: " + argument->name);
            }
            if (argument->kind == node_kind::keyword_argument) {
                saw_keyword = true;
            } else if (saw_keyword) {
                fail(
                    parameters ? "Non-default argument follows default argument"
                               : "Positional arguments must come before keyword arguments"
                );
            } else if (saw_spread) {
                fail("Positional arguments must not follow `*` argument unpacking");
            }
        }
        args.push_back(argument);
        if (is(token_type::comma)) ++current_;
    }
    expect(token_type::close_paren, ")");
    return args;
}

node_ptr parser::parse_subscript() {
    std::vector<node_ptr> parts;
    bool is_slice = false;
    while (!is(token_type::close_square_bracket)) {
        if (!peek()) fail("Unexpected end of template, expected ]");
        if (is(token_type::colon)) {
            parts.push_back(nullptr);
            ++current_;
            is_slice = true;
        } else {
            parts.push_back(parse_expression());
            if (is(token_type::colon)) {
                ++current_;
                is_slice = true;
            }
        }
    }
    if (parts.empty()) fail("Expected at least one argument for member/slice expression");
    if (!is_slice) return parts[0];
    if (parts.size() > 3) fail("Expected 0-3 arguments for slice expression");
    auto n = make(node_kind::slice, here());
    n->a = parts[0];
    n->b = parts.size() > 1 ? parts[1] : nullptr;
    n->c = parts.size() > 2 ? parts[2] : nullptr;
    return n;
}

node_ptr parser::parse_member(node_ptr object) {
    while (is(token_type::dot) || is(token_type::open_square_bracket)) {
        depth_guard guard(*this);
        const token& op = tokens_[current_++];
        auto n = make(node_kind::member, op.offset);
        n->flag = op.type == token_type::open_square_bracket;
        if (n->flag) {
            n->b = parse_subscript();
            expect(token_type::close_square_bracket, "]");
        } else {
            n->b = parse_primary();
            if (n->b->kind != node_kind::identifier && n->b->kind != node_kind::integer_literal) {
                fail("Expected identifier or integer following dot operator");
            }
        }
        n->a = std::move(object);
        object = n;
    }
    return object;
}

node_ptr parser::parse_primary() {
    depth_guard guard(*this);
    if (!peek()) fail("Unexpected end of template in an expression");
    const token& t = tokens_[current_++];
    switch (t.type) {
        case token_type::numeric_literal: {
            const bool is_float = t.value.find('.') != std::string::npos;
            auto n =
                make(is_float ? node_kind::float_literal : node_kind::integer_literal, t.offset);
            n->number = std::stod(t.value);
            return n;
        }
        case token_type::string_literal: {
            auto n = make(node_kind::string_literal, t.offset);
            n->name = t.value;
            // Adjacent literals concatenate, as in Python.
            while (is(token_type::string_literal)) n->name += tokens_[current_++].value;
            return n;
        }
        case token_type::identifier: {
            auto n = make(node_kind::identifier, t.offset);
            n->name = t.value;
            return n;
        }
        case token_type::open_paren: {
            node_ptr n = parse_sequence(false);
            expect(token_type::close_paren, ")");
            return n;
        }
        case token_type::open_square_bracket: {
            auto n = make(node_kind::array_literal, t.offset);
            while (!is(token_type::close_square_bracket)) {
                if (!peek()) fail("Unexpected end of template, expected ]");
                n->list.push_back(parse_expression());
                if (is(token_type::comma)) ++current_;
            }
            ++current_;
            return n;
        }
        case token_type::open_curly_bracket: {
            auto n = make(node_kind::object_literal, t.offset);
            while (!is(token_type::close_curly_bracket)) {
                if (!peek()) fail("Unexpected end of template, expected }");
                n->list.push_back(parse_expression());
                expect(token_type::colon, ":");
                n->list.push_back(parse_expression());
                if (is(token_type::comma)) ++current_;
            }
            ++current_;
            return n;
        }
        default:
            --current_;
            fail("Unexpected token: " + t.value);
    }
}

}  // namespace solar::jinja::detail
