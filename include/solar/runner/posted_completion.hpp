// How a worker thread hands a result back to the coroutine that awaits it: the completion
// handler is type-erased, keeps its executor alive, and runs there (never on the worker).
// Shared by dynamic_batcher (one result per request) and generation_stream (events).
#pragma once

#include <boost/asio/associated_cancellation_slot.hpp>
#include <boost/asio/associated_executor.hpp>
#include <boost/asio/executor_work_guard.hpp>
#include <boost/asio/post.hpp>

#include <tuple>
#include <utility>

namespace solar::runner {

namespace asio = boost::asio;

template <typename... Args>
struct posted_completion_base {
    virtual ~posted_completion_base() = default;
    // Posts the handler with `args` to its executor; call once.
    virtual void complete(Args... args) = 0;
};

template <typename Handler, typename... Args>
struct posted_completion final : posted_completion_base<Args...> {
    explicit posted_completion(Handler h)
        : handler(std::move(h)),
          work(asio::make_work_guard(asio::get_associated_executor(handler))) {}

    void complete(Args... args) override {
        auto executor = asio::get_associated_executor(handler);
        asio::post(
            executor,
            [h = std::move(handler), values = std::make_tuple(std::move(args)...)]() mutable {
                asio::get_associated_cancellation_slot(h).clear();
                std::apply([&](auto&... v) { std::move(h)(std::move(v)...); }, values);
            }
        );
        work.reset();
    }

    Handler handler;
    asio::executor_work_guard<asio::associated_executor_t<Handler>> work;
};

}  // namespace solar::runner
