#!/bin/sh
# Rebuilds the generated decoder fixtures (tests/data/models/{qwen2,mistral,phi3,gpt2}_tiny):
# generate_decoders.py writes the HF directories and their GGUF conversions, llama.cpp
# (node-llama-cpp, CPU, F32 K/V cache, no flash attention) records llamacpp_goldens.json for qwen2, phi3 and gpt2,
# and the independent torch implementation (decoder_reference.py) records torch_goldens.json
# for all four over the same prompt ids. Mistral's llama.cpp goldens are
# llamacpp_goldens_no_window.json: llama.cpp's llama architecture ignores the sliding window, so
# they check the rest of the network (the test loads the weights with the window off). Needs
# Debian's python3-torch and python3-numpy, node, npm. Deterministic.
set -eu
here=$(cd "$(dirname "$0")" && pwd)
models="$here/../../data/models"
work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT

cd "$here"
[ -d node_modules ] || npm ci --omit=optional --no-audit --no-fund
/usr/bin/python3 "$models/generate_decoders.py" models "$models" "$work"
for m in qwen2 phi3 gpt2 mistral; do
    out="$models/${m}_tiny/llamacpp_goldens.json"
    [ "$m" = mistral ] && out="$models/mistral_tiny/llamacpp_goldens_no_window.json"
    KV_CACHE_TYPE=F32 node generate.mjs "$work/${m}_tiny.gguf" "$out"
    /usr/bin/python3 "$models/generate_decoders.py" reference "$models/${m}_tiny" "$out" \
        "$models/${m}_tiny/torch_goldens.json"
done
