// Asking the kernel whether a TCP port is free for a child to listen on.
#pragma once

#include <cstdint>
#include <string_view>

namespace solar::host {

// True when nothing listens on the port, on any address. First a test bind of 0.0.0.0:port
// (and [::]:port, IPv6-only, where IPv6 exists) with SO_REUSEADDR: success proves there is no
// listener, since on Linux a listener conflicts with every bind that lacks SO_REUSEPORT. A
// failed bind can also come from leftovers of an earlier child (TIME_WAIT connections, which
// block us when that child used SO_REUSEPORT or no reuse flag) that the next child's own bind
// gets past; so then /proc/net/tcp and tcp6 decide: busy only when a socket there is in LISTEN
// state on the port. False also for port 0, and when the bind fails and /proc cannot be read.
// Blocking but fast.
bool is_port_free(std::uint16_t port);

// True when the text of /proc/net/tcp or /proc/net/tcp6 lists a socket listening on `port`
// (local_address ending ":<port in hex>", st 0A).
bool lists_listener(std::string_view proc_net_tcp, std::uint16_t port);

}  // namespace solar::host
