// template_error: the engine's one exception type, with its position folded into what().
#include "solar/jinja/error.hpp"

namespace solar::jinja {

template_error::template_error(
    error_kind kind, std::string message, std::size_t line, std::size_t column
)
    : std::runtime_error(
          line ? message + " (line " + std::to_string(line) + ", column " + std::to_string(column) +
                     ")"
               : message
      ),
      kind_(kind),
      message_(std::move(message)),
      line_(line),
      column_(column) {}

}  // namespace solar::jinja
