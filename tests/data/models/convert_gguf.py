#!/usr/bin/python3
# Converts a llama.cpp GGUF Llama checkpoint into a HuggingFace model directory (config.json,
# model.safetensors, tokenizer.json, tokenizer_config.json, generation_config.json).
#
#   /usr/bin/python3 convert_gguf.py ../../../../shared/fixtures/llama-2-tiny-random.gguf llama_tiny
#   /usr/bin/python3 convert_gguf.py --no-tokenizer derived.gguf llama_tiny_sharp
#   /usr/bin/python3 convert_gguf.py --no-tokenizer --rope-llama3 8,256 derived.gguf OUT_DIR
#
# Debian's python3 and python3-numpy only; the GGUF reader is gguf_reader.py beside this file.
# Deterministic: rerunning it reproduces the committed files byte for byte.
#
# Weights keep their stored dtypes (F16 matrices, F32 norm weights), so the HF checkpoint holds
# exactly the numbers llama.cpp computes with. Q and K rows are un-permuted: llama.cpp's
# converter reorders each head's rows so that its RoPE can rotate adjacent pairs (x[2i],
# x[2i+1]); HF's Llama rotates the halves (x[i], x[i + d/2]), so the original order is restored.
#
# The tokenizer follows transformers' LlamaConverter (SentencePiece BPE): vocab and scores from
# the GGUF, merges derived from the vocab and ordered by the merged piece's score as
# transformers' generate_merges does, byte fallback, the legacy Prepend/Replace normalizer and
# a TemplateProcessing post-processor adding <s>.

import json
import os
import struct
import sys

import numpy as np

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from gguf_reader import GGUFFile  # noqa: E402


def unpermute(weight, heads):
    # Inverse of llama.cpp's permute: w.reshape(heads, 2, d/2, in).swapaxes(1, 2).
    rows = weight.shape[0]
    return weight.reshape(heads, rows // heads // 2, 2, *weight.shape[1:]).swapaxes(1, 2).reshape(
        weight.shape
    )


def write_safetensors(path, tensors):
    header, chunks, offset = {}, [], 0
    codes = {np.dtype(np.float16): "F16", np.dtype(np.float32): "F32"}
    for name in sorted(tensors):
        data = np.ascontiguousarray(tensors[name]).tobytes()
        header[name] = {
            "dtype": codes[tensors[name].dtype],
            "shape": list(tensors[name].shape),
            "data_offsets": [offset, offset + len(data)],
        }
        chunks.append(data)
        offset += len(data)
    header["__metadata__"] = {"format": "pt"}
    text = json.dumps(header, separators=(",", ":")).encode()
    text += b" " * (-len(text) % 8)
    with open(path, "wb") as f:
        f.write(struct.pack("<Q", len(text)))
        f.write(text)
        for chunk in chunks:
            f.write(chunk)


def convert_weights(g, heads, kv_heads, layers):
    t = g.tensors
    out = {
        "model.embed_tokens.weight": t["token_embd.weight"],
        "model.norm.weight": t["output_norm.weight"],
    }
    if "output.weight" in t:
        out["lm_head.weight"] = t["output.weight"]
    for i in range(layers):
        src, dst = f"blk.{i}.", f"model.layers.{i}."
        out[dst + "self_attn.q_proj.weight"] = unpermute(t[src + "attn_q.weight"], heads)
        out[dst + "self_attn.k_proj.weight"] = unpermute(t[src + "attn_k.weight"], kv_heads)
        out[dst + "self_attn.v_proj.weight"] = t[src + "attn_v.weight"]
        out[dst + "self_attn.o_proj.weight"] = t[src + "attn_output.weight"]
        out[dst + "mlp.gate_proj.weight"] = t[src + "ffn_gate.weight"]
        out[dst + "mlp.up_proj.weight"] = t[src + "ffn_up.weight"]
        out[dst + "mlp.down_proj.weight"] = t[src + "ffn_down.weight"]
        out[dst + "input_layernorm.weight"] = t[src + "attn_norm.weight"]
        out[dst + "post_attention_layernorm.weight"] = t[src + "ffn_norm.weight"]
    return out


def generate_merges(vocab, scores):
    # transformers.convert_slow_tokenizer.generate_merges with vocab scores: every split of a
    # piece into two pieces of the vocabulary, ranked by the whole piece's score (highest
    # first), then by the lengths of the parts; within a piece by the parts' ids.
    merges = []
    for piece, score in zip(vocab, scores):
        local = []
        for index in range(1, len(piece)):
            left, right = piece[:index], piece[index:]
            if left in vocab and right in vocab:
                local.append((left, right, score))
        local.sort(key=lambda m: (vocab[m[0]], vocab[m[1]]))
        merges.extend(local)
    merges.sort(key=lambda m: (m[2], len(m[0]), len(m[1])), reverse=True)
    return [[left, right] for left, right, _ in merges]


def build_tokenizer(g):
    md = g.metadata
    tokens, scores, types = (
        md["tokenizer.ggml.tokens"],
        md["tokenizer.ggml.scores"],
        md["tokenizer.ggml.token_type"],
    )
    vocab = {}
    for i, token in enumerate(tokens):
        vocab.setdefault(token, i)
    bos, eos = md["tokenizer.ggml.bos_token_id"], md["tokenizer.ggml.eos_token_id"]
    unk = md.get("tokenizer.ggml.unknown_token_id", 0)
    # Token types 2 (unknown) and 3 (control) are the special tokens.
    added = [
        {
            "id": i,
            "content": tokens[i],
            "single_word": False,
            "lstrip": False,
            "rstrip": False,
            "normalized": False,
            "special": True,
        }
        for i in range(len(tokens))
        if types[i] in (2, 3)
    ]
    bos_token = tokens[bos]
    return {
        "version": "1.0",
        "truncation": None,
        "padding": None,
        "added_tokens": added,
        "normalizer": {
            "type": "Sequence",
            "normalizers": [
                {"type": "Prepend", "prepend": "\u2581"},
                {"type": "Replace", "pattern": {"String": " "}, "content": "\u2581"},
            ],
        },
        "pre_tokenizer": None,
        "post_processor": {
            "type": "TemplateProcessing",
            "single": [
                {"SpecialToken": {"id": bos_token, "type_id": 0}},
                {"Sequence": {"id": "A", "type_id": 0}},
            ],
            "pair": [
                {"SpecialToken": {"id": bos_token, "type_id": 0}},
                {"Sequence": {"id": "A", "type_id": 0}},
                {"SpecialToken": {"id": bos_token, "type_id": 1}},
                {"Sequence": {"id": "B", "type_id": 1}},
            ],
            "special_tokens": {bos_token: {"id": bos_token, "ids": [bos], "tokens": [bos_token]}},
        },
        "decoder": {
            "type": "Sequence",
            "decoders": [
                {"type": "Replace", "pattern": {"String": "\u2581"}, "content": " "},
                {"type": "ByteFallback"},
                {"type": "Fuse"},
                {"type": "Strip", "content": " ", "start": 1, "stop": 0},
            ],
        },
        "model": {
            "type": "BPE",
            "dropout": None,
            "unk_token": tokens[unk],
            "continuing_subword_prefix": None,
            "end_of_word_suffix": None,
            "fuse_unk": True,
            "byte_fallback": True,
            "ignore_merges": False,
            "vocab": vocab,
            "merges": generate_merges(vocab, scores),
        },
    }, (bos, eos, unk)


def rope_scaling(key, g, llama3):
    # llama.cpp's linear scaling (positions times 1 / factor) is HF's "linear". Llama 3.1 GGUFs
    # carry a rope_freqs tensor instead, whose parameters cannot be read back: --rope-llama3
    # FACTOR,ORIGINAL names them, and they must reproduce the tensor.
    if "rope_freqs.weight" in g.tensors:
        if llama3 is None:
            sys.exit("rope_freqs.weight present: pass --rope-llama3 FACTOR,ORIGINAL_CONTEXT")
        factor, original = llama3
        from derive_gguf import llama3_freq_factors

        head_dim = key("embedding_length") // key("attention.head_count")
        expected = llama3_freq_factors(key("rope.freq_base", 10000.0), head_dim, factor, original)
        if not np.allclose(g.tensors["rope_freqs.weight"], expected, rtol=1e-6):
            sys.exit("--rope-llama3 parameters do not reproduce rope_freqs.weight")
        return {
            "rope_type": "llama3",
            "factor": factor,
            "low_freq_factor": 1.0,
            "high_freq_factor": 4.0,
            "original_max_position_embeddings": int(original),
        }
    kind = key("rope.scaling.type", "none")
    if kind == "none":
        return None
    if kind != "linear":
        sys.exit(f"rope scaling {kind} not supported")
    return {"rope_type": "linear", "factor": float(key("rope.scaling.factor"))}


def main():
    args = sys.argv[1:]
    # --no-tokenizer: the weights and configs only, for fixtures sharing another's tokenizer.
    with_tokenizer = "--no-tokenizer" not in args
    args = [a for a in args if a != "--no-tokenizer"]
    llama3 = None
    if "--rope-llama3" in args:
        at = args.index("--rope-llama3")
        llama3 = tuple(float(v) for v in args[at + 1].split(","))
        del args[at:at + 2]
    if len(args) != 2:
        sys.exit("usage: convert_gguf.py [--no-tokenizer] [--rope-llama3 F,N] MODEL.gguf OUT_DIR")
    g = GGUFFile(args[0])
    md = g.metadata
    arch = md["general.architecture"]
    if arch != "llama":
        sys.exit(f"unsupported architecture {arch}")

    def key(name, fallback=None):
        return md.get(f"{arch}.{name}", fallback)

    hidden, heads = key("embedding_length"), key("attention.head_count")
    kv_heads = key("attention.head_count_kv", heads)
    layers = key("block_count")
    weights = convert_weights(g, heads, kv_heads, layers)
    tokenizer, (bos, eos, unk) = build_tokenizer(g)
    tied = "lm_head.weight" not in weights
    config = {
        "architectures": ["LlamaForCausalLM"],
        "model_type": "llama",
        "hidden_size": hidden,
        "intermediate_size": key("feed_forward_length"),
        "num_hidden_layers": layers,
        "num_attention_heads": heads,
        "num_key_value_heads": kv_heads,
        "head_dim": hidden // heads,
        "hidden_act": "silu",
        "rms_norm_eps": float(np.float32(key("attention.layer_norm_rms_epsilon"))),
        # llama.cpp's default base when the GGUF names none.
        "rope_theta": float(key("rope.freq_base", 10000.0)),
        "rope_scaling": rope_scaling(key, g, llama3),
        "max_position_embeddings": key("context_length"),
        "vocab_size": len(md["tokenizer.ggml.tokens"]),
        "bos_token_id": bos,
        "eos_token_id": eos,
        "pad_token_id": None,
        "tie_word_embeddings": tied,
        "attention_bias": False,
        "mlp_bias": False,
        "torch_dtype": "float16",
        "transformers_version": "4.46.0",
    }
    tokenizer_config = {
        "add_bos_token": True,
        "add_eos_token": False,
        "bos_token": tokenizer["added_tokens"][1]["content"],
        "eos_token": md["tokenizer.ggml.tokens"][eos],
        "unk_token": md["tokenizer.ggml.tokens"][unk],
        "legacy": True,
        "model_max_length": key("context_length"),
        "tokenizer_class": "LlamaTokenizer",
    }
    generation = {"bos_token_id": bos, "eos_token_id": eos, "do_sample": False}
    out = args[1]
    os.makedirs(out, exist_ok=True)
    write_safetensors(os.path.join(out, "model.safetensors"), weights)
    files = [("config.json", config), ("generation_config.json", generation)]
    if with_tokenizer:
        files.append(("tokenizer_config.json", tokenizer_config))
    for name, content in files:
        with open(os.path.join(out, name), "w", encoding="utf-8") as f:
            json.dump(content, f, indent=2, ensure_ascii=False)
            f.write("\n")
    if not with_tokenizer:
        return
    # Compact, one line: the vocabulary and merges would triple the size when indented.
    with open(os.path.join(out, "tokenizer.json"), "w", encoding="utf-8") as f:
        json.dump(tokenizer, f, ensure_ascii=False, separators=(",", ":"))
        f.write("\n")


if __name__ == "__main__":
    main()
