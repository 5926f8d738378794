// The instances of this machine: their configurations (persisted in config.json), their
// processes (one supervisor each), their logs and their runtime state. The HTTP and WebSocket
// routes are thin layers over this class.
#pragma once

#include <solar/core/http_types.hpp>
#include <solar/host/host_config.hpp>
#include <solar/host/host_error.hpp>
#include <solar/host/net_types.hpp>

#include <boost/asio/io_context.hpp>
#include <boost/asio/thread_pool.hpp>
#include <boost/system/result.hpp>

#include <nlohmann/json.hpp>

#include <functional>
#include <memory>
#include <string>

namespace solar::host {

class log_ring;
class child_reaper;

template <class T>
using host_result = boost::system::result<T, host_failure>;

// What boot() found, for main to log.
struct boot_report {
    std::size_t loaded = 0;
    std::size_t autostarted = 0;
    std::string problem;  // config.json was unreadable or corrupt and was kept aside
};

// Called with an instance's state document after each change (status, pid, error...).
using state_listener = std::function<void(const nlohmann::json& state)>;

// The coroutines take references: the caller's locals outlive the call, and GCC 12 destroys
// temporaries inside a co_await expression twice (GCC PR 99576), so callers pass lvalues and
// keep results in locals.
class instance_manager {
public:
    instance_manager(asio::io_context& ioc, asio::thread_pool& blocking, const host_config& config);
    ~instance_manager();
    instance_manager(const instance_manager&) = delete;
    instance_manager& operator=(const instance_manager&) = delete;

    // Loads config.json (a corrupt file is renamed aside, never overwritten), seeds each
    // instance's log ring from its log file, and starts the instances that were running
    // before shutdown. Call once, before serving.
    boot_report boot();

    // POST /instances body {"config":{...}}: validates, assigns a port, persists; 201 body.
    asio::awaitable<host_result<nlohmann::json>> create(const nlohmann::json& body);
    // PUT /instances/{id}: replaces the config of a stopped instance.
    asio::awaitable<host_result<nlohmann::json>> update(
        const std::string& id, const nlohmann::json& body
    );
    // DELETE /instances/{id} of a stopped instance: forgets it and its log ring.
    asio::awaitable<host_result<nlohmann::json>> remove(const std::string& id);

    asio::awaitable<host_result<nlohmann::json>> start(const std::string& id);
    asio::awaitable<host_result<nlohmann::json>> stop(const std::string& id);
    asio::awaitable<host_result<nlohmann::json>> restart(const std::string& id);

    // GET /instances and GET /instances/{id}: the instance documents the gateway routes on.
    nlohmann::json list() const;
    host_result<nlohmann::json> get(const std::string& id) const;
    // GET /instances/{id}/state and /last-generation.
    host_result<nlohmann::json> state(const std::string& id) const;
    host_result<nlohmann::json> last_generation(const std::string& id) const;

    // The instance's log ring (shared, thread-safe), or null for an unknown id.
    std::shared_ptr<log_ring> logs(const std::string& id) const;

    // Registers a listener for one instance's state changes; returns a token for unwatch().
    // Listeners run on supervisor threads: they must only post work elsewhere.
    std::uint64_t watch_state(const std::string& id, state_listener listener);
    void unwatch_state(const std::string& id, std::uint64_t token);

    // Stops every child (SIGTERM, SIGKILL after the grace period) and waits until none is
    // left; their "running before shutdown" mark is kept for the next boot.
    asio::awaitable<void> shutdown();

private:
    struct impl;
    std::unique_ptr<impl> impl_;
};

}  // namespace solar::host
