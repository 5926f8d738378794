// Tests for is_port_free against real sockets on this machine.
#include <solar/host/port_probe.hpp>

#include <gtest/gtest.h>

#include <arpa/inet.h>
#include <netinet/in.h>
#include <sys/socket.h>
#include <unistd.h>

namespace solar::host {
namespace {

// A TCP socket bound to addr:0 (an ephemeral port), optionally listening.
class test_socket {
public:
    test_socket(in_addr_t addr, bool listen) {
        fd_ = ::socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);
        sockaddr_in sa{};
        sa.sin_family = AF_INET;
        sa.sin_addr.s_addr = htonl(addr);
        if (::bind(fd_, reinterpret_cast<sockaddr*>(&sa), sizeof sa) != 0) ADD_FAILURE();
        if (listen && ::listen(fd_, 4) != 0) ADD_FAILURE();
        socklen_t len = sizeof sa;
        ::getsockname(fd_, reinterpret_cast<sockaddr*>(&sa), &len);
        port_ = ntohs(sa.sin_port);
    }
    test_socket(const test_socket&) = delete;
    test_socket& operator=(const test_socket&) = delete;
    ~test_socket() { close(); }

    std::uint16_t port() const { return port_; }
    int fd() const { return fd_; }
    void close() {
        if (fd_ >= 0) ::close(fd_);
        fd_ = -1;
    }

private:
    int fd_ = -1;
    std::uint16_t port_ = 0;
};

TEST(port_probe, loopback_listener_makes_the_port_busy) {
    test_socket listener(INADDR_LOOPBACK, true);
    EXPECT_FALSE(is_port_free(listener.port()));
    auto port = listener.port();
    listener.close();
    EXPECT_TRUE(is_port_free(port));
}

TEST(port_probe, wildcard_listener_makes_the_port_busy) {
    test_socket listener(INADDR_ANY, true);
    EXPECT_FALSE(is_port_free(listener.port()));
}

TEST(port_probe, closed_connections_do_not_block_the_port) {
    test_socket listener(INADDR_LOOPBACK, true);
    auto port = listener.port();
    int client = ::socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);
    sockaddr_in sa{};
    sa.sin_family = AF_INET;
    sa.sin_port = htons(port);
    sa.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
    ASSERT_EQ(::connect(client, reinterpret_cast<sockaddr*>(&sa), sizeof sa), 0);
    int accepted = ::accept(listener.fd(), nullptr, nullptr);
    ASSERT_GE(accepted, 0);
    // The server side closes first, as a stopped child does: its socket lingers on the port
    // (FIN_WAIT or TIME_WAIT), which must not count as a listener.
    ::close(accepted);
    listener.close();
    ::close(client);
    EXPECT_TRUE(is_port_free(port));
}

TEST(port_probe, port_zero_is_never_free) { EXPECT_FALSE(is_port_free(0)); }

TEST(port_probe, bound_but_not_listening_socket_is_not_a_listener) {
    test_socket bound(INADDR_LOOPBACK, false);
    EXPECT_TRUE(is_port_free(bound.port()));
}

TEST(port_probe, proc_net_tcp_parsing) {
    const std::string text =
        "  sl  local_address rem_address   st tx_queue rx_queue tr tm->when retrnsmt   uid\n"
        "   0: 0100007F:1F90 00000000:0000 0A 00000000:00000000 00:00000000 00000000     0\n"
        "   1: 0100007F:0DAC 0100007F:9C40 06 00000000:00000000 03:00001770 00000000     0\n"
        "   2: 00000000000000000000000000000000:0DAD 00000000000000000000000000000000:0000 0A\n";
    EXPECT_TRUE(lists_listener(text, 8080));   // 0x1F90, LISTEN
    EXPECT_FALSE(lists_listener(text, 3500));  // 0x0DAC, TIME_WAIT only
    EXPECT_TRUE(lists_listener(text, 3501));   // 0x0DAD, IPv6 LISTEN
    EXPECT_FALSE(lists_listener(text, 80));
    EXPECT_FALSE(lists_listener("", 8080));
}

}  // namespace
}  // namespace solar::host
