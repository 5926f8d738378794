// The runner's route table and handlers: parse, tokenize on the blocking pool, one batched
// forward pass raced against the client leaving, then the response and llama-server's lines.
#include <solar/core/blocking.hpp>
#include <solar/core/logging.hpp>
#include <solar/core/random.hpp>
#include <solar/runner/classify_api.hpp>
#include <solar/runner/embeddings_api.hpp>
#include <solar/runner/generation_routes.hpp>
#include <solar/runner/request_inputs.hpp>
#include <solar/runner/route_support.hpp>
#include <solar/runner/server_routes.hpp>
#include <solar/runner/slot_log.hpp>

#include <boost/asio/as_tuple.hpp>
#include <boost/asio/experimental/awaitable_operators.hpp>
#include <boost/asio/steady_timer.hpp>
#include <boost/system/system_error.hpp>

#include <array>
#include <chrono>

namespace solar::runner {

namespace {

using namespace asio::experimental::awaitable_operators;
namespace http = core::http;
using json = nlohmann::json;
constexpr auto use_tuple = asio::as_tuple(asio::use_awaitable);

core::response error(const core::request_context& ctx, const core::api_error& e) {
    return core::error_response(e, ctx.req);
}

core::response ok(const core::request_context& ctx, std::string body) {
    return core::json_response(http::status::ok, std::move(body), ctx.req);
}

// The outcome of one request's trip through the batcher.
struct pass_outcome {
    std::optional<batch_result> result;  // nullopt: the client left or the runner is stopping
    bool client_left = false;
};

asio::awaitable<pass_outcome> run_pass(
    runner_service& s, core::request_context& ctx, batch_job& job
) {
    auto pass = s.batcher().submit(job);
    auto gone = client_gone(ctx);
    auto race = std::move(pass) || std::move(gone);
    pass_outcome out;
    try {
        auto winner = co_await std::move(race);
        if (winner.index() == 0) {
            out.result = std::move(std::get<0>(winner));
        } else {
            out.client_left = true;
        }
    } catch (const boost::system::system_error& e) {
        if (e.code() != asio::error::operation_aborted) throw;
    }
    co_return out;
}

// Tokenizes on the blocking pool (STYLE 5), runs the pass and prints the slot lines around it;
// fills `error_out` or `rows_out`. Returns a response to send instead when there is one.
struct model_answer {
    std::optional<core::handler_result> early;  // an error, or nullopt for a client that left
    std::vector<std::vector<float>> rows;
    std::size_t tokens = 0;
};

asio::awaitable<model_answer> infer(
    runner_service& s,
    core::request_context& ctx,
    const std::vector<model_input>& inputs,
    bool truncate
) {
    model_answer answer;
    const auto& tokenizer = s.tokenizer();
    std::size_t max_length = s.max_length();
    api_result<prepared_inputs> prepared = prepared_inputs{};
    prepared = co_await core::run_blocking(s.blocking(), [&] {
        return prepare_inputs(inputs, tokenizer, max_length, truncate);
    });
    if (!prepared) {
        answer.early = error(ctx, prepared.error());
        co_return answer;
    }
    answer.tokens = prepared->tokens;
    auto task = s.next_task();
    auto log = bare_logger();
    log->info(launch_line(task));
    batch_job job{std::move(prepared->ids), std::move(prepared->type_ids)};
    auto outcome = co_await run_pass(s, ctx, job);
    if (outcome.client_left) {
        log->info("srv  cancel_tasks: cancel task, id_task = {}", task);
        ctx.written_status = 499;
        ctx.close_connection = true;
        answer.early = core::handler_result{};
        co_return answer;
    }
    if (!outcome.result) {
        log->info(release_line(task, answer.tokens, false));
        answer.early =
            error(ctx, core::service_unavailable("The runner is shutting down", "shutting_down"));
        co_return answer;
    }
    double total_ms =
        std::chrono::duration<double, std::milli>(std::chrono::steady_clock::now() - ctx.started)
            .count();
    log->info(timing_block(task, answer.tokens, outcome.result->forward_ms, total_ms));
    log->info(release_line(task, answer.tokens, false));
    answer.rows = std::move(outcome.result->rows);
    co_return answer;
}

asio::awaitable<core::handler_result> embeddings(runner_service& s, core::request_context& ctx) {
    if (auto refused = gate(s, ctx, runner_task::embedding)) co_return std::move(*refused);
    auto body = parse_body(ctx);
    if (!body) co_return error(ctx, body.error());
    // Token-id inputs go to the model as they are: check them against its vocabulary.
    auto vocab = s.facts().vocab_size ? s.facts().vocab_size : s.tokenizer().vocab_size();
    auto inputs = parse_inputs(*body, true, vocab);
    if (!inputs) co_return error(ctx, inputs.error());
    auto truncate = parse_truncate(*body);
    if (!truncate) co_return error(ctx, truncate.error());
    auto options = parse_embedding_options(*body, s.facts().hidden_size);
    if (!options) co_return error(ctx, options.error());
    ctx.note.model = model_name(s, *body);

    auto answer = co_await infer(s, ctx, *inputs, *truncate);
    if (answer.early) co_return std::move(*answer.early);
    if (options->dimensions) {
        shorten_embeddings(answer.rows, *options->dimensions, s.config().normalize);
    }
    co_return ok(ctx, embeddings_body(answer.rows, options->base64, ctx.note.model, answer.tokens));
}

asio::awaitable<core::handler_result> classify(runner_service& s, core::request_context& ctx) {
    if (auto refused = gate(s, ctx, runner_task::classification)) co_return std::move(*refused);
    auto body = parse_body(ctx);
    if (!body) co_return error(ctx, body.error());
    auto inputs = parse_inputs(*body, false, 0);
    if (!inputs) co_return error(ctx, inputs.error());
    auto truncate = parse_truncate(*body);
    if (!truncate) co_return error(ctx, truncate.error());
    auto top_k = parse_top_k(*body);
    if (!top_k) co_return error(ctx, top_k.error());
    ctx.note.model = model_name(s, *body);

    auto answer = co_await infer(s, ctx, *inputs, *truncate);
    if (answer.early) co_return std::move(*answer.early);
    std::vector<std::vector<label_score>> scores;
    scores.reserve(answer.rows.size());
    for (const auto& row : answer.rows) scores.push_back(score_labels(row, s.labels()));
    std::array<unsigned char, 12> id{};
    core::random_bytes(id);
    auto out = classify_body(
        scores, *top_k, "clf-" + core::to_hex(id), unix_now(), ctx.note.model, answer.tokens
    );
    co_return ok(ctx, out.dump());
}

asio::awaitable<core::handler_result> tokenize(runner_service& s, core::request_context& ctx) {
    if (auto refused = gate(s, ctx, std::nullopt)) co_return std::move(*refused);
    auto body = parse_body(ctx);
    if (!body) co_return error(ctx, body.error());
    auto content = body->find("content");
    if (content == body->end() || !content->is_string()) {
        co_return error(
            ctx, core::bad_request("'content' must be a string", "content", "invalid_type")
        );
    }
    bool add_special = false;
    bool with_pieces = false;
    for (auto [name, flag] :
         {std::pair{"add_special", &add_special}, std::pair{"with_pieces", &with_pieces}}) {
        auto it = body->find(name);
        if (it == body->end() || it->is_null()) continue;
        if (!it->is_boolean()) {
            co_return error(
                ctx,
                core::bad_request(
                    "'" + std::string(name) + "' must be true or false", name, "invalid_type"
                )
            );
        }
        *flag = it->get<bool>();
    }
    const auto& tokenizer = s.tokenizer();
    const auto& text = content->get_ref<const std::string&>();
    json tokens = json::array();
    tokens = co_await core::run_blocking(s.blocking(), [&] {
        auto encoded = tokenizer.encode(text, add_special, 0);
        json out = json::array();
        for (auto id : encoded.ids) {
            if (!with_pieces) {
                out.push_back(id);
                continue;
            }
            std::array<std::int32_t, 1> one{id};
            out.push_back({{"id", id}, {"piece", tokenizer.decode(one, false)}});
        }
        return out;
    });
    co_return ok(
        ctx,
        json{{"tokens", std::move(tokens)}}.dump(-1, ' ', false, json::error_handler_t::replace)
    );
}

asio::awaitable<core::handler_result> detokenize(runner_service& s, core::request_context& ctx) {
    if (auto refused = gate(s, ctx, std::nullopt)) co_return std::move(*refused);
    auto body = parse_body(ctx);
    if (!body) co_return error(ctx, body.error());
    auto tokens = body->find("tokens");
    if (tokens == body->end() || !tokens->is_array()) {
        co_return error(
            ctx,
            core::bad_request("'tokens' must be an array of token ids", "tokens", "invalid_type")
        );
    }
    std::vector<std::int32_t> ids;
    auto vocab = s.tokenizer().vocab_size();
    for (const auto& t : *tokens) {
        if (!t.is_number_integer() || t.get<std::int64_t>() < 0 ||
            (vocab > 0 && t.get<std::uint64_t>() >= vocab)) {
            co_return error(
                ctx,
                core::bad_request(
                    "'tokens' must hold token ids from 0 to " +
                        std::to_string(vocab ? vocab - 1 : 0),
                    "tokens",
                    "invalid_value"
                )
            );
        }
        ids.push_back(t.get<std::int32_t>());
    }
    const auto& tokenizer = s.tokenizer();
    std::string text;
    text = co_await core::run_blocking(s.blocking(), [&] { return tokenizer.decode(ids, false); });
    co_return ok(ctx, json{{"content", text}}.dump(-1, ' ', false, json::error_handler_t::replace));
}

asio::awaitable<core::handler_result> models(runner_service& s, core::request_context& ctx) {
    if (auto refused = gate(s, ctx, std::nullopt)) co_return std::move(*refused);
    const auto& c = s.config();
    nlohmann::ordered_json model = {
        {"id", c.alias},
        {"object", "model"},
        {"created", unix_now()},
        {"owned_by", "solar-hf-runner"},
        {"task", task_name(c.task)},
        {"model_id", c.model_id},
        {"max_length", s.max_length()},
    };
    if (c.task == runner_task::classification) model["labels"] = s.labels();
    if (c.task == runner_task::embedding) {
        model["dimensions"] = s.facts().hidden_size;
        model["pooling"] = c.pooling;
        model["normalize"] = c.normalize;
    }
    if (s.facts().parameters) model["parameters"] = s.facts().parameters;
    nlohmann::ordered_json out = {
        {"object", "list"}, {"data", nlohmann::ordered_json::array({model})}};
    co_return ok(ctx, out.dump());
}

}  // namespace

std::string loading_body() {
    return R"({"error":{"code":503,"message":"Loading model","type":"unavailable_error"}})";
}

void add_runner_routes(core::router& routes, runner_service& service) {
    auto* s = &service;
    routes.add(
        http::verb::get,
        "/health",
        [s](core::request_context& ctx) -> asio::awaitable<core::handler_result> {
            if (!s->ready()) {
                co_return core::json_response(
                    http::status::service_unavailable, loading_body(), ctx.req
                );
            }
            co_return core::json_response(http::status::ok, R"({"status":"ok"})", ctx.req);
        },
        core::route_options{.public_access = true}
    );
    auto bind = [s](auto handler) {
        return [s, handler](core::request_context& ctx) { return handler(*s, ctx); };
    };
    routes.add(http::verb::get, "/v1/models", bind(models));
    routes.add(http::verb::post, "/v1/embeddings", bind(embeddings));
    routes.add(http::verb::post, "/v1/classify", bind(classify));
    add_generation_routes(routes, service);
    routes.add(http::verb::post, "/tokenize", bind(tokenize));
    routes.add(http::verb::post, "/detokenize", bind(detokenize));
}

}  // namespace solar::runner
