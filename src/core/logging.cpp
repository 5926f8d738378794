// One stderr sink shared by all component loggers.
#include <solar/core/logging.hpp>

#include <spdlog/sinks/stdout_sinks.h>

#include <mutex>

namespace solar::core {

namespace {

std::shared_ptr<spdlog::sinks::sink> shared_sink() {
    static auto sink = std::make_shared<spdlog::sinks::stderr_sink_mt>();
    return sink;
}

}  // namespace

void init_logging(const std::string& level) {
    spdlog::set_level(spdlog::level::from_str(level));
    spdlog::set_pattern("%Y-%m-%dT%H:%M:%S.%e%z %^%l%$ [%n] %v");
}

std::shared_ptr<spdlog::logger> component_logger(const std::string& name) {
    static std::mutex mutex;
    std::lock_guard lock(mutex);
    if (auto existing = spdlog::get(name)) return existing;
    auto logger = std::make_shared<spdlog::logger>(name, shared_sink());
    logger->set_level(spdlog::get_level());
    logger->set_pattern("%Y-%m-%dT%H:%M:%S.%e%z %^%l%$ [%n] %v");
    spdlog::register_logger(logger);
    return logger;
}

}  // namespace solar::core
