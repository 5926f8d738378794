// The batcher's worker: concurrent requests share one pass, oversized ones are split, results
// come back on each coroutine's executor, cancelled requests are dropped, errors propagate.
#include <solar/runner/dynamic_batcher.hpp>

#include <boost/asio/co_spawn.hpp>
#include <boost/asio/experimental/awaitable_operators.hpp>
#include <boost/asio/io_context.hpp>
#include <boost/asio/steady_timer.hpp>

#include <gtest/gtest.h>

#include <mutex>
#include <set>
#include <thread>

namespace solar::runner {
namespace {

using namespace std::chrono_literals;
using namespace asio::experimental::awaitable_operators;

// Each row is {first id, sequence length, batch size}; remembers the batch sizes and threads.
struct recording_model {
    std::mutex mutex;
    std::vector<std::size_t> batches;
    std::set<std::thread::id> threads;

    dynamic_batcher::forward_fn fn() {
        return [this](const auto& ids, const auto&) {
            std::lock_guard lock(mutex);
            batches.push_back(ids.size());
            threads.insert(std::this_thread::get_id());
            std::vector<std::vector<float>> rows;
            for (const auto& seq : ids) {
                rows.push_back(
                    {float(seq.empty() ? -1 : seq[0]), float(seq.size()), float(ids.size())}
                );
            }
            return rows;
        };
    }
};

asio::awaitable<batch_result> submit_one(dynamic_batcher& b, std::int32_t first, std::size_t n) {
    batch_job job;
    for (std::size_t i = 0; i < n; ++i) job.ids.push_back({first + std::int32_t(i), 7});
    auto pending = b.submit(job);
    co_return co_await std::move(pending);
}

TEST(dynamic_batcher, concurrent_requests_share_one_pass) {
    recording_model model;
    dynamic_batcher batcher({32, 200ms}, model.fn());
    asio::io_context ioc;
    std::vector<batch_result> results(4);
    for (int i = 0; i < 4; ++i) {
        asio::co_spawn(
            ioc,
            submit_one(batcher, i * 10, 2),
            [&, i](std::exception_ptr e, batch_result r) {
                ASSERT_FALSE(e);
                results[i] = std::move(r);
            }
        );
    }
    // 8 sequences < 32: the pass starts when the oldest has waited 200 ms, with all of them.
    ioc.run();
    ASSERT_EQ(model.batches, (std::vector<std::size_t>{8}));
    for (int i = 0; i < 4; ++i) {
        ASSERT_EQ(results[i].rows.size(), 2u);
        EXPECT_EQ(results[i].rows[0][0], float(i * 10));
        EXPECT_EQ(results[i].rows[1][0], float(i * 10 + 1));
        EXPECT_EQ(results[i].batch_sequences, 8u);
    }
    EXPECT_EQ(model.threads.size(), 1u);
    EXPECT_EQ(model.threads.count(std::this_thread::get_id()), 0u);
}

TEST(dynamic_batcher, full_batch_does_not_wait) {
    recording_model model;
    dynamic_batcher batcher({4, std::chrono::hours(1)}, model.fn());
    asio::io_context ioc;
    int done = 0;
    for (int i = 0; i < 2; ++i) {
        asio::co_spawn(ioc, submit_one(batcher, i, 2), [&](std::exception_ptr e, batch_result) {
            EXPECT_FALSE(e);
            ++done;
        });
    }
    ioc.run();  // would hang for an hour if a full batch waited
    EXPECT_EQ(done, 2);
    EXPECT_EQ(model.batches, (std::vector<std::size_t>{4}));
}

TEST(dynamic_batcher, oversized_request_is_split_into_passes) {
    recording_model model;
    dynamic_batcher batcher({4, 0ms}, model.fn());
    asio::io_context ioc;
    batch_result result;
    asio::co_spawn(ioc, submit_one(batcher, 0, 10), [&](std::exception_ptr e, batch_result r) {
        EXPECT_FALSE(e);
        result = std::move(r);
    });
    ioc.run();
    EXPECT_EQ(model.batches, (std::vector<std::size_t>{4, 4, 2}));
    ASSERT_EQ(result.rows.size(), 10u);
    for (int i = 0; i < 10; ++i) EXPECT_EQ(result.rows[i][0], float(i));
}

TEST(dynamic_batcher, forward_exception_reaches_every_request_of_the_pass) {
    dynamic_batcher batcher(
        {32, 0ms},
        [](const auto&, const auto&) -> std::vector<std::vector<float>> {
            throw std::invalid_argument("bad token");
        }
    );
    asio::io_context ioc;
    std::string message;
    asio::co_spawn(ioc, submit_one(batcher, 0, 1), [&](std::exception_ptr e, batch_result) {
        try {
            if (e) std::rethrow_exception(e);
        } catch (const std::invalid_argument& ex) {
            message = ex.what();
        }
    });
    ioc.run();
    EXPECT_EQ(message, "bad token");
}

TEST(dynamic_batcher, cancelled_request_is_dropped_before_its_pass) {
    recording_model model;
    dynamic_batcher batcher({32, 300ms}, model.fn());
    asio::io_context ioc;
    bool aborted = false;
    bool timer_won = false;
    asio::co_spawn(
        ioc,
        [&]() -> asio::awaitable<void> {
            asio::steady_timer timer{ioc, 20ms};
            batch_job job;
            job.ids = {{1, 2, 3}};
            auto pass = batcher.submit(job);
            auto wait = timer.async_wait(asio::use_awaitable);
            auto race = std::move(pass) || std::move(wait);
            auto winner = co_await std::move(race);
            timer_won = winner.index() == 1;
        },
        [&](std::exception_ptr e) { aborted = !e; }
    );
    ioc.run();
    EXPECT_TRUE(timer_won);
    EXPECT_TRUE(aborted);
    EXPECT_TRUE(model.batches.empty());  // the model never saw the cancelled request
}

TEST(dynamic_batcher, stop_fails_queued_and_later_requests) {
    recording_model model;
    dynamic_batcher batcher({32, std::chrono::hours(1)}, model.fn());
    asio::io_context ioc;
    int aborted = 0;
    auto expect_abort = [&](std::exception_ptr e, batch_result) {
        try {
            if (e) std::rethrow_exception(e);
        } catch (const boost::system::system_error& ex) {
            if (ex.code() == asio::error::operation_aborted) ++aborted;
        }
    };
    asio::co_spawn(ioc, submit_one(batcher, 0, 1), expect_abort);
    asio::steady_timer timer{ioc, 20ms};
    timer.async_wait([&](auto) {
        batcher.stop();
        asio::co_spawn(ioc, submit_one(batcher, 1, 1), expect_abort);
    });
    ioc.run();
    EXPECT_EQ(aborted, 2);
    EXPECT_TRUE(model.batches.empty());
}

}  // namespace
}  // namespace solar::runner
