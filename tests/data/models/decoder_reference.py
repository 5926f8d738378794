"""A second, independent decoder implementation for the fixtures of generate_decoders.py:
Llama-family (Qwen2 qkv bias, Mistral sliding window, Phi-3 fused qkv/gate_up) and GPT-2, each
written from the architecture's definition with stock torch ops in float64, recomputing the
whole sequence for every token (no cache). It reads the HF directory (config.json,
model.safetensors) itself and shares no code with the C++ runner.

    reference MODEL_DIR PROMPT_GOLDENS OUT.json   prompts (ids) from another goldens file
    compare A.json B.json                         largest logit difference, greedy agreement
"""

import json
import math
import struct
import sys

import numpy as np
import torch

STEPS, TOP = 24, 16


def read_safetensors(path):
    with open(path, "rb") as f:
        data = f.read()
    (size,) = struct.unpack_from("<Q", data, 0)
    header = json.loads(data[8:8 + size])
    out = {}
    for name, info in header.items():
        if name == "__metadata__":
            continue
        assert info["dtype"] == "F32", name
        begin, end = info["data_offsets"]
        raw = np.frombuffer(data, np.float32, (end - begin) // 4, 8 + size + begin)
        out[name] = torch.from_numpy(raw.reshape(info["shape"]).astype(np.float64))
    return out


def rms_norm(x, w, eps):
    return w * x / torch.sqrt((x * x).mean(-1, keepdim=True) + eps)


def layer_norm(x, w, b, eps):
    mean = x.mean(-1, keepdim=True)
    var = ((x - mean) ** 2).mean(-1, keepdim=True)
    return (x - mean) / torch.sqrt(var + eps) * w + b


def attention(q, k, v, window=None):
    """q [H, T, d], k/v [KV, T, d]: causal softmax attention, query head h on key head
    h // (H / KV); with a window, query i sees keys j with i - window < j <= i."""
    heads, t, d = q.shape
    group = heads // k.shape[0]
    k, v = k.repeat_interleave(group, 0), v.repeat_interleave(group, 0)
    scores = q @ k.transpose(1, 2) / math.sqrt(d)
    i = torch.arange(t).unsqueeze(1)
    j = torch.arange(t).unsqueeze(0)
    masked = j > i
    if window is not None:
        masked = masked | (j <= i - window)
    scores = scores.masked_fill(masked, float("-inf"))
    return torch.softmax(scores, -1) @ v  # [H, T, d]


def rotate(x, theta):
    """RoPE in HF's rotate-half form: x [H, T, d], position t, frequency theta^(-2i/d)."""
    t, d = x.shape[1], x.shape[2]
    inv = theta ** (-torch.arange(0, d, 2, dtype=torch.float64) / d)
    angle = torch.arange(t, dtype=torch.float64).unsqueeze(1) * inv.unsqueeze(0)  # [T, d/2]
    cos, sin = torch.cos(angle), torch.sin(angle)
    a, b = x[..., : d // 2], x[..., d // 2:]
    return torch.cat([a * cos - b * sin, b * cos + a * sin], -1)


def llama_family_logits(c, w, ids):
    n, heads = c["hidden_size"], c["num_attention_heads"]
    kv, d = c["num_key_value_heads"], n // heads
    window = c.get("sliding_window") if c["model_type"] == "mistral" else None
    x = w["model.embed_tokens.weight"][ids]
    t = len(ids)
    for i in range(c["num_hidden_layers"]):
        p = f"model.layers.{i}."
        h = rms_norm(x, w[p + "input_layernorm.weight"], c["rms_norm_eps"])
        if c["model_type"] == "phi3":
            q, k, v = torch.split(
                h @ w[p + "self_attn.qkv_proj.weight"].T, [heads * d, kv * d, kv * d], -1
            )
        else:
            q, k, v = (h @ w[p + f"self_attn.{x_}_proj.weight"].T for x_ in "qkv")
            if c["model_type"] == "qwen2":
                q = q + w[p + "self_attn.q_proj.bias"]
                k = k + w[p + "self_attn.k_proj.bias"]
                v = v + w[p + "self_attn.v_proj.bias"]
        q = rotate(q.reshape(t, heads, d).transpose(0, 1), c["rope_theta"])
        k = rotate(k.reshape(t, kv, d).transpose(0, 1), c["rope_theta"])
        v = v.reshape(t, kv, d).transpose(0, 1)
        a = attention(q, k, v, window).transpose(0, 1).reshape(t, heads * d)
        x = x + a @ w[p + "self_attn.o_proj.weight"].T
        h = rms_norm(x, w[p + "post_attention_layernorm.weight"], c["rms_norm_eps"])
        if c["model_type"] == "phi3":
            gate, up = (h @ w[p + "mlp.gate_up_proj.weight"].T).chunk(2, -1)
        else:
            gate, up = h @ w[p + "mlp.gate_proj.weight"].T, h @ w[p + "mlp.up_proj.weight"].T
        x = x + (gate * torch.sigmoid(gate) * up) @ w[p + "mlp.down_proj.weight"].T
    x = rms_norm(x[-1], w["model.norm.weight"], c["rms_norm_eps"])
    head = w.get("lm_head.weight", w["model.embed_tokens.weight"])
    return x @ head.T


def gelu_new(x):
    return 0.5 * x * (1 + torch.tanh(math.sqrt(2 / math.pi) * (x + 0.044715 * x ** 3)))


def gpt2_logits(c, w, ids):
    n, heads, eps = c["n_embd"], c["n_head"], c["layer_norm_epsilon"]
    d, t = n // heads, len(ids)
    x = w["transformer.wte.weight"][ids] + w["transformer.wpe.weight"][:t]
    for i in range(c["n_layer"]):
        p = f"transformer.h.{i}."
        h = layer_norm(x, w[p + "ln_1.weight"], w[p + "ln_1.bias"], eps)
        # Conv1D: y = x W + b with W stored [in, out].
        qkv = h @ w[p + "attn.c_attn.weight"] + w[p + "attn.c_attn.bias"]
        q, k, v = (z.reshape(t, heads, d).transpose(0, 1) for z in qkv.split(n, -1))
        a = attention(q, k, v).transpose(0, 1).reshape(t, n)
        x = x + a @ w[p + "attn.c_proj.weight"] + w[p + "attn.c_proj.bias"]
        h = layer_norm(x, w[p + "ln_2.weight"], w[p + "ln_2.bias"], eps)
        h = gelu_new(h @ w[p + "mlp.c_fc.weight"] + w[p + "mlp.c_fc.bias"])
        x = x + h @ w[p + "mlp.c_proj.weight"] + w[p + "mlp.c_proj.bias"]
    x = layer_norm(x[-1], w["transformer.ln_f.weight"], w["transformer.ln_f.bias"], eps)
    return x @ w["transformer.wte.weight"].T


def round9(x):
    return float(f"{float(x):.9g}")


def reference(model_dir, prompt_goldens, out_path):
    with open(f"{model_dir}/config.json") as f:
        c = json.load(f)
    w = read_safetensors(f"{model_dir}/model.safetensors")
    forward = gpt2_logits if c["model_type"] == "gpt2" else llama_family_logits
    with open(prompt_goldens) as f:
        prompts = json.load(f)["cases"]
    vocab = c["vocab_size"]
    probe = [i * (vocab // 32) + 7 for i in range(32)]
    cases = []
    for p in prompts:
        ids = list(p["prompt_ids"])
        logits = forward(c, w, ids)
        order = torch.argsort(-logits, stable=True)
        first = {
            "top": [[int(i), round9(logits[i])] for i in order[:TOP]],
            "probe": [[i, round9(logits[i])] for i in probe],
        }
        greedy, margins = [], []
        for _ in range(STEPS):
            order = torch.argsort(-logits, stable=True)
            greedy.append(int(order[0]))
            margins.append(round9(logits[order[0]] - logits[order[1]]))
            ids.append(greedy[-1])
            logits = forward(c, w, ids)
        cases.append({
            "text": p["text"], "prompt_ids": p["prompt_ids"], "greedy": greedy,
            "greedy_margins": margins, "next_token_logits": first,
        })
    golden = {
        "generator": "tests/data/models/generate_decoders.py reference (decoder_reference.py)",
        "reference": f"Python torch {torch.__version__}, float64, full recomputation per token",
        "model": c["architectures"][0], "steps": STEPS, "cases": cases,
    }
    with open(out_path, "w") as f:
        f.write(json.dumps(golden, indent=1) + "\n")
    print(f"wrote {out_path}: {len(cases)} prompts")


def compare(a_path, b_path):
    a, b = (json.load(open(p))["cases"] for p in (a_path, b_path))
    worst, same, total = 0.0, 0, 0
    for x, y in zip(a, b):
        assert x["prompt_ids"] == y["prompt_ids"]
        ya = dict(map(tuple, y["next_token_logits"]["top"] + y["next_token_logits"]["probe"]))
        for i, v in x["next_token_logits"]["top"] + x["next_token_logits"]["probe"]:
            if i in ya:
                worst = max(worst, abs(v - ya[i]))
        for s, (g, h) in enumerate(zip(x["greedy"], y["greedy"])):
            if g != h:
                print(f"  greedy differs at step {s} of {x['text'][:30]!r}: "
                      f"margins {x['greedy_margins'][s]} / {y['greedy_margins'][s]}")
                break
            same += 1
        total += len(x["greedy"])
    print(f"max |logit diff| {worst:.3g}; greedy tokens agreeing before a divergence "
          f"{same}/{total}")


def main(args):
    if len(args) == 4 and args[0] == "reference":
        reference(*args[1:])
    elif len(args) == 3 and args[0] == "compare":
        compare(*args[1:])
    else:
        sys.exit(__doc__)
