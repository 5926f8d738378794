// Rendering basics: whitespace control, loops, conditionals, set/namespace, macros, undefined.
#include "solar/jinja/template.hpp"

#include <gtest/gtest.h>

namespace solar::jinja {
namespace {

std::string r(
    std::string_view text, const nlohmann::ordered_json& context = nlohmann::ordered_json::object()
) {
    return render(text, context);
}

TEST(jinja_template, prints_text_and_expressions) {
    EXPECT_EQ(r("Hello {{ name }}!", {{"name", "world"}}), "Hello world!");
    EXPECT_EQ(
        r("{{ 1 + 2 * 3 }} {{ 7 // 2 }} {{ 7 / 2 }} {{ -7 % 3 }} {{ 2 ** 10 }}"), "7 3 3.5 -1 1024"
    );
    EXPECT_EQ(r("{{ 'a' ~ 1 ~ true }} {{ 'x' + 2 }}"), "a1true x2");
    EXPECT_EQ(r("{{ 1.0 }} {{ 2.5 }} {{ true }} {{ none }}"), "1.0 2.5 true ");
}

TEST(jinja_template, whitespace_control_and_block_trimming) {
    EXPECT_EQ(r("a  {%- if true -%}  b  {%- endif -%}  c"), "abc");
    EXPECT_EQ(r("a  {{- 'b' -}}  c"), "abc");
    // trim_blocks removes the newline after a tag; lstrip_blocks the indentation before it.
    EXPECT_EQ(r("{% if true %}\n    x\n    {% endif %}\ny"), "    x\ny");
    EXPECT_EQ(r("line\n"), "line");
    EXPECT_EQ(r("a {#- note -#} b"), "ab");
}

TEST(jinja_template, loop_variables_and_else) {
    const nlohmann::ordered_json ctx = {{"xs", {"a", "b", "c"}}};
    EXPECT_EQ(
        r("{% for x in xs %}{{ loop.index }}{{ loop.index0 }}{{ loop.revindex }}{{ x }}"
          "{% if loop.first %}F{% endif %}{% if loop.last %}L{{ loop.length }}{% endif %},{% "
          "endfor %}",
          ctx),
        "103aF,212b,321cL3,"
    );
    EXPECT_EQ(r("{% for x in [] %}x{% else %}empty{% endfor %}"), "empty");
    EXPECT_EQ(r("{% for x in xs if x != 'b' %}{{ x }}{% endfor %}", ctx), "ac");
    EXPECT_EQ(
        r("{% for x in xs %}{% if x == 'b' %}{% continue %}{% endif %}{{ x }}{% endfor %}", ctx),
        "ac"
    );
    EXPECT_EQ(
        r("{% for x in xs %}{% if x == 'b' %}{% break %}{% endif %}{{ x }}{% endfor %}", ctx), "a"
    );
    EXPECT_EQ(
        r("{% for k, v in {'a': 1, 'b': 2}.items() %}{{ k }}={{ v }};{% endfor %}"), "a=1;b=2;"
    );
}

TEST(jinja_template, scoping_set_and_namespace) {
    // A set inside a loop stays in the loop; a namespace carries state out of it.
    EXPECT_EQ(r("{% set x = 1 %}{% for i in [1,2] %}{% set x = i %}{% endfor %}{{ x }}"), "1");
    EXPECT_EQ(
        r("{% set ns = namespace(n=0) %}{% for i in [1,2,3] %}{% set ns.n = ns.n + i %}{% endfor "
          "%}{{ ns.n }}"),
        "6"
    );
    EXPECT_EQ(r("{% if true %}{% set y = 'in' %}{% endif %}{{ y }}"), "in");
    EXPECT_EQ(r("{% set a, b = [1, 2] %}{{ b }}{{ a }}"), "21");
    EXPECT_EQ(r("{% set block %}x{{ 1 }}{% endset %}[{{ block }}]"), "[x1]");
}

TEST(jinja_template, conditionals_tests_and_membership) {
    EXPECT_EQ(
        r("{% if x is defined %}d{% elif y is none %}n{% else %}e{% endif %}", {{"y", nullptr}}),
        "n"
    );
    EXPECT_EQ(
        r("{{ 'yes' if 'b' in 'abc' else 'no' }} {{ 2 not in [1, 3] }} {{ 'k' in {'k': 1} }}"),
        "yes true true"
    );
    EXPECT_EQ(
        r("{{ x is string }}{{ x is mapping }}{{ [1] is iterable }}{{ 3 is odd }}", {{"x", "s"}}),
        "truefalsetruetrue"
    );
}

TEST(jinja_template, undefined_prints_empty_and_chains) {
    EXPECT_EQ(
        r("[{{ missing }}][{{ missing.attr }}][{{ obj.nope }}]", {{"obj", {{"a", 1}}}}), "[][][]"
    );
    EXPECT_EQ(r("{{ missing | default('d') }}"), "d");
}

TEST(jinja_template, macros) {
    EXPECT_EQ(
        r("{% macro greet(name, punct='!') %}Hi {{ name }}{{ punct }}{% endmacro %}{{ greet('a') "
          "}} {{ greet('b', punct='?') }}"),
        "Hi a! Hi b?"
    );
}

TEST(jinja_template, strftime_now_uses_the_injected_clock) {
    render_options options;
    options.clock = [] {
        return std::chrono::system_clock::time_point(std::chrono::seconds(1721952000));
    };
    EXPECT_EQ(
        render(
            "{{ strftime_now('%d %b %Y %H:%M %B') }}", nlohmann::ordered_json::object(), options
        ),
        "26 Jul 2024 00:00 July"
    );
}

}  // namespace
}  // namespace solar::jinja
