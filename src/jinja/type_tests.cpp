// Jinja tests (`x is defined`, `x is string`, ...) exactly as the reference's Environment.TESTS.
#include <algorithm>
#include <cmath>
#include <iterator>

#include "solar/jinja/error.hpp"
#include "solar/jinja/interpreter.hpp"

namespace solar::jinja {

bool has_test(const std::string& name) {
    static const char* const names[] = {
        "boolean",
        "callable",
        "odd",
        "even",
        "false",
        "true",
        "none",
        "string",
        "number",
        "integer",
        "iterable",
        "mapping",
        "sequence",
        "lower",
        "upper",
        "defined",
        "undefined",
        "equalto",
        "eq"};
    return std::any_of(std::begin(names), std::end(names), [&](const char* n) {
        return name == n;
    });
}

bool run_test(const std::string& name, const value& v, const value* argument) {
    const value_kind k = v.kind;
    if (name == "boolean") return k == value_kind::boolean;
    if (name == "callable") return k == value_kind::function;
    if (name == "odd" || name == "even") {
        if (k != value_kind::integer)
            throw value_error("cannot " + name + " on " + std::string(type_name(k)));
        const bool odd = std::fmod(v.number, 2) != 0;
        return name == "odd" ? odd : !odd;
    }
    if (name == "false") return k == value_kind::boolean && !v.boolean;
    if (name == "true") return k == value_kind::boolean && v.boolean;
    if (name == "none") return k == value_kind::null;
    if (name == "string") return k == value_kind::string;
    if (name == "number") return v.is_number();
    if (name == "integer") return k == value_kind::integer;
    // Only ArrayValue and StringValue: the reference reports a tuple or mapping as not iterable.
    if (name == "iterable") return k == value_kind::array || k == value_kind::string;
    if (name == "mapping") return v.is_object();
    if (name == "sequence") return v.is_array() || v.is_object() || v.is_string();
    if (name == "lower" || name == "upper") {
        if (k != value_kind::string) return false;
        const value changed = builtin_member(v, name);
        value_list none;
        return (*changed.function)(none, nullptr).text == v.text;
    }
    if (name == "defined") return k != value_kind::undefined;
    if (name == "undefined") return k == value_kind::undefined;
    if (name == "equalto" || name == "eq") return argument && strict_equal(v, *argument);
    throw value_error("Unknown test: " + name);
}

}  // namespace solar::jinja
