// Wires the gateway together: database, registry refresher, proxy, log fan-in, HTTP server.
#pragma once

#include <solar/control/config.hpp>

namespace solar::control {

// Runs solar-control until SIGINT/SIGTERM; returns the process exit code. The config must
// carry a resolved API key.
int run_control(const control_config& config);

}  // namespace solar::control
