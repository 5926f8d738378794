// Statement and expression evaluation; scoping and loop semantics follow the reference runtime.
#include "solar/jinja/interpreter.hpp"

#include <cmath>

#include "solar/jinja/error.hpp"
#include "solar/jinja/js_text.hpp"
#include "solar/jinja/lexer.hpp"

namespace solar::jinja {
namespace {

struct break_signal {};
struct continue_signal {};

struct depth_restore {
    int& depth;
    ~depth_restore() { --depth; }
};

}  // namespace

value environment::lookup(const std::string& name) const {
    for (const environment* e = this; e; e = e->parent_.get()) {
        if (auto it = e->variables_.find(name); it != e->variables_.end()) return it->second;
    }
    return value{};
}

void interpreter::fail_at(const node& n, const std::string& message, int kind) const {
    std::size_t line = 0, column = 0;
    line_column(source_, n.offset, line, column);
    throw template_error(static_cast<error_kind>(kind), message, line, column);
}

std::string interpreter::run(
    const std::vector<node_ptr>& program, const std::shared_ptr<environment>& scope
) {
    try {
        return evaluate_block(program, scope);
    } catch (const break_signal&) {
        throw template_error(error_kind::syntax, "break outside of a loop", 0, 0);
    } catch (const continue_signal&) {
        throw template_error(error_kind::syntax, "continue outside of a loop", 0, 0);
    }
}

value interpreter::evaluate(const node& n, const std::shared_ptr<environment>& scope) {
    if (++steps_ > limits_.max_steps)
        fail_at(n, "Template exceeded its evaluation step limit", int(error_kind::limit));
    if (++depth_ > limits_.max_depth) {
        --depth_;
        fail_at(n, "Template recursion is too deep", int(error_kind::limit));
    }
    depth_restore restore{depth_};
    try {
        value v = evaluate_node(n, scope);
        if (v.is_string() && v.text.size() > limits_.max_output_bytes) {
            fail_at(n, "Template output exceeds its size limit", int(error_kind::limit));
        }
        return v;
    } catch (const value_error& e) {
        fail_at(n, e.what(), int(e.kind()));
    }
}

std::string interpreter::evaluate_block(
    const std::vector<node_ptr>& body, const std::shared_ptr<environment>& scope
) {
    std::string out;
    for (const auto& statement : body) {
        const value v = evaluate(*statement, scope);
        if (v.is_none() || v.is_undefined()) continue;
        out += to_display(v);
        if (out.size() > limits_.max_output_bytes) {
            fail_at(*statement, "Template output exceeds its size limit", int(error_kind::limit));
        }
    }
    return out;
}

void interpreter::evaluate_arguments(
    const std::vector<node_ptr>& args,
    const std::shared_ptr<environment>& scope,
    value_list& positional,
    object_entries& keywords
) {
    const auto add_keyword = [&](const std::string& key, value v) {
        for (const auto& [k, existing] : keywords) {
            if (k == key)
                throw value_error("Got multiple values for keyword argument '" + key + "'");
        }
        keywords.emplace_back(key, std::move(v));
    };
    for (const auto& arg : args) {
        if (arg->kind == node_kind::spread) {
            const value v = evaluate(*arg->a, scope);
            if (!v.is_array())
                throw value_error(
                    "Cannot unpack non-iterable type: " + std::string(type_name(v.kind))
                );
            positional.insert(positional.end(), v.items->begin(), v.items->end());
        } else if (arg->kind != node_kind::keyword_argument && arg->kind != node_kind::keyword_spread) {
            positional.push_back(evaluate(*arg, scope));
        }
    }
    for (const auto& arg : args) {
        if (arg->kind == node_kind::keyword_argument) {
            add_keyword(arg->name, evaluate(*arg->a, scope));
        } else if (arg->kind == node_kind::keyword_spread) {
            const value v = evaluate(*arg->a, scope);
            if (!v.is_object())
                throw value_error(
                    "Argument after ** must be a mapping, not " + std::string(type_name(v.kind))
                );
            for (const auto& [k, item] : *v.entries) add_keyword(k, item);
        }
    }
}

value interpreter::evaluate_node(const node& n, const std::shared_ptr<environment>& scope) {
    switch (n.kind) {
        case node_kind::text:
        case node_kind::string_literal:
            return value::make_string(n.name);
        case node_kind::comment:
            return value::make_null();
        case node_kind::set:
            return evaluate_set(n, scope);
        case node_kind::if_block:
            return value::make_string(
                evaluate_block(truthy(evaluate(*n.a, scope)) ? n.body : n.alternate, scope)
            );
        case node_kind::for_loop:
            return evaluate_for(n, scope);
        case node_kind::break_loop:
            throw break_signal{};
        case node_kind::continue_loop:
            throw continue_signal{};
        case node_kind::macro:
            return evaluate_macro(n, scope);
        case node_kind::filter_block:
            return apply_filter(value::make_string(evaluate_block(n.body, scope)), *n.a, scope);
        case node_kind::integer_literal:
            return value::make_int(n.number);
        case node_kind::float_literal:
            return value::make_float(n.number);
        case node_kind::array_literal:
        case node_kind::tuple_literal: {
            value_list items;
            for (const auto& item : n.list) items.push_back(evaluate(*item, scope));
            return value::make_array(
                std::move(items),
                n.kind == node_kind::array_literal ? value_kind::array : value_kind::tuple
            );
        }
        case node_kind::object_literal: {
            value result = value::make_object({});
            for (std::size_t i = 0; i + 1 < n.list.size(); i += 2) {
                const value key = evaluate(*n.list[i], scope);
                if (!key.is_string())
                    throw value_error(
                        "Object keys must be strings: got " + std::string(type_name(key.kind))
                    );
                result.set(key.text, evaluate(*n.list[i + 1], scope));
            }
            return result;
        }
        case node_kind::identifier:
            return scope->lookup(n.name);
        case node_kind::call:
            return evaluate_call(n, scope);
        case node_kind::member:
            return evaluate_member(n, scope);
        case node_kind::unary: {
            const value v = evaluate(*n.a, scope);
            if (n.name == "not") return value::make_bool(!truthy(v));
            if (v.is_number() || v.kind == value_kind::boolean) {
                const double x = (n.name == "-" ? -1 : 1) *
                                 (v.kind == value_kind::boolean ? (v.boolean ? 1 : 0) : v.number);
                return v.kind == value_kind::floating ? value::make_float(x) : value::make_int(x);
            }
            throw value_error(
                "Unknown operator \"" + n.name + "\" for " + std::string(type_name(v.kind))
            );
        }
        case node_kind::binary: {
            const value left = evaluate(*n.a, scope);
            if (n.name == "and") return truthy(left) ? evaluate(*n.b, scope) : left;
            if (n.name == "or") return truthy(left) ? left : evaluate(*n.b, scope);
            return binary_operation(n.name, left, evaluate(*n.b, scope));
        }
        case node_kind::filter:
            return apply_filter(evaluate(*n.a, scope), *n.b, scope);
        case node_kind::test: {
            if (!has_test(n.name)) throw value_error("Unknown test: " + n.name);
            const bool result = run_test(n.name, evaluate(*n.a, scope), nullptr);
            return value::make_bool(n.flag ? !result : result);
        }
        case node_kind::select:
            return truthy(evaluate(*n.b, scope)) ? evaluate(*n.a, scope) : value{};
        case node_kind::ternary:
            return evaluate(truthy(evaluate(*n.a, scope)) ? *n.b : *n.c, scope);
        default:
            throw value_error("Unexpected syntax node in an expression");
    }
}

value interpreter::evaluate_set(const node& n, const std::shared_ptr<environment>& scope) {
    const value rhs =
        n.b ? evaluate(*n.b, scope) : value::make_string(evaluate_block(n.body, scope));
    const node& target = *n.a;
    if (target.kind == node_kind::identifier) {
        scope->set(target.name, rhs);
    } else if (target.kind == node_kind::tuple_literal) {
        if (!rhs.is_array())
            throw value_error(
                "Cannot unpack non-iterable type in set: " + std::string(type_name(rhs.kind))
            );
        if (rhs.items->size() != target.list.size()) {
            throw value_error(
                target.list.size() > rhs.items->size() ? "Too few items to unpack in set"
                                                       : "Too many items to unpack in set"
            );
        }
        for (std::size_t i = 0; i < target.list.size(); ++i) {
            if (target.list[i]->kind != node_kind::identifier)
                throw value_error("Cannot unpack to non-identifier in set");
            scope->set(target.list[i]->name, (*rhs.items)[i]);
        }
    } else if (target.kind == node_kind::member) {
        value object = evaluate(*target.a, scope);
        if (object.kind != value_kind::name_space)
            throw value_error("cannot assign attribute on non-namespace object");
        if (target.b->kind != node_kind::identifier)
            throw value_error("Cannot assign to member with non-identifier property");
        object.set(target.b->name, rhs);
    } else {
        throw value_error("Invalid LHS inside assignment expression");
    }
    return value::make_null();
}

value interpreter::evaluate_for(const node& n, const std::shared_ptr<environment>& scope) {
    auto loop_scope = std::make_shared<environment>(scope);
    const node* condition = nullptr;
    value iterable;
    if (n.b->kind == node_kind::select) {
        iterable = evaluate(*n.b->a, loop_scope);
        condition = n.b->b.get();
    } else {
        iterable = evaluate(*n.b, loop_scope);
    }
    if (iterable.is_object()) {
        value_list keys;
        for (const auto& [k, v] : *iterable.entries) keys.push_back(value::make_string(k));
        iterable = value::make_array(std::move(keys));
    }
    if (!iterable.is_array()) {
        throw value_error(
            "Expected iterable or object type in for loop: got " +
            std::string(type_name(iterable.kind))
        );
    }
    const node& target = *n.a;
    const auto bind = [&](const std::shared_ptr<environment>& into, const value& item) {
        if (target.kind == node_kind::identifier) {
            into->set(target.name, item);
            return;
        }
        if (!item.is_array() || item.kind == value_kind::tuple) {
            if (item.kind != value_kind::array)
                throw value_error(
                    "Cannot unpack non-iterable type: " + std::string(type_name(item.kind))
                );
        }
        if (item.items->size() != target.list.size()) {
            throw value_error(
                target.list.size() > item.items->size() ? "Too few items to unpack"
                                                        : "Too many items to unpack"
            );
        }
        for (std::size_t j = 0; j < target.list.size(); ++j) {
            if (target.list[j]->kind != node_kind::identifier)
                throw value_error("Cannot unpack non-identifier type");
            into->set(target.list[j]->name, (*item.items)[j]);
        }
    };
    value_list items;
    for (const value& item : *iterable.items) {
        if (condition) {
            auto test_scope = std::make_shared<environment>(loop_scope);
            bind(test_scope, item);
            if (!truthy(evaluate(*condition, test_scope))) continue;
        }
        items.push_back(item);
    }
    std::string out;
    bool no_iteration = true;
    const double count = static_cast<double>(items.size());
    for (std::size_t i = 0; i < items.size(); ++i) {
        const double index = static_cast<double>(i);
        loop_scope->set(
            "loop",
            value::make_object({
                {"index", value::make_int(index + 1)},
                {"index0", value::make_int(index)},
                {"revindex", value::make_int(count - index)},
                {"revindex0", value::make_int(count - index - 1)},
                {"first", value::make_bool(i == 0)},
                {"last", value::make_bool(i + 1 == items.size())},
                {"length", value::make_int(count)},
                {"previtem", i > 0 ? items[i - 1] : value{}},
                {"nextitem", i + 1 < items.size() ? items[i + 1] : value{}},
            })
        );
        bind(loop_scope, items[i]);
        try {
            out += evaluate_block(n.body, loop_scope);
        } catch (const continue_signal&) {
            continue;
        } catch (const break_signal&) {
            break;
        }
        no_iteration = false;
        if (out.size() > limits_.max_output_bytes)
            throw value_error("Template output exceeds its size limit", error_kind::limit);
    }
    if (no_iteration) out += evaluate_block(n.alternate, loop_scope);
    return value::make_string(std::move(out));
}

}  // namespace solar::jinja
