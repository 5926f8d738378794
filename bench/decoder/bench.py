"""Causal-LM decode benchmark (issue 6): solar-hf-runner over HTTP (streamed /v1/completions)
against llama.cpp (node-llama-cpp, llamacpp_worker.mjs) and Python torch eager (py_eager.py)
on the same weights (models.py: HF safetensors and F32 GGUF of the same numbers).

For each model the three contenders stay up side by side; each run measures 1, 4 and 16
concurrent streams on every contender back to back, the order rotating, so that machine noise
hits them alike. Figures: prefill (prompt) tokens/s, time to first token, generated tokens/s
per stream and in aggregate (decode window: from the moment every stream has its first token
to the last token), RSS. See bench/README.md, "Decoder throughput".
"""

import argparse
import http.client
import json
import os
import random
import statistics
import subprocess
import sys
import tempfile
import threading
import time

HERE = os.path.dirname(os.path.abspath(__file__))
sys.path.insert(0, HERE)
import models  # noqa: E402

KEY = "bench-key"
PROMPT_LEN = 128
STREAMS = (1, 4, 16)


def log(*args):
    print("bench/decoder:", *args, file=sys.stderr, flush=True)


def proc_memory(pid):
    with open(f"/proc/{pid}/status") as f:
        fields = dict(line.split(":", 1) for line in f if ":" in line)
    return {k: int(fields[k].split()[0]) // 1024 for k in ("VmRSS", "VmHWM", "RssAnon",
                                                            "RssFile")}


def make_prompts(count, seed):
    rng = random.Random(seed)
    return [[1] + [rng.randrange(100, 32000) for _ in range(PROMPT_LEN - 1)]
            for _ in range(count)]


# ---------------------------------------------------------------- contenders


class Runner:
    name = "solar-hf-runner"

    def __init__(self, build, model_dir, threads, logfile):
        env = dict(os.environ, OMP_WAIT_POLICY="PASSIVE")
        self.log = open(logfile, "w")
        self.proc = subprocess.Popen(
            [os.path.join(build, "src", "solar-hf-runner"), "--task", "causal", "--model-id",
             model_dir, "--alias", "bench", "--port", "0", "--api-key", KEY, "--threads",
             str(threads), "--log-level", "warn"],
            stdout=self.log, stderr=subprocess.STDOUT, env=env)
        self.port = None
        deadline = time.time() + 120
        while time.time() < deadline and self.proc.poll() is None:
            with open(logfile) as f:
                for line in f:
                    if "server is listening on http://" in line:
                        self.port = int(line.rsplit(":", 1)[1].split()[0])
            if self.port:
                break
            time.sleep(0.1)
        if not self.port:
            raise RuntimeError(f"solar-hf-runner did not start (see {logfile})")
        self.pid = self.proc.pid

    def post(self, path, body):
        conn = http.client.HTTPConnection("127.0.0.1", self.port, timeout=600)
        conn.request("POST", path, json.dumps(body),
                     {"Authorization": f"Bearer {KEY}", "Content-Type": "application/json"})
        resp = conn.getresponse()
        data = resp.read()
        conn.close()
        if resp.status != 200:
            raise RuntimeError(f"POST {path}: {resp.status} {data[:300]!r}")
        return json.loads(data)

    def _stream(self, prompt, max_tokens, t0, out):
        body = {"model": "bench", "prompt": prompt, "max_tokens": max_tokens, "temperature": 0,
                "stream": True, "stream_options": {"include_usage": True}}
        conn = http.client.HTTPConnection("127.0.0.1", self.port, timeout=600)
        out["start_ms"] = (time.perf_counter() - t0) * 1000
        conn.request("POST", "/v1/completions", json.dumps(body),
                     {"Authorization": f"Bearer {KEY}", "Content-Type": "application/json"})
        resp = conn.getresponse()
        if resp.status != 200:
            raise RuntimeError(f"stream: {resp.status} {resp.read()[:300]!r}")
        out["token_ms"], out["text"], out["finish"] = [], [], None
        while True:
            line = resp.readline()
            if not line:
                break
            line = line.strip()
            if not line.startswith(b"data: ") or line == b"data: [DONE]":
                continue
            event = json.loads(line[6:])
            if event.get("usage"):
                out["completion_tokens"] = event["usage"]["completion_tokens"]
            for choice in event.get("choices", []):
                if choice.get("finish_reason"):
                    out["finish"] = choice["finish_reason"]
                if choice.get("text") or not choice.get("finish_reason"):
                    out["token_ms"].append((time.perf_counter() - t0) * 1000)
                    out["text"].append(choice.get("text", ""))
        conn.close()

    def run(self, prompts, max_tokens, concurrent):
        t0 = time.perf_counter()
        results = [{} for _ in prompts]
        if not concurrent:
            for p, r in zip(prompts, results):
                self._stream(p, max_tokens, t0, r)
            return results
        threads = [threading.Thread(target=self._stream, args=(p, max_tokens, t0, r))
                   for p, r in zip(prompts, results)]
        for t in threads:
            t.start()
        for t in threads:
            t.join()
        return results

    def greedy_pieces(self, prompt, count):
        # The streamed chunks' texts, one per generated token.
        return self.run([prompt], count, False)[0]["text"]

    def pieces_of(self, prompt, ids):
        # The text each id adds after the prompt, as the runner's incremental detokenizer
        # streams it: differences of /detokenize over growing prefixes.
        texts = [self.post("/detokenize", {"tokens": prompt + ids[:i]})["content"]
                 for i in range(len(ids) + 1)]
        return [b[len(a):] if b.startswith(a) else b for a, b in zip(texts, texts[1:])]

    def close(self):
        self.proc.terminate()
        self.proc.wait(timeout=30)
        self.log.close()


class Worker:
    """llamacpp_worker.mjs or py_eager.py: one JSON command line in, one result line out."""

    def __init__(self, name, argv, env=None):
        self.name = name
        self.proc = subprocess.Popen(argv, stdin=subprocess.PIPE, stdout=subprocess.PIPE,
                                     env=dict(os.environ, **(env or {})), text=True)
        line = self.proc.stdout.readline()
        if not line:
            raise RuntimeError(f"{name} did not start")
        self.info = json.loads(line)
        self.pid = self.proc.pid

    def run(self, prompts, max_tokens, concurrent):
        cmd = {"prompts": prompts, "max_tokens": max_tokens, "concurrent": concurrent}
        self.proc.stdin.write(json.dumps(cmd) + "\n")
        self.proc.stdin.flush()
        line = self.proc.stdout.readline()
        if not line:
            raise RuntimeError(f"{self.name} exited")
        return json.loads(line)["results"]

    def close(self):
        self.proc.stdin.close()
        try:
            self.proc.wait(timeout=30)
        except subprocess.TimeoutExpired:
            self.proc.kill()


# ---------------------------------------------------------------- figures


def figures(results, prompt_len, concurrent):
    """One scenario's results -> its figures (times in ms from the scenario's start).

    Token counts come from the answer (the runner's usage; the workers' token lists): the
    runner may coalesce several tokens into one SSE event when the client reads slower than
    it generates, so events are not tokens. Each stream's tokens after its first are taken as
    spread evenly between its first and last event."""
    first = [r["token_ms"][0] - r["start_ms"] for r in results]
    firsts = [r["token_ms"][0] for r in results]
    lasts = [r["token_ms"][-1] for r in results]
    counts = [r.get("completion_tokens", len(r["tokens"]) if "tokens" in r else
                    len(r["token_ms"])) for r in results]
    per_stream = [(n - 1) / (b - a) * 1000 for n, a, b in zip(counts, firsts, lasts) if b > a]
    f = {
        "ttft_ms_p50": statistics.median(first),
        "per_stream_tok_s": statistics.median(per_stream) if per_stream else None,
        "generated_tokens": sum(counts),
    }
    if concurrent:
        # Decode window: every stream has its first token, until the last token of all.
        begin, end = max(firsts), max(lasts)
        in_window = sum((n - 1) * max(0.0, min(b, end) - max(a, begin)) / (b - a)
                        for n, a, b in zip(counts, firsts, lasts) if b > a)
        span = end - min(r["start_ms"] for r in results)
        f["decode_tok_s"] = in_window / (end - begin) * 1000 if end > begin else None
        f["decode_window_share"] = (end - begin) / span if span else None
        f["end_to_end_tok_s"] = sum(counts) / span * 1000
        # Prefill: every prompt token of the scenario up to the last stream's first token.
        f["prefill_tok_s"] = len(results) * prompt_len / (max(firsts) - min(
            r["start_ms"] for r in results)) * 1000
    else:  # single streams one after another: per request, then the median
        f["decode_tok_s"] = f["per_stream_tok_s"]
        f["end_to_end_tok_s"] = statistics.median(
            n / (b - r["start_ms"]) * 1000 for n, b, r in zip(counts, lasts, results))
        f["prefill_tok_s"] = statistics.median(prompt_len / t * 1000 for t in first)
    f["short_streams"] = sum(1 for r in results if r.get("finish") == "stop")
    return f


def summary(values):
    values = [v for v in values if v is not None]
    if not values:
        return None
    return {"median": statistics.median(values), "min": min(values), "max": max(values),
            "n": len(values)}


def loadavg():
    with open("/proc/loadavg") as f:
        return [float(x) for x in f.read().split()[:3]]


# ---------------------------------------------------------------- per model


def agreement(runner, llama, python, prompt, count):
    out = {"steps": count}
    reference = llama.run([prompt], count, False)[0]["tokens"] if llama else None
    if python:
        mine = python.run([prompt], count, False)[0]["tokens"]
        if reference:
            out["python_vs_llamacpp"] = next(
                (i for i, (a, b) in enumerate(zip(mine, reference)) if a != b), count)
        out["python_tokens"] = mine
    if reference:
        # The runner's streamed text against llama.cpp's tokens rendered by the runner's
        # detokenizer: how many leading tokens' text is a prefix of what the runner sent.
        pieces = runner.pieces_of(prompt, reference)
        served = "".join(runner.greedy_pieces(prompt, count))
        out["runner_vs_llamacpp"] = next(
            (k for k in range(count + 1) if not served.startswith("".join(pieces[:k + 1]))
             or k == count), count)
        out["runner_text"] = served
        out["llamacpp_tokens"] = reference
    return out


def bench_model(args, name, model_dir, plan, tmp):
    prompts = make_prompts(max(STREAMS), seed=len(name))
    threads = args.threads
    log(f"{name}: starting contenders ({threads} thread(s) each)")
    runner = Runner(args.build, model_dir, threads, os.path.join(tmp, f"runner-{name}.log"))
    contenders = [runner]
    llama = python = None
    if args.llamacpp:
        llama = Worker("llama.cpp", ["node", os.path.join(HERE, "llamacpp_worker.mjs"),
                                     os.path.join(model_dir, "model.gguf"), str(threads),
                                     str(max(STREAMS)), "512"])
        contenders.append(llama)
    if args.python:
        python = Worker("python-eager", ["/usr/bin/python3", os.path.join(HERE, "py_eager.py"),
                                         model_dir, str(threads)],
                        env={"OMP_WAIT_POLICY": "PASSIVE"})
        contenders.append(python)
    try:
        agree = agreement(runner, llama, python, prompts[0], plan["agree"])
        log(f"{name}: greedy agreement over {plan['agree']} tokens:",
            {k: v for k, v in agree.items() if k.endswith("llamacpp")})
        # Warm-up: one prompt, then the widest concurrent round on 16-token prompts.
        for c in contenders:
            c.run(prompts[:1], 4, False)
            if c is not python:
                c.run([p[:16] for p in prompts], 4, True)
        memory = {c.name: proc_memory(c.pid) for c in contenders}
        raw = []
        for run in range(args.runs):
            for si, streams in enumerate(STREAMS):
                order = contenders[(run + si) % len(contenders):] + contenders[
                    :(run + si) % len(contenders)]
                for c in order:
                    if c is python and streams > 1:
                        continue  # one sequence at a time: no concurrent figure
                    concurrent = streams > 1
                    batch = prompts[:streams] if concurrent else prompts[:plan["single"]]
                    la = loadavg()[0]
                    results = c.run(batch, plan["max_tokens"], concurrent)
                    f = figures(results, PROMPT_LEN, concurrent)
                    raw.append({"run": run, "streams": streams, "contender": c.name,
                                "load1": la, **f})
                    log(f"{name} run {run} {streams:2d} stream(s) {c.name:16s} "
                        f"decode {f['decode_tok_s'] or 0:7.1f} tok/s  prefill "
                        f"{f['prefill_tok_s']:7.1f} tok/s  ttft {f['ttft_ms_p50']:7.1f} ms")
        for c in contenders:
            memory[c.name]["VmHWM"] = proc_memory(c.pid)["VmHWM"]
        info = {"llama.cpp": llama.info if llama else None,
                "python": python.info if python else None}
    finally:
        for c in contenders:
            c.close()
    return {"agreement": agree, "raw": raw, "memory_mib": memory, "info": info,
            "plan": plan, "weights_mib": os.path.getsize(
                os.path.join(model_dir, "model.safetensors")) / 2**20}


def aggregate(result):
    rows = {}
    keys = ("decode_tok_s", "per_stream_tok_s", "prefill_tok_s", "ttft_ms_p50",
            "end_to_end_tok_s")
    for r in result["raw"]:
        rows.setdefault((r["streams"], r["contender"]), []).append(r)
    table = {}
    for (streams, contender), rs in rows.items():
        table[f"{streams}/{contender}"] = {k: summary([r[k] for r in rs]) for k in keys}
        table[f"{streams}/{contender}"]["short_streams"] = sum(r["short_streams"] for r in rs)
    # Ratios within a run, then their median: 16 streams / 1 stream (runner), runner / llama.cpp.
    ratios = {}
    by_run = {}
    for r in result["raw"]:
        by_run.setdefault(r["run"], {})[(r["streams"], r["contender"])] = r["decode_tok_s"]
    for label, num, den in (
        ("runner_16_over_1", (16, "solar-hf-runner"), (1, "solar-hf-runner")),
        ("runner_4_over_1", (4, "solar-hf-runner"), (1, "solar-hf-runner")),
        ("runner_over_llamacpp_1", (1, "solar-hf-runner"), (1, "llama.cpp")),
        ("runner_over_llamacpp_16", (16, "solar-hf-runner"), (16, "llama.cpp")),
        ("llamacpp_16_over_1", (16, "llama.cpp"), (1, "llama.cpp")),
        ("runner_over_python_1", (1, "solar-hf-runner"), (1, "python-eager")),
    ):
        values = [run[num] / run[den] for run in by_run.values()
                  if run.get(num) and run.get(den)]
        ratios[label] = summary(values)
    return table, ratios


# ---------------------------------------------------------------- report


def fmt(s, digits=1):
    if not s:
        return "—"
    m, lo, hi = s["median"], s["min"], s["max"]
    if s["n"] == 1:
        return f"{m:.{digits}f}"
    return f"{m:.{digits}f} ({lo:.{digits}f}–{hi:.{digits}f})"


def write_report(out_dir, report):
    lines = ["# Decoder throughput (issue 6)", "",
             "Written by `bench/decoder/run.sh`; method in bench/README.md, \"Decoder "
             "throughput\". Medians over runs with min–max; ratios taken within a run.", "",
             f"- date {report['date']}, {report['threads']} thread(s) per contender, "
             f"{report['runs']} runs, load average during the run "
             f"{report['load']['min']:.1f}–{report['load']['max']:.1f} (2 shared cores)",
             f"- prompts {PROMPT_LEN} tokens (random ids, BOS first), greedy, EOS not stopping",
             ""]
    for name, m in report["models"].items():
        plan = m["plan"]
        lines += [f"## {name}: {m['params_m']:.1f} M parameters, {m['weights_mib']:.0f} MiB F32",
                  "",
                  f"{plan['max_tokens']} generated tokens per stream; 1 stream = "
                  f"{plan['single']} request(s) one after another per run.", ""]
        a = m["agreement"]
        if "runner_vs_llamacpp" in a:
            lines.append(f"Greedy agreement with llama.cpp over {a['steps']} tokens of prompt 0: "
                         f"solar-hf-runner {a['runner_vs_llamacpp']}/{a['steps']}, Python eager "
                         f"{a.get('python_vs_llamacpp', '—')}/{a['steps']} leading tokens equal.")
            lines.append("")
        lines += ["| streams | contender | decode tok/s (aggregate) | per stream tok/s | "
                  "prefill tok/s | TTFT p50 ms | end-to-end tok/s |",
                  "| ---: | --- | ---: | ---: | ---: | ---: | ---: |"]
        for key, row in m["table"].items():
            streams, contender = key.split("/", 1)
            lines.append(f"| {streams} | {contender} | {fmt(row['decode_tok_s'])} | "
                         f"{fmt(row['per_stream_tok_s'])} | {fmt(row['prefill_tok_s'])} | "
                         f"{fmt(row['ttft_ms_p50'], 0)} | {fmt(row['end_to_end_tok_s'])} |")
        lines += ["", "| ratio (decode tok/s, within a run) | median (min–max) |",
                  "| --- | ---: |"]
        for label, s in m["ratios"].items():
            lines.append(f"| {label} | {fmt(s, 2)} |")
        lines += ["", "| contender | RSS after warm-up MiB (anon + file) | peak VmHWM MiB |",
                  "| --- | ---: | ---: |"]
        for c, mem in m["memory_mib"].items():
            lines.append(f"| {c} | {mem['VmRSS']} ({mem['RssAnon']} + {mem['RssFile']}) | "
                         f"{mem['VmHWM']} |")
        lines.append("")
    lines += ["## Targets", ""]
    for t in report["targets"]:
        lines.append(f"- **{t['target']}: {t['verdict']}** — {t['detail']}")
    lines.append("")
    with open(os.path.join(out_dir, "decoder.md"), "w") as f:
        f.write("\n".join(lines))
    with open(os.path.join(out_dir, "decoder.json"), "w") as f:
        json.dump(report, f, indent=1)
        f.write("\n")


WHY_BATCHING = (
    "decode_step runs the projections, MLP and lm_head of every running sequence as one GEMM "
    "(the weights are read once per step for all streams); attention stays per sequence.")
WHY_SINGLE = (
    "Narrow: with one row per pass libtorch's linear goes to OpenBLAS sgemm with M = 1, which "
    "streams F32 weights at 2-4 GB/s against 8-23 GB/s for sgemv (torch.mv) on this machine "
    "(bench/README.md); Python eager, on the same libtorch, is level with the runner. Closing "
    "it: a gemv path (at::mv) when a pass has a single row.")


def targets(report):
    out = []
    name = "100m" if "100m" in report["models"] else next(iter(report["models"]))
    r = report["models"][name]["ratios"]
    b = r.get("runner_16_over_1")
    if b:
        out.append({"target": f"16-stream decode ≥ 3× single-stream ({name})",
                    "verdict": "met" if b["median"] >= 3 else "missed",
                    "detail": f"{b['median']:.2f}× (runs {b['min']:.2f}–{b['max']:.2f}). "
                    + WHY_BATCHING})
    s = r.get("runner_over_llamacpp_1")
    if s:
        out.append({"target": f"single-stream decode ≥ 0.5× llama.cpp ({name})",
                    "verdict": "met" if s["median"] >= 0.5 else "missed",
                    "detail": f"{s['median']:.2f}× (runs {s['min']:.2f}–{s['max']:.2f}). "
                    + WHY_SINGLE})
    return out


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--build", required=True)
    ap.add_argument("--out")
    ap.add_argument("--smoke", action="store_true")
    ap.add_argument("--runs", type=int, default=3)
    ap.add_argument("--threads", type=int, default=1)
    ap.add_argument("--no-llamacpp", dest="llamacpp", action="store_false")
    ap.add_argument("--no-python", dest="python", action="store_false")
    ap.add_argument("--rewrite", action="store_true",
                    help="rewrite OUT/decoder.md and the targets from OUT/decoder.json")
    args = ap.parse_args()
    if args.rewrite:
        with open(os.path.join(args.out, "decoder.json")) as f:
            report = json.load(f)
        report["targets"] = targets(report)
        write_report(args.out, report)
        return
    with tempfile.TemporaryDirectory(prefix="solar-bench-decoder.") as tmp:
        if args.smoke:
            plans = {"tiny": {"max_tokens": 8, "single": 1, "agree": 8}}
            args.runs = 1
        else:
            plans = {"tiny": {"max_tokens": 128, "single": 4, "agree": 32},
                     "100m": {"max_tokens": 64, "single": 1, "agree": 32}}
        report = {"date": time.strftime("%Y-%m-%d %H:%M UTC", time.gmtime()),
                  "threads": args.threads, "runs": args.runs, "models": {}}
        loads = [loadavg()[0]]
        for name, plan in plans.items():
            model_dir = os.path.join(tmp, name)
            params = models.make_tiny(model_dir) if name == "tiny" else models.make_100m(
                model_dir)
            m = bench_model(args, name, model_dir, plan, tmp)
            m["params_m"] = params / 1e6
            m["table"], m["ratios"] = aggregate(m)
            loads += [r["load1"] for r in m["raw"]]
            report["models"][name] = m
        report["load"] = {"min": min(loads), "max": max(loads)}
        report["targets"] = [] if args.smoke else targets(report)
        if args.smoke:
            log("smoke: ok (figures not kept)")
        for t in report["targets"]:
            log(f"{t['target']}: {t['verdict']} ({t['detail']})")
        if args.out:
            os.makedirs(args.out, exist_ok=True)
            write_report(args.out, report)
            log(f"wrote {args.out}/decoder.md and decoder.json")


if __name__ == "__main__":
    main()
