#!/usr/bin/env bash
# Puts the quickstart's two models into MODELS_DIR (default ./data/models) unless already there:
#   tiny-llama  a 1-layer Llama (random weights, 32,000-token SentencePiece vocabulary) converted
#               from ../shared/fixtures by tests/data/models/convert_gguf.py, plus a chat template
#   tiny-embed  a 2-layer MiniLM-style BERT embedder (random weights) with a small WordPiece vocab
# Both ship in tests/data/models; nothing is downloaded. Their output is not meaningful text: they
# exist to show the whole path (gateway -> host -> solar-hf-runner) working in seconds on a CPU.
set -euo pipefail
root=$(cd "$(dirname "$0")/../.." && pwd)
models=${1:-$root/data/models}
fixtures=$root/tests/data/models
mkdir -p "$models"

if [ ! -f "$models/tiny-llama/model.safetensors" ]; then
    tmp=$(mktemp -d "$models/.tiny-llama.XXXXXX")
    cp "$fixtures"/llama_tiny/{config.json,generation_config.json,model.safetensors,tokenizer.json} "$tmp/"
    # The converted GGUF has no chat template; give it a Llama-2-style one so chat works.
    python3 - "$fixtures/llama_tiny/tokenizer_config.json" "$(dirname "$0")/chat_template.jinja" \
        "$tmp/tokenizer_config.json" <<'PY'
import json, sys
config = json.load(open(sys.argv[1]))
config["chat_template"] = open(sys.argv[2]).read()
json.dump(config, open(sys.argv[3], "w"), indent=2)
PY
    rm -rf "$models/tiny-llama" && mv "$tmp" "$models/tiny-llama"
fi

if [ ! -f "$models/tiny-embed/model.safetensors" ]; then
    tmp=$(mktemp -d "$models/.tiny-embed.XXXXXX")
    cp "$fixtures"/minilm_embedder/{config.json,model.safetensors} "$tmp/"
    cp "$fixtures/tiny_wordpiece_tokenizer.json" "$tmp/tokenizer.json"
    rm -rf "$models/tiny-embed" && mv "$tmp" "$models/tiny-embed"
fi
