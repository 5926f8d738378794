// Named spdlog loggers, one per component, sharing one sink.
#pragma once

#include <spdlog/spdlog.h>

#include <memory>
#include <string>

namespace solar::core {

// Sets the global level and pattern once at program start ("info", "debug", ...).
void init_logging(const std::string& level);

// The component's logger ("control", "http", "proxy", ...), created on first use.
std::shared_ptr<spdlog::logger> component_logger(const std::string& name);

}  // namespace solar::core
