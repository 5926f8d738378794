#!/usr/bin/env bash
# CI smoke run of the benchmark tools (a few seconds, no figure asserted): each tool runs
# briefly, direct and through solar-control, and the script fails only if one fails to run.
#
#   bench/smoke.sh BUILD_DIR      (builds nothing; needs solar-control and the solar-bench-* targets;
#                                 solar-hf-runner and python3-torch for the encoder part)
set -euo pipefail

build=$(cd "${1:?usage: bench/smoke.sh BUILD_DIR}" && pwd)
here=$(cd "$(dirname "$0")" && pwd)
key=smoke-key
tmp=$(mktemp -d /tmp/solar-bench-smoke.XXXXXX)
pids=()
cleanup() {
    for pid in "${pids[@]}"; do kill "$pid" 2>/dev/null || true; done
    wait 2>/dev/null || true
    rm -rf "$tmp"
}
trap cleanup EXIT
fail() { echo "bench smoke: $*" >&2; exit 1; }
wait_line() {
    for _ in $(seq 1 100); do
        if grep -qE "$2" "$1" 2>/dev/null; then grep -m1 -E "$2" "$1"; return 0; fi
        sleep 0.1
    done
    cat "$1" >&2
    fail "timed out waiting for '$2'"
}

"$build/bench/solar-bench-upstream" --port 0 --hosts 2 --instances 3 >"$tmp/standin.out" 2>&1 &
pids+=($!)
upstream=$(wait_line "$tmp/standin.out" '^listening on' | sed 's/.*://')

mkdir -p "$tmp/control"
(cd "$tmp/control" && exec env -i PATH="$PATH" API_KEY=$key HOST=127.0.0.1 PORT=0 \
    DATA_DIR="$tmp/control" THREADS=1 LOG_LEVEL=info "$build/src/solar-control" \
    2>"$tmp/control/stderr.log" >/dev/null) &
pids+=($!)
control=$(wait_line "$tmp/control/stderr.log" 'listening on' | sed 's/.*://')
curl -sf -o /dev/null "http://127.0.0.1:$control/hosts" -H "X-API-Key: $key" \
    -H 'Content-Type: application/json' \
    -d "{\"name\":\"standin\",\"url\":\"http://127.0.0.1:$upstream\",\"api_key\":\"x\"}" ||
    fail "POST /hosts failed"
for _ in $(seq 1 50); do
    curl -sf "http://127.0.0.1:$control/v1/models" -H "X-API-Key: $key" | grep -q '"bench"' && break
    sleep 0.1
done

for url in "http://127.0.0.1:$upstream" "http://127.0.0.1:$control"; do
    "$build/bench/solar-bench-load" --url "$url/v1/chat/completions" --rate 200 --duration 1 \
        --warmup 0.2 --connections 4 -H "X-API-Key: $key" >/dev/null || fail "load against $url"
    "$build/bench/solar-bench-sse" --url "$url/v1/chat/completions" --streams 10 --chunks 5 \
        --chunk-delay-ms 1 -H "X-API-Key: $key" >/dev/null || fail "sse against $url"
    "$build/bench/solar-bench-load" --url "$url/health" --hold 50 --duration 0.2 >/dev/null ||
        fail "hold against $url"
done
if command -v wrk >/dev/null; then
    wrk -t1 -c4 -d1s -s "$here/post.lua" -H "X-API-Key: $key" \
        "http://127.0.0.1:$control/v1/chat/completions" >/dev/null || fail "wrk"
fi
"$build/bench/solar-bench-routing" --benchmark_min_time=0.01 >/dev/null 2>&1 || fail "routing benchmark"
# Encoder throughput (bench/encoder): the real solar-hf-runner and the Python torch baseline on
# the tiny test models, one request per scenario; only where libtorch let the runner be built.
if [[ -x "$build/src/solar-hf-runner" ]] && /usr/bin/python3 -c 'import torch' 2>/dev/null; then
    "$here/encoder/run.sh" "$build" --smoke || fail "encoder benchmark"
fi
"$here/decoder/run.sh" "$build" --smoke 2>&1 | tail -n 3 || fail "decoder benchmark"  # bench/decoder: tiny Llama, skips itself without causal support
echo "bench smoke: ok"
