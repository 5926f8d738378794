#!/bin/sh
# Container entrypoint for solar-control: configuration comes from the environment (.env via compose).
set -e
exec /usr/local/bin/solar-control --data-dir "${DATA_DIR:-/app/data}" "$@"
