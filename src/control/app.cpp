// Builds every part of the gateway, serves until a signal, then shuts down gracefully.
#include <solar/control/app.hpp>
#include <solar/control/log_fanin.hpp>
#include <solar/control/openapi_document.hpp>
#include <solar/control/services.hpp>
#include <solar/core/api_docs.hpp>
#include <solar/core/http_server.hpp>
#include <solar/core/logging.hpp>

#include <boost/asio/co_spawn.hpp>
#include <boost/asio/detached.hpp>
#include <boost/asio/signal_set.hpp>

#include <filesystem>
#include <thread>

namespace solar::control {

void add_all_routes(core::router& routes, control_services& services) {
    add_health_routes(routes, services);
    add_host_routes(routes, services);
    add_openai_routes(routes, services);
    routes.add(
        http::verb::get,
        "/ws/logs",
        [&logs = services.logs](core::request_context& ctx) { return logs.handle_ws(ctx); },
        core::route_options{.allow_query_key = true}
    );
    core::add_api_docs_routes(
        routes, std::string(openapi_document()), {.assets_dir = core::default_swagger_ui_dir()}
    );
}

int run_control(const control_config& config) {
    auto log = core::component_logger("control");
    std::size_t threads =
        config.threads ? config.threads : std::max(1u, std::thread::hardware_concurrency());

    // With one thread every socket operation starts and completes on it, so the reactor's
    // per-socket locks guard nothing; the scheduler keeps its lock for the database thread's
    // completions.
    asio::io_context ioc{
        threads == 1 ? BOOST_ASIO_CONCURRENCY_HINT_UNSAFE_IO : static_cast<int>(threads)};
    asio::thread_pool db_pool{1};
    auto db_file = config.data_dir / "solar-control.db";
    std::unique_ptr<host_store> store;
    try {
        store = std::make_unique<host_store>(db_file);
    } catch (const std::exception& e) {
        log->critical("cannot open database {}: {}", db_file.string(), e.what());
        return 1;
    }

    core::upstream_pool pool{ioc.get_executor()};
    model_registry registry;
    refresher refresh{ioc, db_pool, *store, pool, registry, config};
    openai_proxy proxy{registry, pool, config};
    log_fanin logs{ioc, pool};
    control_services services{
        config,
        db_pool,
        *store,
        pool,
        registry,
        refresh,
        proxy,
        logs,
        std::chrono::system_clock::now()};
    refresh.set_listener([&logs](
                             const std::vector<instance_info>& instances,
                             const std::vector<host_record>& hosts
                         ) { logs.update_instances(instances, hosts); });

    core::router routes;
    add_all_routes(routes, services);

    core::server_options server_options;
    server_options.address = config.host;
    server_options.port = config.port;
    server_options.max_body_bytes = config.max_body_bytes;
    server_options.strand_per_connection = threads > 1;
    core::http_server server{ioc, server_options, routes, config.api_key};
    try {
        auto endpoint = server.listen();
        log->info(
            "solar-control listening on {}:{}", endpoint.address().to_string(), endpoint.port()
        );
    } catch (const std::exception& e) {
        log->critical("cannot listen on {}:{}: {}", config.host, config.port, e.what());
        return 1;
    }
    server.start();
    refresh.start();

    asio::signal_set signals{ioc, SIGINT, SIGTERM};
    signals.async_wait([&](const boost::system::error_code& ec, int signal) {
        if (ec) return;
        log->info(
            "signal {} received, shutting down (grace {} ms)", signal, config.shutdown_grace.count()
        );
        asio::co_spawn(
            ioc,
            [&]() -> asio::awaitable<void> {
                refresh.stop();
                logs.stop();
                co_await server.shutdown(config.shutdown_grace);
                ioc.stop();
            },
            asio::detached
        );
    });

    std::vector<std::thread> workers;
    for (std::size_t i = 1; i < threads; ++i) workers.emplace_back([&ioc] { ioc.run(); });
    ioc.run();
    for (auto& worker : workers) worker.join();
    db_pool.join();
    log->info("solar-control stopped");
    return 0;
}

}  // namespace solar::control
