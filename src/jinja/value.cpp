// Value construction, truthiness, printing, JSON output and JS equality for the Jinja engine.
#include "solar/jinja/value.hpp"

#include <algorithm>
#include <cmath>
#include <string>

#include "solar/jinja/error.hpp"
#include "solar/jinja/js_text.hpp"

namespace solar::jinja {

value value::make_bool(bool b) {
    value v = of(value_kind::boolean);
    v.boolean = b;
    return v;
}
value value::make_int(double n) {
    value v = of(value_kind::integer);
    v.number = n;
    return v;
}
value value::make_float(double n) {
    value v = of(value_kind::floating);
    v.number = n;
    return v;
}
value value::make_string(std::string s) {
    value v = of(value_kind::string);
    v.text = std::move(s);
    return v;
}
value value::make_array(value_list items, value_kind kind) {
    value v = of(kind);
    v.items = std::make_shared<value_list>(std::move(items));
    return v;
}
value value::make_object(object_entries entries, value_kind kind) {
    value v = of(kind);
    v.entries = std::make_shared<object_entries>(std::move(entries));
    return v;
}
value value::make_function(native_function f) {
    value v = of(value_kind::function);
    v.function = std::make_shared<native_function>(std::move(f));
    return v;
}

const value* value::find(std::string_view key) const {
    if (!entries) return nullptr;
    for (const auto& [k, v] : *entries) {
        if (k == key) return &v;
    }
    return nullptr;
}

void value::set(const std::string& key, value v) {
    for (auto& [k, existing] : *entries) {
        if (k == key) {
            existing = std::move(v);
            return;
        }
    }
    entries->emplace_back(key, std::move(v));
}

std::string_view type_name(value_kind kind) {
    switch (kind) {
        case value_kind::undefined:
            return "UndefinedValue";
        case value_kind::null:
            return "NullValue";
        case value_kind::boolean:
            return "BooleanValue";
        case value_kind::integer:
            return "IntegerValue";
        case value_kind::floating:
            return "FloatValue";
        case value_kind::string:
            return "StringValue";
        case value_kind::array:
            return "ArrayValue";
        case value_kind::tuple:
            return "TupleValue";
        case value_kind::object:
            return "ObjectValue";
        case value_kind::kwargs:
            return "KeywordArgumentsValue";
        case value_kind::name_space:
            return "NamespaceValue";
        case value_kind::function:
            return "FunctionValue";
    }
    return "RuntimeValue";
}

bool truthy(const value& v) {
    switch (v.kind) {
        case value_kind::undefined:
        case value_kind::null:
            return false;
        case value_kind::boolean:
            return v.boolean;
        case value_kind::integer:
        case value_kind::floating:
            return v.number != 0 && !std::isnan(v.number);
        case value_kind::string:
            return !v.text.empty();
        case value_kind::array:
        case value_kind::tuple:
            return !v.items->empty();
        case value_kind::object:
        case value_kind::kwargs:
            return !v.entries->empty();
        // A namespace's value is a JS Map, which is always truthy.
        case value_kind::name_space:
        case value_kind::function:
            return true;
    }
    return false;
}

std::string to_display(const value& v) {
    switch (v.kind) {
        // NullValue holds JS undefined in the reference, so both print "undefined" when forced.
        case value_kind::undefined:
        case value_kind::null:
            return "undefined";
        case value_kind::boolean:
            return v.boolean ? "true" : "false";
        case value_kind::integer:
            return js_number_to_string(v.number);
        case value_kind::floating:
            if (v.number == 0 && std::signbit(v.number)) return "-0.0";
            if (std::isfinite(v.number) && std::fmod(v.number, 1.0) == 0 &&
                std::fabs(v.number) < 1e21) {
                return js_number_to_string(v.number) + ".0";
            }
            return js_number_to_string(v.number);
        case value_kind::string:
            return v.text;
        case value_kind::function:
            return "[function]";
        default:
            return to_json_text(v, {}, false);
    }
}

std::string to_concat(const value& v) {
    switch (v.kind) {
        case value_kind::floating:
            return js_number_to_string(v.number);
        case value_kind::array:
        case value_kind::tuple: {
            // Array.prototype.toString joins the elements' toString() with commas.
            std::string out;
            for (std::size_t i = 0; i < v.items->size(); ++i) {
                if (i > 0) out += ',';
                out += to_display((*v.items)[i]);
            }
            return out;
        }
        case value_kind::object:
        case value_kind::kwargs:
        case value_kind::name_space:
            return "[object Map]";
        default:
            return to_display(v);
    }
}

std::string to_json_text(
    const value& v, const json_options& options, bool undefined_to_null, int depth
) {
    std::string item_sep = options.indent ? "," : ", ";
    std::string key_sep = ": ";
    if (options.custom_separators) {
        item_sep = options.item_separator;
        key_sep = options.key_separator;
    }
    switch (v.kind) {
        case value_kind::null:
            return "null";
        case value_kind::undefined:
            return undefined_to_null ? "null" : "undefined";
        case value_kind::boolean:
            return v.boolean ? "true" : "false";
        case value_kind::integer:
        case value_kind::floating:
            return std::isfinite(v.number) ? js_number_to_string(v.number) : "null";
        case value_kind::string:
            return js_quote(v.text, options.ensure_ascii);
        case value_kind::array:
        case value_kind::object:
        case value_kind::name_space:
            break;
        default:
            throw value_error("Cannot convert to JSON: " + std::string(type_name(v.kind)));
    }
    const std::string indent(static_cast<std::size_t>(std::max(options.indent, 0)), ' ');
    std::string base = "\n";
    for (int i = 0; i < depth; ++i) base += indent;
    const std::string child = base + indent;
    std::vector<std::string> core;
    if (v.kind == value_kind::array) {
        for (const auto& item : *v.items)
            core.push_back(to_json_text(item, options, undefined_to_null, depth + 1));
        std::string out = "[";
        if (options.indent && !core.empty()) {
            out += child;
            for (std::size_t i = 0; i < core.size(); ++i)
                out += (i ? item_sep + child : "") + core[i];
            return out + base + "]";
        }
        for (std::size_t i = 0; i < core.size(); ++i) out += (i ? item_sep : "") + core[i];
        return out + "]";
    }
    object_entries entries = *v.entries;
    if (options.sort_keys) {
        // localeCompare in the reference; a byte order is the documented approximation.
        std::stable_sort(entries.begin(), entries.end(), [](const auto& a, const auto& b) {
            return a.first < b.first;
        });
    }
    for (const auto& [key, item] : entries) {
        std::string entry = js_quote(key, options.ensure_ascii) + key_sep +
                            to_json_text(item, options, undefined_to_null, depth + 1);
        core.push_back(options.indent ? child + entry : entry);
    }
    std::string out = "{";
    for (std::size_t i = 0; i < core.size(); ++i) out += (i ? item_sep : "") + core[i];
    return out + (options.indent && !core.empty() ? base : "") + "}";
}

namespace {

// A JS array index ("0", "17"): such keys come first, ascending, in a JS object.
bool is_array_index(const std::string& key, double& index) {
    if (key.empty() || key.size() > 10 || (key.size() > 1 && key[0] == '0')) return false;
    if (!std::all_of(key.begin(), key.end(), [](char c) { return c >= '0' && c <= '9'; }))
        return false;
    index = std::stod(key);
    return index < 4294967295.0;
}

}  // namespace

value from_json(const nlohmann::ordered_json& j) {
    switch (j.type()) {
        case nlohmann::ordered_json::value_t::null:
            return value::make_null();
        case nlohmann::ordered_json::value_t::boolean:
            return value::make_bool(j.get<bool>());
        case nlohmann::ordered_json::value_t::number_integer:
        case nlohmann::ordered_json::value_t::number_unsigned:
            return value::make_int(j.get<double>());
        case nlohmann::ordered_json::value_t::number_float: {
            // JSON.parse cannot tell 1.0 from 1: Number.isInteger decides, as in the reference.
            const double d = j.get<double>();
            return std::isfinite(d) && std::fmod(d, 1.0) == 0 ? value::make_int(d)
                                                              : value::make_float(d);
        }
        case nlohmann::ordered_json::value_t::string:
            return value::make_string(j.get<std::string>());
        case nlohmann::ordered_json::value_t::array: {
            value_list items;
            for (const auto& item : j) items.push_back(from_json(item));
            return value::make_array(std::move(items));
        }
        case nlohmann::ordered_json::value_t::object: {
            std::vector<std::pair<double, std::string>> indexed;
            object_entries named;
            for (const auto& [key, item] : j.items()) {
                double index = 0;
                if (is_array_index(key, index)) {
                    indexed.emplace_back(index, key);
                } else {
                    named.emplace_back(key, from_json(item));
                }
            }
            std::sort(indexed.begin(), indexed.end());
            object_entries entries;
            for (const auto& [index, key] : indexed)
                entries.emplace_back(key, from_json(j.at(key)));
            for (auto& entry : named) entries.push_back(std::move(entry));
            return value::make_object(std::move(entries));
        }
        default:
            throw value_error("Cannot convert JSON value to a runtime value");
    }
}

namespace {

enum class js_type { undefined, boolean, number, string, reference };

js_type js_type_of(const value& v) {
    switch (v.kind) {
        case value_kind::undefined:
        case value_kind::null:
            return js_type::undefined;
        case value_kind::boolean:
            return js_type::boolean;
        case value_kind::integer:
        case value_kind::floating:
            return js_type::number;
        case value_kind::string:
            return js_type::string;
        default:
            return js_type::reference;
    }
}

const void* identity(const value& v) {
    if (v.items) return v.items.get();
    if (v.entries) return v.entries.get();
    return v.function.get();
}

}  // namespace

bool strict_equal(const value& a, const value& b) {
    const js_type ta = js_type_of(a);
    if (ta != js_type_of(b)) return false;
    switch (ta) {
        case js_type::undefined:
            return true;
        case js_type::boolean:
            return a.boolean == b.boolean;
        case js_type::number:
            return a.number == b.number;
        case js_type::string:
            return a.text == b.text;
        case js_type::reference:
            return identity(a) == identity(b);
    }
    return false;
}

bool loose_equal(const value& a, const value& b) {
    const js_type ta = js_type_of(a);
    const js_type tb = js_type_of(b);
    if (ta == tb) return strict_equal(a, b);
    if (ta == js_type::undefined || tb == js_type::undefined) return false;
    // Abstract Equality (ECMA-262 7.2.14): booleans become numbers, objects become primitives.
    if (ta == js_type::boolean) return loose_equal(value::make_int(a.boolean ? 1 : 0), b);
    if (tb == js_type::boolean) return loose_equal(a, value::make_int(b.boolean ? 1 : 0));
    if (ta == js_type::reference) return loose_equal(value::make_string(to_concat(a)), b);
    if (tb == js_type::reference) return loose_equal(a, value::make_string(to_concat(b)));
    const double x = ta == js_type::number ? a.number : js_to_number(a.text);
    const double y = tb == js_type::number ? b.number : js_to_number(b.text);
    return x == y;
}

}  // namespace solar::jinja
