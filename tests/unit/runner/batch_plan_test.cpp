// The batching decision: full batches start at once, partial ones wait for the oldest's
// deadline, cancelled requests are dropped, oversized requests run alone.
#include <solar/runner/batch_plan.hpp>

#include <gtest/gtest.h>

namespace solar::runner {
namespace {

using namespace std::chrono_literals;
const batch_clock::time_point t0{};

std::vector<queued_request> queue_of(std::initializer_list<std::size_t> sizes) {
    std::vector<queued_request> q;
    auto t = t0;
    for (auto s : sizes) {
        q.push_back({s, t, false});
        t += 1ms;
    }
    return q;
}

TEST(batch_plan, empty_queue_is_idle) {
    auto d = plan_batch({}, t0, {});
    EXPECT_EQ(d.action, batch_action::idle);
    EXPECT_TRUE(d.run.empty());
}

TEST(batch_plan, partial_batch_waits_for_oldest_deadline) {
    auto q = queue_of({1, 2});
    auto d = plan_batch(q, t0 + 2ms, {32, 5ms});
    EXPECT_EQ(d.action, batch_action::wait_until);
    EXPECT_EQ(d.deadline, t0 + 5ms);
    EXPECT_TRUE(d.run.empty());
}

TEST(batch_plan, partial_batch_runs_at_deadline) {
    auto q = queue_of({1, 2, 3});
    auto d = plan_batch(q, t0 + 5ms, {32, 5ms});
    EXPECT_EQ(d.action, batch_action::run);
    EXPECT_EQ(d.run, (std::vector<std::size_t>{0, 1, 2}));
}

TEST(batch_plan, full_batch_runs_at_once) {
    auto q = queue_of({2, 2});
    auto d = plan_batch(q, t0, {4, 5ms});
    EXPECT_EQ(d.action, batch_action::run);
    EXPECT_EQ(d.run, (std::vector<std::size_t>{0, 1}));
}

TEST(batch_plan, request_that_does_not_fit_waits_for_next_pass) {
    auto q = queue_of({3, 2, 1});
    auto d = plan_batch(q, t0, {4, 5ms});
    EXPECT_EQ(d.action, batch_action::run);  // the batch cannot grow: run now
    EXPECT_EQ(d.run, (std::vector<std::size_t>{0}));
}

TEST(batch_plan, oversized_request_runs_alone) {
    auto q = queue_of({40, 1});
    auto d = plan_batch(q, t0, {32, 5ms});
    EXPECT_EQ(d.action, batch_action::run);
    EXPECT_EQ(d.run, (std::vector<std::size_t>{0}));
}

TEST(batch_plan, zero_wait_runs_immediately) {
    auto q = queue_of({1});
    auto d = plan_batch(q, t0, {32, 0ms});
    EXPECT_EQ(d.action, batch_action::run);
}

TEST(batch_plan, cancelled_requests_are_dropped_not_run) {
    auto q = queue_of({1, 1, 1});
    q[0].cancelled = true;
    q[2].cancelled = true;
    auto d = plan_batch(q, t0 + 1ms, {32, 5ms});
    EXPECT_EQ(d.drop, (std::vector<std::size_t>{0, 2}));
    EXPECT_EQ(d.action, batch_action::wait_until);
    // The deadline counts from the oldest live request, not the dropped one.
    EXPECT_EQ(d.deadline, t0 + 1ms + 5ms);
}

TEST(batch_plan, only_cancelled_is_idle_with_drops) {
    auto q = queue_of({1});
    q[0].cancelled = true;
    auto d = plan_batch(q, t0, {});
    EXPECT_EQ(d.action, batch_action::idle);
    EXPECT_EQ(d.drop, (std::vector<std::size_t>{0}));
}

}  // namespace
}  // namespace solar::runner
