#!/bin/sh
# File: container entrypoint for solar-host. Settings come from the environment (compose passes
# them from .env); extra arguments are passed on as flags. llama-server is looked up on PATH,
# which includes /opt/llama.cpp (mount a llama.cpp build there); solar-hf-runner sits beside
# solar-host in /usr/local/bin.
set -e
data_dir="${DATA_DIR:-/app/data}"
if ! mkdir -p "$data_dir" 2>/dev/null || [ ! -w "$data_dir" ]; then
    echo "solar-host: $data_dir is not writable by uid $(id -u):" \
        "run 'sudo chown $(id -u):$(id -g) data/host' on the machine, or set SOLAR_UID/SOLAR_GID in .env" >&2
    exit 1
fi
exec /usr/local/bin/solar-host --data-dir "$data_dir" --port "${PORT:-8001}" "$@"
