// Unit tests for the /ws/logs fan-out: filters, bounded client queues, wake-ups, shutdown.
#include <solar/control/log_hub.hpp>

#include <gtest/gtest.h>

#include <memory>
#include <string>

namespace solar::control {
namespace {

log_subscriber::message text(std::string value) {
    return std::make_shared<const std::string>(std::move(value));
}

std::vector<std::string> texts(const log_subscriber::batch& batch) {
    std::vector<std::string> out;
    for (const auto& m : batch.messages) out.push_back(*m);
    return out;
}

TEST(log_filter, unset_fields_match_everything) {
    log_filter all;
    EXPECT_TRUE(all.matches("h1", "i1"));
    EXPECT_TRUE(all.matches("", ""));
}

TEST(log_filter, host_and_instance_must_both_match_when_set) {
    log_filter host_only{"h1", std::nullopt};
    EXPECT_TRUE(host_only.matches("h1", "i1"));
    EXPECT_TRUE(host_only.matches("h1", "i2"));
    EXPECT_FALSE(host_only.matches("h2", "i1"));

    log_filter both{"h1", "i1"};
    EXPECT_TRUE(both.matches("h1", "i1"));
    EXPECT_FALSE(both.matches("h1", "i2"));
    EXPECT_FALSE(both.matches("h2", "i1"));

    log_filter instance_only{std::nullopt, "i2"};
    EXPECT_TRUE(instance_only.matches("h9", "i2"));
    EXPECT_FALSE(instance_only.matches("h9", "i1"));
}

TEST(log_subscriber, take_returns_queued_messages_in_order_and_empties_the_queue) {
    log_subscriber subscriber{{}, {}, [] {}};
    EXPECT_TRUE(subscriber.offer(text("a")));
    EXPECT_TRUE(subscriber.offer(text("b")));
    EXPECT_EQ(subscriber.queued(), 2u);

    auto batch = subscriber.take();
    EXPECT_EQ(texts(batch), (std::vector<std::string>{"a", "b"}));
    EXPECT_FALSE(batch.overflowed);
    EXPECT_FALSE(batch.closed);
    EXPECT_EQ(subscriber.queued(), 0u);
    EXPECT_TRUE(subscriber.take().messages.empty());
}

TEST(log_subscriber, wakes_only_a_writer_that_found_nothing) {
    int wakes = 0;
    log_subscriber subscriber{{}, {}, [&] { ++wakes; }};
    subscriber.offer(text("a"));
    EXPECT_EQ(wakes, 0) << "nobody waited yet";

    subscriber.take();  // drains "a": the writer is busy writing, not waiting
    subscriber.offer(text("b"));
    EXPECT_EQ(wakes, 0);

    EXPECT_EQ(subscriber.take().messages.size(), 1u);
    EXPECT_TRUE(subscriber.take().messages.empty());  // now it waits
    subscriber.offer(text("c"));
    EXPECT_EQ(wakes, 1);
    subscriber.offer(text("d"));
    EXPECT_EQ(wakes, 1) << "one wake per wait";

    EXPECT_EQ(texts(subscriber.take()), (std::vector<std::string>{"c", "d"}));
}

TEST(log_subscriber, overflow_by_count_discards_the_queue_and_refuses_more) {
    int wakes = 0;
    log_subscriber subscriber{{}, log_queue_limits{3, 1 << 20}, [&] { ++wakes; }};
    subscriber.take();  // waiting
    EXPECT_TRUE(subscriber.offer(text("1")));
    EXPECT_EQ(wakes, 1);
    EXPECT_TRUE(subscriber.offer(text("2")));
    EXPECT_TRUE(subscriber.offer(text("3")));
    EXPECT_FALSE(subscriber.offer(text("4")));
    EXPECT_EQ(subscriber.queued(), 0u) << "memory is released at once";
    EXPECT_FALSE(subscriber.offer(text("5")));

    auto batch = subscriber.take();
    EXPECT_TRUE(batch.overflowed);
    EXPECT_TRUE(batch.messages.empty());
    EXPECT_TRUE(subscriber.take().overflowed) << "overflow is permanent";
}

TEST(log_subscriber, overflow_wakes_a_waiting_writer) {
    int wakes = 0;
    log_subscriber subscriber{{}, log_queue_limits{1, 1 << 20}, [&] { ++wakes; }};
    subscriber.offer(text("1"));
    // The writer drains nothing new and waits only after a take that found nothing.
    EXPECT_EQ(subscriber.take().messages.size(), 1u);
    EXPECT_TRUE(subscriber.take().messages.empty());
    subscriber.offer(text("2"));
    EXPECT_EQ(wakes, 1);
    EXPECT_FALSE(subscriber.offer(text("3")));  // queue of one is full: overflow
    subscriber.take();
    EXPECT_EQ(wakes, 1) << "the writer was not waiting when it overflowed";

    log_subscriber waiting{{}, log_queue_limits{0, 1 << 20}, [&] { ++wakes; }};
    waiting.take();
    EXPECT_FALSE(waiting.offer(text("x")));
    EXPECT_EQ(wakes, 2);
    EXPECT_TRUE(waiting.take().overflowed);
}

TEST(log_subscriber, overflow_by_bytes_but_an_empty_queue_takes_any_message) {
    log_subscriber subscriber{{}, log_queue_limits{100, 10}, [] {}};
    EXPECT_TRUE(subscriber.offer(text(std::string(50, 'x')))) << "too big alone, but first";
    subscriber.take();
    EXPECT_TRUE(subscriber.offer(text("12345")));
    EXPECT_TRUE(subscriber.offer(text("12345")));
    EXPECT_FALSE(subscriber.offer(text("1")));
    EXPECT_TRUE(subscriber.take().overflowed);
}

TEST(log_subscriber, bytes_are_counted_afresh_after_take) {
    log_subscriber subscriber{{}, log_queue_limits{100, 10}, [] {}};
    for (int round = 0; round < 5; ++round) {
        EXPECT_TRUE(subscriber.offer(text("12345")));
        EXPECT_TRUE(subscriber.offer(text("12345")));
        auto batch = subscriber.take();
        EXPECT_EQ(batch.messages.size(), 2u);
        EXPECT_FALSE(batch.overflowed);
    }
}

TEST(log_subscriber, close_wakes_a_waiting_writer_and_refuses_messages) {
    int wakes = 0;
    log_subscriber subscriber{{}, {}, [&] { ++wakes; }};
    subscriber.take();
    subscriber.close();
    EXPECT_EQ(wakes, 1);
    subscriber.close();
    EXPECT_EQ(wakes, 1);
    EXPECT_FALSE(subscriber.offer(text("late")));
    auto batch = subscriber.take();
    EXPECT_TRUE(batch.closed);
    EXPECT_TRUE(batch.messages.empty());
}

TEST(log_hub, publishes_to_matching_subscribers_only) {
    log_hub hub;
    auto everything = hub.subscribe({}, [] {});
    auto host1 = hub.subscribe({"h1", std::nullopt}, [] {});
    auto inst2 = hub.subscribe({"h1", "i2"}, [] {});
    EXPECT_EQ(hub.subscribers(), 3u);

    auto m = text("line");
    EXPECT_EQ(hub.publish("h1", "i1", m), 2u);
    EXPECT_EQ(hub.publish("h1", "i2", m), 3u);
    EXPECT_EQ(hub.publish("h2", "i2", m), 1u);

    EXPECT_EQ(everything->take().messages.size(), 3u);
    EXPECT_EQ(host1->take().messages.size(), 2u);
    auto batch = inst2->take();
    ASSERT_EQ(batch.messages.size(), 1u);
    EXPECT_EQ(batch.messages[0].get(), m.get()) << "one shared copy, not one per client";
}

TEST(log_hub, unsubscribed_clients_receive_nothing) {
    log_hub hub;
    auto a = hub.subscribe({}, [] {});
    auto b = hub.subscribe({}, [] {});
    hub.unsubscribe(a);
    hub.unsubscribe(a);  // twice is harmless
    EXPECT_EQ(hub.subscribers(), 1u);
    EXPECT_EQ(hub.publish("h", "i", text("x")), 1u);
    EXPECT_TRUE(a->take().messages.empty());
    EXPECT_EQ(b->take().messages.size(), 1u);
}

TEST(log_hub, a_slow_client_does_not_affect_the_others) {
    log_hub hub{log_queue_limits{2, 1 << 20}};
    auto slow = hub.subscribe({}, [] {});
    auto fast = hub.subscribe({}, [] {});
    for (int i = 0; i < 10; ++i) {
        hub.publish("h", "i", text(std::to_string(i)));
        auto batch = fast->take();
        ASSERT_EQ(batch.messages.size(), 1u);
        EXPECT_EQ(*batch.messages[0], std::to_string(i));
    }
    EXPECT_TRUE(slow->take().overflowed);
}

TEST(log_hub, close_all_closes_current_and_future_subscribers) {
    log_hub hub;
    int wakes = 0;
    auto current = hub.subscribe({}, [&] { ++wakes; });
    current->take();
    hub.close_all();
    EXPECT_EQ(wakes, 1);
    EXPECT_TRUE(current->take().closed);
    EXPECT_EQ(hub.publish("h", "i", text("x")), 0u);

    auto late = hub.subscribe({}, [] {});
    EXPECT_TRUE(late->take().closed);
}

}  // namespace
}  // namespace solar::control
