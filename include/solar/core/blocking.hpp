// Runs blocking work (SQLite, file I/O, fork/exec) on a separate pool and awaits its result,
// so no I/O thread ever blocks.
#pragma once

#include <solar/core/http_types.hpp>

#include <boost/asio/async_result.hpp>
#include <boost/asio/dispatch.hpp>
#include <boost/asio/post.hpp>
#include <boost/asio/thread_pool.hpp>
#include <boost/asio/use_awaitable.hpp>

#include <exception>
#include <optional>
#include <type_traits>

namespace solar::core {

// Calls `work()` on `pool` and resumes the caller on its own executor with the result.
// Exceptions thrown by `work` propagate to the caller. The result type must be default
// constructible. `work` must capture by reference only: GCC 12 destroys temporaries inside a
// co_await expression twice (GCC PR 99576), which is harmless only for trivially destructible
// objects; the caller's frame outlives the work since it is suspended until it completes.
template <typename Work>
auto run_blocking(asio::thread_pool& pool, Work work) {
    static_assert(std::is_trivially_destructible_v<Work>, "capture by reference (GCC PR 99576)");
    using result_type = std::invoke_result_t<Work>;
    return asio::
        async_initiate<const asio::use_awaitable_t<>&, void(std::exception_ptr, result_type)>(
            [&pool](auto handler, Work job) {
                asio::post(pool, [handler = std::move(handler), job = std::move(job)]() mutable {
                    std::exception_ptr error;
                    std::optional<result_type> value;
                    try {
                        value.emplace(job());
                    } catch (...) {
                        error = std::current_exception();
                    }
                    auto executor = asio::get_associated_executor(handler);
                    asio::dispatch(
                        executor,
                        [handler = std::move(handler), error, value = std::move(value)]() mutable {
                            handler(error, value ? std::move(*value) : result_type{});
                        }
                    );
                });
            },
            asio::use_awaitable,
            std::move(work)
        );
}

}  // namespace solar::core
