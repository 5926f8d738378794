#!/usr/bin/env bash
# Runs the OpenAI Node SDK tests (ctest: openai_node_sdk). Exit 77 (ctest SKIP_RETURN_CODE) with
# a reason where they cannot run: no node, node older than 20, or `npm ci` not done here.
set -euo pipefail
cd "$(dirname "$0")"
skip() { echo "SKIP: $*" >&2; exit 77; }
command -v node >/dev/null 2>&1 || skip "node is not installed; the OpenAI Node SDK tests did not run"
major=$(node -p 'process.versions.node.split(".")[0]')
[ "$major" -ge 20 ] || skip "node $(node --version) is older than 20; the OpenAI Node SDK tests did not run"
[ -f node_modules/openai/package.json ] ||
    skip "the openai package is not installed: run 'npm ci' in tests/clients (scripts/test.sh does)"
# Run the file directly (not through --test, which forks a child per file), so that the daemons'
# parent is the process ctest would kill.
exec node --test-reporter=spec openai_sdk.test.mjs
