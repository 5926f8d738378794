#!/usr/bin/python3
# Tiny random encoder models in HuggingFace layout, with reference outputs for the C++ runner.
#
# Run with Debian's python3-torch and python3-numpy (no transformers, no pip):
#     /usr/bin/python3 tests/data/models/generate.py
# It rewrites tests/data/models/<name>/{config.json, *.safetensors, expected.json}
# deterministically (fixed seeds, CPU).
#
# The reference network is built here from stock torch.nn modules (nn.MultiheadAttention,
# nn.Linear, nn.LayerNorm, nn.Embedding), independently of the C++ code: the HF-named weights
# are an export of these modules, and the expected outputs are these modules' outputs for each
# sequence on its own, unpadded. Weights stored as F16 or BF16 are rounded before the reference
# runs, so the reference sees exactly the stored values.

import json
import math
import os
import struct

import numpy as np
import torch
from torch import nn

HERE = os.path.dirname(os.path.abspath(__file__))


class RefLayer(nn.Module):
    """A post-LayerNorm transformer encoder layer, as BERT and DistilBERT define it."""

    def __init__(self, hidden, heads, inter, act, eps):
        super().__init__()
        self.attn = nn.MultiheadAttention(hidden, heads, batch_first=True)
        self.norm1 = nn.LayerNorm(hidden, eps=eps)
        self.ff1 = nn.Linear(hidden, inter)
        self.ff2 = nn.Linear(inter, hidden)
        self.norm2 = nn.LayerNorm(hidden, eps=eps)
        self.act = {
            "gelu": nn.GELU(),
            "gelu_new": nn.GELU(approximate="tanh"),
            "relu": nn.ReLU(),
        }[act]

    def forward(self, x, padding):
        a, _ = self.attn(x, x, x, key_padding_mask=padding, need_weights=False)
        x = self.norm1(x + a)
        return self.norm2(x + self.ff2(self.act(self.ff1(x))))


class RefEncoder(nn.Module):
    def __init__(self, spec):
        super().__init__()
        self.spec = spec
        h = spec["hidden"]
        self.word = nn.Embedding(spec["vocab"], h)
        self.position = nn.Embedding(spec["max_pos"], h)
        self.token_type = nn.Embedding(spec["type_vocab"], h) if spec["type_vocab"] else None
        self.norm = nn.LayerNorm(h, eps=spec["eps"])
        self.layers = nn.ModuleList(
            RefLayer(h, spec["heads"], spec["inter"], spec["act"], spec["eps"])
            for _ in range(spec["layers"])
        )
        if spec["classifier"]:
            self.dense = nn.Linear(h, h)
            self.out = nn.Linear(h, len(spec["labels"]))

    def encode(self, ids, type_ids, mask):
        """ids, type_ids, mask: [B, L] with mask 1 for real tokens. Returns [B, L, H]."""
        if self.spec["family"] == "roberta":
            # RoBERTa numbers real tokens from pad + 1 and gives padding the pad position.
            pad = self.spec["pad"]
            positions = torch.cumsum(mask, dim=1) * mask + pad
        else:
            positions = torch.arange(ids.shape[1]).unsqueeze(0).expand_as(ids)
        x = self.word(ids) + self.position(positions)
        if self.token_type is not None:
            x = x + self.token_type(type_ids)
        x = self.norm(x)
        padding = mask == 0
        for layer in self.layers:
            x = layer(x, padding)
        return x

    def classify(self, states):
        first = states[:, 0]
        family = self.spec["family"]
        if family == "distilbert":
            return self.out(torch.relu(self.dense(first)))
        return self.out(torch.tanh(self.dense(first)))


def hf_names(spec):
    """Pairs (HF tensor name, reference parameter name) for the family's checkpoint layout."""
    family, prefix = spec["family"], spec["prefix"]
    pairs = []
    if family == "distilbert":
        emb = prefix + "embeddings."
        pairs += [(emb + "word_embeddings.weight", "word.weight"),
                  (emb + "position_embeddings.weight", "position.weight"),
                  (emb + "LayerNorm.weight", "norm.weight"), (emb + "LayerNorm.bias", "norm.bias")]
        for i in range(spec["layers"]):
            l, r = f"{prefix}transformer.layer.{i}.", f"layers.{i}."
            for part in ("weight", "bias"):
                pairs += [(l + "attention.out_lin." + part, r + "attn.out_proj." + part),
                          (l + "sa_layer_norm." + part, r + "norm1." + part),
                          (l + "ffn.lin1." + part, r + "ff1." + part),
                          (l + "ffn.lin2." + part, r + "ff2." + part),
                          (l + "output_layer_norm." + part, r + "norm2." + part)]
        if spec["classifier"]:
            for part in ("weight", "bias"):
                pairs += [("pre_classifier." + part, "dense." + part),
                          ("classifier." + part, "out." + part)]
        return pairs
    emb = prefix + "embeddings."
    pairs += [(emb + "word_embeddings.weight", "word.weight"),
              (emb + "position_embeddings.weight", "position.weight"),
              (emb + "token_type_embeddings.weight", "token_type.weight"),
              (emb + "LayerNorm.weight", "norm.weight"), (emb + "LayerNorm.bias", "norm.bias")]
    for i in range(spec["layers"]):
        l, r = f"{prefix}encoder.layer.{i}.", f"layers.{i}."
        for part in ("weight", "bias"):
            pairs += [(l + "attention.output.dense." + part, r + "attn.out_proj." + part),
                      (l + "attention.output.LayerNorm." + part, r + "norm1." + part),
                      (l + "intermediate.dense." + part, r + "ff1." + part),
                      (l + "output.dense." + part, r + "ff2." + part),
                      (l + "output.LayerNorm." + part, r + "norm2." + part)]
    if spec["classifier"]:
        for part in ("weight", "bias"):
            if family == "bert":
                pairs += [(prefix + "pooler.dense." + part, "dense." + part),
                          ("classifier." + part, "out." + part)]
            else:
                pairs += [("classifier.dense." + part, "dense." + part),
                          ("classifier.out_proj." + part, "out." + part)]
    return pairs


def export_state(model, spec):
    """The HF-named tensors of the reference model, q/k/v split out of the packed projection."""
    params = dict(model.named_parameters())
    tensors = {hf: params[ref].detach().clone() for hf, ref in hf_names(spec)}
    h = spec["hidden"]
    for i in range(spec["layers"]):
        w = params[f"layers.{i}.attn.in_proj_weight"].detach()
        b = params[f"layers.{i}.attn.in_proj_bias"].detach()
        if spec["family"] == "distilbert":
            names = [f"{spec['prefix']}transformer.layer.{i}.attention.{n}_lin" for n in "qkv"]
        else:
            base = f"{spec['prefix']}encoder.layer.{i}.attention.self."
            names = [base + n for n in ("query", "key", "value")]
        for j, name in enumerate(names):
            tensors[name + ".weight"] = w[j * h:(j + 1) * h].clone()
            tensors[name + ".bias"] = b[j * h:(j + 1) * h].clone()
    if spec.get("position_ids_buffer"):
        tensors[spec["prefix"] + "embeddings.position_ids"] = torch.arange(
            spec["max_pos"], dtype=torch.int64).unsqueeze(0)
    return tensors


def randomize(model, spec, generator):
    """Weights large enough that attention and every layer visibly shape the output."""
    with torch.no_grad():
        for name, p in model.named_parameters():
            if p.dim() == 1:
                base = 1.0 if "norm" in name and name.endswith("weight") else 0.0
                p.copy_(base + 0.2 * torch.randn(p.shape, generator=generator))
            elif name.startswith(("word", "position", "token_type")):
                p.copy_(torch.randn(p.shape, generator=generator))
            else:
                p.copy_(torch.randn(p.shape, generator=generator) / math.sqrt(p.shape[1]))
            if spec["storage"] != "F32":
                p.copy_(p.to(STORAGE_TYPES[spec["storage"]]).float())


STORAGE_TYPES = {"F32": torch.float32, "F16": torch.float16, "BF16": torch.bfloat16}


def tensor_bytes(t, storage):
    if t.dtype == torch.int64:
        return "I64", t.numpy().astype("<i8").tobytes()
    if storage == "F32":
        return "F32", t.float().numpy().astype("<f4").tobytes()
    if storage == "F16":
        return "F16", t.half().numpy().astype("<f2").tobytes()
    # numpy has no bfloat16: the raw 16-bit patterns, reinterpreted.
    return "BF16", t.bfloat16().view(torch.int16).numpy().astype("<i2").tobytes()


def write_safetensors(path, tensors, storage):
    header, blobs, offset = {"__metadata__": {"format": "pt"}}, [], 0
    for name in sorted(tensors):
        dtype, data = tensor_bytes(tensors[name], storage)
        header[name] = {"dtype": dtype, "shape": list(tensors[name].shape),
                        "data_offsets": [offset, offset + len(data)]}
        blobs.append(data)
        offset += len(data)
    text = json.dumps(header, separators=(",", ":"))
    text += " " * (-len(text) % 8)  # the data section starts 8-byte aligned, as HF writes it
    with open(path, "wb") as f:
        f.write(struct.pack("<Q", len(text)))
        f.write(text.encode())
        for blob in blobs:
            f.write(blob)
    return offset


def write_weights(directory, tensors, spec):
    if not spec.get("shards"):
        write_safetensors(os.path.join(directory, "model.safetensors"), tensors, spec["storage"])
        return
    # Shard 2 takes the last layer and the head; shard 1 the rest.
    last = f"layer.{spec['layers'] - 1}."
    second = {n for n in tensors if last in n or "pooler" in n or n.startswith("classifier")}
    parts = [{n: t for n, t in tensors.items() if n not in second},
             {n: t for n, t in tensors.items() if n in second}]
    weight_map, total = {}, 0
    for k, part in enumerate(parts):
        file_name = f"model-{k + 1:05d}-of-{len(parts):05d}.safetensors"
        total += write_safetensors(os.path.join(directory, file_name), part, spec["storage"])
        weight_map.update({n: file_name for n in part})
    index = {"metadata": {"total_size": total}, "weight_map": dict(sorted(weight_map.items()))}
    with open(os.path.join(directory, "model.safetensors.index.json"), "w") as f:
        json.dump(index, f, indent=2)
        f.write("\n")


def hf_config(spec):
    labels = spec["labels"]
    label_fields = {}
    if spec["classifier"]:
        label_fields = {"id2label": {str(i): n for i, n in enumerate(labels)},
                        "label2id": {n: i for i, n in enumerate(labels)}}
    if spec["family"] == "distilbert":
        config = {"activation": spec["act"], "architectures": [spec["architecture"]],
                  "attention_dropout": 0.1, "dim": spec["hidden"], "dropout": 0.1,
                  "hidden_dim": spec["inter"], "initializer_range": 0.02,
                  "max_position_embeddings": spec["max_pos"], "model_type": "distilbert",
                  "n_heads": spec["heads"], "n_layers": spec["layers"],
                  "pad_token_id": spec["pad"], "qa_dropout": 0.1, "seq_classif_dropout": 0.2,
                  "sinusoidal_pos_embds": False, "vocab_size": spec["vocab"]}
    else:
        config = {"architectures": [spec["architecture"]],
                  "attention_probs_dropout_prob": 0.1, "hidden_act": spec["act"],
                  "hidden_dropout_prob": 0.1, "hidden_size": spec["hidden"],
                  "initializer_range": 0.02, "intermediate_size": spec["inter"],
                  "layer_norm_eps": spec["eps"], "max_position_embeddings": spec["max_pos"],
                  "model_type": spec["model_type"], "num_attention_heads": spec["heads"],
                  "num_hidden_layers": spec["layers"], "pad_token_id": spec["pad"],
                  "position_embedding_type": "absolute", "type_vocab_size": spec["type_vocab"],
                  "vocab_size": spec["vocab"]}
    config.update(label_fields)
    config["torch_dtype"] = {"F32": "float32", "F16": "float16", "BF16": "bfloat16"}[
        spec["storage"]]
    config["transformers_version"] = "4.30.2"
    return dict(sorted(config.items()))


def make_inputs(spec, generator):
    """Fixed sequences of several lengths, from 2 tokens to the model's maximum."""
    first, last, pad = spec["special"]
    max_tokens = spec["max_pos"] - (spec["pad"] + 1 if spec["family"] == "roberta" else 0)
    normal = [i for i in range(spec["vocab"]) if i not in (first, last, pad)]

    def body(n):
        picks = torch.randint(len(normal), (n,), generator=generator).tolist()
        return [normal[p] for p in picks]

    inputs = []
    for n in (0, 1, 7, 20, max_tokens - 2):
        ids = [first] + body(n) + [last]
        inputs.append({"ids": ids, "type_ids": [0] * len(ids)})
    if spec["type_vocab"] > 1:
        a, b = body(4), body(3)
        ids = [first] + a + [last] + b + [last]
        inputs.append({"ids": ids, "type_ids": [0] * (len(a) + 2) + [1] * (len(b) + 1)})
    return inputs


def pool(states, how, normalize):
    """states: [L, H] of one unpadded sequence."""
    vec = {"mean": states.mean(dim=0), "cls": states[0], "last": states[-1]}[how]
    if normalize:
        vec = vec / vec.norm().clamp(min=1e-12)
    return vec


def run_reference(model, spec, inputs):
    logits, emb = [], {h: {"raw": [], "normalized": []} for h in ("mean", "cls", "last")}
    singles = []
    with torch.no_grad():
        for item in inputs:
            ids = torch.tensor([item["ids"]])
            types = torch.tensor([item["type_ids"]])
            states = model.encode(ids, types, torch.ones_like(ids))
            singles.append(states[0])
            if spec["classifier"]:
                logits.append(model.classify(states)[0].tolist())
            for how in emb:
                emb[how]["raw"].append(pool(states[0], how, False).tolist())
                emb[how]["normalized"].append(pool(states[0], how, True).tolist())
        # Sanity check of the reference itself: a right-padded batch gives the same states.
        length = max(len(i["ids"]) for i in inputs)
        pad = spec["pad"]
        ids = torch.tensor([i["ids"] + [pad] * (length - len(i["ids"])) for i in inputs])
        types = torch.tensor([i["type_ids"] + [0] * (length - len(i["ids"])) for i in inputs])
        mask = torch.tensor([[1] * len(i["ids"]) + [0] * (length - len(i["ids"])) for i in inputs])
        batch = model.encode(ids, types, mask)
        for k, single in enumerate(singles):
            assert torch.allclose(batch[k, :single.shape[0]], single, atol=1e-5), spec["name"]
    return logits, emb


def build(spec, seed):
    generator = torch.Generator().manual_seed(seed)
    torch.manual_seed(seed)
    model = RefEncoder(spec).eval()
    randomize(model, spec, generator)
    directory = os.path.join(HERE, spec["name"])
    os.makedirs(directory, exist_ok=True)
    for old in os.listdir(directory):
        if old.endswith((".safetensors", ".json")):
            os.remove(os.path.join(directory, old))
    with open(os.path.join(directory, "config.json"), "w") as f:
        json.dump(hf_config(spec), f, indent=2)
        f.write("\n")
    write_weights(directory, export_state(model, spec), spec)
    inputs = make_inputs(spec, generator)
    logits, emb = run_reference(model, spec, inputs)
    expected = {"architecture": spec["architecture"], "storage": spec["storage"],
                "inputs": inputs, "embeddings": emb}
    if spec["classifier"]:
        expected["labels"] = spec["labels"]
        expected["logits"] = logits
    with open(os.path.join(directory, "expected.json"), "w") as f:
        json.dump(expected, f)
        f.write("\n")


BASE = {"vocab": 100, "hidden": 32, "heads": 4, "inter": 48, "layers": 2, "max_pos": 40,
        "eps": 1e-12, "classifier": True}

MODELS = [
    # Sharded into two files, F32, with the "bert." prefix and a position_ids I64 buffer.
    dict(BASE, name="bert_classifier", family="bert", model_type="bert",
         architecture="BertForSequenceClassification", prefix="bert.", act="gelu", pad=0,
         type_vocab=2, special=(2, 3, 0), labels=["negative", "neutral", "positive"],
         storage="F32", shards=True, position_ids_buffer=True),
    # Stored in F16; ReLU feed-forward.
    dict(BASE, name="distilbert_classifier", family="distilbert", model_type="distilbert",
         architecture="DistilBertForSequenceClassification", prefix="distilbert.", act="relu",
         pad=0, type_vocab=0, special=(2, 3, 0), labels=["NEGATIVE", "POSITIVE"], storage="F16"),
    # RoBERTa positions start at pad + 1; tanh-approximate GELU; also checked for embeddings.
    dict(BASE, name="roberta_classifier", family="roberta", model_type="roberta",
         architecture="RobertaForSequenceClassification", prefix="roberta.", act="gelu_new",
         pad=1, type_vocab=1, max_pos=42, eps=1e-5, special=(0, 2, 1),
         labels=["anger", "joy", "sadness", "surprise"], storage="F32"),
    # A sentence-transformers style MiniLM: a bare BertModel saved without the prefix.
    dict(BASE, name="minilm_embedder", family="bert", model_type="bert",
         architecture="BertModel", prefix="", act="gelu", pad=0, type_vocab=2, vocab=120,
         hidden=48, heads=6, inter=96, layers=3, special=(2, 3, 0), labels=[],
         classifier=False, storage="F32"),
    # XLM-RoBERTa as a bare encoder without the prefix, stored in BF16.
    dict(BASE, name="xlm_roberta_embedder", family="roberta", model_type="xlm-roberta",
         architecture="XLMRobertaModel", prefix="", act="gelu", pad=1, type_vocab=1, max_pos=34,
         eps=1e-5, special=(0, 2, 1), labels=[], classifier=False, storage="BF16"),
]


def main():
    torch.set_num_threads(1)
    for seed, spec in enumerate(MODELS, start=1):
        build(spec, seed)
        print("wrote", spec["name"])


if __name__ == "__main__":
    main()
