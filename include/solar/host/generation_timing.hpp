// llama-server's per-request timing block, parsed from its stderr line by line into the body
// of GET /instances/{id}/last-generation.
#pragma once

#include <nlohmann/json.hpp>

#include <cstdint>
#include <functional>
#include <optional>
#include <string_view>

namespace solar::host {

// The timings of one finished request (contract: shared/contracts/llama-server.md section 5).
struct last_generation {
    std::optional<int> slot_id;  // from "slot print_timing: id  0 | task 0 |", when seen
    std::optional<std::int64_t> task_id;

    std::int64_t prompt_tokens = 0;  // prompt tokens evaluated (a cache hit makes it smaller)
    double prompt_ms = 0;
    double prompt_ms_per_token = 0;
    double prompt_tokens_per_second = 0;

    std::int64_t generated_tokens = 0;
    double generation_ms = 0;
    double generation_ms_per_token = 0;
    double generation_tokens_per_second = 0;

    double total_ms = 0;
    std::int64_t total_tokens = 0;

    double finished_at = 0;  // unix seconds, when the total line was read

    bool operator==(const last_generation&) const = default;
};

// A state machine fed every stderr line of one llama-server: a "prompt eval time" line, then an
// "eval time" line, then a "total time" line complete one generation. Other lines between them
// are ignored (another thread may log in between); a new header or prompt line starts over; an
// eval or total line out of order drops the block in progress. Lines may carry a trailing "\r" and
// any spacing the printf formats produce. Not thread-safe: feed it from the one reader of the pipe.
class generation_timing_parser {
public:
    using clock = std::function<double()>;  // unix seconds

    explicit generation_timing_parser(clock now);

    // Consumes one line; returns the generation its "total time" line completes, else nullopt.
    std::optional<last_generation> feed(std::string_view line);

private:
    // An eval or total line out of order: the block in progress cannot be trusted.
    std::optional<last_generation> drop_block();

    enum class state { idle, have_header, have_prompt, have_eval };

    clock now_;
    state state_ = state::idle;
    last_generation pending_;
};

// The current unix time in seconds, with sub-second precision.
double unix_seconds_now();

// The GET /instances/{id}/last-generation body:
// {"prompt_tokens","prompt_ms","prompt_ms_per_token","prompt_tokens_per_second",
//  "generated_tokens","generation_ms","generation_ms_per_token","generation_tokens_per_second",
//  "total_ms","total_tokens","finished_at",
//  the same numbers under llama-server's `timings` names:
//  "prompt_n","prompt_per_token_ms","prompt_per_second",
//  "predicted_n","predicted_ms","predicted_per_token_ms","predicted_per_second",
//  and "slot_id","task_id" when known}.
// ("prompt_ms" is both ours and llama's name.)
nlohmann::json to_json(const last_generation& generation);

}  // namespace solar::host
