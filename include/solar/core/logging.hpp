// Named spdlog loggers, one per component, sharing one sink.
#pragma once

#include <spdlog/spdlog.h>

#include <memory>
#include <string>
#include <string_view>

namespace solar::core {

// Sets the global level and pattern once at program start ("info", "debug", ...).
void init_logging(const std::string& level);

// The component's logger ("control", "http", "proxy", ...), created on first use.
std::shared_ptr<spdlog::logger> component_logger(const std::string& name);

// Writes one line in the loggers' pattern, as logger.log(level, message) would, without
// spdlog's pattern formatter: the access log writes a line per request, and the formatter cost
// a twentieth of a proxied request. The caller checks logger.should_log(level) first.
void write_log_line(
    const spdlog::logger& logger, spdlog::level::level_enum level, std::string_view message
);

}  // namespace solar::core
