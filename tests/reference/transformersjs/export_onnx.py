#!/usr/bin/python3
# Exports the tiny encoder fixtures of tests/data/models to ONNX in the layout transformers.js
# loads offline: <out>/<model>/{config.json, onnx/model.onnx}.
#
# Run with Debian's python3-torch and python3-numpy (no transformers, no onnx package; the
# exporter's own checker validates the graph):
#     /usr/bin/python3 export_onnx.py OUT_DIR
#
# The network is rebuilt from the committed safetensors, written here after the structure of
# HuggingFace's modeling_bert / modeling_roberta / modeling_distilbert (separate q/k/v
# projections, additive finfo.min attention mask, explicit erf / tanh GELU, RoBERTa positions
# from the input ids), independently of tests/data/models/generate.py (nn.MultiheadAttention)
# and of the C++ encoder. Module attributes carry the HF tensor names, so a strict
# load_state_dict proves every stored tensor is used and none is missing. F16 and BF16 tensors
# are widened to float32 exactly (both are subsets of float32), so the graph computes in float32
# on the very values stored.

import json
import math
import os
import struct
import sys

import numpy as np
import torch
from torch import nn

MODELS_DIR = os.path.normpath(
    os.path.join(os.path.dirname(os.path.abspath(__file__)), "../../data/models")
)
MODELS = [
    "bert_classifier",
    "distilbert_classifier",
    "roberta_classifier",
    "minilm_embedder",
    "xlm_roberta_embedder",
]
OPSET = 17  # native LayerNormalization; onnxruntime-node 1.30 supports opsets up to 23


def read_safetensors(path):
    """The tensors of one safetensors file as float32 (I64 kept), widened without rounding."""
    with open(path, "rb") as f:
        data = f.read()
    (n,) = struct.unpack("<Q", data[:8])
    header = json.loads(data[8 : 8 + n])
    body = data[8 + n :]
    tensors = {}
    for name, info in header.items():
        if name == "__metadata__":
            continue
        begin, end = info["data_offsets"]
        raw, dtype, shape = body[begin:end], info["dtype"], info["shape"]
        if dtype == "F32":
            array = np.frombuffer(raw, "<f4").astype(np.float32)
        elif dtype == "F16":
            array = np.frombuffer(raw, "<f2").astype(np.float32)
        elif dtype == "BF16":
            # bfloat16 is the upper half of a float32: shift the 16 bits into place.
            bits = np.frombuffer(raw, "<u2").astype(np.uint32) << 16
            array = bits.view(np.float32)
        elif dtype == "I64":
            array = np.frombuffer(raw, "<i8").astype(np.int64)
        else:
            raise ValueError(f"{path}: {name} has unsupported dtype {dtype}")
        tensors[name] = torch.from_numpy(array.reshape(shape).copy())
    return tensors


def read_weights(directory):
    index = os.path.join(directory, "model.safetensors.index.json")
    if not os.path.exists(index):
        return read_safetensors(os.path.join(directory, "model.safetensors"))
    with open(index) as f:
        files = sorted(set(json.load(f)["weight_map"].values()))
    tensors = {}
    for name in files:
        tensors.update(read_safetensors(os.path.join(directory, name)))
    return tensors


def activation(name):
    if name == "gelu":  # HF GELUActivation: the exact, erf-based GELU
        return lambda x: 0.5 * x * (1.0 + torch.erf(x / math.sqrt(2.0)))
    if name == "gelu_new":  # HF NewGELUActivation: the tanh approximation
        c = math.sqrt(2.0 / math.pi)
        return lambda x: 0.5 * x * (1.0 + torch.tanh(c * (x + 0.044715 * torch.pow(x, 3.0))))
    if name == "relu":
        return torch.relu
    raise ValueError(f"unsupported activation {name}")


def attend(q, k, v, additive_mask, heads, d):
    """Scaled dot-product attention over [B, L, heads * d] projections; additive_mask is
    [B, 1, 1, L]. d is a Python int, so the scale is a constant of the graph."""
    b, length = q.shape[0], q.shape[1]

    def split(x):
        return x.view(b, length, heads, d).transpose(1, 2)

    scores = torch.matmul(split(q), split(k).transpose(-1, -2)) / math.sqrt(d)
    probs = torch.softmax(scores + additive_mask, dim=-1)
    return torch.matmul(probs, split(v)).transpose(1, 2).reshape(b, length, heads * d)


def additive(attention_mask):
    mask = attention_mask[:, None, None, :].to(torch.float32)
    return (1.0 - mask) * torch.finfo(torch.float32).min


# --- BERT, RoBERTa, XLM-RoBERTa (modeling_bert / modeling_roberta) ---------------------------


class BertEmbeddings(nn.Module):
    def __init__(self, c, roberta):
        super().__init__()
        h = c["hidden_size"]
        self.word_embeddings = nn.Embedding(c["vocab_size"], h)
        self.position_embeddings = nn.Embedding(c["max_position_embeddings"], h)
        self.token_type_embeddings = nn.Embedding(c["type_vocab_size"], h)
        self.LayerNorm = nn.LayerNorm(h, eps=c["layer_norm_eps"])
        self.roberta, self.pad = roberta, c["pad_token_id"]

    def forward(self, input_ids, token_type_ids):
        if self.roberta:
            # create_position_ids_from_input_ids: real tokens count from pad + 1, padding keeps pad.
            real = (input_ids != self.pad).to(torch.int64)
            positions = torch.cumsum(real, dim=1) * real + self.pad
        else:
            positions = torch.arange(input_ids.shape[1]).unsqueeze(0).expand_as(input_ids)
        if token_type_ids is None:
            token_type_ids = torch.zeros_like(input_ids)
        x = self.word_embeddings(input_ids) + self.position_embeddings(positions)
        return self.LayerNorm(x + self.token_type_embeddings(token_type_ids))


class BertSelfAttention(nn.Module):
    def __init__(self, c):
        super().__init__()
        h = c["hidden_size"]
        self.query, self.key, self.value = nn.Linear(h, h), nn.Linear(h, h), nn.Linear(h, h)
        self.heads = c["num_attention_heads"]
        self.head_dim = h // self.heads

    def forward(self, x, mask):
        return attend(self.query(x), self.key(x), self.value(x), mask, self.heads, self.head_dim)


class BertDenseNorm(nn.Module):
    """BertSelfOutput and BertOutput: dense, then LayerNorm over the residual sum."""

    def __init__(self, c, inputs):
        super().__init__()
        self.dense = nn.Linear(inputs, c["hidden_size"])
        self.LayerNorm = nn.LayerNorm(c["hidden_size"], eps=c["layer_norm_eps"])

    def forward(self, x, residual):
        return self.LayerNorm(self.dense(x) + residual)


class BertAttention(nn.Module):
    def __init__(self, c):
        super().__init__()
        self.self = BertSelfAttention(c)
        self.output = BertDenseNorm(c, c["hidden_size"])

    def forward(self, x, mask):
        return self.output(self.self(x, mask), x)


class BertIntermediate(nn.Module):
    def __init__(self, c):
        super().__init__()
        self.dense = nn.Linear(c["hidden_size"], c["intermediate_size"])
        self.act = activation(c["hidden_act"])

    def forward(self, x):
        return self.act(self.dense(x))


class BertLayer(nn.Module):
    def __init__(self, c):
        super().__init__()
        self.attention = BertAttention(c)
        self.intermediate = BertIntermediate(c)
        self.output = BertDenseNorm(c, c["intermediate_size"])

    def forward(self, x, mask):
        a = self.attention(x, mask)
        return self.output(self.intermediate(a), a)


class BertEncoder(nn.Module):
    def __init__(self, c):
        super().__init__()
        self.layer = nn.ModuleList(BertLayer(c) for _ in range(c["num_hidden_layers"]))

    def forward(self, x, mask):
        for layer in self.layer:
            x = layer(x, mask)
        return x


class BertPooler(nn.Module):
    def __init__(self, c):
        super().__init__()
        self.dense = nn.Linear(c["hidden_size"], c["hidden_size"])

    def forward(self, states):
        return torch.tanh(self.dense(states[:, 0]))


class BertModel(nn.Module):
    def __init__(self, c, roberta, pooler=False):
        super().__init__()
        self.embeddings = BertEmbeddings(c, roberta)
        self.encoder = BertEncoder(c)
        if pooler:
            self.pooler = BertPooler(c)

    def forward(self, input_ids, attention_mask, token_type_ids=None):
        x = self.embeddings(input_ids, token_type_ids)
        return self.encoder(x, additive(attention_mask))


class BertForSequenceClassification(nn.Module):
    def __init__(self, c):
        super().__init__()
        self.bert = BertModel(c, roberta=False, pooler=True)
        self.classifier = nn.Linear(c["hidden_size"], len(c["id2label"]))

    def forward(self, input_ids, attention_mask, token_type_ids):
        states = self.bert(input_ids, attention_mask, token_type_ids)
        return self.classifier(self.bert.pooler(states)), states


class RobertaClassificationHead(nn.Module):
    def __init__(self, c):
        super().__init__()
        self.dense = nn.Linear(c["hidden_size"], c["hidden_size"])
        self.out_proj = nn.Linear(c["hidden_size"], len(c["id2label"]))

    def forward(self, states):
        return self.out_proj(torch.tanh(self.dense(states[:, 0])))


class RobertaForSequenceClassification(nn.Module):
    def __init__(self, c):
        super().__init__()
        self.roberta = BertModel(c, roberta=True)
        self.classifier = RobertaClassificationHead(c)

    def forward(self, input_ids, attention_mask):
        states = self.roberta(input_ids, attention_mask)
        return self.classifier(states), states


# --- DistilBERT (modeling_distilbert) --------------------------------------------------------


class DistilEmbeddings(nn.Module):
    def __init__(self, c):
        super().__init__()
        self.word_embeddings = nn.Embedding(c["vocab_size"], c["dim"])
        self.position_embeddings = nn.Embedding(c["max_position_embeddings"], c["dim"])
        self.LayerNorm = nn.LayerNorm(c["dim"], eps=1e-12)  # DistilBERT hard-codes 1e-12

    def forward(self, input_ids):
        positions = torch.arange(input_ids.shape[1]).unsqueeze(0).expand_as(input_ids)
        return self.LayerNorm(self.word_embeddings(input_ids) + self.position_embeddings(positions))


class DistilAttention(nn.Module):
    def __init__(self, c):
        super().__init__()
        h = c["dim"]
        self.q_lin, self.k_lin, self.v_lin = nn.Linear(h, h), nn.Linear(h, h), nn.Linear(h, h)
        self.out_lin = nn.Linear(h, h)
        self.heads = c["n_heads"]
        self.head_dim = h // self.heads

    def forward(self, x, mask):
        a = attend(self.q_lin(x), self.k_lin(x), self.v_lin(x), mask, self.heads, self.head_dim)
        return self.out_lin(a)


class DistilFfn(nn.Module):
    def __init__(self, c):
        super().__init__()
        self.lin1 = nn.Linear(c["dim"], c["hidden_dim"])
        self.lin2 = nn.Linear(c["hidden_dim"], c["dim"])
        self.act = activation(c["activation"])

    def forward(self, x):
        return self.lin2(self.act(self.lin1(x)))


class DistilLayer(nn.Module):
    def __init__(self, c):
        super().__init__()
        self.attention = DistilAttention(c)
        self.sa_layer_norm = nn.LayerNorm(c["dim"], eps=1e-12)
        self.ffn = DistilFfn(c)
        self.output_layer_norm = nn.LayerNorm(c["dim"], eps=1e-12)

    def forward(self, x, mask):
        x = self.sa_layer_norm(self.attention(x, mask) + x)
        return self.output_layer_norm(self.ffn(x) + x)


class DistilTransformer(nn.Module):
    def __init__(self, c):
        super().__init__()
        self.layer = nn.ModuleList(DistilLayer(c) for _ in range(c["n_layers"]))


class DistilBertModel(nn.Module):
    def __init__(self, c):
        super().__init__()
        self.embeddings = DistilEmbeddings(c)
        self.transformer = DistilTransformer(c)

    def forward(self, input_ids, attention_mask):
        x, mask = self.embeddings(input_ids), additive(attention_mask)
        for layer in self.transformer.layer:
            x = layer(x, mask)
        return x


class DistilBertForSequenceClassification(nn.Module):
    def __init__(self, c):
        super().__init__()
        self.distilbert = DistilBertModel(c)
        self.pre_classifier = nn.Linear(c["dim"], c["dim"])
        self.classifier = nn.Linear(c["dim"], len(c["id2label"]))

    def forward(self, input_ids, attention_mask):
        states = self.distilbert(input_ids, attention_mask)
        return self.classifier(torch.relu(self.pre_classifier(states[:, 0]))), states


class BareEncoder(nn.Module):
    """BertModel / XLMRobertaModel saved without a prefix (sentence-transformers style)."""

    def __init__(self, c, roberta):
        super().__init__()
        body = BertModel(c, roberta)
        self.embeddings, self.encoder = body.embeddings, body.encoder

    def forward(self, input_ids, attention_mask, token_type_ids=None):
        x = self.embeddings(input_ids, token_type_ids)
        return self.encoder(x, additive(attention_mask))


def build(config):
    """(module, ONNX input names, ONNX output names) for the config's architecture."""
    arch = config["architectures"][0]
    if arch == "BertForSequenceClassification":
        model = BertForSequenceClassification(config)
        inputs = ["input_ids", "attention_mask", "token_type_ids"]
        return model, inputs, ["logits", "last_hidden_state"]
    if arch == "RobertaForSequenceClassification":
        # As optimum's RoBERTa ONNX config: no token_type_ids input, type 0 throughout.
        model = RobertaForSequenceClassification(config)
        return model, ["input_ids", "attention_mask"], ["logits", "last_hidden_state"]
    if arch == "DistilBertForSequenceClassification":
        model = DistilBertForSequenceClassification(config)
        return model, ["input_ids", "attention_mask"], ["logits", "last_hidden_state"]
    if arch == "BertModel":
        model = BareEncoder(config, roberta=False)
        return model, ["input_ids", "attention_mask", "token_type_ids"], ["last_hidden_state"]
    if arch == "XLMRobertaModel":
        model = BareEncoder(config, roberta=True)
        return model, ["input_ids", "attention_mask"], ["last_hidden_state"]
    raise ValueError(f"unsupported architecture {arch}")


def load(name):
    directory = os.path.join(MODELS_DIR, name)
    with open(os.path.join(directory, "config.json")) as f:
        config = json.load(f)
    model, inputs, outputs = build(config)
    tensors = read_weights(directory)
    buffer = [n for n in tensors if n.endswith("embeddings.position_ids")]
    for n in buffer:
        # HF's position_ids buffer is arange(max_positions); the graph computes the same range.
        assert torch.equal(tensors[n][0], torch.arange(tensors[n].shape[1])), n
        del tensors[n]
    model.load_state_dict(tensors, strict=True)
    return config, model.eval(), inputs, outputs


def export(name, out_dir):
    config, model, inputs, outputs = load(name)
    target = os.path.join(out_dir, name)
    os.makedirs(os.path.join(target, "onnx"), exist_ok=True)
    with open(os.path.join(target, "config.json"), "w") as f:
        json.dump(config, f, indent=2)
    length, vocab = 5, config["vocab_size"]
    sample = {
        "input_ids": torch.randint(3, vocab, (2, length)),
        "attention_mask": torch.ones(2, length, dtype=torch.int64),
        "token_type_ids": torch.zeros(2, length, dtype=torch.int64),
    }
    axes = {"batch_size": 0, "sequence_length": 1}
    dynamic = {n: {i: a for a, i in axes.items()} for n in inputs}
    dynamic["last_hidden_state"] = {0: "batch_size", 1: "sequence_length"}
    if "logits" in outputs:
        dynamic["logits"] = {0: "batch_size"}
    with torch.no_grad():
        torch.onnx.export(
            model,
            tuple(sample[n] for n in inputs),
            os.path.join(target, "onnx", "model.onnx"),
            input_names=inputs,
            output_names=outputs,
            dynamic_axes=dynamic,
            opset_version=OPSET,
            do_constant_folding=True,
        )
    print(f"exported {name}: inputs {inputs}, outputs {outputs}")


def main():
    if len(sys.argv) != 2:
        sys.exit("usage: export_onnx.py OUT_DIR")
    torch.manual_seed(0)
    torch.set_num_threads(1)
    for name in MODELS:
        export(name, sys.argv[1])


if __name__ == "__main__":
    main()
