// The llama-server log lines solar-host reads from a runner's stderr
// (shared/contracts/llama-server.md section 5): "processing task" / "stop processing" mark a
// request in progress, the print_timing block feeds last-generation. Bare lines, no prefix.
#pragma once

#include <spdlog/logger.h>

#include <cstdint>
#include <memory>
#include <string>

namespace solar::runner {

// "slot launch_slot_: id  0 | task N | processing task".
std::string launch_line(std::int64_t task);

// "slot      release: id  0 | task N | stop processing: n_past = T, truncated = 0|1".
std::string release_line(std::int64_t task, std::size_t tokens, bool truncated);

// The four-line print_timing block for an encoder pass: prompt eval over `prompt_tokens` in
// `prompt_ms`, an eval line with 0 tokens and 0.00 rates (nothing is generated; the host's
// parser wants numbers, not inf or nan), and the total. Lines joined with '\n', no trailing one.
std::string timing_block(
    std::int64_t task, std::size_t prompt_tokens, double prompt_ms, double total_ms
);

// The print_timing block of a generation: `prompt_tokens` evaluated in `prompt_ms`,
// `generated_tokens` in `eval_ms`, and the total of both counts over `total_ms`.
std::string generation_timing_block(
    std::int64_t task,
    std::size_t prompt_tokens,
    double prompt_ms,
    std::size_t generated_tokens,
    double eval_ms,
    double total_ms
);

// "srv  cancel_tasks: cancel task, id_task = N": the client left (no timing block follows).
std::string cancel_line(std::int64_t task);

// A logger that writes messages as they are, one write per message, to stderr (its own sink:
// a shared sink's pattern would be changed for every logger). Created once.
std::shared_ptr<spdlog::logger> bare_logger();

}  // namespace solar::runner
