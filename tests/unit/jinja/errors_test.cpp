// Malformed and hostile templates fail with a positioned template_error: no crash, no hang.
#include <gtest/gtest.h>

#include <string>

#include "solar/jinja/template.hpp"

namespace solar::jinja {
namespace {

template_error failure(
    std::string_view text,
    const nlohmann::ordered_json& context = nlohmann::ordered_json::object(),
    const render_options& options = {}
) {
    try {
        const std::string output = render(text, context, options);
        ADD_FAILURE() << "rendered instead of failing: " << output;
    } catch (const template_error& e) {
        return e;
    }
    return template_error(error_kind::runtime, "", 0, 0);
}

TEST(jinja_errors, syntax_errors_carry_line_and_column) {
    const template_error e = failure("line one\n  {{ 'ok' }} {{ 1 + }}");
    EXPECT_EQ(e.kind(), error_kind::syntax);
    EXPECT_EQ(e.line(), 2u);
    EXPECT_EQ(e.column(), 21u);  // the `}}` where an operand was expected
    EXPECT_NE(std::string(e.what()).find("line 2, column 21"), std::string::npos) << e.what();

    const template_error bad_char = failure("ab\ncd {{ x ? y }}");
    EXPECT_EQ(bad_char.line(), 2u);
    EXPECT_EQ(bad_char.column(), 9u);
    EXPECT_NE(bad_char.message().find("Unexpected character: ?"), std::string::npos);
}

TEST(jinja_errors, unterminated_and_mismatched_tags) {
    for (const char* text :
         {"{% if x %}open",
          "{% for x in xs %}open",
          "{{ 'abc",
          "{{ x",
          "{% set x = %}",
          "{# never closed",
          "{% endif %}",
          "{% if %}{% endif %}",
          "{{ x | }}",
          "{{ [1, 2 }}",
          "{{ {'a': 1 }}",
          "{% macro m( %}",
          "{% for in xs %}{% endfor %}",
          "{% unknown %}",
          "{{ f(a=1, 2) }}",
          "{{ 'bad \\q escape' }}",
          "{% if x %}{% else %}{% else %}{% endif %}",
          "{{ x[] }}",
          "{{ x[1:2:3:4] }}",
          "{%"}) {
        const template_error e = failure(text);
        EXPECT_EQ(e.kind(), error_kind::syntax) << text << " -> " << e.what();
    }
}

TEST(jinja_errors, runtime_errors_name_the_problem_and_position) {
    const template_error unknown_filter = failure("x\n{{ xs | frobnicate }}", {{"xs", {1}}});
    EXPECT_EQ(unknown_filter.kind(), error_kind::runtime);
    EXPECT_EQ(unknown_filter.line(), 2u);
    EXPECT_NE(unknown_filter.message().find("frobnicate"), std::string::npos);
    EXPECT_EQ(
        failure("{{ missing + 1 }}").message(), "Cannot perform operation + on undefined values"
    );
    EXPECT_EQ(failure("{{ x is frob }}").message(), "Unknown test: frob");
    EXPECT_EQ(failure("{{ 5() }}").kind(), error_kind::runtime);
    EXPECT_EQ(failure("{% for x in 5 %}{% endfor %}").kind(), error_kind::runtime);
    EXPECT_EQ(failure("{% set x.y = 1 %}").kind(), error_kind::runtime);
}

TEST(jinja_errors, raise_exception_is_its_own_kind) {
    const template_error e = failure("{{ raise_exception('Roles must alternate') }}");
    EXPECT_EQ(e.kind(), error_kind::raised);
    EXPECT_EQ(e.message(), "Roles must alternate");
    EXPECT_EQ(e.line(), 1u);
}

TEST(jinja_errors, deep_nesting_is_refused_not_a_stack_overflow) {
    std::string parens(100000, '(');
    EXPECT_EQ(
        failure("{{ " + parens + "1" + std::string(100000, ')') + " }}").kind(), error_kind::limit
    );
    std::string ifs;
    for (int i = 0; i < 5000; ++i) ifs += "{% if true %}";
    EXPECT_EQ(failure(ifs).kind(), error_kind::limit);
    EXPECT_EQ(failure("{{ " + std::string(50000, '-') + "1 }}").kind(), error_kind::limit);
    EXPECT_EQ(failure("{{ " + std::string(50000, '[') + " }}").kind(), error_kind::limit);
    // Recursion through a macro is bounded too.
    EXPECT_EQ(
        failure("{% macro m(n) %}{{ m(n + 1) }}{% endmacro %}{{ m(0) }}").kind(), error_kind::limit
    );
}

TEST(jinja_errors, output_and_work_are_bounded) {
    render_options options;
    options.limits.max_output_bytes = 1000;
    EXPECT_EQ(
        failure(
            "{% for i in range(100) %}{{ 'xxxxxxxxxxxxxxxxxxxxxxxxxx' }}{% endfor %}", {}, options
        )
            .kind(),
        error_kind::limit
    );
    EXPECT_EQ(
        failure(
            "{% set ns = namespace(s='ab') %}{% for i in range(40) %}{% set ns.s = ns.s + ns.s "
            "%}{% endfor %}",
            {},
            options
        )
            .kind(),
        error_kind::limit
    );
    EXPECT_EQ(failure("{{ range(100000000) | length }}").kind(), error_kind::limit);
    render_options few_steps;
    few_steps.limits.max_steps = 10000;
    EXPECT_EQ(
        failure("{% for i in range(100000) %}{{ i }}{% endfor %}", {}, few_steps).kind(),
        error_kind::limit
    );
}

TEST(jinja_errors, arbitrary_bytes_never_crash) {
    // A cheap fuzz: every prefix of a real template, plus invalid UTF-8, must render or throw
    // template_error.
    const std::string text =
        "{%- for m in messages %}{{- '<|' + m['role'] + '|>\\n' }}{% if m.content is string %}{{ "
        "m.content | trim }}"
        "{% else %}{{ m.content | tojson(indent=2) }}{% endif %}{#- c -#}{% endfor %}\xff\xfe{{ "
        "'x'[::-1] }}";
    const nlohmann::ordered_json context = {{"messages", {{{"role", "user"}, {"content", "hi"}}}}};
    for (std::size_t n = 0; n <= text.size(); ++n) {
        try {
            render(text.substr(0, n), context);
        } catch (const template_error&) {
        }
    }
    SUCCEED();
}

}  // namespace
}  // namespace solar::jinja
