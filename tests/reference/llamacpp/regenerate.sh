#!/bin/sh
# Rebuilds both llama.cpp fixtures from ../shared/fixtures/llama-2-tiny-random.gguf: converts
# the GGUF to tests/data/models/llama_tiny, derives and converts llama_tiny_sharp and
# llama_tiny_sharp_rope (rope_theta 500, linear rope scaling x4) and llama_tiny_sharp_llama3
# (rope_theta 500, Llama 3.1 scaling x8 over an original context of 256), and records
# llama.cpp's goldens for each (node-llama-cpp, CPU). Needs Debian's python3-numpy, node, npm.
set -eu
here=$(cd "$(dirname "$0")" && pwd)
models="$here/../../data/models"
gguf="${1:-$here/../../../../shared/fixtures/llama-2-tiny-random.gguf}"
work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT

cd "$here"
[ -d node_modules ] || npm ci --omit=optional --no-audit --no-fund
/usr/bin/python3 "$models/convert_gguf.py" "$gguf" "$models/llama_tiny"
/usr/bin/python3 "$models/derive_gguf.py" "$gguf" "$work/sharp.gguf"
/usr/bin/python3 "$models/convert_gguf.py" --no-tokenizer "$work/sharp.gguf" "$models/llama_tiny_sharp"
node generate.mjs "$gguf" "$models/llama_tiny/llamacpp_goldens.json"
node generate.mjs "$work/sharp.gguf" "$models/llama_tiny_sharp/llamacpp_goldens.json"
/usr/bin/python3 "$models/derive_gguf.py" "$gguf" "$work/rope.gguf" --rope-theta 500 --rope-linear 4
/usr/bin/python3 "$models/convert_gguf.py" --no-tokenizer "$work/rope.gguf" "$models/llama_tiny_sharp_rope"
node generate.mjs "$work/rope.gguf" "$models/llama_tiny_sharp_rope/llamacpp_goldens.json"
/usr/bin/python3 "$models/derive_gguf.py" "$gguf" "$work/l3.gguf" --rope-theta 500 --rope-llama3 8 --rope-original 256
/usr/bin/python3 "$models/convert_gguf.py" --no-tokenizer --rope-llama3 8,256 "$work/l3.gguf" "$models/llama_tiny_sharp_llama3"
node generate.mjs "$work/l3.gguf" "$models/llama_tiny_sharp_llama3/llamacpp_goldens.json"
