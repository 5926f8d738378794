// The runtime value model, mirroring @huggingface/jinja's RuntimeValue classes (JS semantics).
#pragma once

#include <nlohmann/json.hpp>

#include <functional>
#include <memory>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

namespace solar::jinja {

// tuple is an array subtype and kwargs an object subtype, as in the reference.
enum class value_kind {
    undefined,
    null,
    boolean,
    integer,
    floating,
    string,
    array,
    tuple,
    object,
    kwargs,
    name_space,
    function
};

struct value;
class environment;
using value_list = std::vector<value>;
using object_entries = std::vector<std::pair<std::string, value>>;
using native_function =
    std::function<value(value_list& args, const std::shared_ptr<environment>& scope)>;

struct value {
    value_kind kind = value_kind::undefined;
    bool boolean = false;
    // Integers are JS numbers too (doubles); the kind only decides formatting and type tests.
    double number = 0;
    std::string text;
    // Arrays, objects and functions are shared, so identity (`==`, namespace updates) works as in
    // JS.
    std::shared_ptr<value_list> items;
    std::shared_ptr<object_entries> entries;
    std::shared_ptr<native_function> function;

    static value of(value_kind k) {
        value v;
        v.kind = k;
        return v;
    }
    static value make_null() { return value::of(value_kind::null); }
    static value make_bool(bool b);
    static value make_int(double n);
    static value make_float(double n);
    static value make_string(std::string s);
    static value make_array(value_list v, value_kind kind = value_kind::array);
    static value make_object(object_entries e, value_kind kind = value_kind::object);
    static value make_function(native_function f);

    bool is_undefined() const { return kind == value_kind::undefined; }
    bool is_none() const { return kind == value_kind::null; }
    bool is_string() const { return kind == value_kind::string; }
    bool is_number() const { return kind == value_kind::integer || kind == value_kind::floating; }
    bool is_array() const { return kind == value_kind::array || kind == value_kind::tuple; }
    // ObjectValue in the reference: plain objects and keyword-argument bundles.
    bool is_object() const { return kind == value_kind::object || kind == value_kind::kwargs; }
    // Objects and namespaces both hold attributes.
    bool has_entries() const { return is_object() || kind == value_kind::name_space; }

    // Entry lookup for objects and namespaces; nullptr when absent.
    const value* find(std::string_view key) const;
    void set(const std::string& key, value v);
};

// The reference's class name for a kind (for error messages): "StringValue", ...
std::string_view type_name(value_kind kind);
// __bool__: Python truthiness as the reference implements it.
bool truthy(const value& v);
// RuntimeValue.toString(): what `{{ v }}` prints.
std::string to_display(const value& v);
// `v.value.toString()`: what `+` and `~` concatenate (differs from to_display for floats).
std::string to_concat(const value& v);

struct json_options {
    int indent = 0;
    bool ensure_ascii = false;
    bool sort_keys = false;
    bool custom_separators = false;
    std::string item_separator;
    std::string key_separator;
};
// The reference's toJSON (the tojson filter and how arrays/objects print).
std::string to_json_text(
    const value& v, const json_options& options, bool undefined_to_null, int depth = 0
);

// JSON.parse-equivalent conversion: integral floats become integers, array-index keys come first.
value from_json(const nlohmann::ordered_json& j);

// `a.value == b.value` in JS (loose equality) and `===` (strict, used by `in`).
bool loose_equal(const value& a, const value& b);
bool strict_equal(const value& a, const value& b);

}  // namespace solar::jinja
