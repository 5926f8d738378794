// Model size in parameters: reported by the host, else read from the alias's size tag.
#pragma once

#include <optional>
#include <string_view>

namespace solar::core {

// The parameter count named by the alias's size tag: a number with a unit k, m, b or t
// (case-insensitive), optionally "<experts>x<size>" as in "mixtral:8x7b" (56e9), standing as
// its own token (bounded by the ends or by non-alphanumeric characters; a '.' between digits
// is a decimal point, not a boundary). When several tags appear, the last one wins.
// nullopt when there is no such tag ("llama3", "b") or it names zero.
std::optional<double> parameter_count_from_alias(std::string_view alias);

// `reported` when it is a positive number, else the alias's size tag, else 1 (so that every
// instance weighs something in the balancer).
double effective_parameter_count(std::optional<double> reported, std::string_view alias);

}  // namespace solar::core
