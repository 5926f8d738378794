// Evaluates a syntax tree against scoped variables, as the reference Interpreter does.
#pragma once

#include <chrono>
#include <cstddef>
#include <functional>
#include <map>
#include <memory>
#include <string>
#include <string_view>
#include <vector>

#include "solar/jinja/ast.hpp"
#include "solar/jinja/value.hpp"

namespace solar::jinja {

// A variable scope; lookups walk to the parent, assignments stay local (Jinja scoping).
class environment {
public:
    explicit environment(std::shared_ptr<environment> parent = nullptr)
        : parent_(std::move(parent)) {}
    value lookup(const std::string& name) const;
    void set(const std::string& name, value v) { variables_[name] = std::move(v); }

private:
    std::shared_ptr<environment> parent_;
    std::map<std::string, value, std::less<>> variables_;
};

struct render_limits {
    int max_depth = 128;
    std::size_t max_output_bytes = 16u << 20;
    // Evaluation steps; bounds run time for templates that loop over huge ranges.
    std::size_t max_steps = 20'000'000;
};

class interpreter {
public:
    interpreter(std::string_view source, render_limits limits) : source_(source), limits_(limits) {}

    // Renders the statements; throws template_error with the position of the failing node.
    std::string run(
        const std::vector<node_ptr>& program, const std::shared_ptr<environment>& scope
    );

    value evaluate(const node& n, const std::shared_ptr<environment>& scope);
    std::string evaluate_block(
        const std::vector<node_ptr>& body, const std::shared_ptr<environment>& scope
    );
    // Splits call arguments into positional values and keyword values (evaluated in order).
    void evaluate_arguments(
        const std::vector<node_ptr>& args,
        const std::shared_ptr<environment>& scope,
        value_list& positional,
        object_entries& keywords
    );
    value apply_filter(
        const value& operand, const node& filter, const std::shared_ptr<environment>& scope
    );

private:
    value evaluate_node(const node& n, const std::shared_ptr<environment>& scope);
    value evaluate_set(const node& n, const std::shared_ptr<environment>& scope);
    value evaluate_for(const node& n, const std::shared_ptr<environment>& scope);
    value evaluate_macro(const node& n, const std::shared_ptr<environment>& scope);
    value evaluate_call(const node& n, const std::shared_ptr<environment>& scope);
    value evaluate_member(const node& n, const std::shared_ptr<environment>& scope);
    value evaluate_slice(
        const value& object, const node& n, const std::shared_ptr<environment>& scope
    );
    [[noreturn]] void fail_at(const node& n, const std::string& message, int kind) const;

    std::string_view source_;
    render_limits limits_;
    int depth_ = 0;
    std::size_t steps_ = 0;
};

// Binary operators, JS semantics (operators.cpp).
value binary_operation(const std::string& op, const value& left, const value& right);
// Named tests such as `is defined` (filters.cpp); throws value_error for an unknown test.
bool run_test(const std::string& name, const value& operand, const value* argument);
bool has_test(const std::string& name);
// Ordering (sorting.cpp): the reference's compareRuntimeValues, the sort/unique filters, dictsort.
int compare_values(const value& a, const value& b, bool case_sensitive);
value sort_values(const value& array, bool reverse, bool case_sensitive, const value& attribute);
value unique_values(const value& array);
value dictsort_entries(const value& object, value_list& args);
// Attribute methods of strings and objects (`s.strip`, `d.items`), undefined when absent.
value builtin_member(const value& object, const std::string& name);

}  // namespace solar::jinja
