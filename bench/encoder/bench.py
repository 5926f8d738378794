#!/usr/bin/python3
# Encoder throughput, solar-hf-runner against a Python torch-eager server (py_server.py) on the
# same weights and token ids: sequences/s at batch 1, 8, 32 (one sequential client) and under 32
# concurrent clients sending one input each; RSS of both servers beside the weights' size.
# bench/encoder/run.sh is the entry point; this file starts the servers, measures and reports.

import argparse
import http.client
import json
import os
import random
import re
import shutil
import signal
import statistics
import subprocess
import sys
import tempfile
import threading
import time

HERE = os.path.dirname(os.path.abspath(__file__))
ROOT = os.path.dirname(os.path.dirname(HERE))
PYTHON = "/usr/bin/python3"  # Debian's, with python3-torch
API_KEY = "bench-key"
TARGET = 1.3  # issue 5: runner / Python under concurrency

# (name, batch size per request, concurrent clients)
SCENARIOS = [("batch 1", 1, 1), ("batch 8", 8, 1), ("batch 32", 32, 1), ("32 clients", 1, 32)]

WORDS = (
    "the of and to in is was for on that with as by at from his her their an be this which or "
    "had not are but have were one all new first after who they been its more two when time "
    "people year city world state school water house music family river system game story book "
    "light small great early large public local night power market north south paper energy "
    "model data engine server request answer number little under between during without "
    "against because through before while where should could would about other every many "
    "most some such only also well just still even back down over again never always often "
    "road train bridge garden window morning evening winter summer doctor teacher village"
).split()


def make_texts(count, min_words, max_words, seed):
    rng = random.Random(seed)
    return [" ".join(rng.choice(WORDS) for _ in range(rng.randint(min_words, max_words)))
            for _ in range(count)]


# ---------------------------------------------------------------- processes


def proc_status(pid):
    fields = {}
    with open(f"/proc/{pid}/status") as f:
        for line in f:
            key, _, value = line.partition(":")
            if key in ("VmRSS", "VmHWM", "RssAnon", "RssFile"):
                fields[key] = int(value.split()[0]) * 1024
    return fields


def wait_for(path, pattern, proc, timeout):
    deadline = time.time() + timeout
    while time.time() < deadline:
        if proc.poll() is not None:
            break
        with open(path, errors="replace") as f:
            m = re.search(pattern, f.read())
        if m:
            return m
        time.sleep(0.05)
    with open(path, errors="replace") as f:
        sys.stderr.write(f.read()[-4000:])
    raise RuntimeError(f"{path}: no '{pattern}' (exit {proc.poll()})")


# libgomp's default wait policy spins at every parallel region's end; on cores shared with
# other work (here: other sessions compiling) that spinning starves the next region, and the
# runner, whose forward runs more, smaller regions (separate q/k/v GEMMs), lost up to 10x
# at batch 1. Passive waiting made both servers steady; both get the same environment.
WAIT_POLICY = os.environ.get("OMP_WAIT_POLICY", "PASSIVE")


class server:
    def __init__(self, name, argv, log, port_pattern, timeout=120):
        self.name, self.log = name, log
        self.out = open(log, "w")
        env = dict(os.environ, OMP_WAIT_POLICY=WAIT_POLICY)
        self.proc = subprocess.Popen(argv, stdout=self.out, stderr=subprocess.STDOUT, env=env)
        self.port = int(wait_for(log, port_pattern, self.proc, timeout).group(1))

    def request(self, conn, path, body):
        headers = {"Content-Type": "application/json", "Authorization": "Bearer " + API_KEY}
        conn.request("POST", path, body, headers)
        r = conn.getresponse()
        data = r.read()
        if r.status != 200:
            raise RuntimeError(f"{self.name} {path}: {r.status} {data[:300]!r}")
        return data

    def connect(self):
        return http.client.HTTPConnection("127.0.0.1", self.port, timeout=600)

    def stop(self):
        if self.proc.poll() is None:
            self.proc.send_signal(signal.SIGTERM)
            try:
                self.proc.wait(10)
            except subprocess.TimeoutExpired:
                self.proc.kill()
                self.proc.wait()
        self.out.close()


def start_runner(build, model_dir, task, threads, tmp):
    argv = [os.path.join(build, "src", "solar-hf-runner"), "--task", task, "--model-id",
            model_dir, "--alias", "bench", "--port", "0", "--api-key", API_KEY,
            "--threads", str(threads)]
    s = server("runner", argv, os.path.join(tmp, f"runner-{task}.log"), r"port: (\d+)")
    wait_for(s.log, r"main: model loaded", s.proc, 120)
    s.threads_line = wait_for(s.log, r"(\d+) torch threads", s.proc, 5).group(1)
    return s


def start_python(model_dir, tokens_json, threads, tmp, task):
    argv = [PYTHON, os.path.join(HERE, "py_server.py"), model_dir, tokens_json, str(threads)]
    s = server("python", argv, os.path.join(tmp, f"python-{task}.log"), r"listening on (\d+)")
    s.threads_line = wait_for(s.log, r"threads (\d+)", s.proc, 5).group(1)
    return s


# ---------------------------------------------------------------- measuring


def body_for(task, texts):
    if task == "embedding":
        return json.dumps({"model": "bench", "input": texts, "encoding_format": "float"})
    return json.dumps({"model": "bench", "input": texts})


def measure(srv, task, texts, batch, clients, duration):
    """Closed loop: each client sends requests of `batch` texts back to back until `duration`
    has passed (so each sends at least one). Sequences answered / time to the last answer."""
    path = "/v1/embeddings" if task == "embedding" else "/v1/classify"
    done = [0] * clients
    errors = []
    start_gate = threading.Barrier(clients + 1)
    ends = [0.0] * clients

    def client(k):
        try:
            conn = srv.connect()
            conn.connect()
            offset = k * 7
            start_gate.wait()
            i = 0
            while True:
                chosen = [texts[(offset + i * batch + j) % len(texts)] for j in range(batch)]
                srv.request(conn, path, body_for(task, chosen))
                done[k] += batch
                i += 1
                ends[k] = time.perf_counter()
                if ends[k] - t0[0] >= duration:
                    break
            conn.close()
        except Exception as e:  # reported after the join
            errors.append(repr(e))

    t0 = [0.0]
    threads = [threading.Thread(target=client, args=(k,)) for k in range(clients)]
    for t in threads:
        t.start()
    t0[0] = time.perf_counter()
    start_gate.wait()
    for t in threads:
        t.join()
    if errors:
        raise RuntimeError(f"{srv.name}: {errors[0]}")
    return sum(done) / (max(ends) - t0[0])


def check_same(runner, python, task, texts):
    """Both servers must compute the same thing: embeddings agree to float32 rounding, the
    classifier picks the same labels with the same scores."""
    bodies = []
    path = "/v1/embeddings" if task == "embedding" else "/v1/classify"
    for srv in (runner, python):
        conn = srv.connect()
        bodies.append(json.loads(srv.request(conn, path, body_for(task, texts))))
        conn.close()
    if task == "embedding":
        a = [d["embedding"] for d in bodies[0]["data"]]
        b = [d["embedding"] for d in bodies[1]["data"]]
    else:
        if [c["label"] for c in bodies[0]["choices"]] != [c["label"] for c in bodies[1]["choices"]]:
            raise RuntimeError("runner and Python baseline disagree on the labels")
        a = [[c["score"]] for c in bodies[0]["choices"]]
        b = [[c["score"]] for c in bodies[1]["choices"]]
    diff = max(abs(x - y) for ra, rb in zip(a, b) for x, y in zip(ra, rb))
    if len(a) != len(texts) or len(b) != len(texts) or diff > 1e-3:
        raise RuntimeError(f"runner and Python baseline differ (max |diff| {diff})")
    return diff


def summary(values):
    return {"median": statistics.median(values), "min": min(values), "max": max(values),
            "runs": values}


def run_case(args, model_name, model_dir, task, texts, tmp, log):
    runner = start_runner(args.build, model_dir, task, args.threads, tmp)
    python = None
    try:
        # One tokenization, the runner's, for both sides: identical ids in every forward pass.
        conn = runner.connect()
        tokens = {}
        for t in texts:
            body = json.dumps({"content": t, "add_special": True})
            tokens[t] = json.loads(runner.request(conn, "/tokenize", body))["tokens"]
        conn.close()
        tokens_json = os.path.join(tmp, f"tokens-{model_name}.json")
        with open(tokens_json, "w") as f:
            json.dump(tokens, f)
        python = start_python(model_dir, tokens_json, args.threads, tmp, task)
        diff = check_same(runner, python, task, texts[:8])
        sides = {"runner": runner, "python": python}
        for srv in sides.values() if not args.smoke else []:
            measure(srv, task, texts, 32, 1, 0)  # warm-up: allocators grow to a full batch
            measure(srv, task, texts, 1, 32, 0)
        idle = {name: proc_status(s.proc.pid) for name, s in sides.items()}
        figures = {name: {label: [] for label, _, _ in SCENARIOS} for name in sides}
        ratios = {label: [] for label, _, _ in SCENARIOS}
        loads = []
        for r in range(args.runs):
            loads.append(os.getloadavg()[0])
            for i, (label, batch, clients) in enumerate(SCENARIOS):
                order = ["runner", "python"] if (r + i) % 2 == 0 else ["python", "runner"]
                got = {}
                for name in order:
                    got[name] = measure(sides[name], task, texts, batch, clients, args.duration)
                    figures[name][label].append(got[name])
                ratios[label].append(got["runner"] / got["python"])
                log(f"  {model_name} {task} run {r + 1} {label}: runner {got['runner']:.1f}, "
                    f"python {got['python']:.1f} seq/s")
        peak = {name: proc_status(s.proc.pid) for name, s in sides.items()}
        threads = {name: int(s.threads_line) for name, s in sides.items()}
    finally:
        runner.stop()
        if python:
            python.stop()
    weights = sum(os.path.getsize(os.path.join(model_dir, f)) for f in os.listdir(model_dir)
                  if f.endswith(".safetensors"))
    with open(os.path.join(model_dir, "config.json")) as f:
        config = json.load(f)
    lengths = [len(tokens[t]) for t in texts]
    return {
        "model": model_name, "task": task, "weights_bytes": weights,
        "shape": {k: config.get(k) for k in ("hidden_size", "num_hidden_layers",
                                             "num_attention_heads", "intermediate_size",
                                             "vocab_size", "max_position_embeddings")},
        "tokens_per_text": {"min": min(lengths), "mean": statistics.mean(lengths),
                            "max": max(lengths)},
        "torch_threads": threads, "max_abs_diff": diff, "load_average_1m": loads,
        "seq_per_s": {name: {label: summary(v) for label, v in per.items()}
                      for name, per in figures.items()},
        "ratio": {label: summary(v) for label, v in ratios.items()},
        "rss_idle": idle, "rss_end": peak,
    }


# ---------------------------------------------------------------- report


def mib(n):
    return f"{n / 2**20:.0f}"


def spread(s, fmt="{:.1f}"):
    return f"{fmt.format(s['median'])} ({fmt.format(s['min'])}–{fmt.format(s['max'])})"


def markdown(result):
    m = result["meta"]
    out = [
        "# Encoder throughput: solar-hf-runner vs Python torch eager",
        "",
        f"`bench/encoder/run.sh` on {m['date']}, {m['cores']} cores, torch threads "
        f"{m['threads_used']} on both sides (`OMP_WAIT_POLICY={m['omp_wait_policy']}`), "
        f"{m['runs']} interleaved runs of "
        + ", ".join(f"{v:g} s ({k})" for k, v in m["duration_s"].items())
        + f" per figure, median (min–max). Load average (1 min) during the runs: "
        f"{m['load_average_min']:.1f}–{m['load_average_max']:.1f}. Texts: {m['texts']} "
        f"random common-English-word sentences, {m['tokens']} tokens each with [CLS]/[SEP] "
        "(the runner's tokenizer; the Python side looks the same ids up).",
        "",
        "Sequences per second. batch N: one client, requests of N inputs back to back. "
        "32 clients: 32 concurrent keep-alive clients, one input per request. Ratio: "
        "runner / Python within the same run, then the median.",
        "",
        "| model | task | scenario | solar-hf-runner | Python eager | ratio |",
        "| --- | --- | --- | ---: | ---: | ---: |",
    ]
    for c in result["cases"]:
        for label, _, _ in SCENARIOS:
            out.append(
                f"| {c['model']} | {c['task']} | {label} | {spread(c['seq_per_s']['runner'][label])} "
                f"| {spread(c['seq_per_s']['python'][label])} "
                f"| {spread(c['ratio'][label], '{:.2f}')} |")
    out += ["", f"Target (issue 5): at least {TARGET}× the Python baseline under 32 concurrent "
            "clients.", ""]
    for c in result["cases"]:
        r = c["ratio"]["32 clients"]
        verdict = "met" if r["median"] >= TARGET else "NOT met"
        out.append(f"- {c['model']} {c['task']}: {r['median']:.2f}× (min {r['min']:.2f}×) — "
                   f"{verdict}")
    out += ["", "## Memory", "",
            "MiB. Weights: the safetensors files. Idle: after load and warm-up (a batch of 32 "
            "and 32 concurrent requests). Peak: VmHWM at the end. Overhead: peak − weights. "
            "RssFile is the runner's memory-mapped weights plus shared-library pages (about "
            "120 MiB of libtorch, OpenBLAS and the rest; Python's RssFile is those libraries "
            "alone, as it copies the weights into anonymous memory). Word-embedding rows of "
            "tokens no text used are never read by the runner, so its RSS holds less than all "
            "the weights.", "",
            "| model | task | server | weights | idle VmRSS (anon + file) | peak VmHWM | overhead |",
            "| --- | --- | --- | ---: | ---: | ---: | ---: |"]
    for c in result["cases"]:
        for name in ("runner", "python"):
            idle, end = c["rss_idle"][name], c["rss_end"][name]
            out.append(
                f"| {c['model']} | {c['task']} | {name} | {mib(c['weights_bytes'])} | "
                f"{mib(idle['VmRSS'])} ({mib(idle['RssAnon'])} + {mib(idle['RssFile'])}) | "
                f"{mib(end['VmHWM'])} | {mib(end['VmHWM'] - c['weights_bytes'])} |")
    out += ["", "Largest |difference| between the two servers' outputs on 8 texts (embedding "
            "components, or classifier scores with identical labels): " +
            ", ".join(f"{c['model']} {c['task']} {c['max_abs_diff']:.1e}"
                      for c in result["cases"]) + ".", ""]
    return "\n".join(out)


def main():
    p = argparse.ArgumentParser(description=__doc__)
    p.add_argument("--build", required=True)
    p.add_argument("--out", help="directory for encoder.md and encoder.json")
    p.add_argument("--runs", type=int, default=3)
    p.add_argument("--duration", type=float, default=2.0, help="seconds per figure (MiniLM)")
    p.add_argument("--duration-large", type=float, default=3.0, help="seconds (BERT-base)")
    p.add_argument("--threads", type=int, default=0, help="torch threads, 0 = one per core")
    p.add_argument("--smoke", action="store_true", help="tiny test models, one short pass")
    args = p.parse_args()
    started = time.time()
    tmp = tempfile.mkdtemp(prefix="solar-bench-encoder.")
    log = lambda text: print(text, flush=True)  # noqa: E731
    try:
        if args.smoke:
            tiny = os.path.join(ROOT, "tests", "data", "models")
            models = {}
            for name in ("bert_classifier", "minilm_embedder"):
                shutil.copytree(os.path.join(tiny, name), os.path.join(tmp, name))
                shutil.copyfile(os.path.join(tiny, "tiny_wordpiece_tokenizer.json"),
                                os.path.join(tmp, name, "tokenizer.json"))
                models[name] = os.path.join(tmp, name)
            cases = [("bert_classifier", "classification"), ("minilm_embedder", "embedding")]
            texts = make_texts(16, 1, 3, seed=5)  # the tiny models take 38 tokens
            durations = {name: args.duration for name in models}
        else:
            log("generating random-weight models (bench/encoder/models.py)")
            subprocess.run([PYTHON, os.path.join(HERE, "models.py"), tmp, "minilm",
                            "bert-base"], check=True, stdout=subprocess.DEVNULL)
            models = {n: os.path.join(tmp, n) for n in ("minilm", "bert-base")}
            cases = [(m, t) for m in ("minilm", "bert-base")
                     for t in ("embedding", "classification")]
            texts = make_texts(64, 38, 52, seed=5)
            durations = {"minilm": args.duration, "bert-base": args.duration_large}
        results = []
        for model_name, task in cases:
            args_case = argparse.Namespace(**vars(args))
            args_case.duration = durations[model_name]
            log(f"{model_name} {task}")
            results.append(run_case(args_case, model_name, models[model_name], task, texts, tmp,
                                    log))
    finally:
        shutil.rmtree(tmp, ignore_errors=True)
    loads = [x for c in results for x in c["load_average_1m"]]
    token_stats = [c["tokens_per_text"] for c in results]
    meta = {
        "date": time.strftime("%Y-%m-%d %H:%M UTC", time.gmtime()),
        "cores": os.cpu_count(), "threads_requested": args.threads,
        "threads_used": sorted({v for c in results for v in c["torch_threads"].values()}),
        "runs": args.runs, "duration_s": {k: v for k, v in durations.items()},
        "texts": len(texts),
        "tokens": f"{min(t['min'] for t in token_stats)}–{max(t['max'] for t in token_stats)} "
                  f"(mean {statistics.mean(t['mean'] for t in token_stats):.0f})",
        "load_average_min": min(loads), "load_average_max": max(loads),
        "wall_s": round(time.time() - started), "smoke": args.smoke,
        "omp_wait_policy": WAIT_POLICY,
    }
    result = {"meta": meta, "cases": results}
    text = markdown(result)
    if args.out:
        os.makedirs(args.out, exist_ok=True)
        with open(os.path.join(args.out, "encoder.json"), "w") as f:
            json.dump(result, f, indent=1)
            f.write("\n")
        with open(os.path.join(args.out, "encoder.md"), "w") as f:
            f.write(text)
    print(text)
    log(f"wall time {meta['wall_s']} s")


if __name__ == "__main__":
    main()
