#!/usr/bin/python3
# Random-weight BERT-base-sized and MiniLM-sized encoders in HuggingFace layout for the encoder
# benchmark, written at run time (never committed). The networks, randomisation and export are
# tests/data/models/generate.py's, imported, so the benchmark weighs the same layout the runner's
# reference tests prove; only the sizes differ.
#
#     /usr/bin/python3 bench/encoder/models.py OUT_DIR [bert-base] [minilm]
# writes OUT_DIR/<name>/{config.json, model.safetensors, tokenizer.json} and prints each path.

import json
import os
import shutil
import sys

import torch

ROOT = os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__))))
sys.path.insert(0, os.path.join(ROOT, "tests", "data", "models"))
import generate  # noqa: E402  (tests/data/models/generate.py)

TOKENIZERS = os.path.join(ROOT, "tests", "data", "tokenizers")

# A BertForSequenceClassification: the runner serves its encoder for --task embedding and its
# head for --task classification, so one checkpoint per size covers both tasks.
COMMON = dict(family="bert", model_type="bert", architecture="BertForSequenceClassification",
              prefix="bert.", act="gelu", pad=0, type_vocab=2, vocab=30522, max_pos=512,
              eps=1e-12, classifier=True, labels=["negative", "neutral", "positive"],
              storage="F32", special=(101, 102, 0))

SPECS = {
    # bert-base-uncased's shape: 12 layers, hidden 768, 12 heads, intermediate 3072.
    "bert-base": dict(COMMON, name="bert-base", hidden=768, layers=12, heads=12, inter=3072,
                      tokenizer="bert-base-uncased"),
    # all-MiniLM-L6-v2's shape: 6 layers, hidden 384, 12 heads, intermediate 1536.
    "minilm": dict(COMMON, name="minilm", hidden=384, layers=6, heads=12, inter=1536,
                   tokenizer="all-minilm-l6-v2"),
}


def build(spec, out_dir, seed):
    directory = os.path.join(out_dir, spec["name"])
    os.makedirs(directory, exist_ok=True)
    generator = torch.Generator().manual_seed(seed)
    torch.manual_seed(seed)
    model = generate.RefEncoder(spec).eval()
    generate.randomize(model, spec, generator)
    with open(os.path.join(directory, "config.json"), "w") as f:
        json.dump(generate.hf_config(spec), f, indent=2)
        f.write("\n")
    generate.write_weights(directory, generate.export_state(model, spec), spec)
    shutil.copyfile(os.path.join(TOKENIZERS, spec["tokenizer"], "tokenizer.json"),
                    os.path.join(directory, "tokenizer.json"))
    return directory


def main():
    if len(sys.argv) < 2:
        sys.exit("usage: models.py OUT_DIR [bert-base] [minilm]")
    torch.set_num_threads(max(1, os.cpu_count() or 1))
    names = sys.argv[2:] or list(SPECS)
    for seed, name in enumerate(names, start=100):
        print(build(SPECS[name], sys.argv[1], seed), flush=True)


if __name__ == "__main__":
    main()
