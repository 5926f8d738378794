// solar-host's lifetime: boot the instances, serve, and on a signal stop every child before
// exiting, so no process outlives it.
#include <solar/core/api_docs.hpp>
#include <solar/core/http_server.hpp>
#include <solar/core/logging.hpp>
#include <solar/host/app.hpp>
#include <solar/host/host_error.hpp>
#include <solar/host/instance_manager.hpp>
#include <solar/host/openapi_document.hpp>
#include <solar/host/routes.hpp>

#include <boost/asio/co_spawn.hpp>
#include <boost/asio/detached.hpp>
#include <boost/asio/signal_set.hpp>

#include <thread>

namespace solar::host {

void add_all_routes(core::router& routes, instance_manager& manager) {
    add_system_routes(routes);
    add_instance_routes(routes, manager);
    add_instance_socket_routes(routes, manager);
    core::add_api_docs_routes(
        routes,
        std::string(openapi_document()),
        {.assets_dir = core::default_swagger_ui_dir(),
         .error_body = [](const core::api_error& error) { return host_error_body(error); }}
    );
}

int run_host(const host_config& config) {
    auto log = core::component_logger("host");
    std::size_t threads =
        config.threads ? config.threads : std::max(1u, std::thread::hardware_concurrency());
    asio::io_context ioc{static_cast<int>(threads)};
    // fork/exec and file work. Its threads live until every child is gone: children get
    // SIGKILL when the thread that forked them exits (PR_SET_PDEATHSIG).
    asio::thread_pool blocking{2};

    instance_manager manager{ioc, blocking, config};
    try {
        auto report = manager.boot();
        if (!report.problem.empty()) log->error("config.json: {}", report.problem);
        log->info(
            "{} instance(s) loaded from {}, {} started again",
            report.loaded,
            (config.data_dir / "config.json").string(),
            report.autostarted
        );
    } catch (const std::exception& e) {
        log->critical("cannot load instances: {}", e.what());
        return 1;
    }

    core::router routes;
    add_all_routes(routes, manager);

    core::server_options options;
    options.address = config.host;
    options.port = config.port;
    options.strand_per_connection = threads > 1;
    options.error_body = [](const core::api_error& error) { return host_error_body(error); };
    core::http_server server{ioc, options, routes, config.api_key};
    try {
        auto endpoint = server.listen();
        log->info("solar-host listening on {}:{}", endpoint.address().to_string(), endpoint.port());
    } catch (const std::exception& e) {
        log->critical("cannot listen on {}:{}: {}", config.host, config.port, e.what());
        asio::co_spawn(
            ioc,
            [&]() -> asio::awaitable<void> {
                co_await manager.shutdown();
                ioc.stop();
            },
            asio::detached
        );
        ioc.run();
        return 1;
    }
    server.start();

    asio::signal_set signals{ioc, SIGINT, SIGTERM};
    signals.async_wait([&](const boost::system::error_code& ec, int signal) {
        if (ec) return;
        log->info("signal {} received, stopping instances", signal);
        asio::co_spawn(
            ioc,
            [&]() -> asio::awaitable<void> {
                co_await manager.shutdown();
                co_await server.shutdown(std::chrono::seconds(2));
                ioc.stop();
            },
            asio::detached
        );
    });

    std::vector<std::thread> workers;
    for (std::size_t i = 1; i < threads; ++i) workers.emplace_back([&ioc] { ioc.run(); });
    ioc.run();
    for (auto& worker : workers) worker.join();
    log->info("solar-host stopped");
    return 0;
}

}  // namespace solar::host
