#!/usr/bin/env bash
# Causal-LM decode benchmark (issue 6): solar-hf-runner (streamed /v1/completions) against
# llama.cpp (node-llama-cpp) and Python torch eager on the same random Llama weights, the tiny
# test Llama and a 134 M-parameter one, generated at run time into a temp dir.
#
#   bench/decoder/run.sh BUILD_DIR           full run (~8 min on 2 cores), writes
#                                            bench/results/decoder.{md,json}
#   bench/decoder/run.sh BUILD_DIR --smoke   llama_tiny only, one short pass, no figures kept
#   RUNS=5 THREADS=2 bench/decoder/run.sh BUILD_DIR
#
# Needs BUILD_DIR/src/solar-hf-runner with --task causal, Debian's /usr/bin/python3 with
# python3-torch and python3-numpy; node and tests/reference/llamacpp/node_modules (npm ci
# there) for the llama.cpp contender, which is left out, saying so, when missing. The smoke
# mode skips (exit 0, with a message) where the runner has no causal support.
# See bench/README.md, "Decoder throughput (solar-hf-runner)".
set -euo pipefail

build=$(cd "${1:?usage: bench/decoder/run.sh BUILD_DIR [--smoke]}" && pwd)
here=$(cd "$(dirname "$0")" && pwd)
smoke=${2:-}
skip() {
    echo "bench/decoder: skipped: $*" >&2
    [[ "$smoke" == "--smoke" ]] && exit 0
    exit 1
}
runner="$build/src/solar-hf-runner"
[[ -x "$runner" ]] || skip "$runner not built"
"$runner" --help 2>&1 | grep -q causal || skip "solar-hf-runner has no --task causal"
/usr/bin/python3 -c 'import torch, numpy' 2>/dev/null || skip "python3-torch/python3-numpy missing"
[[ -f "$here/../../../shared/fixtures/llama-2-tiny-random.gguf" ]] ||
    skip "../shared/fixtures/llama-2-tiny-random.gguf (GGUF tokenizer metadata) missing"
extra=()
if ! command -v node >/dev/null ||
    [[ ! -d "$here/../../tests/reference/llamacpp/node_modules/node-llama-cpp" ]]; then
    echo "bench/decoder: node or tests/reference/llamacpp/node_modules missing:" \
        "llama.cpp contender left out" >&2
    extra+=(--no-llamacpp)
fi
if [[ "$smoke" == "--smoke" ]]; then
    exec /usr/bin/python3 "$here/bench.py" --build "$build" --smoke --threads "${THREADS:-1}" \
        "${extra[@]}"
fi
exec /usr/bin/python3 "$here/bench.py" --build "$build" --out "$here/../results" \
    --runs "${RUNS:-3}" --threads "${THREADS:-1}" "${extra[@]}"
