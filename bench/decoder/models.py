"""Writes the decoder benchmark's models into a directory: each as a HuggingFace Llama
(config.json, generation_config.json, tokenizer files, model.safetensors in F32) and as an F32
GGUF (model.gguf) holding the same numbers, so that llama.cpp computes on the same weights.

  tiny   tests/data/models/llama_tiny (1 layer, hidden 8, vocab 32,000) upcast to F32
  100m   a random Llama: hidden 768, 12 layers, 12 heads, intermediate 2048, vocab 32,000 with
         llama_tiny's tokenizer, separate lm_head (134 M parameters, 537 MB in F32;
         tied embeddings would make a random model repeat its input token: lm_head = embedding
         and a residual stream dominated by the token's own embedding)

The GGUF metadata (tokenizer vocab, scores, token types, BOS/EOS) is taken from
../shared/fixtures/llama-2-tiny-random.gguf, the GGUF llama_tiny was converted from, with the
shape keys replaced. Q and K rows are permuted the way llama.cpp's converter does (its RoPE
rotates adjacent pairs; HF rotates halves): the inverse of convert_gguf.py's unpermute, checked
here by a round trip and, for tiny, by reproducing the original GGUF's tensors exactly.
Uses gguf_reader.py's writer and convert_gguf.py's safetensors writer (tests/data/models).
"""

import json
import os
import shutil
import struct
import sys

import numpy as np

ROOT = os.path.normpath(os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", ".."))
FIXTURES = os.path.join(ROOT, "tests", "data", "models")
sys.path.insert(0, FIXTURES)
from convert_gguf import unpermute, write_safetensors  # noqa: E402
from gguf_reader import GGUFFile, write_gguf  # noqa: E402

TINY = os.path.join(FIXTURES, "llama_tiny")
SOURCE_GGUF = os.path.normpath(os.path.join(ROOT, "..", "shared", "fixtures",
                                            "llama-2-tiny-random.gguf"))
SHAPE_100M = {"hidden": 768, "layers": 12, "heads": 12, "kv_heads": 12, "intermediate": 2048,
              "vocab": 32000, "context": 2048}
STD = 0.02  # small, so that the residual stream and the logits stay in a sane range


def permute(weight, heads):
    # llama.cpp's convert_hf_to_gguf permute: w.reshape(heads, 2, d/2, in).swapaxes(1, 2).
    rows = weight.shape[0]
    return weight.reshape(heads, 2, rows // heads // 2, *weight.shape[1:]).swapaxes(1, 2).reshape(
        weight.shape
    )


def read_safetensors(path):
    with open(path, "rb") as f:
        data = f.read()
    (size,) = struct.unpack_from("<Q", data, 0)
    header = json.loads(data[8:8 + size])
    header.pop("__metadata__", None)
    dtypes = {"F32": np.float32, "F16": np.float16, "BF16": None}
    out = {}
    for name, info in header.items():
        begin, end = info["data_offsets"]
        array = np.frombuffer(data, dtypes[info["dtype"]], (end - begin) // np.dtype(
            dtypes[info["dtype"]]).itemsize, 8 + size + begin)
        out[name] = array.reshape(info["shape"])
    return out


def gguf_tensors(hf, config):
    heads, kv_heads = config["num_attention_heads"], config["num_key_value_heads"]
    out = {"token_embd.weight": hf["model.embed_tokens.weight"]}
    for i in range(config["num_hidden_layers"]):
        src, dst = f"model.layers.{i}.", f"blk.{i}."
        out[dst + "attn_q.weight"] = permute(hf[src + "self_attn.q_proj.weight"], heads)
        out[dst + "attn_k.weight"] = permute(hf[src + "self_attn.k_proj.weight"], kv_heads)
        out[dst + "attn_v.weight"] = hf[src + "self_attn.v_proj.weight"]
        out[dst + "attn_output.weight"] = hf[src + "self_attn.o_proj.weight"]
        out[dst + "ffn_gate.weight"] = hf[src + "mlp.gate_proj.weight"]
        out[dst + "ffn_up.weight"] = hf[src + "mlp.up_proj.weight"]
        out[dst + "ffn_down.weight"] = hf[src + "mlp.down_proj.weight"]
        out[dst + "attn_norm.weight"] = hf[src + "input_layernorm.weight"]
        out[dst + "ffn_norm.weight"] = hf[src + "post_attention_layernorm.weight"]
    out["output_norm.weight"] = hf["model.norm.weight"]
    if "lm_head.weight" in hf:
        out["output.weight"] = hf["lm_head.weight"]
    return {name: np.ascontiguousarray(a, dtype=np.float32) for name, a in out.items()}


def gguf_metadata(config, name):
    src = GGUFFile(SOURCE_GGUF)
    md, types = {}, {}
    u32, f32, string = (4, None), (6, None), (8, None)
    head_dim = config["hidden_size"] // config["num_attention_heads"]
    own = {
        "general.architecture": ("llama", string),
        "general.name": (name, string),
        "llama.context_length": (config["max_position_embeddings"], u32),
        "llama.embedding_length": (config["hidden_size"], u32),
        "llama.block_count": (config["num_hidden_layers"], u32),
        "llama.feed_forward_length": (config["intermediate_size"], u32),
        "llama.rope.dimension_count": (head_dim, u32),
        "llama.attention.head_count": (config["num_attention_heads"], u32),
        "llama.attention.head_count_kv": (config["num_key_value_heads"], u32),
        "llama.attention.layer_norm_rms_epsilon": (config["rms_norm_eps"], f32),
        "llama.rope.freq_base": (config["rope_theta"], f32),
        "general.file_type": (0, u32),  # ALL_F32
    }
    for key, (value, kind) in own.items():
        md[key], types[key] = value, kind
    for key, value in src.metadata.items():
        if key.startswith("tokenizer."):
            md[key], types[key] = value, src.metadata_types[key]
    return md, types


def write_model(out, config, hf, name):
    os.makedirs(out, exist_ok=True)
    for f in ("tokenizer.json", "tokenizer_config.json"):
        shutil.copy(os.path.join(TINY, f), os.path.join(out, f))
    config = dict(config, torch_dtype="float32")
    with open(os.path.join(out, "config.json"), "w") as f:
        json.dump(config, f, indent=2)
    with open(os.path.join(out, "generation_config.json"), "w") as f:
        json.dump({"bos_token_id": 1, "eos_token_id": 2, "do_sample": False}, f)
    write_safetensors(os.path.join(out, "model.safetensors"), hf)
    tensors = gguf_tensors(hf, config)
    md, types = gguf_metadata(config, name)
    write_gguf(os.path.join(out, "model.gguf"), md, types, tensors)
    return sum(a.size for a in hf.values())


def make_tiny(out):
    hf = {n: a.astype(np.float32) for n, a in
          read_safetensors(os.path.join(TINY, "model.safetensors")).items()}
    with open(os.path.join(TINY, "config.json")) as f:
        config = json.load(f)
    params = write_model(out, config, hf, "llama_tiny F32 (bench)")
    # The permutation must give back the original GGUF's tensors (F16 there, exact in F32).
    original = GGUFFile(SOURCE_GGUF).tensors
    mine = GGUFFile(os.path.join(out, "model.gguf")).tensors
    for name, array in original.items():
        if not np.array_equal(array.astype(np.float32), mine[name]):
            sys.exit(f"models.py: {name} differs from {SOURCE_GGUF}")
    return params


def make_100m(out, seed=6):
    s = SHAPE_100M
    rng = np.random.default_rng(seed)
    hd = s["hidden"] // s["heads"]

    def rand(*shape):
        return (rng.standard_normal(shape, dtype=np.float32) * STD).astype(np.float32)

    hf = {"model.embed_tokens.weight": rand(s["vocab"], s["hidden"]),
          "lm_head.weight": rand(s["vocab"], s["hidden"]),
          "model.norm.weight": np.ones(s["hidden"], np.float32)}
    for i in range(s["layers"]):
        p = f"model.layers.{i}."
        hf[p + "self_attn.q_proj.weight"] = rand(s["heads"] * hd, s["hidden"])
        hf[p + "self_attn.k_proj.weight"] = rand(s["kv_heads"] * hd, s["hidden"])
        hf[p + "self_attn.v_proj.weight"] = rand(s["kv_heads"] * hd, s["hidden"])
        hf[p + "self_attn.o_proj.weight"] = rand(s["hidden"], s["heads"] * hd)
        hf[p + "mlp.gate_proj.weight"] = rand(s["intermediate"], s["hidden"])
        hf[p + "mlp.up_proj.weight"] = rand(s["intermediate"], s["hidden"])
        hf[p + "mlp.down_proj.weight"] = rand(s["hidden"], s["intermediate"])
        hf[p + "input_layernorm.weight"] = np.ones(s["hidden"], np.float32)
        hf[p + "post_attention_layernorm.weight"] = np.ones(s["hidden"], np.float32)
    q = hf["model.layers.0.self_attn.q_proj.weight"]
    if not np.array_equal(unpermute(permute(q, s["heads"]), s["heads"]), q):
        sys.exit("models.py: permute is not the inverse of convert_gguf.unpermute")
    config = {
        "architectures": ["LlamaForCausalLM"], "model_type": "llama",
        "hidden_size": s["hidden"], "intermediate_size": s["intermediate"],
        "num_hidden_layers": s["layers"], "num_attention_heads": s["heads"],
        "num_key_value_heads": s["kv_heads"], "head_dim": hd, "hidden_act": "silu",
        "rms_norm_eps": 1e-5, "rope_theta": 10000.0, "rope_scaling": None,
        "max_position_embeddings": s["context"], "vocab_size": s["vocab"],
        "bos_token_id": 1, "eos_token_id": 2, "pad_token_id": None,
        "tie_word_embeddings": False, "attention_bias": False, "mlp_bias": False,
    }
    return write_model(out, config, hf, "random Llama 134M (bench)")


def main():
    if len(sys.argv) < 3:
        sys.exit("usage: models.py OUT_DIR tiny|100m...")
    for which in sys.argv[2:]:
        out = os.path.join(sys.argv[1], which)
        params = make_tiny(out) if which == "tiny" else make_100m(out)
        print(f"{which}: {params / 1e6:.1f} M parameters in {out}")


if __name__ == "__main__":
    main()
