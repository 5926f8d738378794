// Calls, macros, member access and slicing for the interpreter.
#include <cmath>

#include "solar/jinja/error.hpp"
#include "solar/jinja/interpreter.hpp"
#include "solar/jinja/js_text.hpp"

namespace solar::jinja {
namespace {

std::vector<std::string> code_points(std::string_view text) {
    std::vector<std::string> out;
    for (std::size_t pos = 0; pos < text.size();) {
        const std::size_t start = pos;
        next_code_point(text, pos);
        out.emplace_back(text.substr(start, pos - start));
    }
    return out;
}

template <typename T>
std::vector<T> slice_items(
    const std::vector<T>& items, const value& start_v, const value& stop_v, const value& step_v
) {
    // Python slice bounds with the reference's clamping (utils.ts slice).
    const double length = static_cast<double>(items.size());
    const double step = step_v.is_undefined() ? 1 : step_v.number;
    std::vector<T> out;
    if (step == 0) return out;
    double start, stop;
    if (step > 0) {
        start = start_v.is_undefined() ? 0 : start_v.number;
        stop = stop_v.is_undefined() ? length : stop_v.number;
        start = start < 0 ? std::max(length + start, 0.0) : std::min(start, length);
        stop = stop < 0 ? std::max(length + stop, 0.0) : std::min(stop, length);
        for (double i = start; i < stop; i += step)
            out.push_back(items[static_cast<std::size_t>(i)]);
    } else {
        start = start_v.is_undefined() ? length - 1 : start_v.number;
        stop = stop_v.is_undefined() ? -1 : stop_v.number;
        start = start < 0 ? std::max(length + start, -1.0) : std::min(start, length - 1);
        stop = stop < -1 ? std::max(length + stop, -1.0) : std::min(stop, length - 1);
        for (double i = start; i > stop; i += step)
            out.push_back(items[static_cast<std::size_t>(i)]);
    }
    return out;
}

}  // namespace

value interpreter::evaluate_macro(const node& n, const std::shared_ptr<environment>& scope) {
    const node* macro = &n;
    // The reference binds the body to the caller's scope (dynamic scoping), so do we.
    scope->set(
        n.name,
        value::make_function([this,
                              macro](value_list& args, const std::shared_ptr<environment>& caller) {
            auto macro_scope = std::make_shared<environment>(caller);
            object_entries keywords;
            if (!args.empty() && args.back().kind == value_kind::kwargs) {
                keywords = *args.back().entries;
                args.pop_back();
            }
            std::vector<std::pair<std::string, const node*>> pending_defaults;
            for (std::size_t i = 0; i < macro->list.size(); ++i) {
                const node& parameter = *macro->list[i];
                value v;
                bool given = i < args.size();
                if (given) v = args[i];
                for (auto it = keywords.begin(); !given && it != keywords.end(); ++it) {
                    if (it->first == parameter.name) {
                        v = it->second;
                        keywords.erase(it);
                        given = true;
                        break;
                    }
                }
                if (!given && parameter.kind == node_kind::keyword_argument)
                    pending_defaults.emplace_back(parameter.name, parameter.a.get());
                macro_scope->set(parameter.name, v);
            }
            if (!keywords.empty())
                throw value_error(
                    "macro '" + macro->name + "' takes no keyword argument '" + keywords[0].first +
                    "'"
                );
            if (args.size() > macro->list.size()) {
                throw value_error(
                    "macro '" + macro->name + "' takes not more than " +
                    std::to_string(macro->list.size()) + " argument(s)"
                );
            }
            for (const auto& [name, default_node] : pending_defaults)
                macro_scope->set(name, evaluate(*default_node, macro_scope));
            return value::make_string(evaluate_block(macro->body, macro_scope));
        })
    );
    return value::make_null();
}

value interpreter::evaluate_call(const node& n, const std::shared_ptr<environment>& scope) {
    value_list args;
    object_entries keywords;
    evaluate_arguments(n.list, scope, args, keywords);
    if (!keywords.empty())
        args.push_back(value::make_object(std::move(keywords), value_kind::kwargs));
    const value fn = evaluate(*n.a, scope);
    if (fn.kind != value_kind::function) {
        throw value_error(
            "Cannot call something that is not a function: got " + std::string(type_name(fn.kind))
        );
    }
    return (*fn.function)(args, scope);
}

value interpreter::evaluate_slice(
    const value& object, const node& n, const std::shared_ptr<environment>& scope
) {
    if (!object.is_array() && !object.is_string())
        throw value_error("Slice object must be an array or string");
    const value start = n.a ? evaluate(*n.a, scope) : value{};
    const value stop = n.b ? evaluate(*n.b, scope) : value{};
    const value step = n.c ? evaluate(*n.c, scope) : value{};
    for (const value* part : {&start, &stop, &step}) {
        if (part->kind != value_kind::integer && !part->is_undefined())
            throw value_error("Slice indices must be numeric or undefined");
    }
    if (step.kind == value_kind::integer && step.number == 0)
        throw value_error("Slice step cannot be zero");
    if (object.is_array()) return value::make_array(slice_items(*object.items, start, stop, step));
    std::string out;
    for (const auto& piece : slice_items(code_points(object.text), start, stop, step)) out += piece;
    return value::make_string(std::move(out));
}

value interpreter::evaluate_member(const node& n, const std::shared_ptr<environment>& scope) {
    const value object = evaluate(*n.a, scope);
    value property;
    if (n.flag) {
        if (n.b->kind == node_kind::slice) return evaluate_slice(object, *n.b, scope);
        property = evaluate(*n.b, scope);
    } else if (n.b->kind == node_kind::integer_literal) {
        property = value::make_int(n.b->number);
    } else {
        property = value::make_string(n.b->name);
    }
    if (object.has_entries()) {
        if (!property.is_string())
            throw value_error(
                "Cannot access property with non-string: got " +
                std::string(type_name(property.kind))
            );
        if (const value* found = object.find(property.text)) return *found;
        return object.is_object() ? builtin_member(object, property.text) : value{};
    }
    if (object.is_array() || object.is_string()) {
        if (property.kind == value_kind::integer) {
            // Array.prototype.at: negative indexes count from the end.
            if (object.is_array()) {
                const double size = static_cast<double>(object.items->size());
                const double index = property.number < 0 ? size + property.number : property.number;
                return index >= 0 && index < size ? (*object.items)[static_cast<std::size_t>(index)]
                                                  : value{};
            }
            const auto chars = code_points(object.text);
            const double size = static_cast<double>(chars.size());
            const double index = property.number < 0 ? size + property.number : property.number;
            return index >= 0 && index < size
                       ? value::make_string(chars[static_cast<std::size_t>(index)])
                       : value{};
        }
        if (property.is_string()) return builtin_member(object, property.text);
        throw value_error(
            "Cannot access property with non-string/non-number: got " +
            std::string(type_name(property.kind))
        );
    }
    if (!property.is_string())
        throw value_error(
            "Cannot access property with non-string: got " + std::string(type_name(property.kind))
        );
    return builtin_member(object, property.text);
}

}  // namespace solar::jinja
