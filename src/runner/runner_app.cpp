// solar-hf-runner's lifetime, with llama-server's "main:" lines for people and tools reading
// its log.
#include <solar/core/blocking.hpp>
#include <solar/core/logging.hpp>
#include <solar/runner/hub_download.hpp>
#include <solar/runner/runner_app.hpp>
#include <solar/runner/server_routes.hpp>
#include <solar/runner/slot_log.hpp>

#include <boost/asio/co_spawn.hpp>
#include <boost/asio/detached.hpp>
#include <boost/asio/signal_set.hpp>

#include <thread>

namespace solar::runner {

namespace {

constexpr int io_threads = 2;

// The resolution, possibly downloaded; empty `dir` and a message on failure.
struct located_model {
    std::filesystem::path dir;
    std::string problem;
};

located_model locate(const runner_config& config, const hub_settings& hub) {
    auto log = core::component_logger("runner");
    auto found = resolve_model(config.model_id, hub);
    switch (found.kind) {
        case resolution_kind::local_directory:
        case resolution_kind::cached_snapshot:
            return {found.dir, {}};
        case resolution_kind::not_found:
            return {{}, found.message};
        case resolution_kind::needs_download:
            break;
    }
    if (!found.missing.empty()) {
        log->info("cached snapshot {} lacks {} file(s)", found.dir.string(), found.missing.size());
    }
    try {
        log->info(
            "downloading {} from {} into {}", config.model_id, hub.endpoint, hub.cache_dir.string()
        );
        return {download_model(config.model_id, hub, *log), {}};
    } catch (const std::exception& e) {
        return {{}, e.what()};
    }
}

}  // namespace

runner_app::runner_app(runner_config config, model_loader loader, core::env_lookup getenv)
    : config_(std::move(config)),
      loader_(std::move(loader)),
      hub_(hub_settings_from_env(getenv)),
      ioc_(io_threads),
      service_(config_, blocking_) {
    add_runner_routes(routes_, service_);
    core::server_options options;
    options.address = config_.host;
    options.port = config_.port;
    server_ = std::make_unique<core::http_server>(ioc_, options, routes_, config_.api_key);
}

runner_app::~runner_app() {
    service_.stop();
    blocking_.join();
}

asio::ip::tcp::endpoint runner_app::listen() {
    endpoint_ = server_->listen();
    bare_logger()->info(
        "main: HTTP server is listening, hostname: {}, port: {}, http threads: {}",
        config_.host,
        endpoint_.port(),
        io_threads
    );
    return endpoint_;
}

void runner_app::fail(const std::string& why) {
    auto log = bare_logger();
    log->info("srv    load_model: failed to load model, '{}': {}", config_.model_id, why);
    log->info("main: exiting due to model loading error");
    exit_code_ = 1;
    stop();
}

asio::awaitable<void> runner_app::boot() {
    auto log = bare_logger();
    log->info("main: loading model");
    located_model where;
    where = co_await core::run_blocking(blocking_, [&] { return locate(config_, hub_); });
    if (where.dir.empty()) {
        fail(where.problem);
        co_return;
    }
    core::component_logger("runner")->info("model directory {}", where.dir.string());
    loaded_model model;
    std::string problem;
    try {
        model = co_await core::run_blocking(blocking_, [&] { return loader_(where.dir, config_); });
    } catch (const std::exception& e) {
        problem = e.what();
    }
    if (!problem.empty()) {
        fail(problem);
        co_return;
    }
    if (auto refused = service_.set_ready(std::move(model))) {
        fail(*refused);
        co_return;
    }
    log->info("main: model loaded");
    log->info(
        "main: server is listening on http://{}:{} - starting the main loop",
        config_.host,
        endpoint_.port()
    );
}

asio::awaitable<void> runner_app::shutdown() {
    service_.stop();
    co_await server_->shutdown(std::chrono::seconds(2));
    ioc_.stop();
}

void runner_app::stop() {
    if (stopping_.exchange(true)) return;
    asio::co_spawn(ioc_, shutdown(), asio::detached);
}

int runner_app::run(bool handle_signals) {
    server_->start();
    asio::co_spawn(ioc_, boot(), [this](std::exception_ptr e) {
        if (!e) return;
        try {
            std::rethrow_exception(e);
        } catch (const std::exception& ex) {
            fail(ex.what());
        }
    });
    asio::signal_set signals{ioc_};
    if (handle_signals) {
        signals.add(SIGINT);
        signals.add(SIGTERM);
        signals.async_wait([this](const boost::system::error_code& ec, int signal) {
            if (ec) return;
            bare_logger()->info("main: signal {} received, cleaning up before exit...", signal);
            stop();
        });
    }
    std::vector<std::thread> workers;
    for (int i = 1; i < io_threads; ++i) workers.emplace_back([this] { ioc_.run(); });
    ioc_.run();
    for (auto& worker : workers) worker.join();
    service_.stop();
    return exit_code_.load();
}

}  // namespace solar::runner
