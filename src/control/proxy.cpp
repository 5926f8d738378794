// Relays OpenAI requests to the chosen instance; see docs/ROUTING.md for the data flow.
#include <solar/control/proxy.hpp>
#include <solar/control/request_model.hpp>
#include <solar/control/resolver.hpp>
#include <solar/core/client_watch.hpp>
#include <solar/core/http_head.hpp>
#include <solar/core/json_error.hpp>
#include <solar/core/logging.hpp>

#include <boost/asio/as_tuple.hpp>
#include <boost/asio/steady_timer.hpp>
#include <boost/asio/use_awaitable.hpp>
#include <boost/asio/write.hpp>

#include <nlohmann/json.hpp>

#include <array>

namespace solar::control {

namespace {

using namespace std::string_view_literals;
constexpr auto use_tuple = asio::as_tuple(asio::use_awaitable);
constexpr std::size_t max_attempts = 3;
constexpr auto failed_instance_backoff = std::chrono::seconds(5);
constexpr std::size_t max_buffered_response = 64 * 1024 * 1024;

std::string join_endpoints(const std::vector<endpoint>& endpoints) {
    std::string out;
    for (auto ep : endpoints) {
        if (!out.empty()) out += ", ";
        out += endpoint_path(ep);
    }
    return out;
}

core::api_error resolution_error(
    const boost::system::error_code& ec,
    const resolution_failure& failure,
    const std::string& model,
    endpoint ep
) {
    if (ec == errc::model_not_found) {
        core::api_error e =
            core::not_found("The model '" + model + "' does not exist", "model_not_found");
        e.param = "model";
        return e;
    }
    if (ec == errc::endpoint_not_supported) {
        const auto& served = failure.served_endpoints;
        std::string name = failure.alias.empty() ? model : failure.alias;
        std::string message =
            "The model '" + name + "' does not support " + std::string(endpoint_path(ep));
        if (!served.empty()) message += "; it serves " + join_endpoints(served);
        return core::bad_request(message, "model", "unsupported_endpoint");
    }
    return core::service_unavailable(
        "No running instance of '" + model + "' is available for " + std::string(endpoint_path(ep)),
        "no_running_instance"
    );
}

// Hop-by-hop and framing headers belong to one connection and are never relayed (RFC 9110 7.6.1).
bool is_hop_by_hop(http::field name, std::string_view text) {
    switch (name) {
        case http::field::connection:
        case http::field::keep_alive:
        case http::field::proxy_authenticate:
        case http::field::proxy_authorization:
        case http::field::te:
        case http::field::trailer:
        case http::field::transfer_encoding:
        case http::field::upgrade:
        case http::field::content_length:
            return true;
        default:
            return beast::iequals(text, "x-request-id");
    }
}

// Copies the instance's end-to-end response headers (rate limits, tracing, ...) to the client.
template <typename Fields>
void copy_end_to_end_headers(const http::fields& from, Fields& to) {
    for (const auto& field : from) {
        if (is_hop_by_hop(field.name(), field.name_string())) continue;
        to.set(field.name_string(), field.value());
    }
}

// The head of a complete answer relayed from an instance: its status and end-to-end fields,
// then our framing, the request id and the connection's fate.
std::string relayed_head(
    const http::response_header<>& from,
    unsigned version,
    std::string_view content_type,
    std::size_t content_length,
    std::string_view request_id,
    bool keep_alive
) {
    std::string out;
    out.reserve(256);
    core::append_status_line(out, version, from.result_int(), from.reason());
    for (const auto& field : from) {
        if (field.name() == http::field::content_type) continue;
        if (is_hop_by_hop(field.name(), field.name_string())) continue;
        core::append_field(out, field.name_string(), field.value());
    }
    core::append_field(out, "Content-Type"sv, content_type);
    // No length on answers that never have a body (RFC 9110 8.6).
    auto status = from.result_int();
    if (status >= 200 && status != 204 && status != 304) {
        out.append("Content-Length: "sv);
        core::append_number(out, content_length);
        out.append("\r\n"sv);
    }
    core::append_field(out, "x-request-id"sv, request_id);
    if (!keep_alive && version >= 11) out.append("Connection: close\r\n"sv);
    if (keep_alive && version == 10) out.append("Connection: keep-alive\r\n"sv);
    out.append("\r\n"sv);
    return out;
}

// While an upstream exchange runs, a client leaving closes its connection, so that the pending
// read or write ends at once (and the instance sees the request dropped). Cleared before the
// connection goes back to the pool or away.
class closed_when_client_leaves {
public:
    closed_when_client_leaves(core::client_watch& watch, core::upstream_connection& connection)
        : watch_(watch) {
        watch_.on_gone([c = &connection] { c->close(); });
    }
    ~closed_when_client_leaves() { watch_.on_gone({}); }
    closed_when_client_leaves(const closed_when_client_leaves&) = delete;
    closed_when_client_leaves& operator=(const closed_when_client_leaves&) = delete;

private:
    core::client_watch& watch_;
};

}  // namespace

struct openai_proxy::attempt_outcome {
    bool retry_elsewhere = false;
    core::handler_result result;
};

openai_proxy::openai_proxy(
    model_registry& registry, core::upstream_pool& pool, const control_config& config
)
    : registry_(registry),
      pool_(pool),
      config_(config),
      load_(registry.load()),
      log_(core::component_logger("proxy")) {}

asio::awaitable<core::handler_result> openai_proxy::handle(
    core::request_context& ctx, endpoint ep
) {
    const auto& req = ctx.req;
    auto model_field = read_model_field(req.body());
    if (!model_field) co_return core::error_response(model_field.error(), req);
    std::string model = std::move(*model_field);
    ctx.note.model = model;

    auto table = registry_.snapshot();
    resolution_failure failure;
    auto resolved = resolve(*table, model, ep, config_.alias_prefix_fallback, &failure);
    if (!resolved) {
        co_return core::error_response(resolution_error(resolved.error(), failure, model, ep), req);
    }

    // The upstream sees the resolved alias; untouched bodies are forwarded byte for byte, and
    // only a prefix-matched alias costs a full parse to rewrite "model".
    std::string rewritten_body;
    std::string_view upstream_body = req.body();
    if (resolved->alias != model) {
        auto body = nlohmann::json::parse(req.body());
        body["model"] = std::string(resolved->alias);
        rewritten_body = body.dump();
        upstream_body = rewritten_body;
    }

    core::client_watch watch{ctx};
    auto attempts = [&]() -> asio::awaitable<core::handler_result> {
        // Instances of this request's routing table snapshot, which outlives the attempts.
        std::array<const instance_info*, max_attempts> tried{};
        auto candidates = resolved->candidates;
        auto slots = resolved->host_slots;
        const auto* hosts = resolved->candidate_hosts;
        auto& cursor = *resolved->cursor;
        for (std::size_t attempt = 0; attempt < max_attempts && !watch.gone(); ++attempt) {
            auto now = std::chrono::steady_clock::now();
            auto skip_tried = [&](const instance_info& i) {
                return std::find(tried.begin(), tried.begin() + attempt, &i) !=
                       tried.begin() + attempt;
            };
            const instance_info* chosen =
                pick(candidates, slots, hosts, load_, cursor, [&](const instance_info& i) {
                    return skip_tried(i) || backoff_.in_backoff(i.instance_id, now);
                });
            // Every candidate in back-off: try one anyway rather than refuse outright.
            if (!chosen) chosen = pick(candidates, slots, hosts, load_, cursor, skip_tried);
            if (!chosen) break;
            tried[attempt] = chosen;
            ctx.note.upstream = chosen->host_name + "/" + chosen->instance_id;
            auto outcome = co_await try_instance(ctx, watch, *chosen, ep, upstream_body);
            if (!outcome.retry_elsewhere) co_return std::move(outcome.result);
            log_->warn(
                "{} instance {} on host {} unreachable, trying another",
                ctx.request_id,
                chosen->instance_id,
                chosen->host_name
            );
        }
        co_return core::error_response(
            core::bad_gateway(
                "Could not reach any instance of '" + std::string(resolved->alias) + "'",
                "upstream_unreachable"
            ),
            req
        );
    };

    // The client is watched while the instance works: if it leaves, the upstream exchange is
    // dropped with it (closing the connection ends any pending read), and a generation stops.
    auto result = co_await attempts();
    watch.stop();
    if (watch.gone()) {
        if (!ctx.written_status) ctx.written_status = 499;
        ctx.close_connection = true;
        co_return std::nullopt;
    }
    co_return result;
}

asio::awaitable<openai_proxy::attempt_outcome> openai_proxy::try_instance(
    core::request_context& ctx,
    core::client_watch& watch,
    const instance_info& instance,
    endpoint ep,
    std::string_view body
) {
    auto url = instance.url ? boost::system::result<core::base_url>(*instance.url)
                            : core::parse_base_url(instance.base_url);
    if (!url) co_return attempt_outcome{true, {}};
    core::upstream_target target{std::move(*url), {}};
    auto lease = load_.acquire(instance);
    const auto& req = ctx.req;

    // The head is written by hand: Beast's fields and serializer cost more than the relay.
    std::string head;
    head.reserve(256);
    head.append("POST "sv);
    head.append(target.url.path_prefix);
    head.append(endpoint_path(ep));
    head.append(" HTTP/1.1\r\nHost: "sv);
    target.url.append_authority(head);
    head.append("\r\nContent-Type: application/json\r\n"sv);
    if (!instance.api_key.empty() && core::is_safe_field_value(instance.api_key)) {
        head.append("Authorization: Bearer "sv);
        head.append(instance.api_key);
        head.append("\r\n"sv);
    }
    core::append_field(head, "x-request-id"sv, ctx.request_id);
    if (auto it = req.find(http::field::accept); it != req.end())
        core::append_field(head, "Accept"sv, it->value());
    head.append("Content-Length: "sv);
    core::append_number(head, body.size());
    head.append("\r\n\r\n"sv);

    for (int attempt = 0;; ++attempt) {
        auto acquired = co_await pool_.acquire(target, config_.connect_timeout);
        if (!acquired) {
            backoff_.mark_failed(
                instance.instance_id, std::chrono::steady_clock::now(), failed_instance_backoff
            );
            co_return attempt_outcome{true, {}};
        }
        auto connection = std::move(*acquired);
        if (watch.gone()) {
            connection->close();
            co_return attempt_outcome{false, std::nullopt};
        }
        closed_when_client_leaves guard{watch, *connection};
        bool stale_possible = connection->reused && attempt == 0;

        auto ec =
            co_await connection->write(head, body, config_.connect_timeout + config_.idle_timeout);
        if (ec && watch.gone()) co_return attempt_outcome{false, std::nullopt};
        if (ec) {
            connection->close();
            if (stale_possible) continue;
            backoff_.mark_failed(
                instance.instance_id, std::chrono::steady_clock::now(), failed_instance_backoff
            );
            co_return attempt_outcome{true, {}};
        }

        core::upstream_parser parser;
        parser.body_limit(boost::none);
        ec = co_await connection->read_header(parser, config_.first_byte_timeout);
        if (ec && watch.gone()) co_return attempt_outcome{false, std::nullopt};
        if (ec) {
            connection->close();
            if (stale_possible && ec != core::upstream_errc::first_byte_timeout) continue;
            if (ec == core::upstream_errc::first_byte_timeout) {
                co_return attempt_outcome{
                    false,
                    core::error_response(
                        core::gateway_timeout(
                            "The instance did not answer within " +
                            std::to_string(config_.first_byte_timeout.count()) + " ms"
                        ),
                        req
                    )};
            }
            co_return attempt_outcome{
                false,
                core::error_response(
                    core::bad_gateway("The instance closed the connection without answering"), req
                )};
        }

        const auto& head = parser.get();
        auto status = head.result();
        std::string content_type(head[http::field::content_type]);
        bool streamed = content_type.rfind("text/event-stream", 0) == 0 || parser.chunked();
        auto chunk = connection->relay_buffer();

        if (!streamed) {
            std::string answer;
            if (auto length = parser.content_length(); length && *length <= max_buffered_response)
                answer.reserve(static_cast<std::size_t>(*length));
            while (!parser.is_done()) {
                auto [rec, n] =
                    co_await connection->read_body_some(parser, chunk, config_.idle_timeout);
                if (rec && watch.gone()) co_return attempt_outcome{false, std::nullopt};
                if (rec) {
                    connection->close();
                    if (rec == core::upstream_errc::idle_timeout) {
                        co_return attempt_outcome{
                            false,
                            core::error_response(
                                core::gateway_timeout("The instance stalled while answering"), req
                            )};
                    }
                    co_return attempt_outcome{
                        false,
                        core::error_response(
                            core::bad_gateway("The instance broke off its answer"), req
                        )};
                }
                if (answer.size() + n > max_buffered_response) {
                    connection->close();
                    co_return attempt_outcome{
                        false,
                        core::error_response(
                            core::bad_gateway("The instance answer is too large"), req
                        )};
                }
                answer.append(chunk.data(), n);
            }
            if (parser.keep_alive())
                pool_.release(std::move(connection));
            else
                connection->close();

            // Written here rather than returned as a response: building Beast fields from the
            // instance's, only to serialize them again, cost a tenth of the relay. The watch
            // ends first: a client that sends its next request the moment the answer lands
            // would otherwise wake it, for two reads and a re-arm the session does not need.
            watch.stop();
            bool keep_alive = ctx.keep_alive_allowed();
            std::string answer_head = relayed_head(
                head,
                req.version(),
                content_type.empty() ? "application/json"sv : content_type,
                answer.size(),
                ctx.request_id,
                keep_alive
            );
            std::array<asio::const_buffer, 2> pieces{
                asio::buffer(answer_head), asio::buffer(answer)};
            auto [wec, wn] = co_await core::write_all(ctx.stream, pieces, config_.idle_timeout);
            ctx.written_status = static_cast<unsigned>(status);
            if (wec || !keep_alive) ctx.close_connection = true;
            co_return attempt_outcome{false, std::nullopt};
        }

        // Server-sent events: forward each piece the moment it arrives, never to the end.
        http::response<http::empty_body> out{status, req.version()};
        copy_end_to_end_headers(head.base(), out.base());
        out.set(
            http::field::content_type, content_type.empty() ? "text/event-stream" : content_type
        );
        out.set(http::field::cache_control, "no-cache");
        out.set("x-accel-buffering", "no");
        out.set("x-request-id", ctx.request_id);
        out.chunked(true);
        out.keep_alive(req.keep_alive());
        http::response_serializer<http::empty_body> serializer{out};
        ctx.stream.expires_after(config_.idle_timeout);
        auto [hec, hn] = co_await http::async_write_header(ctx.stream, serializer, use_tuple);
        ctx.written_status = static_cast<unsigned>(status);
        if (hec) {
            connection->close();
            ctx.close_connection = true;
            co_return attempt_outcome{false, std::nullopt};
        }
        while (!parser.is_done()) {
            auto [rec, n] =
                co_await connection->read_body_some(parser, chunk, config_.idle_timeout);
            if (rec && watch.gone()) {
                ctx.close_connection = true;
                co_return attempt_outcome{false, std::nullopt};
            }
            if (rec) {
                log_->warn(
                    "{} stream from {} broke: {}",
                    ctx.request_id,
                    instance.instance_id,
                    rec.message()
                );
                connection->close();
                core::api_error error =
                    rec == core::upstream_errc::idle_timeout
                        ? core::gateway_timeout("The instance stalled mid-stream")
                        : core::bad_gateway("The instance broke off the stream");
                std::string event = "data: " + core::error_body(error) + "\n\n";
                co_await asio::async_write(
                    ctx.stream, http::make_chunk(asio::buffer(event)), use_tuple
                );
                co_await asio::async_write(ctx.stream, http::make_chunk_last(), use_tuple);
                ctx.close_connection = true;
                co_return attempt_outcome{false, std::nullopt};
            }
            if (n == 0) continue;
            auto event_chunk = http::make_chunk(asio::buffer(chunk.data(), n));
            auto [wec, wn] =
                co_await core::write_all(ctx.stream, event_chunk, config_.idle_timeout);
            if (wec) {
                connection->close();  // the client is gone: drop the upstream request with it
                ctx.close_connection = true;
                co_return attempt_outcome{false, std::nullopt};
            }
        }
        ctx.stream.expires_after(config_.idle_timeout);
        auto [lec, ln] = co_await asio::async_write(ctx.stream, http::make_chunk_last(), use_tuple);
        if (lec || !req.keep_alive()) ctx.close_connection = true;
        if (parser.keep_alive())
            pool_.release(std::move(connection));
        else
            connection->close();
        co_return attempt_outcome{false, std::nullopt};
    }
}

}  // namespace solar::control
