// Wires solar-host together: instance manager, HTTP and WebSocket routes, signals.
#pragma once

#include <solar/host/host_config.hpp>

namespace solar::host {

// Runs solar-host until SIGINT/SIGTERM, then stops every child; returns the exit code. The
// config must carry a resolved API key.
int run_host(const host_config& config);

}  // namespace solar::host
