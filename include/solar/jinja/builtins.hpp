// Global functions every template sees: namespace, raise_exception, range, strftime_now, booleans.
#pragma once

#include <chrono>
#include <functional>
#include <memory>

#include "solar/jinja/interpreter.hpp"

namespace solar::jinja {

using clock_function = std::function<std::chrono::system_clock::time_point()>;

// Declares the globals in scope; strftime_now reads `clock` and formats in UTC.
void install_globals(environment& scope, clock_function clock);

}  // namespace solar::jinja
