// Syntax tree of a parsed template: one node type whose fields each kind documents below.
#pragma once

#include <cstddef>
#include <memory>
#include <string>
#include <vector>

namespace solar::jinja {

enum class node_kind {
    // Statements.
    text,           // name: the text
    comment,        //
    set,            // a: target, b: value (null for a block set), body: the block
    if_block,       // a: test, body, alternate (an elif is one nested if_block)
    for_loop,       // a: loop variable(s), b: iterable (a select for `for x in y if c`), body,
                    // alternate: else
    break_loop,     //
    continue_loop,  //
    macro,          // name, list: parameters (identifier or keyword_argument), body
    filter_block,   // a: the filter (identifier or call), body
    // Expressions.
    integer_literal,   // number
    float_literal,     // number
    string_literal,    // name: the string
    array_literal,     // list
    tuple_literal,     // list
    object_literal,    // list: key, value, key, value, ...
    identifier,        // name
    member,            // a: object, b: property, flag: computed (`[...]`)
    call,              // a: callee, list: arguments
    binary,            // name: operator, a, b
    unary,             // name: operator, a
    filter,            // a: operand, b: the filter (identifier or call)
    test,              // a: operand, name: the test, flag: negated
    select,            // a: value, b: condition (`a if b` without else)
    ternary,           // a: condition, b: if true, c: if false
    slice,             // a: start, b: stop, c: step (each may be null)
    keyword_argument,  // name: key, a: value
    spread,            // a: `*args`
    keyword_spread,    // a: `**kwargs`
};

struct node;
using node_ptr = std::shared_ptr<const node>;

struct node {
    node_kind kind;
    // Byte offset in the original template, for error positions.
    std::size_t offset = 0;
    std::string name;
    double number = 0;
    bool flag = false;
    node_ptr a, b, c;
    std::vector<node_ptr> list, body, alternate;
};

}  // namespace solar::jinja
