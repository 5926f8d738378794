// llama-server's slot and timing lines, in its printf formats.
#include <solar/runner/slot_log.hpp>

#include <spdlog/sinks/stdout_sinks.h>
#include <spdlog/spdlog.h>

#include <cstdio>
#include <mutex>

namespace solar::runner {

namespace {

std::string printf_line(const char* format, auto... args) {
    char buffer[256];
    int n = std::snprintf(buffer, sizeof buffer, format, args...);
    return std::string(buffer, n < 0 ? 0 : std::min<std::size_t>(n, sizeof buffer - 1));
}

}  // namespace

std::string launch_line(std::int64_t task) {
    return printf_line("slot launch_slot_: id  0 | task %lld | processing task", (long long)task);
}

std::string release_line(std::int64_t task, std::size_t tokens, bool truncated) {
    return printf_line(
        "slot      release: id  0 | task %lld | stop processing: n_past = %zu, truncated = %d",
        (long long)task,
        tokens,
        truncated ? 1 : 0
    );
}

std::string timing_block(
    std::int64_t task, std::size_t prompt_tokens, double prompt_ms, double total_ms
) {
    return generation_timing_block(task, prompt_tokens, prompt_ms, 0, 0.0, total_ms);
}

std::string generation_timing_block(
    std::int64_t task,
    std::size_t prompt_tokens,
    double prompt_ms,
    std::size_t generated_tokens,
    double eval_ms,
    double total_ms
) {
    // Rates of zero (not inf or nan) for empty or instant phases: the host parses numbers.
    auto per_token = [](double ms, std::size_t n) { return n ? ms / static_cast<double>(n) : 0.0; };
    auto per_second = [](double ms, std::size_t n) {
        return ms > 0 ? 1e3 * static_cast<double>(n) / ms : 0.0;
    };
    std::string out = printf_line("slot print_timing: id  0 | task %lld | ", (long long)task);
    out += '\n';
    out += printf_line(
        "prompt eval time = %10.2f ms / %5d tokens (%8.2f ms per token, %8.2f tokens per second)",
        prompt_ms,
        static_cast<int>(prompt_tokens),
        per_token(prompt_ms, prompt_tokens),
        per_second(prompt_ms, prompt_tokens)
    );
    out += '\n';
    out += printf_line(
        "       eval time = %10.2f ms / %5d tokens (%8.2f ms per token, %8.2f tokens per second)",
        eval_ms,
        static_cast<int>(generated_tokens),
        per_token(eval_ms, generated_tokens),
        per_second(eval_ms, generated_tokens)
    );
    out += '\n';
    out += printf_line(
        "      total time = %10.2f ms / %5d tokens",
        total_ms,
        static_cast<int>(prompt_tokens + generated_tokens)
    );
    return out;
}

std::string cancel_line(std::int64_t task) {
    return printf_line("srv  cancel_tasks: cancel task, id_task = %lld", (long long)task);
}

std::shared_ptr<spdlog::logger> bare_logger() {
    static std::once_flag once;
    static std::shared_ptr<spdlog::logger> logger;
    std::call_once(once, [] {
        logger = std::make_shared<spdlog::logger>(
            "runner-bare", std::make_shared<spdlog::sinks::stderr_sink_mt>()
        );
        logger->set_pattern("%v");
        logger->set_level(spdlog::level::trace);
        logger->flush_on(spdlog::level::trace);
    });
    return logger;
}

}  // namespace solar::runner
