// The instance manager: validation and ports on create/update, config.json after every change
// that must survive a crash, one supervisor per running child, and each child's lines fanned
// out to its ring, its log file and the timing parser.
#include <solar/core/blocking.hpp>
#include <solar/core/logging.hpp>
#include <solar/core/param_count.hpp>
#include <solar/core/random.hpp>
#include <solar/host/child_reaper.hpp>
#include <solar/host/command_line.hpp>
#include <solar/host/generation_timing.hpp>
#include <solar/host/instance_config.hpp>
#include <solar/host/instance_manager.hpp>
#include <solar/host/instance_store.hpp>
#include <solar/host/instance_supervisor.hpp>
#include <solar/host/log_file.hpp>
#include <solar/host/log_ring.hpp>
#include <solar/host/model_facts.hpp>
#include <solar/host/port_allocator.hpp>
#include <solar/host/port_probe.hpp>
#include <solar/host/system_facts.hpp>

#include <boost/asio/co_spawn.hpp>
#include <boost/asio/detached.hpp>
#include <boost/asio/post.hpp>
#include <boost/asio/strand.hpp>
#include <boost/asio/use_awaitable.hpp>

#include <cstdlib>
#include <map>
#include <mutex>

namespace solar::host {
namespace {

using nlohmann::json;

// Lines of the child's log a new instance's ring is seeded with at boot.
constexpr std::size_t boot_replay_lines = 1000;

host_failure validation_failure(const field_errors& errors) {
    core::api_error error;
    error.status = http::status::unprocessable_entity;
    error.message = describe(errors);
    error.type = "invalid_request_error";
    if (!errors.empty()) {
        std::string param;
        for (const auto& part : errors.front().loc) param += (param.empty() ? "" : ".") + part;
        error.param = param;
    }
    error.code = "validation_error";
    return {error, error_body(errors)["detail"]};
}

host_failure port_failure(const boost::system::error_code& ec, std::optional<std::uint16_t> port) {
    field_error problem;
    problem.loc = {"config", "port"};
    problem.type = "value_error";
    problem.msg = port ? "Port " + std::to_string(*port) + ": " + ec.message() : ec.message();
    if (port) problem.input = *port;
    auto failure = validation_failure({problem});
    if (ec == port_errc::port_held || ec == port_errc::port_in_use) {
        failure.error.status = http::status::conflict;
        failure.error.code = "port_unavailable";
    }
    return failure;
}

std::filesystem::path hub_cache_dir() {
    if (const char* cache = std::getenv("HF_HUB_CACHE"); cache && *cache) return cache;
    if (const char* home = std::getenv("HF_HOME"); home && *home)
        return std::filesystem::path(home) / "hub";
    if (const char* home = std::getenv("HOME"); home && *home)
        return std::filesystem::path(home) / ".cache" / "huggingface" / "hub";
    return {};
}

// The model's parameter count from its own files, if they can be read.
std::optional<std::uint64_t> model_parameter_count(const instance_config& config) {
    std::filesystem::path path;
    if (const auto* llama = std::get_if<llamacpp_config>(&config)) {
        path = llama->model;
    } else {
        std::string model_id = std::visit(
            [](const auto& c) -> std::string {
                if constexpr (requires { c.model_id; }) return c.model_id;
                return {};
            },
            config
        );
        auto dir = resolve_hf_model_dir(model_id, hub_cache_dir());
        if (!dir) return std::nullopt;
        path = *dir;
    }
    auto facts = read_model_facts(path);
    if (!facts) return std::nullopt;
    return facts->parameter_count;
}

bool is_llama_task_start(std::string_view line) {
    return line.find("launch_slot_") != std::string_view::npos &&
           line.find("processing task") != std::string_view::npos;
}

bool is_llama_task_end(std::string_view line) {
    return line.find("slot      release") != std::string_view::npos ||
           line.find("cancel_tasks") != std::string_view::npos;
}

}  // namespace

// One instance: what config.json holds, plus its process and its logs.
struct managed_instance {
    stored_instance stored;
    std::optional<std::uint64_t> parameter_count;
    std::shared_ptr<log_ring> ring;
    std::shared_ptr<log_file> file;  // null when the log file could not be opened
    std::shared_ptr<instance_supervisor> supervisor;

    // Guarded by `facts_mutex`: written from the supervisor's line and state callbacks.
    mutable std::mutex facts_mutex;
    instance_snapshot process;
    std::optional<last_generation> generation;
    generation_timing_parser timing{unix_seconds_now};
    int active_generations = 0;
    std::map<std::uint64_t, state_listener> listeners;
};

struct instance_manager::impl {
    impl(asio::io_context& ioc, asio::thread_pool& blocking, const host_config& config)
        : ioc(ioc),
          blocking(blocking),
          config(config),
          store(config.data_dir / "config.json"),
          logs_dir(config.data_dir / "logs"),
          reaper(ioc.get_executor()),
          log(core::component_logger("host")) {}

    asio::io_context& ioc;
    asio::thread_pool& blocking;
    const host_config& config;
    instance_store store;
    std::filesystem::path logs_dir;
    child_reaper reaper;
    // One thread: config.json saves run in order, log file writes stay off the I/O threads.
    asio::thread_pool save_pool{1};
    asio::thread_pool file_pool{1};
    std::shared_ptr<spdlog::logger> log;

    mutable std::mutex mutex;  // guards `instances`, `next_token` and every `stored`
    std::map<std::string, std::shared_ptr<managed_instance>> instances;
    std::uint64_t next_token = 1;
    bool shutting_down = false;

    std::shared_ptr<managed_instance> find(const std::string& id) const {
        std::lock_guard lock(mutex);
        auto it = instances.find(id);
        return it == instances.end() ? nullptr : it->second;
    }

    // Writes config.json from the current state. Runs on save_pool; the state is read there,
    // so the last save always holds the latest state whatever order callers raced in.
    void save_now() {
        std::vector<stored_instance> all;
        {
            std::lock_guard lock(mutex);
            for (const auto& [id, instance] : instances) all.push_back(instance->stored);
        }
        store.save(all);
    }

    // Persists, and answers the failure to return when it could not (nothing is claimed
    // done that is not on disk).
    asio::awaitable<std::optional<host_failure>> persist() {
        try {
            co_await core::run_blocking(save_pool, [this] {
                save_now();
                return true;
            });
        } catch (const std::exception& e) {
            log->error("cannot write {}: {}", store.file().string(), e.what());
            co_return host_failure{
                core::internal_error("Cannot write config.json: " + std::string(e.what())),
                nullptr};
        }
        co_return std::nullopt;
    }

    std::vector<std::uint16_t> ports_held_except(const std::string& id) const {
        std::vector<std::uint16_t> held;
        for (const auto& [other, instance] : instances) {
            if (other != id && instance->stored.port) held.push_back(*instance->stored.port);
        }
        return held;
    }

    backend_programs programs() const { return {config.llama_server_path, config.hf_runner_path}; }

    // A line the child (or solar-host about it) wrote: ring, file, timings.
    void on_line(managed_instance& instance, std::string_view stream, std::string_view line) {
        auto entry = instance.ring->append(stream, line);
        if (auto file = instance.file) {
            asio::post(file_pool, [file, entry] { (void)file->append(entry); });
        }
        if (stream == "host") return;
        std::lock_guard lock(instance.facts_mutex);
        if (is_llama_task_start(line)) ++instance.active_generations;
        if (is_llama_task_end(line) && instance.active_generations > 0)
            --instance.active_generations;
        if (auto generation = instance.timing.feed(line)) instance.generation = *generation;
    }

    void on_state(managed_instance& instance, const instance_snapshot& snapshot) {
        std::vector<state_listener> listeners;
        {
            std::lock_guard lock(instance.facts_mutex);
            bool stopped_now = snapshot.status != instance.process.status &&
                               (snapshot.status == "stopped" || snapshot.status == "failed");
            instance.process = snapshot;
            if (stopped_now) instance.active_generations = 0;
            for (const auto& [token, listener] : instance.listeners) listeners.push_back(listener);
        }
        if (listeners.empty()) return;
        auto document = state_document(instance);
        for (const auto& listener : listeners) listener(document);
    }

    void open_log(managed_instance& instance) {
        auto path = log_file_path(logs_dir, instance.stored.id);
        auto opened = log_file::open(path, {config.log_max_bytes, config.log_files});
        if (opened) {
            instance.file = std::make_shared<log_file>(std::move(*opened));
        } else {
            log->error("cannot open {}: {}", path.string(), opened.error().message());
        }
    }

    std::shared_ptr<managed_instance> make_instance(stored_instance stored) {
        auto instance = std::make_shared<managed_instance>();
        instance->stored = std::move(stored);
        instance->ring = std::make_shared<log_ring>(config.log_ring_lines);
        if (instance->stored.config)
            instance->parameter_count = model_parameter_count(*instance->stored.config);
        return instance;
    }

    // A fresh supervisor for the instance's current config and port.
    void make_supervisor(const std::shared_ptr<managed_instance>& instance) {
        const auto& cfg = *instance->stored.config;
        instance_spec spec;
        spec.argv = command_line(cfg, *instance->stored.port, programs());
        spec.port = *instance->stored.port;
        spec.policy.max_retries = static_cast<int>(config.start_retries);
        spec.policy.auto_restart = common(cfg).auto_restart;
        spec.policy.readiness_timeout = config.readiness_timeout;
        spec.policy.stop_grace = config.stop_grace;
        std::weak_ptr<managed_instance> weak = instance;
        supervisor_callbacks callbacks;
        callbacks.on_line = [this, weak](std::string_view stream, std::string_view line) {
            if (auto self = weak.lock()) on_line(*self, stream, line);
        };
        callbacks.on_state = [this, weak](const instance_snapshot& snapshot) {
            if (auto self = weak.lock()) on_state(*self, snapshot);
        };
        instance->supervisor = instance_supervisor::create(
            ioc.get_executor(), blocking, reaper, std::move(spec), std::move(callbacks)
        );
    }

    instance_snapshot process_of(const managed_instance& instance) const {
        std::lock_guard lock(instance.facts_mutex);
        return instance.process;
    }

    json state_document(const managed_instance& instance) const {
        instance_snapshot process;
        int active = 0;
        {
            std::lock_guard lock(instance.facts_mutex);
            process = instance.process;
            active = instance.active_generations;
        }
        std::string error = process.error_message;
        if (error.empty() && !instance.stored.config) error = instance.stored.invalid_reason;
        json state{
            {"instance_id", instance.stored.id},
            {"status", instance.stored.config ? process.status : std::string("failed")},
            {"pid", process.pid ? json(process.pid) : json(nullptr)},
            {"port", instance.stored.port ? json(*instance.stored.port) : json(nullptr)},
            {"started_at", process.started_at > 0 ? json(process.started_at) : json(nullptr)},
            {"uptime_s", nullptr},
            {"restarts", process.restarts},
            {"retry_count", process.retry_count},
            {"error_message", error.empty() ? json(nullptr) : json(error)},
            {"last_exit", process.last_exit.empty() ? json(nullptr) : json(process.last_exit)},
            {"rss_bytes", nullptr},
            {"generation_in_progress", active > 0},
            {"active_generations", active},
        };
        if (process.status == "running" && process.started_at > 0) {
            state["uptime_s"] =
                std::max(0.0, unix_seconds_now() - static_cast<double>(process.started_at));
        }
        if (process.pid > 0) {
            if (auto rss = process_rss_bytes(process.pid)) state["rss_bytes"] = *rss;
        }
        return state;
    }

    json instance_document(const managed_instance& instance) const {
        const auto& stored = instance.stored;
        auto process = process_of(instance);
        auto state = state_document(instance);
        json doc{
            {"id", stored.id},
            {"config", config_json(stored)},
            {"status", state["status"]},
            {"port", state["port"]},
            {"pid", state["pid"]},
            {"error_message", state["error_message"]},
            {"retry_count", process.retry_count},
            {"restarts", process.restarts},
            {"started_at", state["started_at"]},
            {"created_at", stored.created_at},
            {"updated_at", stored.updated_at},
            {"desired", std::string(to_string(stored.desired))},
            {"log_file", log_file_path(logs_dir, stored.id).string()},
        };
        if (stored.config) {
            doc["backend_type"] = std::string(backend_type_of(*stored.config));
            doc["alias"] = common(*stored.config).alias;
            doc["endpoints"] = endpoints_for(*stored.config);
        } else {
            doc["endpoints"] = json::array();
        }
        // From the model's own files; else the alias's size tag ("llama3:8b"); else unknown.
        if (instance.parameter_count) {
            doc["parameter_count"] = *instance.parameter_count;
            doc["parameter_count_source"] = "model";
        } else if (auto from_alias = stored.config
                                         ? core::parameter_count_from_alias(
                                               common(*stored.config).alias
                                           )
                                         : std::nullopt) {
            doc["parameter_count"] = static_cast<std::uint64_t>(*from_alias);
            doc["parameter_count_source"] = "alias";
        } else {
            doc["parameter_count"] = nullptr;
            doc["parameter_count_source"] = nullptr;
        }
        return doc;
    }

    // Assigns the instance a port: its own when still free, else per the allocator.
    boost::system::result<std::uint16_t> choose_port(
        const std::string& id,
        std::optional<std::uint16_t> requested,
        std::optional<std::uint16_t> previous
    ) const {
        auto held = ports_held_except(id);
        if (!requested && previous) {
            auto kept = allocate_port(held, is_port_free, previous);
            if (kept) return kept;
        }
        return allocate_port(held, is_port_free, requested);
    }

    void begin_start(const std::shared_ptr<managed_instance>& instance) {
        // The same supervisor while the command line stays the same, so its counters
        // (restarts) carry on; a new one after an edit or a change of port.
        auto argv = command_line(*instance->stored.config, *instance->stored.port, programs());
        if (!instance->supervisor || instance->supervisor->spec().argv != argv)
            make_supervisor(instance);
        on_line(
            *instance,
            "host",
            "starting: " + command_line_for_log(command_line(
                               *instance->stored.config, *instance->stored.port, programs()
                           ))
        );
        {
            // Answer "starting" at once; the supervisor's own report follows on its strand.
            std::lock_guard lock(instance->facts_mutex);
            if (instance->process.status != "running") instance->process.status = "starting";
        }
        instance->supervisor->start();
    }
};

instance_manager::instance_manager(
    asio::io_context& ioc, asio::thread_pool& blocking, const host_config& config
)
    : impl_(std::make_unique<impl>(ioc, blocking, config)) {}

instance_manager::~instance_manager() {
    impl_->save_pool.join();
    impl_->file_pool.join();
}

boot_report instance_manager::boot() {
    auto& m = *impl_;
    boot_report report;
    auto loaded = m.store.load(std::chrono::system_clock::now());
    if (loaded.set_aside) {
        report.problem = loaded.problem + "; kept aside as " + loaded.set_aside->string();
    }
    std::vector<std::shared_ptr<managed_instance>> autostart;
    {
        std::lock_guard lock(m.mutex);
        for (auto& stored : loaded.instances) {
            auto instance = m.make_instance(std::move(stored));
            auto tail =
                read_tail(log_file_path(m.logs_dir, instance->stored.id), boot_replay_lines);
            if (tail && !tail->empty()) instance->ring->restore(*tail);
            m.open_log(*instance);
            if (instance->stored.desired == desired_state::running && instance->stored.config)
                autostart.push_back(instance);
            m.instances.emplace(instance->stored.id, instance);
        }
    }
    report.loaded = loaded.instances.size();
    for (auto& instance : autostart) {
        std::optional<std::uint16_t> requested = common(*instance->stored.config).port;
        std::unique_lock lock(m.mutex);
        auto port = m.choose_port(instance->stored.id, requested, instance->stored.port);
        if (!port) {
            lock.unlock();
            m.on_line(*instance, "host", "not started at boot: " + port.error().message());
            continue;
        }
        instance->stored.port = *port;
        lock.unlock();
        m.begin_start(instance);
        ++report.autostarted;
    }
    if (loaded.legacy_format || !autostart.empty()) m.save_now();
    return report;
}

asio::awaitable<host_result<json>> instance_manager::create(const json& body) {
    auto& m = *impl_;
    auto parsed = parse_instance_body(body, filesystem_validation_env());
    if (!parsed) co_return validation_failure(parsed.error());
    auto config = std::move(*parsed);
    std::shared_ptr<managed_instance> instance;
    {
        std::lock_guard lock(m.mutex);
        if (m.shutting_down) {
            co_return host_failure{
                core::service_unavailable("solar-host is shutting down", "shutting_down"), nullptr};
        }
        stored_instance stored;
        stored.id = core::random_uuid_v4();
        auto port = m.choose_port(stored.id, common(config).port, std::nullopt);
        if (!port) co_return port_failure(port.error(), common(config).port);
        stored.port = *port;
        stored.config = std::move(config);
        stored.raw_config = to_json(*stored.config);
        stored.created_at = stored.updated_at = utc_timestamp(std::chrono::system_clock::now());
        instance = m.make_instance(std::move(stored));
        m.open_log(*instance);
        m.instances.emplace(instance->stored.id, instance);
    }
    if (auto failure = co_await m.persist()) {
        std::lock_guard lock(m.mutex);
        m.instances.erase(instance->stored.id);
        co_return *failure;
    }
    m.log->info(
        "instance {} created ({}, alias {})",
        instance->stored.id,
        backend_type_of(*instance->stored.config),
        common(*instance->stored.config).alias
    );
    std::lock_guard lock(m.mutex);
    co_return m.instance_document(*instance);
}

asio::awaitable<host_result<json>> instance_manager::update(
    const std::string& id, const json& body
) {
    auto& m = *impl_;
    auto instance = m.find(id);
    if (!instance) co_return instance_not_found(id);
    auto parsed = parse_instance_body(body, filesystem_validation_env());
    if (!parsed) co_return validation_failure(parsed.error());
    auto status = m.process_of(*instance).status;
    if (status != "stopped" && status != "failed") {
        co_return instance_conflict(
            "Instance " + id + " is " + status + "; stop it first", "instance_running"
        );
    }
    stored_instance before;
    {
        std::lock_guard lock(m.mutex);
        before = instance->stored;
        auto port = m.choose_port(id, common(*parsed).port, instance->stored.port);
        if (!port) co_return port_failure(port.error(), common(*parsed).port);
        instance->stored.port = *port;
        instance->stored.config = std::move(*parsed);
        instance->stored.raw_config = to_json(*instance->stored.config);
        instance->stored.invalid_reason.clear();
        instance->stored.updated_at = utc_timestamp(std::chrono::system_clock::now());
        instance->parameter_count = model_parameter_count(*instance->stored.config);
        instance->supervisor.reset();
    }
    if (auto failure = co_await m.persist()) {
        std::lock_guard lock(m.mutex);
        instance->stored = before;
        co_return *failure;
    }
    std::lock_guard lock(m.mutex);
    co_return m.instance_document(*instance);
}

asio::awaitable<host_result<json>> instance_manager::remove(const std::string& id) {
    auto& m = *impl_;
    auto instance = m.find(id);
    if (!instance) co_return instance_not_found(id);
    auto status = m.process_of(*instance).status;
    if (status != "stopped" && status != "failed") {
        co_return instance_conflict(
            "Instance " + id + " is " + status + "; stop it first", "instance_running"
        );
    }
    {
        std::lock_guard lock(m.mutex);
        m.instances.erase(id);
    }
    if (auto failure = co_await m.persist()) {
        std::lock_guard lock(m.mutex);
        m.instances.emplace(id, instance);
        co_return *failure;
    }
    m.log->info("instance {} deleted", id);
    co_return json{{"message", "Instance " + id + " deleted"}, {"id", id}};
}

asio::awaitable<host_result<json>> instance_manager::start(const std::string& id) {
    auto& m = *impl_;
    auto instance = m.find(id);
    if (!instance) co_return instance_not_found(id);
    {
        std::unique_lock lock(m.mutex);
        if (m.shutting_down) {
            co_return host_failure{
                core::service_unavailable("solar-host is shutting down", "shutting_down"), nullptr};
        }
        if (!instance->stored.config) {
            co_return host_failure{
                core::bad_request(
                    "Instance " + id + " has an invalid config: " + instance->stored.invalid_reason,
                    "config",
                    "invalid_config"
                ),
                nullptr};
        }
        auto status = m.process_of(*instance).status;
        if (status == "starting" || status == "running") co_return m.instance_document(*instance);
        if (status == "stopping") {
            co_return instance_conflict("Instance " + id + " is stopping", "instance_stopping");
        }
        auto port = m.choose_port(id, common(*instance->stored.config).port, instance->stored.port);
        if (!port) co_return port_failure(port.error(), common(*instance->stored.config).port);
        instance->stored.port = *port;
        instance->stored.desired = desired_state::running;
        instance->stored.updated_at = utc_timestamp(std::chrono::system_clock::now());
    }
    if (auto failure = co_await m.persist()) co_return *failure;
    m.begin_start(instance);
    m.log->info("instance {} starting on port {}", id, *instance->stored.port);
    std::lock_guard lock(m.mutex);
    co_return m.instance_document(*instance);
}

asio::awaitable<host_result<json>> instance_manager::stop(const std::string& id) {
    auto& m = *impl_;
    auto instance = m.find(id);
    if (!instance) co_return instance_not_found(id);
    std::shared_ptr<instance_supervisor> supervisor;
    {
        std::lock_guard lock(m.mutex);
        instance->stored.desired = desired_state::stopped;
        instance->stored.updated_at = utc_timestamp(std::chrono::system_clock::now());
        supervisor = instance->supervisor;
    }
    if (auto failure = co_await m.persist()) co_return *failure;
    if (supervisor) {
        m.on_line(*instance, "host", "stopping");
        co_await supervisor->stop();
    }
    m.log->info("instance {} stopped", id);
    std::lock_guard lock(m.mutex);
    co_return m.instance_document(*instance);
}

asio::awaitable<host_result<json>> instance_manager::restart(const std::string& id) {
    auto stopped = co_await stop(id);
    if (!stopped) co_return stopped;
    co_return co_await start(id);
}

json instance_manager::list() const {
    std::lock_guard lock(impl_->mutex);
    json all = json::array();
    for (const auto& [id, instance] : impl_->instances) {
        all.push_back(impl_->instance_document(*instance));
    }
    return all;
}

host_result<json> instance_manager::get(const std::string& id) const {
    auto instance = impl_->find(id);
    if (!instance) return instance_not_found(id);
    std::lock_guard lock(impl_->mutex);
    return impl_->instance_document(*instance);
}

host_result<json> instance_manager::state(const std::string& id) const {
    auto instance = impl_->find(id);
    if (!instance) return instance_not_found(id);
    std::lock_guard lock(impl_->mutex);
    return impl_->state_document(*instance);
}

host_result<json> instance_manager::last_generation(const std::string& id) const {
    auto instance = impl_->find(id);
    if (!instance) return instance_not_found(id);
    std::lock_guard lock(instance->facts_mutex);
    if (!instance->generation) {
        return host_failure{
            core::not_found(
                "Instance " + id + " has not finished a generation yet", "no_generation"
            ),
            nullptr};
    }
    auto doc = to_json(*instance->generation);
    doc["instance_id"] = id;
    return doc;
}

std::shared_ptr<log_ring> instance_manager::logs(const std::string& id) const {
    auto instance = impl_->find(id);
    return instance ? instance->ring : nullptr;
}

std::uint64_t instance_manager::watch_state(const std::string& id, state_listener listener) {
    auto instance = impl_->find(id);
    if (!instance) return 0;
    std::uint64_t token = 0;
    {
        std::lock_guard lock(impl_->mutex);
        token = impl_->next_token++;
    }
    std::lock_guard lock(instance->facts_mutex);
    instance->listeners.emplace(token, std::move(listener));
    return token;
}

void instance_manager::unwatch_state(const std::string& id, std::uint64_t token) {
    auto instance = impl_->find(id);
    if (!instance) return;
    std::lock_guard lock(instance->facts_mutex);
    instance->listeners.erase(token);
}

asio::awaitable<void> instance_manager::shutdown() {
    auto& m = *impl_;
    std::vector<std::shared_ptr<instance_supervisor>> running;
    {
        std::lock_guard lock(m.mutex);
        m.shutting_down = true;
        for (auto& [id, instance] : m.instances) {
            if (instance->supervisor) running.push_back(instance->supervisor);
        }
    }
    // All at once: each waits its own grace period.
    co_await stop_all(running);
}

}  // namespace solar::host
