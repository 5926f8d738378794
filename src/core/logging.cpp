// One stderr sink shared by all component loggers.
#include <solar/core/logging.hpp>

#include <spdlog/details/console_globals.h>
#include <spdlog/sinks/stdout_sinks.h>

#include <array>
#include <chrono>
#include <cstdio>
#include <ctime>
#include <mutex>

namespace solar::core {

namespace {

// The pattern every logger uses; write_log_line writes the same by hand.
constexpr const char* line_pattern = "%Y-%m-%dT%H:%M:%S.%e%z %^%l%$ [%n] %v";

std::shared_ptr<spdlog::sinks::sink> shared_sink() {
    static auto sink = std::make_shared<spdlog::sinks::stderr_sink_mt>();
    return sink;
}

// "2026-12-02T13:41:18" and "+00:00" (local time, as spdlog's %Y..%S and %z) for one second,
// recomputed when the second changes.
struct second_stamp {
    std::time_t second = -1;
    std::array<char, 32> date_time{};
    std::size_t date_time_size = 0;
    std::array<char, 8> zone{};

    void update(std::time_t now) {
        second = now;
        std::tm local{};
        localtime_r(&now, &local);
        date_time_size =
            std::strftime(date_time.data(), date_time.size(), "%Y-%m-%dT%H:%M:%S", &local);
        long offset_minutes = local.tm_gmtoff / 60;
        zone[0] = offset_minutes < 0 ? '-' : '+';
        if (offset_minutes < 0) offset_minutes = -offset_minutes;
        auto hours = static_cast<int>(offset_minutes / 60 % 100);
        auto minutes = static_cast<int>(offset_minutes % 60);
        zone[1] = static_cast<char>('0' + hours / 10);
        zone[2] = static_cast<char>('0' + hours % 10);
        zone[3] = ':';
        zone[4] = static_cast<char>('0' + minutes / 10);
        zone[5] = static_cast<char>('0' + minutes % 10);
        zone[6] = '\0';
    }
};

}  // namespace

void init_logging(const std::string& level) {
    spdlog::set_level(spdlog::level::from_str(level));
    spdlog::set_pattern(line_pattern);
}

std::shared_ptr<spdlog::logger> component_logger(const std::string& name) {
    static std::mutex mutex;
    std::lock_guard lock(mutex);
    if (auto existing = spdlog::get(name)) return existing;
    auto logger = std::make_shared<spdlog::logger>(name, shared_sink());
    logger->set_level(spdlog::get_level());
    logger->set_pattern(line_pattern);
    spdlog::register_logger(logger);
    return logger;
}

void write_log_line(
    const spdlog::logger& logger, spdlog::level::level_enum level, std::string_view message
) {
    auto since_epoch = std::chrono::system_clock::now().time_since_epoch();
    auto seconds = std::chrono::duration_cast<std::chrono::seconds>(since_epoch);
    auto millis = std::chrono::duration_cast<std::chrono::milliseconds>(since_epoch - seconds);
    thread_local second_stamp stamp;
    if (stamp.second != seconds.count()) stamp.update(seconds.count());

    thread_local std::string line;
    line.assign(stamp.date_time.data(), stamp.date_time_size);
    auto ms = static_cast<int>(millis.count());
    line.push_back('.');
    line.push_back(static_cast<char>('0' + ms / 100));
    line.push_back(static_cast<char>('0' + ms / 10 % 10));
    line.push_back(static_cast<char>('0' + ms % 10));
    line.append(stamp.zone.data());
    line.push_back(' ');
    auto level_name = spdlog::level::to_string_view(level);
    line.append(level_name.data(), level_name.size());
    line.append(" [");
    line.append(logger.name());
    line.append("] ");
    line.append(message);
    line.push_back('\n');

    // The stderr sink's own lock, so that lines from both paths never interleave.
    std::lock_guard lock(spdlog::details::console_mutex::mutex());
    std::fwrite(line.data(), 1, line.size(), stderr);
    std::fflush(stderr);
}

}  // namespace solar::core
