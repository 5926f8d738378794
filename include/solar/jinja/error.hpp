// The one exception the Jinja engine throws: a syntax or runtime failure with its source position.
#pragma once

#include <cstddef>
#include <stdexcept>
#include <string>
#include <utility>

namespace solar::jinja {

// Why a template failed; raise_exception lets a template refuse its input on purpose.
enum class error_kind { syntax, runtime, raised, limit };

class template_error : public std::runtime_error {
public:
    // line and column are 1-based positions in the original template text (0 when unknown).
    template_error(error_kind kind, std::string message, std::size_t line, std::size_t column);

    error_kind kind() const noexcept { return kind_; }
    // The message without the position prefix (for raise_exception: the template's own text).
    const std::string& message() const noexcept { return message_; }
    std::size_t line() const noexcept { return line_; }
    std::size_t column() const noexcept { return column_; }

private:
    error_kind kind_;
    std::string message_;
    std::size_t line_;
    std::size_t column_;
};

// Thrown below the interpreter (values, filters) without a position; the interpreter adds the
// position of the expression being evaluated and rethrows it as a template_error.
class value_error : public std::runtime_error {
public:
    explicit value_error(std::string message, error_kind kind = error_kind::runtime)
        : std::runtime_error(std::move(message)), kind_(kind) {}
    error_kind kind() const noexcept { return kind_; }

private:
    error_kind kind_;
};

}  // namespace solar::jinja
