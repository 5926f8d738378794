// Parsing llama-server's print_timing block: a hand-written scanner for its printf formats.
#include <solar/host/generation_timing.hpp>

#include <charconv>
#include <chrono>
#include <string>

namespace solar::host {

namespace {

bool is_space(char c) { return c == ' ' || c == '\t' || c == '\r' || c == '\n'; }

// Reads the pieces of one line left to right; every step fails softly.
class scanner {
public:
    explicit scanner(std::string_view text) : rest_(text) {}

    void skip_spaces() {
        while (!rest_.empty() && is_space(rest_.front())) rest_.remove_prefix(1);
    }

    // Skips spaces, then consumes `word` exactly.
    bool literal(std::string_view word) {
        skip_spaces();
        if (!rest_.starts_with(word)) return false;
        rest_.remove_prefix(word.size());
        return true;
    }

    template <typename T>
    bool number(T& value) {
        skip_spaces();
        auto [ptr, ec] = std::from_chars(rest_.data(), rest_.data() + rest_.size(), value);
        if (ec != std::errc{}) return false;
        rest_.remove_prefix(static_cast<std::size_t>(ptr - rest_.data()));
        return true;
    }

    bool at_end() {
        skip_spaces();
        return rest_.empty();
    }

private:
    std::string_view rest_;
};

// "<ms> ms / <n> tokens" (the total line) and, when `rates`, " (<ms> ms per token, <r> tokens
// per second)" after it, up to the end of the line.
struct timing_numbers {
    double ms = 0;
    std::int64_t tokens = 0;
    double ms_per_token = 0;
    double per_second = 0;
};

std::optional<timing_numbers> parse_numbers(scanner& in, bool rates) {
    timing_numbers out;
    if (!in.number(out.ms) || !in.literal("ms") || !in.literal("/") || !in.number(out.tokens) ||
        !in.literal("tokens")) {
        return std::nullopt;
    }
    if (rates) {
        if (!in.literal("(") || !in.number(out.ms_per_token) || !in.literal("ms") ||
            !in.literal("per") || !in.literal("token,") || !in.number(out.per_second) ||
            !in.literal("tokens") || !in.literal("per") || !in.literal("second)")) {
            return std::nullopt;
        }
    }
    if (!in.at_end()) return std::nullopt;
    return out;
}

// The numbers after `label` + "=" when the line (leading spaces aside) starts with it.
std::optional<timing_numbers> match_line(
    std::string_view line, std::string_view label, bool rates
) {
    scanner in(line);
    if (!in.literal(label) || !in.literal("=")) return std::nullopt;
    return parse_numbers(in, rates);
}

// "slot print_timing: id  0 | task 0 | " gives slot and task ids when they parse.
bool match_header(std::string_view line, last_generation& out) {
    auto at = line.find("print_timing:");
    if (at == std::string_view::npos) return false;
    scanner in(line.substr(at + std::string_view("print_timing:").size()));
    int slot = 0;
    std::int64_t task = 0;
    if (in.literal("id") && in.number(slot)) {
        out.slot_id = slot;
        if (in.literal("|") && in.literal("task") && in.number(task)) out.task_id = task;
    }
    return true;
}

}  // namespace

generation_timing_parser::generation_timing_parser(clock now) : now_(std::move(now)) {}

std::optional<last_generation> generation_timing_parser::feed(std::string_view line) {
    last_generation header;
    if (match_header(line, header)) {
        pending_ = header;
        state_ = state::have_header;
        return std::nullopt;
    }
    if (auto prompt = match_line(line, "prompt eval time", true)) {
        if (state_ != state::have_header) pending_ = {};
        pending_.prompt_ms = prompt->ms;
        pending_.prompt_tokens = prompt->tokens;
        pending_.prompt_ms_per_token = prompt->ms_per_token;
        pending_.prompt_tokens_per_second = prompt->per_second;
        state_ = state::have_prompt;
        return std::nullopt;
    }
    if (auto eval = match_line(line, "eval time", true)) {
        if (state_ != state::have_prompt) return drop_block();
        pending_.generation_ms = eval->ms;
        pending_.generated_tokens = eval->tokens;
        pending_.generation_ms_per_token = eval->ms_per_token;
        pending_.generation_tokens_per_second = eval->per_second;
        state_ = state::have_eval;
        return std::nullopt;
    }
    if (auto total = match_line(line, "total time", false)) {
        if (state_ != state::have_eval) return drop_block();
        pending_.total_ms = total->ms;
        pending_.total_tokens = total->tokens;
        pending_.finished_at = now_();
        state_ = state::idle;
        auto done = pending_;
        pending_ = {};
        return done;
    }
    return std::nullopt;
}

std::optional<last_generation> generation_timing_parser::drop_block() {
    state_ = state::idle;
    pending_ = {};
    return std::nullopt;
}

double unix_seconds_now() {
    return std::chrono::duration<double>(std::chrono::system_clock::now().time_since_epoch())
        .count();
}

nlohmann::json to_json(const last_generation& g) {
    nlohmann::json out = {
        {"prompt_tokens", g.prompt_tokens},
        {"prompt_ms", g.prompt_ms},
        {"prompt_ms_per_token", g.prompt_ms_per_token},
        {"prompt_tokens_per_second", g.prompt_tokens_per_second},
        {"generated_tokens", g.generated_tokens},
        {"generation_ms", g.generation_ms},
        {"generation_ms_per_token", g.generation_ms_per_token},
        {"generation_tokens_per_second", g.generation_tokens_per_second},
        {"total_ms", g.total_ms},
        {"total_tokens", g.total_tokens},
        {"finished_at", g.finished_at},
        // llama-server's own names, as in its JSON `timings`.
        {"prompt_n", g.prompt_tokens},
        {"prompt_per_token_ms", g.prompt_ms_per_token},
        {"prompt_per_second", g.prompt_tokens_per_second},
        {"predicted_n", g.generated_tokens},
        {"predicted_ms", g.generation_ms},
        {"predicted_per_token_ms", g.generation_ms_per_token},
        {"predicted_per_second", g.generation_tokens_per_second},
    };
    if (g.slot_id) out["slot_id"] = *g.slot_id;
    if (g.task_id) out["task_id"] = *g.task_id;
    return out;
}

}  // namespace solar::host
