#!/usr/bin/env bash
# Configures and builds one build tree. Usage: scripts/build.sh <build-dir> [extra cmake args...]
set -euo pipefail
root=$(cd "$(dirname "$0")/.." && pwd)
build_dir=$1
shift
# Swagger UI for the daemons' /docs pages: the npm package pinned in docs/swagger-ui, copied into
# the build tree by cmake/api_docs.cmake. Without npm (or the registry) the daemons still build
# and serve /openapi.json; /docs then answers 503.
if [ ! -f "$root/docs/swagger-ui/node_modules/swagger-ui-dist/swagger-ui-bundle.js" ]; then
    if command -v npm >/dev/null 2>&1; then
        echo "build: installing Swagger UI (npm ci --prefix docs/swagger-ui)"
        npm ci --prefix "$root/docs/swagger-ui" --ignore-scripts --no-audit --no-fund >/dev/null ||
            echo "build: npm ci failed: building without Swagger UI, /docs will answer 503"
    else
        echo "build: npm not found: building without Swagger UI, /docs will answer 503"
    fi
fi
generator=()
if command -v ninja >/dev/null 2>&1; then generator=(-G Ninja); fi
if [ ! -f "$build_dir/CMakeCache.txt" ]; then
    cmake -S "$root" -B "$build_dir" "${generator[@]}" "$@" >/dev/null
fi
cmake --build "$build_dir" -j "$(nproc)"
