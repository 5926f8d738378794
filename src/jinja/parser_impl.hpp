// Private to the parser's two translation units: the recursive descent parser's state and rules.
#pragma once

#include <algorithm>
#include <initializer_list>
#include <memory>
#include <string>
#include <string_view>
#include <vector>

#include "solar/jinja/error.hpp"
#include "solar/jinja/parser.hpp"

namespace solar::jinja::detail {

class parser {
public:
    parser(std::string_view source, const std::vector<token>& tokens, const parse_limits& limits)
        : source_(source), tokens_(tokens), limits_(limits) {}

    std::vector<node_ptr> program() {
        std::vector<node_ptr> body;
        while (current_ < tokens_.size()) body.push_back(parse_any());
        return body;
    }

private:
    // Counts nesting so a hostile template fails cleanly rather than overflowing the stack.
    struct depth_guard {
        explicit depth_guard(parser& p) : p_(p) {
            if (++p_.depth_ > p_.limits_.max_depth)
                p_.fail("Template nesting is too deep", error_kind::limit);
        }
        ~depth_guard() { --p_.depth_; }
        parser& p_;
    };

    [[noreturn]] void fail(const std::string& message, error_kind kind = error_kind::syntax) const {
        const std::size_t offset = current_ < tokens_.size()
                                       ? tokens_[current_].offset
                                       : (tokens_.empty() ? 0 : source_.size());
        std::size_t line = 0, column = 0;
        line_column(source_, offset, line, column);
        throw template_error(kind, message, line, column);
    }
    const token* peek(std::size_t ahead = 0) const {
        return current_ + ahead < tokens_.size() ? &tokens_[current_ + ahead] : nullptr;
    }
    bool is(token_type type, std::size_t ahead = 0) const {
        const token* t = peek(ahead);
        return t && t->type == type;
    }
    bool is_identifier(std::string_view name, std::size_t ahead = 0) const {
        const token* t = peek(ahead);
        return t && t->type == token_type::identifier && t->value == name;
    }
    bool is_statement(std::initializer_list<std::string_view> names) const {
        if (!is(token_type::open_statement) || !is(token_type::identifier, 1)) return false;
        return std::find(names.begin(), names.end(), tokens_[current_ + 1].value) != names.end();
    }
    const token& expect(token_type type, const char* what) {
        if (!is(type))
            fail(
                peek() ? std::string("Expected ") + what
                       : std::string("Unexpected end of template, expected ") + what
            );
        return tokens_[current_++];
    }
    void expect_identifier(std::string_view name) {
        if (!is_identifier(name)) fail("Expected " + std::string(name));
        ++current_;
    }
    void expect_end(std::string_view name) {
        expect(token_type::open_statement, "{%");
        expect_identifier(name);
        expect(token_type::close_statement, "%}");
    }
    std::shared_ptr<node> make(node_kind kind, std::size_t offset) const {
        auto n = std::make_shared<node>();
        n->kind = kind;
        n->offset = offset;
        return n;
    }
    std::size_t here() const { return peek() ? peek()->offset : source_.size(); }
    // Parses statements until one of the closing statements; fails at the end of input.
    std::vector<node_ptr> block_until(
        std::initializer_list<std::string_view> names, const char* what
    ) {
        std::vector<node_ptr> body;
        while (!is_statement(names)) {
            if (!peek()) fail(std::string("Unexpected end of template, expected ") + what);
            body.push_back(parse_any());
        }
        return body;
    }

    node_ptr parse_any();
    node_ptr parse_statement();
    node_ptr parse_set();
    node_ptr parse_if();
    node_ptr parse_for();
    node_ptr parse_macro();
    node_ptr parse_sequence(bool primary);
    node_ptr parse_expression();
    node_ptr parse_or();
    node_ptr parse_and();
    node_ptr parse_not();
    node_ptr parse_comparison();
    node_ptr parse_additive();
    node_ptr parse_multiplicative();
    node_ptr parse_power();
    node_ptr parse_test();
    node_ptr parse_filter();
    node_ptr parse_unary_sign();
    node_ptr parse_call_member();
    node_ptr parse_call(node_ptr callee);
    std::vector<node_ptr> parse_args(bool parameters);
    node_ptr parse_member(node_ptr object);
    node_ptr parse_subscript();
    node_ptr parse_primary();

    node_ptr binary(const token& op, node_ptr left, node_ptr right) const {
        auto n = make(node_kind::binary, op.offset);
        n->name = op.value;
        n->a = std::move(left);
        n->b = std::move(right);
        return n;
    }

    std::string_view source_;
    const std::vector<token>& tokens_;
    parse_limits limits_;
    std::size_t current_ = 0;
    int depth_ = 0;
};

}  // namespace solar::jinja::detail
