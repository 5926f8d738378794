// Polls hosts' GET /instances and publishes a new routing table.
#include <solar/control/refresher.hpp>
#include <solar/core/blocking.hpp>
#include <solar/core/logging.hpp>

#include <boost/asio/as_tuple.hpp>
#include <boost/asio/co_spawn.hpp>
#include <boost/asio/detached.hpp>
#include <boost/asio/post.hpp>
#include <boost/asio/use_awaitable.hpp>

#include <nlohmann/json.hpp>

#include <algorithm>

namespace solar::control {

namespace {

constexpr auto use_tuple = asio::as_tuple(asio::use_awaitable);

std::int64_t unix_now() {
    return std::chrono::duration_cast<std::chrono::seconds>(
               std::chrono::system_clock::now().time_since_epoch()
    )
        .count();
}

}  // namespace

refresher::refresher(
    asio::io_context& ioc,
    asio::thread_pool& db_pool,
    host_store& store,
    core::upstream_pool& pool,
    model_registry& registry,
    const control_config& config
)
    : strand_(asio::make_strand(ioc)),
      db_pool_(db_pool),
      store_(store),
      pool_(pool),
      registry_(registry),
      config_(config),
      wake_(strand_),
      log_(core::component_logger("refresher")) {}

void refresher::start() {
    asio::co_spawn(strand_, loop(), [log = log_](std::exception_ptr e) {
        if (!e) return;
        try {
            std::rethrow_exception(e);
        } catch (const std::exception& ex) {
            log->critical("refresh loop ended: {}", ex.what());
        }
    });
}

void refresher::trigger() {
    asio::post(strand_, [this] {
        pending_ = true;
        wake_.cancel();
    });
}

void refresher::stop() {
    asio::post(strand_, [this] {
        stopped_ = true;
        wake_.cancel();
    });
}

asio::awaitable<void> refresher::refresh_now() {
    co_await asio::co_spawn(strand_, refresh_once(), asio::use_awaitable);
}

asio::awaitable<void> refresher::loop() {
    while (!stopped_) {
        pending_ = false;
        try {
            co_await refresh_once();
        } catch (const std::exception& e) {
            log_->error("refresh failed: {}", e.what());
        }
        registry_.mark_ready();
        if (pending_ || stopped_) continue;
        wake_.expires_after(config_.refresh_interval);
        co_await wake_.async_wait(use_tuple);
    }
}

asio::awaitable<void> refresher::poll_host(host_poll& poll) {
    auto url = core::parse_base_url(poll.host.url);
    if (!url) {
        poll.error = "stored URL is invalid";
        co_return;
    }
    core::request req{http::verb::get, core::upstream_path(*url, "/instances"), 11};
    req.set("x-api-key", poll.host.api_key);
    req.set(http::field::accept, "application/json");
    core::upstream_timeouts timeouts{
        config_.connect_timeout, config_.connect_timeout * 2, config_.connect_timeout * 2};
    core::upstream_target target{*url, poll.host.ca_file};
    auto answer = co_await pool_.fetch(target, req, timeouts);
    if (!answer) {
        poll.error = answer.error().message();
        co_return;
    }
    if (answer->status != 200) {
        poll.error = "GET /instances answered HTTP " + std::to_string(answer->status);
        co_return;
    }
    auto body = nlohmann::json::parse(answer->body, nullptr, false);
    if (body.is_discarded()) {
        poll.error = "GET /instances answered invalid JSON";
        co_return;
    }
    auto parsed = parse_host_instances(body, host_ref{poll.host.id, poll.host.name, poll.host.url});
    if (!parsed) {
        poll.error = "GET /instances answered an unexpected shape";
        co_return;
    }
    poll.online = true;
    poll.instances = std::move(*parsed);
    poll.body = std::move(answer->body);
}

asio::awaitable<void> refresher::refresh_once() {
    std::uint64_t ticket = ++next_ticket_;
    auto hosts = co_await core::run_blocking(db_pool_, [this] { return store_.list(); });

    std::vector<host_poll> polls;
    polls.reserve(hosts.size());
    for (auto& host : hosts) polls.push_back(host_poll{std::move(host), false, {}, {}, {}});

    // Poll all hosts at once; one slow host must not delay the others.
    if (!polls.empty()) {
        std::size_t remaining = polls.size();
        asio::steady_timer all_done{strand_, std::chrono::steady_clock::time_point::max()};
        for (auto& poll : polls) {
            asio::co_spawn(strand_, poll_host(poll), [&](std::exception_ptr e) {
                if (e) poll.error = "internal error while polling";
                if (--remaining == 0) all_done.cancel();
            });
        }
        while (remaining > 0) co_await all_done.async_wait(use_tuple);
    }

    // Persist changed instance lists, and fetch the stored ones of offline hosts this process
    // has never seen online (after a restart), so their aliases answer 503, not 404.
    std::vector<const host_poll*> to_store;
    std::vector<std::string> to_load;
    for (const auto& poll : polls) {
        if (poll.online && stored_bodies_[poll.host.id] != poll.body) to_store.push_back(&poll);
        if (!poll.online && !last_known_.contains(poll.host.id)) to_load.push_back(poll.host.id);
    }
    auto now = unix_now();
    auto stored = co_await core::run_blocking(db_pool_, [this, &polls, &to_store, &to_load, now] {
        for (const auto& poll : polls) {
            store_.record_refresh(
                poll.host.id, poll.online, now, poll.error, static_cast<int>(poll.instances.size())
            );
        }
        for (const auto* poll : to_store) store_.store_instance_list(poll->host.id, poll->body);
        std::map<std::string, std::string> loaded;
        for (const auto& id : to_load) loaded[id] = store_.stored_instance_list(id);
        return loaded;
    });
    for (const auto* poll : to_store) stored_bodies_[poll->host.id] = poll->body;
    std::erase_if(stored_bodies_, [&](const auto& entry) {
        return std::none_of(polls.begin(), polls.end(), [&](const auto& p) {
            return p.host.id == entry.first;
        });
    });
    for (auto& [id, body] : stored) {
        auto poll = std::find_if(polls.begin(), polls.end(), [&](const auto& p) {
            return p.host.id == id;
        });
        auto doc = nlohmann::json::parse(body, nullptr, false);
        if (body.empty() || doc.is_discarded() || poll == polls.end()) continue;
        auto host = host_ref{poll->host.id, poll->host.name, poll->host.url};
        if (auto parsed = parse_host_instances(doc, host)) last_known_[id] = std::move(*parsed);
    }

    std::vector<instance_info> all;
    std::map<std::string, std::vector<instance_info>> known;
    for (auto& poll : polls) {
        if (poll.online) {
            known[poll.host.id] = poll.instances;
        } else {
            if (!poll.error.empty())
                log_->warn("host {} ({}) offline: {}", poll.host.id, poll.host.name, poll.error);
            if (auto it = last_known_.find(poll.host.id); it != last_known_.end()) {
                known[poll.host.id] = it->second;
                for (auto& instance : known[poll.host.id]) instance.status = "host_offline";
            }
        }
        for (const auto& instance : known[poll.host.id]) all.push_back(instance);
    }
    last_known_ = std::move(known);

    if (ticket > published_ticket_) {
        published_ticket_ = ticket;
        registry_.publish(std::make_shared<const routing_table>(all, &registry_.load()));
        if (listener_) {
            std::vector<host_record> hosts_now;
            hosts_now.reserve(polls.size());
            for (const auto& poll : polls) hosts_now.push_back(poll.host);
            listener_(all, hosts_now);
        }
    }
}

}  // namespace solar::control
