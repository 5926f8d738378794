#!/usr/bin/env bash
# Installs what is missing, builds, and starts the stack in the foreground (Ctrl-C stops it).
# solar-control listens on :8000 with its database and API key in ./data.
set -euo pipefail
root=$(cd "$(dirname "$0")/.." && pwd)
cd "$root"
bash scripts/install-deps.sh
bash scripts/build.sh build -DCMAKE_BUILD_TYPE=Release -DSOLAR_BUILD_TESTS=OFF
mkdir -p data
echo "solar-control: http://localhost:${PORT:-8000}  (API key: \$API_KEY, or the file data/api_key)"
exec ./build/src/solar-control --data-dir "${DATA_DIR:-./data}" "$@"
