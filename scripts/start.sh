#!/usr/bin/env bash
# Installs what is missing, builds, and starts the quickstart stack in the foreground on
# loopback (scripts/stack.sh): solar-control on :8000, solar-host on :8001 registered with it,
# and two solar-hf-runner instances (tiny-llama for chat and completions, tiny-embed for
# embeddings). Ctrl-C stops everything; `scripts/start.sh stop` stops it from elsewhere.
# Keys, database, instances and logs live in ./data and are reused by the next start.
set -euo pipefail
root=$(cd "$(dirname "$0")/.." && pwd)
cd "$root"
if [ "${1:-}" = stop ]; then
    exec bash scripts/stack.sh stop
fi
bash scripts/install-deps.sh
bash scripts/build.sh build -DCMAKE_BUILD_TYPE=Release -DSOLAR_BUILD_TESTS=OFF
exec bash scripts/stack.sh up
