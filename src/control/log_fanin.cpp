// Upstream log subscriptions (one coroutine per instance, on its own strand) and the registry
// diffing that starts and stops them.
#include <solar/control/log_fanin.hpp>
#include <solar/control/log_line.hpp>
#include <solar/core/json_error.hpp>
#include <solar/core/logging.hpp>

#include <boost/asio/as_tuple.hpp>
#include <boost/asio/co_spawn.hpp>
#include <boost/asio/ip/tcp.hpp>
#include <boost/asio/post.hpp>
#include <boost/asio/ssl.hpp>
#include <boost/asio/steady_timer.hpp>
#include <boost/asio/strand.hpp>
#include <boost/asio/use_awaitable.hpp>
#include <boost/beast/ssl.hpp>
#include <boost/beast/websocket.hpp>
#include <boost/beast/websocket/ssl.hpp>

#include <openssl/ssl.h>

namespace solar::control {

namespace {

namespace websocket = beast::websocket;
using tcp = asio::ip::tcp;
constexpr auto use_tuple = asio::as_tuple(asio::use_awaitable);

// What a connection needs; a change means reconnecting.
struct upstream_settings {
    core::base_url url;
    std::string api_key;
    std::string ca_file;

    bool operator==(const upstream_settings&) const = default;
};

// Percent-encodes a path segment (instance ids are normally already safe).
std::string encode_segment(std::string_view text) {
    static constexpr char digits[] = "0123456789ABCDEF";
    std::string out;
    for (unsigned char c : text) {
        if (std::isalnum(c) || c == '-' || c == '_' || c == '.' || c == '~') {
            out.push_back(static_cast<char>(c));
        } else {
            out.push_back('%');
            out.push_back(digits[c >> 4]);
            out.push_back(digits[c & 15]);
        }
    }
    return out;
}

}  // namespace

class log_fanin::subscription : public std::enable_shared_from_this<subscription> {
public:
    subscription(
        asio::io_context& ioc,
        core::upstream_pool& pool,
        std::shared_ptr<log_hub> hub,
        const log_fanin_options& options,
        log_source source,
        upstream_settings settings
    )
        : strand_(asio::make_strand(ioc)),
          pool_(pool),
          hub_(std::move(hub)),
          options_(options),
          source_(std::make_shared<const log_source>(std::move(source))),
          settings_(std::move(settings)),
          backoff_(options.backoff_initial, options.backoff_max),
          pause_(strand_),
          log_(core::component_logger("logs")) {}

    void start() {
        asio::co_spawn(strand_, run(shared_from_this()), [log = log_](std::exception_ptr e) {
            if (!e) return;
            try {
                std::rethrow_exception(e);
            } catch (const std::exception& ex) {
                log->error("log subscription ended by exception: {}", ex.what());
            }
        });
    }

    // Any thread: new tags apply to the next line; new connection settings reconnect now.
    void update(log_source source, upstream_settings settings) {
        bool reconnect = false;
        {
            std::lock_guard lock(mutex_);
            if (*source_ != source) source_ = std::make_shared<const log_source>(std::move(source));
            if (!(settings_ == settings)) {
                settings_ = std::move(settings);
                reconnect = true;
            }
        }
        if (!reconnect) return;
        asio::post(strand_, [self = shared_from_this()] {
            self->reconfigured_ = true;
            self->interrupt();
        });
    }

    // Any thread: ends the subscription; the coroutine finishes on its strand.
    void stop() {
        asio::post(strand_, [self = shared_from_this()] {
            self->stopped_ = true;
            self->interrupt();
        });
    }

private:
    enum class session_end { failed, dropped, resubscribe };

    // Strand only: breaks whatever the coroutine waits for.
    void interrupt() {
        pause_.cancel();
        if (close_current_) close_current_();
    }

    std::shared_ptr<const log_source> source() {
        std::lock_guard lock(mutex_);
        return source_;
    }

    upstream_settings settings() {
        std::lock_guard lock(mutex_);
        return settings_;
    }

    static asio::awaitable<void> run(std::shared_ptr<subscription> self) {
        while (!self->stopped_) {
            self->reconfigured_ = false;
            auto end = co_await self->connect_once(self->settings());
            self->close_current_ = nullptr;
            if (self->stopped_) break;
            if (end == session_end::resubscribe || self->reconfigured_) continue;
            self->pause_.expires_after(self->backoff_.next());
            co_await self->pause_.async_wait(use_tuple);
        }
    }

    void note_failure(const std::string& what) {
        auto source = this->source();
        // A host that stays down would otherwise log every few seconds.
        auto level = failing_ ? spdlog::level::debug : spdlog::level::warn;
        failing_ = true;
        log_->log(level, "logs of {}/{}: {}", source->host_id, source->instance_id, what);
    }

    asio::awaitable<session_end> connect_once(upstream_settings settings) {
        auto since = tracker_.begin_connection();
        auto target = core::upstream_path(
            settings.url,
            "/instances/" + encode_segment(source()->instance_id) +
                "/logs?since=" + std::to_string(since)
        );

        tcp::resolver resolver{strand_};
        close_current_ = [&resolver] { resolver.cancel(); };
        auto [rec, endpoints] = co_await resolver.async_resolve(
            settings.url.host, std::to_string(settings.url.port), use_tuple
        );
        if (stopped_ || reconfigured_) co_return session_end::failed;
        if (rec) {
            note_failure("cannot resolve " + settings.url.host + ": " + rec.message());
            co_return session_end::failed;
        }

        beast::tcp_stream stream{strand_};
        close_current_ = [&stream] { stream.close(); };
        stream.expires_after(options_.connect_timeout);
        auto [cec, endpoint] = co_await stream.async_connect(endpoints, use_tuple);
        if (stopped_ || reconfigured_) co_return session_end::failed;
        if (cec) {
            note_failure("cannot connect to " + settings.url.authority() + ": " + cec.message());
            co_return session_end::failed;
        }
        stream.expires_never();  // the WebSocket has its own timeouts
        beast::error_code ignored;
        stream.socket().set_option(tcp::no_delay(true), ignored);

        if (!settings.url.is_tls()) {
            websocket::stream<beast::tcp_stream> ws{std::move(stream)};
            co_return co_await stream_lines(ws, settings, target);
        }
        std::shared_ptr<asio::ssl::context> tls;
        try {
            tls = pool_.tls_context(settings.ca_file);
        } catch (const std::exception& e) {
            note_failure("cannot load CA file " + settings.ca_file + ": " + e.what());
            co_return session_end::failed;
        }
        websocket::stream<beast::ssl_stream<beast::tcp_stream>> ws{std::move(stream), *tls};
        close_current_ = [&ws] { beast::get_lowest_layer(ws).close(); };
        if (!SSL_set_tlsext_host_name(ws.next_layer().native_handle(), settings.url.host.c_str())) {
            note_failure("cannot set TLS server name " + settings.url.host);
            co_return session_end::failed;
        }
        ws.next_layer().set_verify_callback(asio::ssl::host_name_verification(settings.url.host));
        beast::get_lowest_layer(ws).expires_after(options_.connect_timeout);
        auto [hec] =
            co_await ws.next_layer().async_handshake(asio::ssl::stream_base::client, use_tuple);
        if (stopped_ || reconfigured_) co_return session_end::failed;
        if (hec) {
            note_failure(
                "TLS handshake with " + settings.url.authority() + " failed: " + hec.message()
            );
            co_return session_end::failed;
        }
        beast::get_lowest_layer(ws).expires_never();
        co_return co_await stream_lines(ws, settings, target);
    }

    template <typename Ws>
    asio::awaitable<session_end> stream_lines(
        Ws& ws, const upstream_settings& settings, const std::string& target
    ) {
        close_current_ = [&ws] {
            beast::error_code ec;
            beast::get_lowest_layer(ws).socket().close(ec);
        };
        websocket::stream_base::timeout timeouts;
        timeouts.handshake_timeout = options_.handshake_timeout;
        timeouts.idle_timeout = options_.upstream_idle_timeout;
        timeouts.keep_alive_pings = true;
        ws.set_option(timeouts);
        ws.set_option(websocket::stream_base::decorator(
            [key = settings.api_key](websocket::request_type& req) {
                req.set("X-API-Key", key);
                req.set(http::field::user_agent, "solar-control");
            }
        ));
        ws.read_message_max(options_.max_line_bytes);

        websocket::response_type answer;
        auto [hec] =
            co_await ws.async_handshake(answer, settings.url.authority(), target, use_tuple);
        if (stopped_ || reconfigured_) co_return session_end::failed;
        if (hec) {
            auto status = answer.result_int();
            note_failure(
                "WebSocket upgrade at " + settings.url.authority() +
                " failed: " + (status ? "HTTP " + std::to_string(status) : hec.message())
            );
            co_return session_end::failed;
        }
        backoff_.reset();
        if (failing_) {
            auto source = this->source();
            log_->info("logs of {}/{}: connected again", source->host_id, source->instance_id);
        }
        failing_ = false;

        beast::flat_buffer buffer;
        for (;;) {
            buffer.clear();
            auto [ec, n] = co_await ws.async_read(buffer, use_tuple);
            if (ec) {
                if (ec == websocket::error::message_too_big) {
                    note_failure(
                        "skipping a log message over " + std::to_string(options_.max_line_bytes) +
                        " bytes"
                    );
                    tracker_.skip_unreadable();
                } else if (!stopped_ && !reconfigured_) {
                    note_failure("connection lost: " + ec.message());
                }
                co_return session_end::dropped;
            }
            auto data = buffer.data();
            auto line = parse_host_log_line(
                std::string_view(static_cast<const char*>(data.data()), data.size())
            );
            if (!line) continue;  // not a log line; newer hosts may send other messages
            auto verdict = tracker_.on_line(line->seq);
            if (verdict == sequence_tracker::verdict::drop) continue;
            auto source = this->source();
            if (verdict == sequence_tracker::verdict::resubscribe) {
                log_->info(
                    "logs of {}/{}: host numbering restarted, reading again from the start",
                    source->host_id,
                    source->instance_id
                );
                co_return session_end::resubscribe;
            }
            if (verdict == sequence_tracker::verdict::accept_gap) {
                log_->warn(
                    "logs of {}/{}: lines before {} were no longer held by the host",
                    source->host_id,
                    source->instance_id,
                    line->seq
                );
            }
            if (hub_->subscribers() == 0) continue;  // nobody listens: skip the serialisation
            auto message = std::make_shared<const std::string>(tagged_log_message(*source, *line));
            hub_->publish(source->host_id, source->instance_id, message);
        }
    }

    asio::strand<asio::io_context::executor_type> strand_;
    core::upstream_pool& pool_;
    std::shared_ptr<log_hub> hub_;
    const log_fanin_options options_;  // a copy: the coroutine may outlive log_fanin

    std::mutex mutex_;  // guards source_ and settings_, which update() changes from any thread
    std::shared_ptr<const log_source> source_;
    upstream_settings settings_;

    // Strand only.
    sequence_tracker tracker_;
    reconnect_backoff backoff_;
    asio::steady_timer pause_;
    std::function<void()> close_current_;
    bool stopped_ = false;
    bool reconfigured_ = false;
    bool failing_ = false;
    std::shared_ptr<spdlog::logger> log_;
};

log_fanin::log_fanin(asio::io_context& ioc, core::upstream_pool& pool, log_fanin_options options)
    : ioc_(ioc),
      pool_(pool),
      options_(std::move(options)),
      hub_(std::make_shared<log_hub>(options_.client_queue)),
      log_(core::component_logger("logs")) {}

log_fanin::~log_fanin() { stop(); }

void log_fanin::update_instances(
    const std::vector<instance_info>& all, const std::vector<host_record>& hosts
) {
    std::map<std::string_view, const host_record*> host_by_id;
    for (const auto& host : hosts) host_by_id.emplace(host.id, &host);

    std::lock_guard lock(mutex_);
    if (stopped_) return;
    std::map<std::string, std::shared_ptr<subscription>> next;
    for (const auto& instance : all) {
        auto host = host_by_id.find(instance.host_id);
        if (host == host_by_id.end()) continue;
        auto url = core::parse_base_url(host->second->url);
        if (!url) continue;  // the host registry rejects such URLs; nothing to connect to
        auto key = instance.host_id + '\n' + instance.instance_id;
        if (next.contains(key)) continue;
        log_source source{
            instance.host_id,
            instance.host_name.empty() ? host->second->name : instance.host_name,
            instance.instance_id,
            instance.alias};
        upstream_settings settings{*url, host->second->api_key, host->second->ca_file};
        if (auto it = subscriptions_.find(key); it != subscriptions_.end()) {
            it->second->update(std::move(source), std::move(settings));
            next.emplace(key, std::move(it->second));
            subscriptions_.erase(it);
        } else {
            auto created = std::make_shared<subscription>(
                ioc_, pool_, hub_, options_, std::move(source), std::move(settings)
            );
            created->start();
            next.emplace(key, std::move(created));
        }
    }
    for (auto& [key, gone] : subscriptions_) gone->stop();
    subscriptions_ = std::move(next);
}

asio::awaitable<core::handler_result> log_fanin::handle_ws(core::request_context& ctx) {
    bool stopped = false;
    {
        std::lock_guard lock(mutex_);
        stopped = stopped_;
    }
    if (stopped) {
        co_return core::error_response(
            core::service_unavailable("The gateway is shutting down", "shutting_down"), ctx.req
        );
    }
    co_return co_await serve_log_client(ctx, hub_, options_.client);
}

void log_fanin::stop() {
    std::map<std::string, std::shared_ptr<subscription>> ending;
    {
        std::lock_guard lock(mutex_);
        stopped_ = true;
        ending.swap(subscriptions_);
    }
    for (auto& [key, subscription] : ending) subscription->stop();
    hub_->close_all();
}

std::size_t log_fanin::subscriptions() const {
    std::lock_guard lock(mutex_);
    return subscriptions_.size();
}

}  // namespace solar::control
