#!/usr/bin/python3
# Writes the tiny random decoders qwen2_tiny, mistral_tiny, gpt2_tiny and phi3_tiny in the
# HuggingFace layout, their GGUF conversions for llama.cpp, and reference outputs from a
# separate torch implementation written from each architecture's definition.
#
#   /usr/bin/python3 generate_decoders.py models OUT_DIR GGUF_DIR
#   /usr/bin/python3 generate_decoders.py reference MODEL_DIR PROMPT_GOLDENS OUT.json
#   /usr/bin/python3 generate_decoders.py compare A.json B.json
#
# Debian's python3-torch and python3-numpy; deterministic (fixed seeds, one thread, float64
# reference arithmetic on float32 weights), so reruns reproduce the files byte for byte.
# tests/reference/llamacpp/regenerate_decoders.sh runs the whole chain.
#
# Every model shares one byte-level BPE tokenizer (GPT-2's byte alphabet, a few merges,
# <|endoftext|>), kept small so that each model is well under 1 MB. Weights are float32 and
# deliberately sharp (large Q/K) so that attention, positions and the cache decide the logits.

import json
import math
import os
import sys

import numpy as np
import torch

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from convert_gguf import write_safetensors  # noqa: E402
from gguf_reader import write_gguf  # noqa: E402

MERGES = [
    ("Ġ", "t"), ("h", "e"), ("Ġt", "he"), ("i", "n"), ("Ġ", "a"), ("e", "r"), ("o", "n"),
    ("Ġ", "s"), ("r", "e"), ("a", "n"), ("Ġ", "w"), ("o", "u"), ("Ġ", "c"), ("a", "t"),
    ("e", "n"), ("i", "s"), ("Ġ", "l"), ("l", "l"), ("Ġ", "b"), ("o", "r"), ("Ġ", "f"),
    ("Ġ", "o"), ("e", "d"), ("a", "r"), ("n", "d"), ("Ġa", "nd"), ("Ġ", "h"), ("i", "t"),
    ("Ġ", "d"), ("Ġ", "m"), ("Ġl", "l"), ("Ġll", "a"), ("Ġlla", "m"), ("Ġllam", "a"),
    ("Ġ", "Ġ"), ("Ġ", "n"), ("s", "t"), ("Ġ", "p"), ("o", "w"), ("Ġt", "o"),
]
EOT = "<|endoftext|>"
SPECIALS = [EOT]


def bytes_to_unicode():
    # GPT-2's reversible byte -> printable character table.
    keep = list(range(ord("!"), ord("~") + 1)) + list(range(0xA1, 0xAD)) + list(range(0xAE, 0x100))
    chars, extra = {}, 0
    for b in range(256):
        if b in keep:
            chars[b] = chr(b)
        else:
            chars[b] = chr(256 + extra)
            extra += 1
    return chars


def vocabulary():
    tokens = [bytes_to_unicode()[b] for b in range(256)]
    for left, right in MERGES:
        assert left in tokens and right in tokens, (left, right)
        tokens.append(left + right)
    return tokens + SPECIALS


def tokenizer_json(tokens):
    eot = tokens.index(EOT)
    byte_level = {"add_prefix_space": False, "trim_offsets": True, "use_regex": True}
    return {
        "version": "1.0",
        "truncation": None,
        "padding": None,
        "added_tokens": [{
            "id": tokens.index(s), "content": s, "single_word": False, "lstrip": False,
            "rstrip": False, "normalized": False, "special": True,
        } for s in SPECIALS],
        "normalizer": None,
        "pre_tokenizer": {"type": "ByteLevel", **byte_level},
        "post_processor": {"type": "ByteLevel", **byte_level},
        "decoder": {"type": "ByteLevel", **byte_level},
        "model": {
            "type": "BPE", "dropout": None, "unk_token": None, "continuing_subword_prefix": "",
            "end_of_word_suffix": "", "fuse_unk": False, "byte_fallback": False,
            "ignore_merges": False, "vocab": {t: i for i, t in enumerate(tokens)},
            "merges": [f"{a} {b}" for a, b in MERGES],
        },
    }


# The four models: sizes and switches. Each is a dict of config.json fields plus the seed.
HIDDEN, HEADS, LAYERS, FF, CONTEXT = 32, 4, 2, 64, 512


def specs(vocab, eot):
    common = {
        "vocab_size": vocab, "hidden_size": HIDDEN, "intermediate_size": FF,
        "num_hidden_layers": LAYERS, "num_attention_heads": HEADS,
        "max_position_embeddings": CONTEXT, "hidden_act": "silu", "rms_norm_eps": 1e-6,
        "bos_token_id": eot, "eos_token_id": eot, "torch_dtype": "float32",
        "transformers_version": "4.46.0",
    }
    return {
        "qwen2_tiny": (11, {
            "architectures": ["Qwen2ForCausalLM"], "model_type": "qwen2", **common,
            "num_key_value_heads": 2, "rope_theta": 1000000.0, "tie_word_embeddings": True,
            "use_sliding_window": False, "sliding_window": CONTEXT, "max_window_layers": LAYERS,
            "attention_dropout": 0.0, "bos_token_id": None,
        }),
        "mistral_tiny": (12, {
            "architectures": ["MistralForCausalLM"], "model_type": "mistral", **common,
            "num_key_value_heads": 2, "rope_theta": 10000.0, "sliding_window": 16,
            "tie_word_embeddings": False, "attention_dropout": 0.0,
        }),
        "phi3_tiny": (13, {
            "architectures": ["Phi3ForCausalLM"], "model_type": "phi3", **common,
            "num_key_value_heads": HEADS, "rope_theta": 10000.0, "rms_norm_eps": 1e-5,
            "rope_scaling": None, "partial_rotary_factor": 1.0, "sliding_window": None,
            "original_max_position_embeddings": CONTEXT, "tie_word_embeddings": False,
            "attention_bias": False, "resid_pdrop": 0.0, "embd_pdrop": 0.0,
            "attention_dropout": 0.0,
        }),
        "gpt2_tiny": (14, {
            "architectures": ["GPT2LMHeadModel"], "model_type": "gpt2", "vocab_size": vocab,
            "n_embd": HIDDEN, "n_layer": LAYERS, "n_head": HEADS, "n_positions": CONTEXT,
            "n_inner": None, "activation_function": "gelu_new", "layer_norm_epsilon": 1e-5,
            "resid_pdrop": 0.0, "embd_pdrop": 0.0, "attn_pdrop": 0.0,
            "scale_attn_weights": True, "scale_attn_by_inverse_layer_idx": False,
            "reorder_and_upcast_attn": False, "tie_word_embeddings": True, "bos_token_id": eot,
            "eos_token_id": eot, "torch_dtype": "float32", "transformers_version": "4.46.0",
        }),
    }


class Draw:
    def __init__(self, seed):
        self.g = torch.Generator().manual_seed(seed)

    def __call__(self, shape, std, mean=0.0):
        return (torch.randn(*shape, generator=self.g) * std + mean).numpy().astype(np.float32)


def llama_family_weights(c, seed):
    """HF tensors for Qwen2/Mistral (separate q/k/v, gate/up) or Phi-3 (fused)."""
    draw, n, d = Draw(seed), c["hidden_size"], c["hidden_size"] // c["num_attention_heads"]
    q_rows, kv_rows, ff = c["num_attention_heads"] * d, c["num_key_value_heads"] * d, FF
    phi3 = c["model_type"] == "phi3"
    w = {"model.embed_tokens.weight": draw((c["vocab_size"], n), 0.5)}
    for i in range(c["num_hidden_layers"]):
        p = f"model.layers.{i}."
        w[p + "input_layernorm.weight"] = draw((n,), 0.1, 1.0)
        w[p + "post_attention_layernorm.weight"] = draw((n,), 0.1, 1.0)
        q, k, v = draw((q_rows, n), 0.35), draw((kv_rows, n), 0.35), draw((kv_rows, n), 0.3)
        if phi3:
            w[p + "self_attn.qkv_proj.weight"] = np.concatenate([q, k, v])
        else:
            w[p + "self_attn.q_proj.weight"] = q
            w[p + "self_attn.k_proj.weight"] = k
            w[p + "self_attn.v_proj.weight"] = v
        if c["model_type"] == "qwen2":
            w[p + "self_attn.q_proj.bias"] = draw((q_rows,), 0.3)
            w[p + "self_attn.k_proj.bias"] = draw((kv_rows,), 0.3)
            w[p + "self_attn.v_proj.bias"] = draw((kv_rows,), 0.1)
        w[p + "self_attn.o_proj.weight"] = draw((n, q_rows), 0.2)
        gate, up = draw((ff, n), 0.2), draw((ff, n), 0.2)
        if phi3:
            w[p + "mlp.gate_up_proj.weight"] = np.concatenate([gate, up])
        else:
            w[p + "mlp.gate_proj.weight"] = gate
            w[p + "mlp.up_proj.weight"] = up
        w[p + "mlp.down_proj.weight"] = draw((n, ff), 0.2)
    w["model.norm.weight"] = draw((n,), 0.1, 1.0)
    if not c["tie_word_embeddings"]:
        w["lm_head.weight"] = draw((c["vocab_size"], n), 0.2)
    return w


def gpt2_weights(c, seed):
    """HF GPT-2 tensors: Conv1D weights stored [in, out]; lm_head tied to wte (not stored)."""
    draw, n = Draw(seed), c["n_embd"]
    w = {
        "transformer.wte.weight": draw((c["vocab_size"], n), 0.5),
        "transformer.wpe.weight": draw((c["n_positions"], n), 0.3),
    }
    for i in range(c["n_layer"]):
        p = f"transformer.h.{i}."
        for norm in ("ln_1", "ln_2"):
            w[p + norm + ".weight"] = draw((n,), 0.1, 1.0)
            w[p + norm + ".bias"] = draw((n,), 0.1)
        qk = draw((n, 2 * n), 0.35)
        w[p + "attn.c_attn.weight"] = np.concatenate([qk, draw((n, n), 0.3)], axis=1)
        w[p + "attn.c_attn.bias"] = draw((3 * n,), 0.1)
        w[p + "attn.c_proj.weight"] = draw((n, n), 0.2)
        w[p + "attn.c_proj.bias"] = draw((n,), 0.05)
        w[p + "mlp.c_fc.weight"] = draw((n, 4 * n), 0.2)
        w[p + "mlp.c_fc.bias"] = draw((4 * n,), 0.1)
        w[p + "mlp.c_proj.weight"] = draw((4 * n, n), 0.2)
        w[p + "mlp.c_proj.bias"] = draw((n,), 0.05)
    w["transformer.ln_f.weight"] = draw((n,), 0.1, 1.0)
    w["transformer.ln_f.bias"] = draw((n,), 0.1)
    return w


# ---- GGUF conversion (llama.cpp's tensor names and metadata keys) ----

U32, I32, F32, STR, ARR = 4, 5, 6, 8, 9


def llama_permute(w, heads):
    # llama.cpp's "llama" arch rotates adjacent pairs; its converter reorders each head's rows.
    return w.reshape(heads, 2, w.shape[0] // heads // 2, *w.shape[1:]).swapaxes(1, 2).reshape(
        w.shape
    )


def gguf_tensors(c, w):
    t, arch = {}, c["model_type"]
    if arch == "gpt2":
        t["token_embd.weight"] = w["transformer.wte.weight"]
        t["position_embd.weight"] = w["transformer.wpe.weight"]
        for i in range(c["n_layer"]):
            p, b = f"transformer.h.{i}.", f"blk.{i}."
            pairs = [("ln_1", "attn_norm"), ("ln_2", "ffn_norm")]
            for hf, gg in pairs:
                t[b + gg + ".weight"] = w[p + hf + ".weight"]
                t[b + gg + ".bias"] = w[p + hf + ".bias"]
            for hf, gg in [("attn.c_attn", "attn_qkv"), ("attn.c_proj", "attn_output"),
                           ("mlp.c_fc", "ffn_up"), ("mlp.c_proj", "ffn_down")]:
                t[b + gg + ".weight"] = np.ascontiguousarray(w[p + hf + ".weight"].T)
                t[b + gg + ".bias"] = w[p + hf + ".bias"]
        t["output_norm.weight"] = w["transformer.ln_f.weight"]
        t["output_norm.bias"] = w["transformer.ln_f.bias"]
        t["output.weight"] = w["transformer.wte.weight"]
        return t
    heads, kv = c["num_attention_heads"], c["num_key_value_heads"]
    t["token_embd.weight"] = w["model.embed_tokens.weight"]
    for i in range(c["num_hidden_layers"]):
        p, b = f"model.layers.{i}.", f"blk.{i}."
        t[b + "attn_norm.weight"] = w[p + "input_layernorm.weight"]
        t[b + "ffn_norm.weight"] = w[p + "post_attention_layernorm.weight"]
        if arch == "phi3":
            t[b + "attn_qkv.weight"] = w[p + "self_attn.qkv_proj.weight"]
            t[b + "ffn_up.weight"] = w[p + "mlp.gate_up_proj.weight"]
        else:
            q, k = w[p + "self_attn.q_proj.weight"], w[p + "self_attn.k_proj.weight"]
            if arch == "mistral":
                q, k = llama_permute(q, heads), llama_permute(k, kv)
            t[b + "attn_q.weight"], t[b + "attn_k.weight"] = q, k
            t[b + "attn_v.weight"] = w[p + "self_attn.v_proj.weight"]
            for x in "qkv":
                if p + f"self_attn.{x}_proj.bias" in w:
                    t[b + f"attn_{x}.bias"] = w[p + f"self_attn.{x}_proj.bias"]
            t[b + "ffn_gate.weight"] = w[p + "mlp.gate_proj.weight"]
            t[b + "ffn_up.weight"] = w[p + "mlp.up_proj.weight"]
        t[b + "attn_output.weight"] = w[p + "self_attn.o_proj.weight"]
        t[b + "ffn_down.weight"] = w[p + "mlp.down_proj.weight"]
    t["output_norm.weight"] = w["model.norm.weight"]
    t["output.weight"] = w.get("lm_head.weight", w["model.embed_tokens.weight"])
    return t


def gguf_metadata(c, tokens):
    arch = {"mistral": "llama"}.get(c["model_type"], c["model_type"])
    eot = tokens.index(EOT)
    # No general.name: llama.cpp applies per-model quirks by name, and a "phi3..." name makes its
    # vocabulary loader look up tokens this small vocabulary lacks (_Map_base::at).
    md = {"general.architecture": (STR, arch)}

    def key(name, kind, value):
        md[f"{arch}.{name}"] = (kind, value)

    if arch == "gpt2":
        key("context_length", U32, c["n_positions"])
        key("embedding_length", U32, c["n_embd"])
        key("feed_forward_length", U32, 4 * c["n_embd"])
        key("block_count", U32, c["n_layer"])
        key("attention.head_count", U32, c["n_head"])
        key("attention.layer_norm_epsilon", F32, c["layer_norm_epsilon"])
    else:
        key("context_length", U32, c["max_position_embeddings"])
        key("embedding_length", U32, c["hidden_size"])
        key("feed_forward_length", U32, c["intermediate_size"])
        key("block_count", U32, c["num_hidden_layers"])
        key("attention.head_count", U32, c["num_attention_heads"])
        key("attention.head_count_kv", U32, c["num_key_value_heads"])
        key("attention.layer_norm_rms_epsilon", F32, c["rms_norm_eps"])
        key("rope.freq_base", F32, c["rope_theta"])
        key("rope.dimension_count", U32, c["hidden_size"] // c["num_attention_heads"])
        if c.get("sliding_window") and c["model_type"] == "mistral":
            key("attention.sliding_window", U32, c["sliding_window"])
    md["tokenizer.ggml.model"] = (STR, "gpt2")
    md["tokenizer.ggml.pre"] = (STR, "gpt-2")
    md["tokenizer.ggml.tokens"] = ((ARR, STR), tokens)
    md["tokenizer.ggml.token_type"] = ((ARR, I32), [3 if t in SPECIALS else 1 for t in tokens])
    md["tokenizer.ggml.merges"] = ((ARR, STR), [f"{a} {b}" for a, b in MERGES])
    md["tokenizer.ggml.bos_token_id"] = (U32, eot)
    md["tokenizer.ggml.eos_token_id"] = (U32, eot)
    values = {k: v for k, (_, v) in md.items()}
    types = {k: (t[0], t[1]) if isinstance(t, tuple) else (t, None) for k, (t, _) in md.items()}
    return values, types


def write_models(out_dir, gguf_dir):
    tokens = vocabulary()
    eot = tokens.index(EOT)
    for name, (seed, config) in specs(len(tokens), eot).items():
        w = gpt2_weights(config, seed) if config["model_type"] == "gpt2" else \
            llama_family_weights(config, seed)
        d = os.path.join(out_dir, name)
        os.makedirs(d, exist_ok=True)
        write_safetensors(os.path.join(d, "model.safetensors"), w)
        generation = {"bos_token_id": eot, "eos_token_id": eot, "do_sample": False}
        tok_config = {
            "bos_token": EOT, "eos_token": EOT, "unk_token": EOT, "add_bos_token": False,
            "model_max_length": CONTEXT, "tokenizer_class": "GPT2Tokenizer",
        }
        for file, content in [("config.json", config), ("generation_config.json", generation),
                              ("tokenizer_config.json", tok_config)]:
            with open(os.path.join(d, file), "w", encoding="utf-8") as f:
                json.dump(content, f, indent=2, ensure_ascii=False)
                f.write("\n")
        with open(os.path.join(d, "tokenizer.json"), "w", encoding="utf-8") as f:
            json.dump(tokenizer_json(tokens), f, ensure_ascii=False, separators=(",", ":"))
            f.write("\n")
        values, types = gguf_metadata(config, tokens)
        write_gguf(os.path.join(gguf_dir, name + ".gguf"), values, types, gguf_tensors(config, w))
        print(f"wrote {d} and {name}.gguf")


if __name__ == "__main__":
    from decoder_reference import main as reference_main

    torch.set_num_threads(1)
    if len(sys.argv) == 4 and sys.argv[1] == "models":
        write_models(sys.argv[2], sys.argv[3])
    else:
        reference_main(sys.argv[1:])
