"""The Python torch-eager contender of the decoder benchmark: a straightforward Llama forward
(RMSNorm, RoPE rotate-half, multi-head attention over a preallocated K/V cache, SwiGLU MLP,
tied or separate lm_head) in Debian's python3-torch, F32, loaded from the same safetensors.
One sequence at a time: prefill the whole prompt in one pass, then one token per step, greedy
(argmax; EOS does not stop it). Same stdin/stdout protocol as llamacpp_worker.mjs:

  {"prompts": [[ids...], ...], "max_tokens": N}
    -> {"results": [{"start_ms", "token_ms": [...], "tokens": [...]}...], "rss_kb", "hwm_kb"}

  /usr/bin/python3 py_eager.py MODEL_DIR THREADS
"""

import json
import math
import os
import sys
import time

import torch

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from models import read_safetensors  # noqa: E402


def memory():
    with open("/proc/self/status") as f:
        fields = dict(line.split(":", 1) for line in f if ":" in line)
    return {"rss_kb": int(fields["VmRSS"].split()[0]), "hwm_kb": int(fields["VmHWM"].split()[0])}


class Llama:
    def __init__(self, directory):
        with open(os.path.join(directory, "config.json")) as f:
            c = json.load(f)
        self.layers = c["num_hidden_layers"]
        self.heads, self.kv_heads = c["num_attention_heads"], c["num_key_value_heads"]
        self.head_dim = c.get("head_dim") or c["hidden_size"] // self.heads
        self.eps = c["rms_norm_eps"]
        self.max_len = c["max_position_embeddings"]
        w = {n: torch.from_numpy(a.copy()).float() for n, a in
             read_safetensors(os.path.join(directory, "model.safetensors")).items()}
        self.w = w
        self.lm_head = w.get("lm_head.weight", w["model.embed_tokens.weight"])
        self.inv_freq = 1.0 / c["rope_theta"] ** (
            torch.arange(0, self.head_dim, 2, dtype=torch.float32) / self.head_dim)

    def new_cache(self, capacity):
        shape = (self.layers, self.kv_heads, capacity, self.head_dim)
        return {"k": torch.zeros(shape), "v": torch.zeros(shape), "len": 0}

    def rms(self, x, weight):
        return x * torch.rsqrt(x.pow(2).mean(-1, keepdim=True) + self.eps) * weight

    def rope(self, x, cos, sin):
        half = x.shape[-1] // 2
        rotated = torch.cat((-x[..., half:], x[..., :half]), dim=-1)
        return x * cos + rotated * sin

    def forward(self, ids, cache):
        """ids: list of new token ids; returns the logits after the last one."""
        t, start = len(ids), cache["len"]
        end = start + t
        freqs = torch.arange(start, end, dtype=torch.float32)[:, None] * self.inv_freq
        emb = torch.cat((freqs, freqs), dim=-1)
        cos, sin = emb.cos(), emb.sin()
        x = self.w["model.embed_tokens.weight"][torch.tensor(ids)]
        mask = None
        if t > 1:
            mask = torch.full((t, end), float("-inf")).triu(start + 1)
        group = self.heads // self.kv_heads
        for i in range(self.layers):
            p = f"model.layers.{i}."
            h = self.rms(x, self.w[p + "input_layernorm.weight"])
            q = torch.nn.functional.linear(h, self.w[p + "self_attn.q_proj.weight"])
            k = torch.nn.functional.linear(h, self.w[p + "self_attn.k_proj.weight"])
            v = torch.nn.functional.linear(h, self.w[p + "self_attn.v_proj.weight"])
            q = self.rope(q.view(t, self.heads, self.head_dim).transpose(0, 1), cos, sin)
            k = self.rope(k.view(t, self.kv_heads, self.head_dim).transpose(0, 1), cos, sin)
            v = v.view(t, self.kv_heads, self.head_dim).transpose(0, 1)
            cache["k"][i, :, start:end] = k
            cache["v"][i, :, start:end] = v
            keys = cache["k"][i, :, :end].repeat_interleave(group, 0)
            values = cache["v"][i, :, :end].repeat_interleave(group, 0)
            scores = q @ keys.transpose(1, 2) / math.sqrt(self.head_dim)
            if mask is not None:
                scores = scores + mask
            attn = torch.softmax(scores, dim=-1) @ values
            attn = attn.transpose(0, 1).reshape(t, self.heads * self.head_dim)
            x = x + torch.nn.functional.linear(attn, self.w[p + "self_attn.o_proj.weight"])
            h = self.rms(x, self.w[p + "post_attention_layernorm.weight"])
            gate = torch.nn.functional.linear(h, self.w[p + "mlp.gate_proj.weight"])
            up = torch.nn.functional.linear(h, self.w[p + "mlp.up_proj.weight"])
            x = x + torch.nn.functional.linear(
                torch.nn.functional.silu(gate) * up, self.w[p + "mlp.down_proj.weight"])
        cache["len"] = end
        last = self.rms(x[-1:], self.w["model.norm.weight"])
        return torch.nn.functional.linear(last, self.lm_head)[0]


def generate(model, prompt, max_tokens, t0):
    out = {"start_ms": (time.perf_counter() - t0) * 1000, "token_ms": [], "tokens": []}
    cache = model.new_cache(len(prompt) + max_tokens)
    logits = model.forward(prompt, cache)
    while True:
        token = int(torch.argmax(logits))
        out["token_ms"].append((time.perf_counter() - t0) * 1000)
        out["tokens"].append(token)
        if len(out["tokens"]) >= max_tokens:
            return out
        logits = model.forward([token], cache)


def main():
    torch.set_num_threads(int(sys.argv[2]))
    model = Llama(sys.argv[1])
    print(json.dumps({"ready": True, "torch": torch.__version__, **memory()}), flush=True)
    with torch.inference_mode():
        for line in sys.stdin:
            if not line.strip():
                continue
            cmd = json.loads(line)
            t0 = time.perf_counter()
            results = [generate(model, p, cmd["max_tokens"], t0) for p in cmd["prompts"]]
            print(json.dumps({"results": results, **memory()}), flush=True)


if __name__ == "__main__":
    main()
