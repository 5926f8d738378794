// The lazily re-armed deadline: it fires once the latest deadline has passed, never on one
// that was moved on or cleared, and an earlier deadline takes effect at once.
#include <solar/core/connection_deadline.hpp>

#include <boost/asio/io_context.hpp>
#include <boost/asio/steady_timer.hpp>

#include <gtest/gtest.h>

#include <functional>
#include <vector>

namespace solar::core {
namespace {

using namespace std::chrono_literals;
using clock = std::chrono::steady_clock;

// Runs `steps` (delay from the start, action) on one io_context, then runs it until `until`.
class deadline_scenario {
public:
    deadline_scenario()
        : deadline_(ioc_.get_executor(), [this] { fired_at_.push_back(clock::now()); }) {}

    void at(std::chrono::milliseconds delay, std::function<void(connection_deadline&)> action) {
        auto timer = std::make_shared<asio::steady_timer>(ioc_, delay);
        timer->async_wait([this, timer, action = std::move(action)](auto) { action(deadline_); });
    }

    void run_for(std::chrono::milliseconds span) {
        start_ = clock::now();
        ioc_.run_for(span);
    }

    std::vector<std::chrono::milliseconds> fired() const {
        std::vector<std::chrono::milliseconds> out;
        for (auto t : fired_at_)
            out.push_back(std::chrono::duration_cast<std::chrono::milliseconds>(t - start_));
        return out;
    }
    connection_deadline& deadline() { return deadline_; }

private:
    asio::io_context ioc_;
    std::vector<clock::time_point> fired_at_;
    clock::time_point start_ = clock::now();
    connection_deadline deadline_;
};

TEST(connection_deadline, fires_once_the_deadline_passes_and_reports_it) {
    deadline_scenario s;
    bool expired_before = true;
    s.at(0ms, [](connection_deadline& d) { d.set(100ms); });
    s.at(50ms, [&](connection_deadline& d) { expired_before = d.expired(); });
    s.run_for(400ms);
    ASSERT_EQ(s.fired().size(), 1u);
    EXPECT_GE(s.fired()[0], 100ms);
    EXPECT_LT(s.fired()[0], 300ms);
    EXPECT_FALSE(expired_before);
    EXPECT_TRUE(s.deadline().expired());
}

TEST(connection_deadline, never_fires_once_cleared) {
    deadline_scenario s;
    s.at(0ms, [](connection_deadline& d) { d.set(100ms); });
    s.at(50ms, [](connection_deadline& d) { d.clear(); });
    s.run_for(300ms);
    EXPECT_TRUE(s.fired().empty());
    EXPECT_FALSE(s.deadline().expired());
}

// A keep-alive connection's operations each push the deadline on before the first one is
// due: the timer wakes at the first and must wait again, not fire.
TEST(connection_deadline, a_deadline_moved_on_fires_only_at_the_latest) {
    deadline_scenario s;
    for (int i = 0; i < 6; ++i)
        s.at(std::chrono::milliseconds(60 * i), [](connection_deadline& d) { d.set(100ms); });
    s.run_for(700ms);
    ASSERT_EQ(s.fired().size(), 1u);
    EXPECT_GE(s.fired()[0], 400ms);  // the last set() at 300 ms, plus 100 ms
    EXPECT_LT(s.fired()[0], 600ms);
}

TEST(connection_deadline, an_earlier_deadline_takes_effect_at_once) {
    deadline_scenario s;
    s.at(0ms, [](connection_deadline& d) { d.set(10s); });
    s.at(20ms, [](connection_deadline& d) { d.set(80ms); });
    s.run_for(500ms);
    ASSERT_EQ(s.fired().size(), 1u);
    EXPECT_GE(s.fired()[0], 100ms);
    EXPECT_LT(s.fired()[0], 400ms);
}

TEST(connection_deadline, a_new_deadline_after_expiry_clears_the_report_and_fires_again) {
    deadline_scenario s;
    bool expired_after_reset = true;
    s.at(0ms, [](connection_deadline& d) { d.set(50ms); });
    s.at(150ms, [&](connection_deadline& d) {
        d.set(50ms);
        expired_after_reset = d.expired();
    });
    s.run_for(400ms);
    EXPECT_FALSE(expired_after_reset);
    ASSERT_EQ(s.fired().size(), 2u);
    EXPECT_GE(s.fired()[1], 200ms);
}

// Destroyed with a wait pending: the handler that still runs must not call back.
TEST(connection_deadline, destroyed_with_a_wait_pending_never_calls_back) {
    asio::io_context ioc;
    int calls = 0;
    {
        connection_deadline d(ioc.get_executor(), [&] { ++calls; });
        d.set(10ms);
    }
    ioc.run_for(100ms);
    EXPECT_EQ(calls, 0);
}

}  // namespace
}  // namespace solar::core
