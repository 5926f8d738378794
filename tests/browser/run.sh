#!/usr/bin/env bash
# ctest's entry to the browser tests (tests/CMakeLists.txt): exits 77, which ctest reports as
# skipped (not passed), with the reason, when node, Debian's chromium or playwright-core is
# missing. Installs the pinned playwright-core (npm ci, never a browser) when npm can.
# Usage: run.sh TEST.mjs [test arguments...]
set -uo pipefail
here=$(cd "$(dirname "$0")" && pwd)
skip() {
    echo "SKIP: $*"
    exit 77
}
command -v node >/dev/null 2>&1 || skip "node not found (the browser tests need Node.js)"
[ -x /usr/bin/chromium ] || skip "/usr/bin/chromium not found (apt-get install chromium)"
if [ ! -f "$here/node_modules/playwright-core/package.json" ]; then
    command -v npm >/dev/null 2>&1 || skip "playwright-core not installed and npm not found"
    PLAYWRIGHT_SKIP_BROWSER_DOWNLOAD=1 npm ci --prefix "$here" --ignore-scripts --no-audit \
        --no-fund --loglevel=error ||
        skip "npm ci in tests/browser failed (no registry?); playwright-core not installed"
fi
test_script=$1
shift
exec node "$here/$test_script" "$@"
