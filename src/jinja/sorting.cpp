// Ordering filters: sort, unique and dictsort, with the reference's compareRuntimeValues rules.
#include <algorithm>

#include "solar/jinja/error.hpp"
#include "solar/jinja/interpreter.hpp"

namespace solar::jinja {
namespace {

std::string ascii_lower(std::string s) {
    for (char& c : s) c = (c >= 'A' && c <= 'Z') ? static_cast<char>(c + 32) : c;
    return s;
}

bool numeric_like(const value& v) { return v.is_number() || v.kind == value_kind::boolean; }
double numeric(const value& v) {
    return v.kind == value_kind::boolean ? (v.boolean ? 1 : 0) : v.number;
}

// `attribute` of sort: a dotted path through objects, namespaces and list indexes.
value attribute_value(const value& item, const std::string& path) {
    value current = item;
    std::size_t start = 0;
    while (true) {
        const std::size_t dot = path.find('.', start);
        const std::string part =
            path.substr(start, dot == std::string::npos ? std::string::npos : dot - start);
        if (current.has_entries()) {
            const value* found = current.find(part);
            current = found ? *found : value{};
        } else if (current.is_array()) {
            const bool digits = !part.empty() && std::all_of(part.begin(), part.end(), [](char c) {
                return c >= '0' && c <= '9';
            });
            const std::size_t index = digits ? std::stoul(part) : current.items->size();
            if (index >= current.items->size()) return value{};
            current = (*current.items)[index];
        } else {
            return value{};
        }
        if (dot == std::string::npos) return current;
        start = dot + 1;
    }
}

}  // namespace

int compare_values(const value& a, const value& b, bool case_sensitive) {
    if (a.is_none() && b.is_none()) return 0;
    if (a.is_none() || b.is_none() || (a.is_undefined() != b.is_undefined())) {
        throw value_error(
            "Cannot compare " + std::string(type_name(a.kind)) + " with " +
            std::string(type_name(b.kind))
        );
    }
    if (a.is_undefined()) return 0;
    if (numeric_like(a) && numeric_like(b)) {
        const double x = numeric(a), y = numeric(b);
        return x < y ? -1 : x > y ? 1 : 0;
    }
    if (a.kind != b.kind) {
        throw value_error(
            "Cannot compare different types: " + std::string(type_name(a.kind)) + " and " +
            std::string(type_name(b.kind))
        );
    }
    if (!a.is_string()) throw value_error("Cannot compare type: " + std::string(type_name(a.kind)));
    const std::string x = case_sensitive ? a.text : ascii_lower(a.text);
    const std::string y = case_sensitive ? b.text : ascii_lower(b.text);
    return x < y ? -1 : x > y ? 1 : 0;
}

value sort_values(const value& array, bool reverse, bool case_sensitive, const value& attribute) {
    if (attribute.kind != value_kind::string && attribute.kind != value_kind::integer &&
        !attribute.is_none()) {
        throw value_error("attribute must be a string, integer, or null");
    }
    const std::string path = attribute.is_string() ? attribute.text
                             : attribute.is_none() ? ""
                                                   : to_display(attribute);
    const auto key = [&](const value& item) {
        return attribute.is_none() ? item : attribute_value(item, path);
    };
    value_list items = *array.items;
    // Array.prototype.sort is stable.
    std::stable_sort(items.begin(), items.end(), [&](const value& a, const value& b) {
        const int result = compare_values(key(a), key(b), case_sensitive);
        return reverse ? result > 0 : result < 0;
    });
    return value::make_array(std::move(items));
}

value unique_values(const value& array) {
    value_list out;
    for (const value& item : *array.items) {
        const bool seen = std::any_of(out.begin(), out.end(), [&](const value& kept) {
            return strict_equal(kept, item);
        });
        if (!seen) out.push_back(item);
    }
    return value::make_array(std::move(out));
}

value dictsort_entries(const value& object, value_list& args) {
    object_entries keywords;
    value_list positional;
    for (const value& arg : args) {
        if (arg.kind == value_kind::kwargs) {
            keywords = *arg.entries;
        } else {
            positional.push_back(arg);
        }
    }
    const auto option = [&](std::size_t i, const char* name, value fallback) {
        if (i < positional.size()) return positional[i];
        for (const auto& [k, v] : keywords) {
            if (k == name) return v;
        }
        return fallback;
    };
    const value case_sensitive = option(0, "case_sensitive", value::make_bool(false));
    if (case_sensitive.kind != value_kind::boolean)
        throw value_error("case_sensitive must be a boolean");
    const value by = option(1, "by", value::make_string("key"));
    if (!by.is_string()) throw value_error("by must be a string");
    if (by.text != "key" && by.text != "value")
        throw value_error("by must be either 'key' or 'value'");
    const value reverse = option(2, "reverse", value::make_bool(false));
    if (reverse.kind != value_kind::boolean) throw value_error("reverse must be a boolean");
    value_list pairs;
    for (const auto& [k, v] : *object.entries)
        pairs.push_back(value::make_array({value::make_string(k), v}));
    const std::size_t index = by.text == "key" ? 0 : 1;
    std::stable_sort(pairs.begin(), pairs.end(), [&](const value& a, const value& b) {
        const int result =
            compare_values((*a.items)[index], (*b.items)[index], case_sensitive.boolean);
        return reverse.boolean ? result > 0 : result < 0;
    });
    return value::make_array(std::move(pairs));
}

}  // namespace solar::jinja
