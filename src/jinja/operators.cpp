// Binary operators with the reference's JS semantics (evaluateBinaryExpression).
#include <cmath>

#include "solar/jinja/error.hpp"
#include "solar/jinja/interpreter.hpp"

namespace solar::jinja {

value binary_operation(const std::string& op, const value& left, const value& right) {
    if (op == "==") return value::make_bool(loose_equal(left, right));
    if (op == "!=") return value::make_bool(!loose_equal(left, right));
    const bool membership = op == "in" || op == "not in";
    if (left.is_undefined() || right.is_undefined()) {
        if (right.is_undefined() && membership) return value::make_bool(op == "not in");
        throw value_error("Cannot perform operation " + op + " on undefined values");
    }
    if (left.is_none() || right.is_none())
        throw value_error("Cannot perform operation on null values");
    if (op == "~") return value::make_string(to_concat(left) + to_concat(right));
    const auto numeric_like = [](const value& v) {
        return v.is_number() || v.kind == value_kind::boolean;
    };
    const auto numeric = [](const value& v) {
        return v.kind == value_kind::boolean ? (v.boolean ? 1.0 : 0.0) : v.number;
    };
    if (op == "**" && numeric_like(left) && numeric_like(right)) {
        const double a = numeric(left), b = numeric(right);
        if (a == 0 && b < 0) throw value_error("0.0 cannot be raised to a negative power");
        const double result = std::pow(a, b);
        if (!std::isfinite(result))
            throw value_error("Exponentiation result is not a finite real number");
        const bool is_float =
            left.kind == value_kind::floating || right.kind == value_kind::floating || b < 0;
        return is_float ? value::make_float(result) : value::make_int(result);
    }
    if (left.is_number() && right.is_number()) {
        const double a = left.number, b = right.number;
        const bool is_float =
            left.kind == value_kind::floating || right.kind == value_kind::floating;
        const auto number = [is_float](double x) {
            return is_float ? value::make_float(x) : value::make_int(x);
        };
        if (op == "+") return number(a + b);
        if (op == "-") return number(a - b);
        if (op == "*") return number(a * b);
        if (op == "/") return value::make_float(a / b);
        if (op == "//") return number(std::floor(a / b));
        if (op == "%") return number(std::fmod(a, b));
        if (op == "<") return value::make_bool(a < b);
        if (op == ">") return value::make_bool(a > b);
        if (op == ">=") return value::make_bool(a >= b);
        if (op == "<=") return value::make_bool(a <= b);
    } else if (left.is_array() && right.is_array()) {
        if (op == "+") {
            value_list joined = *left.items;
            joined.insert(joined.end(), right.items->begin(), right.items->end());
            return value::make_array(std::move(joined));
        }
    } else if (right.is_array()) {
        bool member = false;
        for (const value& item : *right.items) member = member || strict_equal(item, left);
        if (op == "in") return value::make_bool(member);
        if (op == "not in") return value::make_bool(!member);
    }
    if ((left.is_string() || right.is_string()) && op == "+")
        return value::make_string(to_concat(left) + to_concat(right));
    if (left.is_string() && right.is_string() && membership) {
        const bool found = right.text.find(left.text) != std::string::npos;
        return value::make_bool(op == "in" ? found : !found);
    }
    if (left.is_string() && right.is_object() && membership) {
        const bool found = right.find(left.text) != nullptr;
        return value::make_bool(op == "in" ? found : !found);
    }
    throw value_error(
        "Unknown operator \"" + op + "\" between " + std::string(type_name(left.kind)) + " and " +
        std::string(type_name(right.kind))
    );
}

}  // namespace solar::jinja
