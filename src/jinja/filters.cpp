// Filters (`x | name`) and tests (`x is name`), following the reference's applyFilter.
#include <algorithm>
#include <cmath>
#include <cstdlib>

#include "solar/jinja/error.hpp"
#include "solar/jinja/interpreter.hpp"
#include "solar/jinja/js_text.hpp"

namespace solar::jinja {
namespace {

const value* keyword(const object_entries& keywords, std::string_view name) {
    for (const auto& [k, v] : keywords) {
        if (k == name) return &v;
    }
    return nullptr;
}

value arg_or(
    const value_list& args,
    std::size_t i,
    const object_entries& keywords,
    std::string_view name,
    value fallback
) {
    if (i < args.size()) return args[i];
    if (const value* v = keyword(keywords, name)) return *v;
    return fallback;
}

[[noreturn]] void unknown(const value& operand, const std::string& name) {
    std::string type(type_name(operand.kind));
    if (operand.is_number()) type = "NumericValue";
    throw value_error("Unknown " + type + " filter: " + name);
}

double parse_int_prefix(const std::string& s, bool& ok) {
    // parseInt(s, 10): optional whitespace and sign, then leading digits.
    const std::string_view t = js_trim_start(s);
    std::size_t i = 0;
    std::string digits;
    if (i < t.size() && (t[i] == '-' || t[i] == '+')) digits += t[i++];
    while (i < t.size() && t[i] >= '0' && t[i] <= '9') digits += t[i++];
    ok = digits.size() > 0 && std::isdigit(static_cast<unsigned char>(digits.back()));
    return ok ? std::stod(digits) : 0;
}

double parse_float_prefix(const std::string& s) {
    // parseFloat: the longest decimal prefix after leading whitespace; NaN when there is none.
    const std::string t(js_trim_start(s));
    std::size_t i = 0;
    if (i < t.size() && (t[i] == '-' || t[i] == '+')) ++i;
    if (t.compare(i, 8, "Infinity") == 0) return t[0] == '-' ? -HUGE_VAL : HUGE_VAL;
    const std::size_t digits_start = i;
    while (i < t.size() && std::isdigit(static_cast<unsigned char>(t[i]))) ++i;
    std::size_t mantissa_digits = i - digits_start;
    if (i < t.size() && t[i] == '.') {
        const std::size_t frac = ++i;
        while (i < t.size() && std::isdigit(static_cast<unsigned char>(t[i]))) ++i;
        mantissa_digits += i - frac;
    }
    if (mantissa_digits == 0) return std::nan("");
    if (i < t.size() && (t[i] == 'e' || t[i] == 'E')) {
        std::size_t j = i + 1;
        if (j < t.size() && (t[j] == '-' || t[j] == '+')) ++j;
        if (j < t.size() && std::isdigit(static_cast<unsigned char>(t[j]))) {
            while (j < t.size() && std::isdigit(static_cast<unsigned char>(t[j]))) ++j;
            i = j;
        }
    }
    return std::strtod(t.substr(0, i).c_str(), nullptr);
}

value simple_filter(const value& operand, const std::string& name) {
    if (operand.is_array()) {
        const value_list& items = *operand.items;
        if (name == "list") return operand;
        if (name == "first") return items.empty() ? value{} : items.front();
        if (name == "last") return items.empty() ? value{} : items.back();
        if (name == "length") return value::make_int(static_cast<double>(items.size()));
        if (name == "reverse") return value::make_array(value_list(items.rbegin(), items.rend()));
        if (name == "join") {
            std::string out;
            for (const value& item : items) out += to_concat(item);
            return value::make_string(out);
        }
        if (name == "string") return value::make_string(to_json_text(operand, {}, false));
        if (name == "sort") return sort_values(operand, false, false, value::make_null());
        if (name == "unique") return unique_values(operand);
        unknown(operand, name);
    }
    if (operand.is_string()) {
        if (name == "length" || name == "upper" || name == "lower" || name == "title" ||
            name == "capitalize") {
            value member = builtin_member(operand, name);
            if (member.kind != value_kind::function) return member;
            value_list none;
            return (*member.function)(none, nullptr);
        }
        if (name == "trim") return value::make_string(std::string(js_trim(operand.text)));
        if (name == "indent") {
            std::string out;
            std::size_t line = 0;
            for (std::size_t pos = 0;; ++line) {
                const std::size_t end = operand.text.find('\n', pos);
                const std::string piece = operand.text.substr(
                    pos, end == std::string::npos ? std::string::npos : end - pos
                );
                out += (line == 0 || piece.empty() ? "" : "    ") + piece;
                if (end == std::string::npos) break;
                out += '\n';
                pos = end + 1;
            }
            return value::make_string(out);
        }
        if (name == "join" || name == "string") return operand;
        if (name == "int") {
            bool ok = false;
            const double v = parse_int_prefix(operand.text, ok);
            return value::make_int(ok ? v : 0);
        }
        if (name == "float") {
            const double v = parse_float_prefix(operand.text);
            return value::make_float(std::isnan(v) ? 0 : v);
        }
        unknown(operand, name);
    }
    if (operand.is_number()) {
        if (name == "abs")
            return operand.kind == value_kind::integer
                       ? value::make_int(std::fabs(operand.number))
                       : value::make_float(std::fabs(operand.number));
        if (name == "int") return value::make_int(std::floor(operand.number));
        if (name == "float") return value::make_float(operand.number);
        if (name == "string") return value::make_string(to_display(operand));
        unknown(operand, name);
    }
    if (operand.is_object()) {
        if (name == "items" || name == "length") {
            if (name == "length")
                return value::make_int(static_cast<double>(operand.entries->size()));
            value_list out;
            for (const auto& [k, v] : *operand.entries)
                out.push_back(value::make_array({value::make_string(k), v}));
            return value::make_array(std::move(out));
        }
        value member = builtin_member(operand, name);
        if (member.kind == value_kind::function) {
            value_list none;
            return (*member.function)(none, nullptr);
        }
        if (!member.is_undefined()) return member;
        unknown(operand, name);
    }
    if (operand.kind == value_kind::boolean) {
        if (name == "bool") return operand;
        if (name == "int") return value::make_int(operand.boolean ? 1 : 0);
        if (name == "float") return value::make_float(operand.boolean ? 1 : 0);
        if (name == "string") return value::make_string(operand.boolean ? "true" : "false");
        unknown(operand, name);
    }
    throw value_error(
        "Cannot apply filter \"" + name + "\" to type: " + std::string(type_name(operand.kind))
    );
}

json_options tojson_options(const object_entries& keywords) {
    json_options options;
    if (const value* indent = keyword(keywords, "indent")) {
        if (indent->kind != value_kind::integer && !indent->is_none())
            throw value_error("If set, indent must be a number");
        options.indent = indent->is_none() ? 0 : static_cast<int>(indent->number);
    }
    if (const value* ascii = keyword(keywords, "ensure_ascii")) {
        if (ascii->kind != value_kind::boolean)
            throw value_error("If set, ensure_ascii must be a boolean");
        options.ensure_ascii = ascii->boolean;
    }
    if (const value* sort = keyword(keywords, "sort_keys")) {
        if (sort->kind != value_kind::boolean)
            throw value_error("If set, sort_keys must be a boolean");
        options.sort_keys = sort->boolean;
    }
    if (const value* separators = keyword(keywords, "separators");
        separators && !separators->is_none()) {
        if (!separators->is_array() || separators->items->size() != 2 ||
            !(*separators->items)[0].is_string() || !(*separators->items)[1].is_string()) {
            throw value_error("separators must be a tuple of two strings");
        }
        options.custom_separators = true;
        options.item_separator = (*separators->items)[0].text;
        options.key_separator = (*separators->items)[1].text;
    }
    return options;
}

}  // namespace

value interpreter::apply_filter(
    const value& operand, const node& filter, const std::shared_ptr<environment>& scope
) {
    if (filter.kind == node_kind::identifier) {
        if (filter.name == "safe") return operand;
        if (filter.name == "tojson") return value::make_string(to_json_text(operand, {}, true));
        return simple_filter(operand, filter.name);
    }
    const std::string& name = filter.a->name;
    value_list args;
    object_entries keywords;
    if (name == "selectattr" || name == "rejectattr") {
        if (!operand.is_array())
            throw value_error(
                "Cannot apply filter \"" + name +
                "\" to type: " + std::string(type_name(operand.kind))
            );
        for (const value& item : *operand.items) {
            if (!item.has_entries())
                throw value_error("`" + name + "` can only be applied to array of objects");
        }
        for (const auto& arg : filter.list) {
            if (arg->kind != node_kind::string_literal)
                throw value_error("arguments of `" + name + "` must be strings");
            args.push_back(evaluate(*arg, scope));
        }
        if (args.empty()) throw value_error("`" + name + "` needs an attribute name");
        if (args.size() > 1 && !has_test(args[1].text))
            throw value_error("Unknown test: " + args[1].text);
        value_list kept;
        for (const value& item : *operand.items) {
            const value* attribute = item.find(args[0].text);
            // `a ? test(a) : false` in the reference: a missing attribute never matches.
            bool result = false;
            if (attribute)
                result =
                    args.size() > 1
                        ? run_test(args[1].text, *attribute, args.size() > 2 ? &args[2] : nullptr)
                        : truthy(*attribute);
            if (result == (name == "selectattr")) kept.push_back(item);
        }
        return value::make_array(std::move(kept));
    }
    evaluate_arguments(filter.list, scope, args, keywords);
    if (name == "tojson")
        return value::make_string(to_json_text(operand, tojson_options(keywords), true));
    if (name == "join") {
        std::vector<std::string> parts;
        if (operand.is_string()) {
            for (std::size_t pos = 0; pos < operand.text.size();) {
                const std::size_t start = pos;
                next_code_point(operand.text, pos);
                parts.push_back(operand.text.substr(start, pos - start));
            }
        } else if (operand.is_array()) {
            for (const value& item : *operand.items) parts.push_back(to_concat(item));
        } else {
            throw value_error(
                "Cannot apply filter \"join\" to type: " + std::string(type_name(operand.kind))
            );
        }
        const value separator = arg_or(args, 0, keywords, "separator", value::make_string(""));
        if (!separator.is_string()) throw value_error("separator must be a string");
        std::string out;
        for (std::size_t i = 0; i < parts.size(); ++i) out += (i ? separator.text : "") + parts[i];
        return value::make_string(out);
    }
    if (name == "default") {
        const value fallback = args.size() > 0 ? args[0] : value::make_string("");
        const value boolean = arg_or(args, 1, keywords, "boolean", value::make_bool(false));
        if (boolean.kind != value_kind::boolean)
            throw value_error("`default` filter flag must be a boolean");
        return operand.is_undefined() || (boolean.boolean && !truthy(operand)) ? fallback : operand;
    }
    if (name == "int" || name == "float") {
        const bool as_int = name == "int";
        const value fallback = arg_or(
            args, 0, keywords, "default", as_int ? value::make_int(0) : value::make_float(0)
        );
        if (operand.is_string()) {
            bool ok = true;
            const double v =
                as_int ? parse_int_prefix(operand.text, ok) : parse_float_prefix(operand.text);
            if (!ok || std::isnan(v)) return fallback;
            return as_int ? value::make_int(v) : value::make_float(v);
        }
        if (operand.is_number()) return operand;
        if (operand.kind == value_kind::boolean) {
            return as_int ? value::make_int(operand.boolean ? 1 : 0)
                          : value::make_float(operand.boolean ? 1 : 0);
        }
        throw value_error(
            "Cannot apply filter \"" + name + "\" to type: " + std::string(type_name(operand.kind))
        );
    }
    if (name == "sort" && operand.is_array()) {
        const value reverse = arg_or(args, 0, keywords, "reverse", value::make_bool(false));
        if (reverse.kind != value_kind::boolean) throw value_error("reverse must be a boolean");
        const value case_sensitive =
            arg_or(args, 1, keywords, "case_sensitive", value::make_bool(false));
        if (case_sensitive.kind != value_kind::boolean)
            throw value_error("case_sensitive must be a boolean");
        return sort_values(
            operand,
            reverse.boolean,
            case_sensitive.boolean,
            arg_or(args, 2, keywords, "attribute", value::make_null())
        );
    }
    if (operand.is_object()) {
        // Any object method works as a filter with arguments: `d | dictsort(by='value')`, `d |
        // get('k')`.
        const value member = builtin_member(operand, name);
        if (member.kind == value_kind::function) {
            if (!keywords.empty())
                args.push_back(value::make_object(std::move(keywords), value_kind::kwargs));
            return (*member.function)(args, scope);
        }
        throw value_error("Unknown ObjectValue filter: " + name);
    }
    if (name == "map" && operand.is_array()) {
        const value* attribute = keyword(keywords, "attribute");
        if (!attribute)
            throw value_error(
                "`map` expressions without `attribute` set are not currently supported."
            );
        if (!attribute->is_string()) throw value_error("attribute must be a string");
        const value* fallback = keyword(keywords, "default");
        value_list out;
        for (const value& item : *operand.items) {
            if (!item.has_entries()) throw value_error("items in map must be an object");
            const value* found = item.find(attribute->text);
            out.push_back(
                found && !found->is_undefined() ? *found : (fallback ? *fallback : value{})
            );
        }
        return value::make_array(std::move(out));
    }
    if (name == "replace" && operand.is_string()) {
        value method = builtin_member(operand, "replace");
        args.push_back(value::make_object(std::move(keywords), value_kind::kwargs));
        return (*method.function)(args, scope);
    }
    if (name == "indent" && operand.is_string()) {
        const value width = arg_or(args, 0, keywords, "width", value::make_int(4));
        if (width.kind != value_kind::integer) throw value_error("width must be a number");
        const bool first = truthy(arg_or(args, 1, keywords, "first", value::make_bool(false)));
        const bool blank = truthy(arg_or(args, 2, keywords, "blank", value::make_bool(false)));
        const std::string pad(static_cast<std::size_t>(std::max(width.number, 0.0)), ' ');
        std::string out;
        std::size_t line = 0;
        for (std::size_t pos = 0;; ++line) {
            const std::size_t end = operand.text.find('\n', pos);
            const std::string piece =
                operand.text.substr(pos, end == std::string::npos ? std::string::npos : end - pos);
            out += ((!first && line == 0) || (!blank && piece.empty()) ? "" : pad) + piece;
            if (end == std::string::npos) break;
            out += '\n';
            pos = end + 1;
        }
        return value::make_string(out);
    }
    throw value_error("Unknown filter: " + name + " for " + std::string(type_name(operand.kind)));
}

}  // namespace solar::jinja
