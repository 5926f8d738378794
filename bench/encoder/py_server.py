#!/usr/bin/python3
# The encoder benchmark's baseline: the same model served the way a straightforward Python
# server would, with Debian's python3-torch in eager mode. http.server.ThreadingHTTPServer
# (a thread per connection, HTTP/1.1 keep-alive), one forward pass per request, no batching
# across requests. Passes run one at a time under a lock, each on all torch threads: concurrent
# passes would oversubscribe the cores (32 passes x N OpenMP threads spinning at barriers), and
# a 32-client BERT-base round then takes minutes, which would measure that, not batching. The network is tests/data/models/generate.py's RefEncoder (stock torch.nn
# modules), loaded from the same HF safetensors the runner reads.
#
#     /usr/bin/python3 bench/encoder/py_server.py MODEL_DIR TOKENS_JSON THREADS
# prints "listening on PORT" once ready. TOKENS_JSON maps each benchmark text to its token ids
# (from the runner's POST /tokenize), so both servers compute on identical ids; tokenizing
# here is a dict lookup, which favours this side slightly.

import json
import os
import struct
import sys
import threading
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

import numpy as np
import torch

ROOT = os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__))))
sys.path.insert(0, os.path.join(ROOT, "tests", "data", "models"))
import generate  # noqa: E402  (tests/data/models/generate.py)

NUMPY_TYPES = {"F32": "<f4", "I64": "<i8"}


class lazy_weights:
    """The tensors of a (possibly sharded) safetensors checkpoint, each read when taken, so
    loading never holds a second copy of the weights beside the model's parameters."""

    def __init__(self, model_dir):
        self.where = {}
        index = os.path.join(model_dir, "model.safetensors.index.json")
        if os.path.exists(index):
            with open(index) as f:
                files = sorted(set(json.load(f)["weight_map"].values()))
        else:
            files = ["model.safetensors"]
        for name in files:
            path = os.path.join(model_dir, name)
            with open(path, "rb") as f:
                (size,) = struct.unpack("<Q", f.read(8))
                header = json.loads(f.read(size))
            for tensor, info in header.items():
                if tensor != "__metadata__":
                    self.where[tensor] = (path, 8 + size, info)

    def __contains__(self, name):
        return name in self.where

    def take(self, name):
        path, data_start, info = self.where.pop(name)
        dtype = np.dtype(NUMPY_TYPES[info["dtype"]])
        begin, end = info["data_offsets"]
        with open(path, "rb") as f:
            f.seek(data_start + begin)
            array = np.fromfile(f, dtype=dtype, count=(end - begin) // dtype.itemsize)
        return torch.from_numpy(array).reshape(info["shape"])


def spec_from(config, tensors):
    """generate.py's spec for a BERT config.json (the only family this baseline serves)."""
    if config["model_type"] != "bert":
        sys.exit("py_server.py serves BERT models only")
    labels = [config["id2label"][str(i)] for i in range(len(config.get("id2label", {})))]
    prefix = "bert." if "bert.embeddings.word_embeddings.weight" in tensors else ""
    return dict(family="bert", prefix=prefix, hidden=config["hidden_size"],
                heads=config["num_attention_heads"], inter=config["intermediate_size"],
                layers=config["num_hidden_layers"], vocab=config["vocab_size"],
                max_pos=config["max_position_embeddings"], type_vocab=config["type_vocab_size"],
                eps=config["layer_norm_eps"], act=config["hidden_act"], pad=config["pad_token_id"],
                labels=labels, classifier=bool(labels) and "classifier.weight" in tensors)


def load_model(model_dir):
    with open(os.path.join(model_dir, "config.json")) as f:
        config = json.load(f)
    tensors = lazy_weights(model_dir)
    spec = spec_from(config, tensors)
    model = generate.RefEncoder(spec).eval()
    params = dict(model.named_parameters())
    with torch.no_grad():
        for hf, ref in generate.hf_names(spec):
            params[ref].copy_(tensors.take(hf))
        for i in range(spec["layers"]):
            base = f"{spec['prefix']}encoder.layer.{i}.attention.self."
            for part in ("weight", "bias"):
                packed = [tensors.take(base + n + "." + part) for n in ("query", "key", "value")]
                params[f"layers.{i}.attn.in_proj_{part}"].copy_(torch.cat(packed))
    return model, spec


class encoder_service:
    def __init__(self, model, spec, token_map):
        self.model, self.spec, self.token_map = model, spec, token_map
        self.forward_lock = threading.Lock()

    def encode(self, texts):
        rows = [self.token_map[t] for t in texts]
        length = max(len(r) for r in rows)
        pad = self.spec["pad"]
        ids = torch.tensor([r + [pad] * (length - len(r)) for r in rows])
        mask = torch.tensor([[1] * len(r) + [0] * (length - len(r)) for r in rows])
        return self.model.encode(ids, torch.zeros_like(ids), mask), mask

    def embeddings(self, texts):
        with self.forward_lock, torch.inference_mode():
            states, mask = self.encode(texts)
            m = mask.unsqueeze(-1).to(states.dtype)
            mean = (states * m).sum(dim=1) / m.sum(dim=1)
            vectors = torch.nn.functional.normalize(mean, dim=-1)
        return {"object": "list", "model": "baseline",
                "data": [{"object": "embedding", "index": i, "embedding": v}
                         for i, v in enumerate(vectors.tolist())]}

    def classify(self, texts):
        with self.forward_lock, torch.inference_mode():
            states, _ = self.encode(texts)
            probs = torch.softmax(self.model.classify(states), dim=-1)
            score, best = probs.max(dim=-1)
        labels = self.spec["labels"]
        return {"object": "classification", "model": "baseline",
                "choices": [{"index": i, "label": labels[b], "score": s}
                            for i, (b, s) in enumerate(zip(best.tolist(), score.tolist()))]}


def handler_for(service):
    routes = {"/v1/embeddings": service.embeddings, "/v1/classify": service.classify}

    class handler(BaseHTTPRequestHandler):
        protocol_version = "HTTP/1.1"  # keep-alive, as the runner's clients use it
        disable_nagle_algorithm = True  # headers and body are two writes: no 40 ms ACK stall

        def do_POST(self):
            body = self.rfile.read(int(self.headers.get("Content-Length", 0)))
            route = routes.get(self.path)
            try:
                inputs = json.loads(body)["input"]
                texts = [inputs] if isinstance(inputs, str) else inputs
                status, answer = (200, route(texts)) if route else (404, {"error": "not found"})
            except (KeyError, ValueError, TypeError) as e:
                status, answer = 400, {"error": str(e)}
            data = json.dumps(answer).encode()
            self.send_response(status)
            self.send_header("Content-Type", "application/json")
            self.send_header("Content-Length", str(len(data)))
            self.end_headers()
            self.wfile.write(data)

        def log_message(self, *args):
            pass  # no per-request log line: stderr writes would serialise the threads

    return handler


def main():
    if len(sys.argv) != 4:
        sys.exit("usage: py_server.py MODEL_DIR TOKENS_JSON THREADS")
    threads = int(sys.argv[3]) or (os.cpu_count() or 1)
    torch.set_num_threads(threads)
    model, spec = load_model(sys.argv[1])
    with open(sys.argv[2]) as f:
        token_map = json.load(f)
    ThreadingHTTPServer.request_queue_size = 128  # the default backlog of 5 resets 32 clients
    ThreadingHTTPServer.daemon_threads = True
    service = encoder_service(model, spec, token_map)
    server = ThreadingHTTPServer(("127.0.0.1", 0), handler_for(service))
    print(f"listening on {server.server_address[1]} threads {torch.get_num_threads()}",
          flush=True)
    server.serve_forever()


if __name__ == "__main__":
    main()
