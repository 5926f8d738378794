// solar-hf-runner's lifetime: bind first (so /health answers 503 while loading), resolve or
// download the model, load it on a blocking thread, serve; on SIGTERM/SIGINT stop gracefully.
#pragma once

#include <solar/core/http_server.hpp>
#include <solar/core/router.hpp>
#include <solar/core/settings.hpp>
#include <solar/runner/model_resolver.hpp>
#include <solar/runner/runner_config.hpp>
#include <solar/runner/runner_service.hpp>

#include <boost/asio/io_context.hpp>
#include <boost/asio/thread_pool.hpp>

#include <atomic>
#include <filesystem>
#include <functional>

namespace solar::runner {

// Loads the tokenizer and the model from a complete model directory; runs on a blocking
// thread. Throws std::exception with a message for the log when it cannot.
using model_loader =
    std::function<loaded_model(const std::filesystem::path& model_dir, const runner_config&)>;

class runner_app {
public:
    // `getenv` supplies the HF_* variables (injected so tests need no real environment).
    runner_app(runner_config config, model_loader loader, core::env_lookup getenv);
    ~runner_app();
    runner_app(const runner_app&) = delete;
    runner_app& operator=(const runner_app&) = delete;

    // Binds and listens; returns the bound endpoint (port 0 becomes the real port). Throws
    // boost::system::system_error when the address cannot be bound.
    asio::ip::tcp::endpoint listen();

    // Serves until stop() or, when `handle_signals`, SIGTERM/SIGINT. Returns the exit code: 0
    // after a requested stop, 1 when the model could not be resolved, downloaded or loaded.
    int run(bool handle_signals = true);

    // Stops gracefully: queued requests fail, busy connections get 2 s. Thread-safe.
    void stop();

    bool ready() const { return service_.ready(); }

private:
    asio::awaitable<void> boot();
    asio::awaitable<void> shutdown();
    void fail(const std::string& why);

    runner_config config_;
    model_loader loader_;
    hub_settings hub_;
    asio::io_context ioc_;
    asio::thread_pool blocking_{2};
    runner_service service_;
    core::router routes_;
    std::unique_ptr<core::http_server> server_;
    asio::ip::tcp::endpoint endpoint_;
    std::atomic<int> exit_code_{0};
    std::atomic<bool> stopping_{false};
};

}  // namespace solar::runner
