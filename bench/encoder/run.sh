#!/usr/bin/env bash
# Encoder throughput benchmark: solar-hf-runner against a Python torch-eager server on the same
# random-weight BERT-base-sized and MiniLM-sized models (generated at run time into a temp dir).
#
#   bench/encoder/run.sh BUILD_DIR           full run (~7 min on 2 cores), writes
#                                            bench/results/encoder.{md,json}
#   bench/encoder/run.sh BUILD_DIR --smoke   tiny test models, one short pass, no figures kept
#   RUNS=5 DURATION=3 DURATION_LARGE=5 THREADS=0 bench/encoder/run.sh BUILD_DIR
#
# Needs BUILD_DIR/src/solar-hf-runner and Debian's /usr/bin/python3 with python3-torch and
# python3-numpy. See bench/README.md, "Encoder throughput (solar-hf-runner)".
set -euo pipefail

build=$(cd "${1:?usage: bench/encoder/run.sh BUILD_DIR [--smoke]}" && pwd)
here=$(cd "$(dirname "$0")" && pwd)
[[ -x "$build/src/solar-hf-runner" ]] || {
    echo "bench/encoder: $build/src/solar-hf-runner not built" >&2
    exit 1
}
if [[ "${2:-}" == "--smoke" ]]; then
    exec /usr/bin/python3 "$here/bench.py" --build "$build" --smoke --runs 1 --duration 0 \
        --threads "${THREADS:-0}" >/dev/null
fi
exec /usr/bin/python3 "$here/bench.py" --build "$build" --out "$here/../results" \
    --runs "${RUNS:-3}" --duration "${DURATION:-2}" --duration-large "${DURATION_LARGE:-3}" \
    --threads "${THREADS:-0}"
