// The completion handlers: request → prompt ids (blocking pool) → scheduler → whole answer or
// SSE, always raced against the client leaving, which cancels the generation at once.
#include <solar/core/blocking.hpp>
#include <solar/core/random.hpp>
#include <solar/runner/completion_request.hpp>
#include <solar/runner/completion_response.hpp>
#include <solar/runner/generation_routes.hpp>
#include <solar/runner/route_support.hpp>
#include <solar/runner/slot_log.hpp>

#include <boost/asio/as_tuple.hpp>
#include <boost/asio/experimental/awaitable_operators.hpp>
#include <boost/system/system_error.hpp>

#include <array>
#include <chrono>

namespace solar::runner {

namespace {

using namespace asio::experimental::awaitable_operators;
namespace http = core::http;
using json = nlohmann::json;
using ojson = nlohmann::ordered_json;
constexpr auto use_tuple = asio::as_tuple(asio::use_awaitable);
constexpr auto write_timeout = std::chrono::seconds(30);

core::response error(const core::request_context& ctx, const core::api_error& e) {
    return core::error_response(e, ctx.req);
}

std::string random_id(const char* prefix) {
    std::array<unsigned char, 12> bytes{};
    core::random_bytes(bytes);
    return prefix + core::to_hex(bytes);
}

std::uint64_t random_seed() {
    std::array<unsigned char, 8> bytes{};
    core::random_bytes(bytes);
    std::uint64_t seed = 0;
    for (auto b : bytes) seed = seed << 8 | b;
    return seed;
}

// The prompt's token ids, or the 400 to answer with.
struct prompt_outcome {
    std::vector<std::int32_t> ids;
    std::optional<core::api_error> problem;
};

prompt_outcome prepare_prompt(runner_service& s, completion_kind kind, const json& body) {
    prompt_outcome out;
    const auto& tokenizer = s.tokenizer();
    const char* param = kind == completion_kind::chat ? "messages" : "prompt";
    if (kind == completion_kind::chat) {
        auto messages = parse_messages(body);
        if (!messages) {
            out.problem = messages.error();
            return out;
        }
        auto rendered = s.causal().chat->render(*messages);
        if (!rendered) {
            out.problem = core::bad_request(
                "The chat template refused the messages: " + rendered.error(),
                "messages",
                "invalid_value"
            );
            return out;
        }
        // The template writes the special tokens itself (HF's apply_chat_template).
        out.ids = tokenizer.encode(*rendered, false, 0).ids;
    } else {
        auto prompt = parse_prompt(body, s.facts().vocab_size);
        if (!prompt) {
            out.problem = prompt.error();
            return out;
        }
        if (auto* text = std::get_if<std::string>(&*prompt)) {
            out.ids = tokenizer.encode(*text, true, 0).ids;
        } else {
            out.ids = std::get<std::vector<std::int32_t>>(std::move(*prompt));
        }
    }
    if (out.ids.empty()) {
        out.problem = core::bad_request("The prompt has no tokens", param, "invalid_value");
    } else if (out.ids.size() >= s.max_length()) {
        out.problem = core::bad_request(
            "The prompt has " + std::to_string(out.ids.size()) +
                " tokens; this model's limit for prompt and completion is " +
                std::to_string(s.max_length()),
            param,
            "context_length_exceeded"
        );
    }
    return out;
}

// What the scheduler sent back, gathered by collect() or stream_events().
struct generation_outcome {
    std::string text;
    std::vector<sampled_token> tokens;
    finish_reason finish = finish_reason::none;
    generation_stats stats;
    std::string error;
    std::size_t received = 0;  // tokens seen so far
    bool client_left = false;
};

void absorb(generation_outcome& out, generation_event& e) {
    out.received += e.tokens.empty() ? (e.text.empty() ? 0 : 1) : e.tokens.size();
    if (e.finish != finish_reason::none) {
        out.finish = e.finish;
        out.stats = e.stats;
        out.error = std::move(e.error);
    }
}

asio::awaitable<void> collect(generation_stream& stream, generation_outcome& out) {
    while (out.finish == finish_reason::none) {
        std::vector<generation_event> events;
        auto next = stream.next();
        events = co_await std::move(next);
        if (events.empty()) co_return;
        for (auto& e : events) {
            out.text += e.text;
            out.tokens.insert(out.tokens.end(), e.tokens.begin(), e.tokens.end());
            absorb(out, e);
        }
    }
}

// One streamed request: its envelope and what the chunks need.
struct sse_context {
    completion_envelope envelope;
    bool logprobs = false;
    bool include_usage = false;
    token_text_fn text_of;
};

std::string sse(const std::string& data) { return "data: " + data + "\n\n"; }

asio::awaitable<bool> write_chunk(core::request_context& ctx, const std::string& payload) {
    ctx.stream.expires_after(write_timeout);
    auto [ec, n] =
        co_await asio::async_write(ctx.stream, http::make_chunk(asio::buffer(payload)), use_tuple);
    co_return !ec;
}

asio::awaitable<void> stream_events(
    core::request_context& ctx,
    generation_stream& stream,
    const sse_context& sc,
    generation_outcome& out
) {
    std::vector<sampled_token> held;  // tokens whose text has not been shown yet
    while (out.finish == finish_reason::none) {
        std::vector<generation_event> events;
        auto next = stream.next();
        events = co_await std::move(next);
        if (events.empty()) co_return;
        std::string payload;
        std::string text;
        for (auto& e : events) {
            text += e.text;
            held.insert(held.end(), e.tokens.begin(), e.tokens.end());
            absorb(out, e);
        }
        if (!text.empty()) {
            std::optional<ojson> lp;
            if (sc.logprobs) lp = logprobs_json(sc.envelope.kind, held, sc.text_of);
            held.clear();
            payload += sse(completion_chunk(sc.envelope, text, lp, finish_reason::none));
        }
        if (out.finish == finish_reason::stop || out.finish == finish_reason::length) {
            std::optional<ojson> lp;
            if (sc.logprobs && !held.empty())
                lp = logprobs_json(sc.envelope.kind, held, sc.text_of);
            payload += sse(completion_chunk(sc.envelope, "", lp, out.finish));
            if (sc.include_usage) {
                payload += sse(
                    usage_chunk(sc.envelope, out.stats.prompt_tokens, out.stats.generated_tokens)
                );
            }
            payload += sse("[DONE]");
        } else if (out.finish == finish_reason::error) {
            core::api_error failure =
                out.error == "shutting down"
                    ? core::service_unavailable("The runner is shutting down", "shutting_down")
                    : core::internal_error("The model failed: " + out.error);
            payload += sse(core::error_body(failure));
        }
        if (payload.empty()) continue;
        if (!co_await write_chunk(ctx, payload)) {
            out.client_left = true;
            co_return;
        }
    }
}

asio::awaitable<bool> write_sse_head(core::request_context& ctx) {
    http::response<http::empty_body> head{http::status::ok, ctx.req.version()};
    head.set(http::field::content_type, "text/event-stream");
    head.set(http::field::cache_control, "no-cache");
    head.set("x-accel-buffering", "no");
    head.set("x-request-id", ctx.request_id);
    head.chunked(true);
    head.keep_alive(ctx.req.keep_alive());
    http::response_serializer<http::empty_body> serializer{head};
    ctx.stream.expires_after(write_timeout);
    auto [ec, n] = co_await http::async_write_header(ctx.stream, serializer, use_tuple);
    ctx.written_status = 200;
    co_return !ec;
}

// Runs `work` against client_gone; true when the client left first.
asio::awaitable<bool> unless_client_leaves(core::request_context& ctx, asio::awaitable<void> work) {
    auto gone = client_gone(ctx);
    auto race = std::move(work) || std::move(gone);
    try {
        auto winner = co_await std::move(race);
        co_return winner.index() == 1;
    } catch (const boost::system::system_error& e) {
        if (e.code() != asio::error::operation_aborted) throw;
    }
    co_return true;
}

asio::awaitable<core::handler_result> complete(
    runner_service& s, core::request_context& ctx, completion_kind kind
) {
    if (auto refused = gate(s, ctx, runner_task::causal)) co_return std::move(*refused);
    auto body = parse_body(ctx);
    if (!body) co_return error(ctx, body.error());
    auto options = parse_completion_options(*body, kind, s.causal().defaults);
    if (!options) co_return error(ctx, options.error());
    if (kind == completion_kind::chat && !s.causal().chat) {
        co_return error(
            ctx,
            core::bad_request(
                "This model has no chat template (tokenizer_config.json chat_template or "
                "chat_template.jinja); use /v1/completions",
                "messages",
                "chat_template_missing"
            )
        );
    }
    ctx.note.model = model_name(s, *body);
    const json& request_body = *body;
    prompt_outcome prompt;
    prompt = co_await core::run_blocking(s.blocking(), [&] {
        return prepare_prompt(s, kind, request_body);
    });
    if (prompt.problem) co_return error(ctx, *prompt.problem);

    generation_request request;
    request.sampling = options->sampling;
    request.seed = options->seed ? *options->seed : random_seed();
    std::size_t room = s.max_length() - prompt.ids.size();
    request.max_tokens = std::min(options->max_tokens.value_or(room), room);
    request.stop = options->stop;
    request.eos_ids = s.causal().eos_ids;
    request.logprobs = options->logprobs;
    request.top_logprobs = options->top_logprobs;
    request.prompt = std::move(prompt.ids);
    std::size_t prompt_tokens = request.prompt.size();

    auto task = s.next_task();
    auto log = bare_logger();
    log->info(launch_line(task));
    auto stream = s.scheduler().submit(std::move(request));

    completion_envelope envelope{
        kind,
        random_id(kind == completion_kind::chat ? "chatcmpl-" : "cmpl-"),
        unix_now(),
        ctx.note.model};
    const auto& tokenizer = s.tokenizer();
    token_text_fn text_of = [&tokenizer](std::int32_t id) {
        std::array<std::int32_t, 1> one{id};
        return tokenizer.decode(one, false);
    };
    generation_outcome out;
    bool left = false;
    if (options->stream) {
        sse_context sc{envelope, options->logprobs, options->include_usage, text_of};
        bool head_written = co_await write_sse_head(ctx);
        if (head_written && kind == completion_kind::chat) {
            auto role =
                sse(completion_chunk(envelope, "", std::nullopt, finish_reason::none, true));
            head_written = co_await write_chunk(ctx, role);
        }
        if (head_written) {
            auto work = stream_events(ctx, *stream, sc, out);
            auto race = unless_client_leaves(ctx, std::move(work));
            left = co_await std::move(race);
        }
        left = left || !head_written || out.client_left;
    } else {
        auto work = collect(*stream, out);
        auto race = unless_client_leaves(ctx, std::move(work));
        left = co_await std::move(race);
    }

    if (left) {
        stream->cancel();
        s.scheduler().poke();
        log->info(cancel_line(task));
        log->info(release_line(task, prompt_tokens + out.received, false));
        ctx.close_connection = true;
        if (!options->stream) ctx.written_status = 499;
        co_return core::handler_result{};
    }
    const auto& st = out.stats;
    if (out.finish == finish_reason::stop || out.finish == finish_reason::length) {
        log->info(generation_timing_block(
            task,
            st.prompt_tokens,
            st.prompt_ms,
            st.generated_tokens,
            st.decode_ms,
            st.prompt_ms + st.decode_ms
        ));
    }
    log->info(release_line(task, st.prompt_tokens + st.generated_tokens, false));
    if (options->stream) {
        ctx.stream.expires_after(write_timeout);
        auto [ec, n] = co_await asio::async_write(ctx.stream, http::make_chunk_last(), use_tuple);
        if (ec || !ctx.req.keep_alive()) ctx.close_connection = true;
        co_return core::handler_result{};
    }
    if (out.finish == finish_reason::error) {
        if (out.error == "shutting down") {
            co_return error(
                ctx, core::service_unavailable("The runner is shutting down", "shutting_down")
            );
        }
        co_return error(ctx, core::internal_error("The model failed: " + out.error));
    }
    std::optional<ojson> lp;
    if (options->logprobs) lp = logprobs_json(kind, out.tokens, text_of);
    co_return core::json_response(
        http::status::ok,
        completion_body(envelope, out.text, lp, out.finish, prompt_tokens, st.generated_tokens),
        ctx.req
    );
}

}  // namespace

void add_generation_routes(core::router& routes, runner_service& service) {
    auto* s = &service;
    routes.add(http::verb::post, "/v1/completions", [s](core::request_context& ctx) {
        return complete(*s, ctx, completion_kind::text);
    });
    routes.add(http::verb::post, "/v1/chat/completions", [s](core::request_context& ctx) {
        return complete(*s, ctx, completion_kind::chat);
    });
}

}  // namespace solar::runner
