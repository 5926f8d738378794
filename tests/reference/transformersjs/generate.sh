#!/bin/sh
# Regenerates tests/data/models/<model>/transformersjs.json: exports the tiny encoder fixtures to
# ONNX in a temporary directory and runs them with transformers.js (see README.md).
set -eu
here=$(cd "$(dirname "$0")" && pwd)
cd "$here"
if [ ! -d node_modules/@huggingface/transformers ]; then
    # The pinned tree from package-lock.json. onnxruntime-node ships its CPU binaries in the npm
    # package; its install script would only download CUDA/WebGPU extras, so skip it.
    ONNXRUNTIME_NODE_INSTALL=skip npm ci --no-audit --no-fund
fi
out=$(mktemp -d "${TMPDIR:-/tmp}/solar-transformersjs-XXXXXX")
trap 'rm -rf "$out"' EXIT INT TERM
/usr/bin/python3 export_onnx.py "$out"
node run_transformersjs.mjs "$out"
