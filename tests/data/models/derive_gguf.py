#!/usr/bin/python3
# Derives a second tiny GGUF from llama-2-tiny-random.gguf whose outputs depend strongly on
# what the original barely exercises: its random attention is nearly uniform, so RoPE, the
# Q/K row order and the cache move its logits by less than llama.cpp's own rounding.
#
#   /usr/bin/python3 derive_gguf.py IN.gguf OUT.gguf [--rope-theta BASE] [--rope-linear FACTOR]
#       [--rope-llama3 FACTOR --rope-original CONTEXT]
#
# Changes: Q and K scaled by QK_SCALE (sharp attention); one key/value head shared by both
# query heads (grouped-query attention: the first head's K and V rows); V scaled by V_SCALE so
# attention moves the residual stream; output.weight dropped, so the embedding is tied as the
# lm_head (llama.cpp falls back to token_embd). With the rope options it also sets
# llama.rope.freq_base and linear rope scaling (llama.rope.scaling.type/factor), which
# convert_gguf.py turns into rope_theta and rope_scaling. --rope-llama3 adds the rope_freqs
# tensor that llama.cpp uses for Llama 3.1 scaling (low_freq_factor 1, high_freq_factor 4):
# per frequency, the original inverse frequency over the scaled one, as llama.cpp's converter
# writes it. Deterministic.

import os
import sys

import numpy as np

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from gguf_reader import GGUFFile, write_gguf  # noqa: E402

QK_SCALE = 30.0
V_SCALE = 8.0


def llama3_freq_factors(base, head_dim, factor, original, low=1.0, high=4.0):
    # transformers' _compute_llama3_parameters, expressed as llama.cpp's divisors.
    inv_freq = 1.0 / base ** (np.arange(0, head_dim, 2, dtype=np.float64) / head_dim)
    wavelen = 2 * np.pi / inv_freq
    smooth = (original / wavelen - low) / (high - low)
    factors = np.where(
        wavelen < original / high,
        1.0,
        np.where(wavelen > original / low, factor, 1.0 / ((1 - smooth) / factor + smooth)),
    )
    return factors.astype(np.float32)


def main():
    args = sys.argv[1:]
    options = {}
    while len(args) > 2 and args[-2].startswith("--"):
        options[args[-2]] = float(args[-1])
        args = args[:-2]
    known = {"--rope-theta", "--rope-linear", "--rope-llama3", "--rope-original"}
    if len(args) != 2 or set(options) - known:
        sys.exit("usage: derive_gguf.py IN.gguf OUT.gguf [--rope-theta B] [--rope-linear F]"
                 " [--rope-llama3 F --rope-original N]")
    g = GGUFFile(args[0])
    md = dict(g.metadata)
    types = dict(g.metadata_types)
    f32, string = (6, None), (8, None)
    if "--rope-theta" in options:
        md["llama.rope.freq_base"], types["llama.rope.freq_base"] = options["--rope-theta"], f32
    if "--rope-linear" in options:
        md["llama.rope.scaling.type"], types["llama.rope.scaling.type"] = "linear", string
        md["llama.rope.scaling.factor"] = options["--rope-linear"]
        types["llama.rope.scaling.factor"] = f32
    heads = md["llama.attention.head_count"]
    head_dim = md["llama.embedding_length"] // heads
    md["llama.attention.head_count_kv"] = 1
    md["general.name"] = "LLaMA v2 tiny, sharp GQA tied (derived)"
    tensors = {}
    for name, array in g.tensors.items():
        if name == "output.weight":
            continue
        if name.endswith("attn_q.weight"):
            array = (array.astype(np.float32) * QK_SCALE).astype(np.float16)
        elif name.endswith("attn_k.weight"):
            array = (array[:head_dim].astype(np.float32) * QK_SCALE).astype(np.float16)
        elif name.endswith("attn_v.weight"):
            array = (array[:head_dim].astype(np.float32) * V_SCALE).astype(np.float16)
        tensors[name] = array
    if "--rope-llama3" in options:
        base = md.get("llama.rope.freq_base", 10000.0)
        tensors["rope_freqs.weight"] = llama3_freq_factors(
            base, head_dim, options["--rope-llama3"], options["--rope-original"]
        )
    write_gguf(args[1], md, types, tensors)


if __name__ == "__main__":
    main()
