// Tests for port choice: requested ports, automatic assignment from 3500, exhaustion.
#include <solar/host/port_allocator.hpp>

#include <gtest/gtest.h>

#include <set>
#include <vector>

namespace solar::host {
namespace {

const port_free_check all_free = [](std::uint16_t) { return true; };

TEST(port_allocator, auto_assignment_starts_at_3500) {
    auto port = allocate_port({}, all_free, std::nullopt);
    ASSERT_TRUE(port);
    EXPECT_EQ(*port, 3500);
}

TEST(port_allocator, auto_assignment_skips_held_and_busy_ports) {
    std::vector<std::uint16_t> held = {3501, 3500, 9000};
    std::set<std::uint16_t> busy = {3502, 3504};
    auto is_free = [&](std::uint16_t port) { return busy.count(port) == 0; };
    auto port = allocate_port(held, is_free, std::nullopt);
    ASSERT_TRUE(port);
    EXPECT_EQ(*port, 3503);
}

TEST(port_allocator, held_ports_are_not_probed) {
    std::vector<std::uint16_t> probed;
    auto is_free = [&](std::uint16_t port) {
        probed.push_back(port);
        return true;
    };
    std::vector<std::uint16_t> held = {3500};
    EXPECT_EQ(allocate_port(held, is_free, std::nullopt).value(), 3501);
    EXPECT_EQ(probed, std::vector<std::uint16_t>{3501});
}

TEST(port_allocator, requested_port_is_honoured) {
    std::vector<std::uint16_t> held = {3500};
    auto port = allocate_port(held, all_free, 8080);
    ASSERT_TRUE(port);
    EXPECT_EQ(*port, 8080);
    // Below 3500 too: only automatic assignment starts there.
    EXPECT_EQ(allocate_port(held, all_free, 80).value(), 80);
}

TEST(port_allocator, requested_port_held_by_another_instance) {
    std::vector<std::uint16_t> held = {8080};
    auto port = allocate_port(held, all_free, 8080);
    ASSERT_FALSE(port);
    EXPECT_EQ(port.error(), port_errc::port_held);
    EXPECT_EQ(port.error().message(), "the requested port is already assigned to another instance");
}

TEST(port_allocator, requested_port_taken_outside_solar_host) {
    auto port = allocate_port(
        {}, [](std::uint16_t p) { return p != 8080; }, 8080
    );
    ASSERT_FALSE(port);
    EXPECT_EQ(port.error(), port_errc::port_in_use);
    EXPECT_NE(port.error().message().find("in use"), std::string::npos);
}

TEST(port_allocator, requested_port_zero_is_invalid) {
    auto port = allocate_port({}, all_free, 0);
    ASSERT_FALSE(port);
    EXPECT_EQ(port.error(), port_errc::invalid_port);
}

TEST(port_allocator, exhaustion_is_an_error) {
    auto port = allocate_port(
        {}, [](std::uint16_t) { return false; }, std::nullopt
    );
    ASSERT_FALSE(port);
    EXPECT_EQ(port.error(), port_errc::no_free_port);
    EXPECT_EQ(port.error().message(), "no free port from 3500 to 65535");

    // The very last port is still reachable.
    auto last = allocate_port(
        {}, [](std::uint16_t p) { return p == 65535; }, std::nullopt
    );
    ASSERT_TRUE(last);
    EXPECT_EQ(*last, 65535);
}

TEST(port_allocator, no_probe_means_every_port_is_free) {
    EXPECT_EQ(allocate_port({}, nullptr, std::nullopt).value(), 3500);
}

}  // namespace
}  // namespace solar::host
