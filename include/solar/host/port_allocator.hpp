// Choosing a child's port: the requested one when it is free, else the first free from 3500.
#pragma once

#include <boost/system/error_code.hpp>
#include <boost/system/result.hpp>

#include <cstdint>
#include <functional>
#include <optional>
#include <span>
#include <type_traits>

namespace solar::host {

// Why no port could be given.
enum class port_errc {
    port_held = 1,  // the requested port belongs to another instance
    port_in_use,    // the requested port is taken by something outside solar-host
    no_free_port,   // every port from first_auto_port to 65535 is held or in use
    invalid_port,   // the requested port is 0
};

const boost::system::error_category& port_category();
boost::system::error_code make_error_code(port_errc e);

// Where automatic assignment starts, as in the original tool.
inline constexpr std::uint16_t first_auto_port = 3500;

// True when nothing listens on the port (is_port_free in port_probe.hpp in production).
using port_free_check = std::function<bool(std::uint16_t)>;

// The port for an instance. `held` are the ports of the other instances (leave out the
// instance's own, so a restart keeps it). A requested port is returned when not held and
// is_free says so, else port_held / port_in_use (never another port instead); nullopt picks the
// lowest port >= 3500 that is neither held nor in use, or fails with no_free_port.
boost::system::result<std::uint16_t> allocate_port(
    std::span<const std::uint16_t> held,
    const port_free_check& is_free,
    std::optional<std::uint16_t> requested
);

}  // namespace solar::host

template <>
struct boost::system::is_error_code_enum<solar::host::port_errc> : std::true_type {};
