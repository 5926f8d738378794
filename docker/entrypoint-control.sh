#!/bin/sh
# File: container entrypoint for solar-control. Settings come from the environment (compose
# passes them from .env); extra arguments are passed on as flags.
set -e
data_dir="${DATA_DIR:-/app/data}"
# A bind-mounted ./data made by `mkdir -p data` belongs to the user who made it, not to the
# container's user: say how to fix it instead of failing later on the database.
if ! mkdir -p "$data_dir" 2>/dev/null || [ ! -w "$data_dir" ]; then
    echo "solar-control: $data_dir is not writable by uid $(id -u):" \
        "run 'sudo chown $(id -u):$(id -g) data' on the machine, or set SOLAR_UID/SOLAR_GID in .env" >&2
    exit 1
fi
exec /usr/local/bin/solar-control --data-dir "$data_dir" "$@"
