// is_port_free: a test bind with SO_REUSEADDR, IPv4 and IPv6, then /proc/net/tcp{,6}.
#include <solar/host/port_probe.hpp>

#include <arpa/inet.h>
#include <cerrno>
#include <charconv>
#include <cstring>
#include <fstream>
#include <netinet/in.h>
#include <optional>
#include <sstream>
#include <string>
#include <sys/socket.h>
#include <unistd.h>

namespace solar::host {

namespace {

enum class bind_outcome { bound, refused, no_family };

bind_outcome try_bind(int family, std::uint16_t port) {
    int fd = ::socket(family, SOCK_STREAM | SOCK_CLOEXEC, 0);
    if (fd < 0) {
        return errno == EAFNOSUPPORT || errno == EPROTONOSUPPORT ? bind_outcome::no_family
                                                                 : bind_outcome::refused;
    }
    int on = 1;
    ::setsockopt(fd, SOL_SOCKET, SO_REUSEADDR, &on, sizeof on);
    int rc = -1;
    int error = 0;
    if (family == AF_INET) {
        sockaddr_in addr{};
        addr.sin_family = AF_INET;
        addr.sin_port = htons(port);
        addr.sin_addr.s_addr = htonl(INADDR_ANY);
        rc = ::bind(fd, reinterpret_cast<const sockaddr*>(&addr), sizeof addr);
    } else {
        // IPv6-only, so this probe sees IPv6 listeners and leaves IPv4 to the other one.
        ::setsockopt(fd, IPPROTO_IPV6, IPV6_V6ONLY, &on, sizeof on);
        sockaddr_in6 addr{};
        addr.sin6_family = AF_INET6;
        addr.sin6_port = htons(port);
        addr.sin6_addr = in6addr_any;
        rc = ::bind(fd, reinterpret_cast<const sockaddr*>(&addr), sizeof addr);
    }
    if (rc != 0) error = errno;
    ::close(fd);
    if (rc == 0) return bind_outcome::bound;
    // IPv6 disabled at boot (ipv6.disable=1) fails the bind, not the socket() call.
    if (family == AF_INET6 && error == EADDRNOTAVAIL) return bind_outcome::no_family;
    return bind_outcome::refused;
}

std::optional<std::string> read_proc(const char* path) {
    std::ifstream in(path);
    if (!in) return std::nullopt;
    std::stringstream text;
    text << in.rdbuf();
    return text.str();
}

bool bind_succeeds(std::uint16_t port) {
    return try_bind(AF_INET, port) == bind_outcome::bound &&
           try_bind(AF_INET6, port) != bind_outcome::refused;
}

}  // namespace

bool lists_listener(std::string_view proc_net_tcp, std::uint16_t port) {
    // Lines: "  sl  local_address rem_address   st ...", e.g. "0: 0100007F:1F90 00000000:0000 0A".
    std::size_t start = 0;
    while (start < proc_net_tcp.size()) {
        auto end = proc_net_tcp.find('\n', start);
        if (end == std::string_view::npos) end = proc_net_tcp.size();
        std::istringstream line(std::string(proc_net_tcp.substr(start, end - start)));
        start = end + 1;
        std::string slot, local, remote, state;
        if (!(line >> slot >> local >> remote >> state)) continue;
        auto colon = local.rfind(':');
        if (colon == std::string::npos || state != "0A") continue;
        unsigned value = 0;
        auto hex = std::string_view(local).substr(colon + 1);
        auto [ptr, ec] = std::from_chars(hex.data(), hex.data() + hex.size(), value, 16);
        if (ec == std::errc{} && ptr == hex.data() + hex.size() && value == port) return true;
    }
    return false;
}

bool is_port_free(std::uint16_t port) {
    if (port == 0) return false;
    if (bind_succeeds(port)) return true;
    auto v4 = read_proc("/proc/net/tcp");
    if (!v4) return false;
    if (lists_listener(*v4, port)) return false;
    auto v6 = read_proc("/proc/net/tcp6");  // absent without IPv6
    return !(v6 && lists_listener(*v6, port));
}

}  // namespace solar::host
