#!/usr/bin/env python3
"""Aggregates bench/run.sh's raw JSON files into results.json and results.md.

Every figure is the median over the runs, with the spread (min-max) beside it. "Added" figures
are computed per run (proxy minus direct in the same round) and then aggregated the same way.
"""
import glob
import json
import os
import platform
import statistics
import subprocess
import sys
import time

raw, out_dir, runs, duration = sys.argv[1], sys.argv[2], int(sys.argv[3]), sys.argv[4]
PATHS = ["direct", "nginx", "control"]


def load(name, path):
    files = sorted(glob.glob(os.path.join(raw, f"{name}.{path}.*.json")),
                   key=lambda f: int(f.rsplit(".", 2)[1]))
    return [json.load(open(f)) for f in files]


def dig(doc, keys):
    for k in keys.split("."):
        doc = doc[k]
    return doc


def agg(values):
    values = [v for v in values if v is not None]
    if not values:
        return None
    return {"median": statistics.median(values), "min": min(values), "max": max(values),
            "runs": len(values)}


def metric(name, keys, path, scale=1.0):
    return agg([dig(d, keys) * scale for d in load(name, path)])


def added(name, keys, path):
    base = [dig(d, keys) for d in load(name, "direct")]
    over = [dig(d, keys) for d in load(name, path)]
    return agg([o - b for o, b in zip(over, base)])


def ratio(name, keys, num, den):
    a = [dig(d, keys) for d in load(name, num)]
    b = [dig(d, keys) for d in load(name, den)]
    return agg([x / y for x, y in zip(a, b) if y])


results = {"machine": {}, "latency": {}, "throughput": {}, "sse": {}, "memory": {},
           "routing": {}, "refresh": {}}
results["machine"] = {
    "cpus": os.cpu_count(), "kernel": platform.release(),
    "cpu_model": next((l.split(":", 1)[1].strip() for l in open("/proc/cpuinfo")
                       if l.startswith("model name")), "?"),
    "runs": runs, "seconds_per_load_figure": float(duration),
    "date": time.strftime("%Y-%m-%d %H:%M UTC", time.gmtime()),
    "pinning": "proxy (nginx 1 worker / solar-control THREADS=1) alone on CPU 1; "
               "clients and stand-in on CPU 0",
}
for rate in (1000, 5000):
    r = results["latency"][str(rate)] = {}
    for p in PATHS:
        r[p] = {q: metric(f"latency_{rate}", f"latency_ms.{q}", p) for q in ("p50", "p99")}
        r[p]["errors"] = metric(f"latency_{rate}", "errors", p)
        r[p]["achieved_rps"] = metric(f"latency_{rate}", "achieved_rps", p)
        if p != "direct":
            r[p]["added_p50"] = added(f"latency_{rate}", "latency_ms.p50", p)
            r[p]["added_p99"] = added(f"latency_{rate}", "latency_ms.p99", p)
for p in PATHS:
    results["throughput"][p] = {k: metric("throughput", k, p)
                                for k in ("rps", "p50_ms", "p99_ms", "server_cpu", "non_2xx")}
results["throughput"]["control_vs_nginx"] = ratio("throughput", "rps", "control", "nginx")
for p in PATHS:
    s = results["sse"][p] = {
        "ttfb_p50_ms": metric("sse_ttfb", "ttfb_ms.p50", p),
        "ttfb_p99_ms": metric("sse_ttfb", "ttfb_ms.p99", p),
        "events_per_s_1000": metric("sse_1000", "events_per_s", p),
        "lag_p50_ms_1000": metric("sse_1000", "lag_ms.p50", p),
        "lag_p99_ms_1000": metric("sse_1000", "lag_ms.p99", p),
        "max_events_per_read_1000": metric("sse_1000", "max_events_per_read", p),
        "events_per_read_1000": metric("sse_1000", "events_per_read", p),
        "failed_1000": metric("sse_1000", "failed", p),
        "rss_mb_1000": metric("sse_1000", "rss_max_kb", p, 1 / 1024),
    }
    if p != "direct":
        s["ttfb_added_ms"] = added("sse_ttfb", "ttfb_ms.p50", p)
m = results["memory"]
for p in ("nginx", "control"):
    m[p] = {
        "idle_mb": metric("rss_idle", "rss_kb", p, 1 / 1024),
        "streams_1000_mb": results["sse"][p]["rss_mb_1000"],
        "idle_10k_mb": metric("idle_10k", "rss_held_kb", p, 1 / 1024),
        "idle_10k_opened": metric("idle_10k", "opened_ok", p),
        "idle_10k_reused_after_hold": metric("idle_10k", "reuse_ok", p),
    }
m["control"]["after_all_runs_mb"] = metric("rss_after", "rss_kb", "control", 1 / 1024)
errors_file = os.path.join(raw, "control_errors.txt")
m["control"]["error_log_lines"] = int(open(errors_file).read().split()[0] or 0) \
    if os.path.exists(errors_file) and open(errors_file).read().strip() else 0

bench = json.load(open(os.path.join(raw, "routing.json")))
by_name = {}
for b in bench["benchmarks"]:
    if b.get("run_type") == "iteration":
        by_name.setdefault(b["run_name"], []).append(b)
for name, items in by_name.items():
    unit = {"ns": 1, "us": 1e3, "ms": 1e6}[items[0]["time_unit"]]
    results["routing"][name] = {
        "ns": agg([i["cpu_time"] * unit for i in items]),
        "candidates": items[0].get("candidates"),
    }
refresh = load("refresh", "control")
results["refresh"] = refresh[0] if refresh else {}

os.makedirs(out_dir, exist_ok=True)
json.dump(results, open(os.path.join(out_dir, "results.json"), "w"), indent=2)


def fmt(a, digits=3, unit=""):
    if a is None:
        return "n/a"
    med, lo, hi = a["median"], a["min"], a["max"]
    f = f"{{:.{digits}f}}"
    if a["runs"] == 1 or lo == hi:
        return f.format(med) + unit
    return f"{f.format(med)}{unit} ({f.format(lo)}–{f.format(hi)})"


def verdict(a, limit, below=True):
    if a is None:
        return "n/a"
    ok = a["median"] <= limit if below else a["median"] >= limit
    return "**met**" if ok else "**missed**"


L = results["latency"]
T = results["throughput"]
S = results["sse"]
M = results["memory"]
R = results["routing"]
F = results["refresh"]
rows = []
for rate in ("1000", "5000"):
    for q in ("p50", "p99"):
        rows.append((f"(1) latency at {int(rate)//1000}k req/s, {q} (ms)",
                     fmt(L[rate]["direct"][q]), fmt(L[rate]["nginx"][q]), fmt(L[rate]["control"][q]),
                     "", ""))
        limit = 0.15 if q == "p50" else 1.0
        rows.append((f"(1) added by the proxy at {int(rate)//1000}k req/s, {q} (ms)", "—",
                     fmt(L[rate]["nginx"][f"added_{q}"]), fmt(L[rate]["control"][f"added_{q}"]),
                     f"≤ {limit}" if rate == "5000" else "",
                     verdict(L[rate]["control"][f"added_{q}"], limit) if rate == "5000" else ""))
rows.append(("(2) max req/s, wrk 64 connections", fmt(T["direct"]["rps"], 0), fmt(T["nginx"]["rps"], 0),
             fmt(T["control"]["rps"], 0), "", ""))
rows.append(("(2) solar-control / nginx req/s", "—", "1", fmt(T["control_vs_nginx"], 2), "≥ 0.9",
             verdict(T["control_vs_nginx"], 0.9, below=False)))
rows.append(("(2) server CPU during the wrk run (cores)", fmt(T["direct"]["server_cpu"], 2),
             fmt(T["nginx"]["server_cpu"], 2), fmt(T["control"]["server_cpu"], 2), "", ""))
rows.append(("(3) SSE time to first event, p50 (ms)", fmt(S["direct"]["ttfb_p50_ms"]),
             fmt(S["nginx"]["ttfb_p50_ms"]), fmt(S["control"]["ttfb_p50_ms"]), "", ""))
rows.append(("(3) SSE time to first event added (ms)", "—", fmt(S["nginx"]["ttfb_added_ms"]),
             fmt(S["control"]["ttfb_added_ms"]), "< 0.5", verdict(S["control"]["ttfb_added_ms"], 0.5)))
rows.append(("(3) 1,000 streams: events/s delivered", fmt(S["direct"]["events_per_s_1000"], 0),
             fmt(S["nginx"]["events_per_s_1000"], 0), fmt(S["control"]["events_per_s_1000"], 0), "", ""))
for q in ("p50", "p99"):
    rows.append((f"(3) 1,000 streams: event lag upstream→client, {q} (ms)",
                 fmt(S["direct"][f"lag_{q}_ms_1000"]), fmt(S["nginx"][f"lag_{q}_ms_1000"]),
                 fmt(S["control"][f"lag_{q}_ms_1000"]), "", ""))
rows.append(("(3) 1,000 streams: events per read, mean / max (1 = unbuffered)",
             f'{fmt(S["direct"]["events_per_read_1000"], 2)} / {fmt(S["direct"]["max_events_per_read_1000"], 0)}',
             f'{fmt(S["nginx"]["events_per_read_1000"], 2)} / {fmt(S["nginx"]["max_events_per_read_1000"], 0)}',
             f'{fmt(S["control"]["events_per_read_1000"], 2)} / {fmt(S["control"]["max_events_per_read_1000"], 0)}',
             "", ""))
rows.append(("(3) 1,000 streams: failed streams", fmt(S["direct"]["failed_1000"], 0),
             fmt(S["nginx"]["failed_1000"], 0), fmt(S["control"]["failed_1000"], 0), "0",
             verdict(S["control"]["failed_1000"], 0)))
rows.append(("(4) RSS idle (MB)", "—", fmt(M["nginx"]["idle_mb"], 1), fmt(M["control"]["idle_mb"], 1),
             "< 40", verdict(M["control"]["idle_mb"], 40)))
rows.append(("(4) RSS with 1,000 streams (MB)", "—", fmt(M["nginx"]["streams_1000_mb"], 1),
             fmt(M["control"]["streams_1000_mb"], 1), "< 150", verdict(M["control"]["streams_1000_mb"], 150)))
rows.append(("(4) RSS holding 10,000 idle keep-alive connections (MB)", "—",
             fmt(M["nginx"]["idle_10k_mb"], 1), fmt(M["control"]["idle_10k_mb"], 1), "", ""))
rows.append(("(4) of 10,000 idle connections: opened / still usable after 5 s", "—",
             f'{fmt(M["nginx"]["idle_10k_opened"], 0)} / {fmt(M["nginx"]["idle_10k_reused_after_hold"], 0)}',
             f'{fmt(M["control"]["idle_10k_opened"], 0)} / {fmt(M["control"]["idle_10k_reused_after_hold"], 0)}',
             "10000 / 10000",
             verdict(M["control"]["idle_10k_reused_after_hold"], 10000, below=False)))
names = {"BM_route_decision/100/0/2": "100 aliases × 20 instances, all hosts idle",
         "BM_route_decision/100/1/2": "100 aliases × 20 instances, half the hosts busy",
         "BM_route_decision/100/2/2": "100 aliases × 20 instances, every host busy",
         "BM_route_decision/1/0/2": "1 alias × 2,000 instances, all idle",
         "BM_route_decision/1/1/2": "1 alias × 2,000 instances, half busy",
         "BM_route_decision/1/2/2": "1 alias × 2,000 instances on 100 hosts, every host busy (loads compared host by host)",
         "BM_route_decision/1/2/1": "1 alias × 2,000 instances, every host busy, every candidate's load read (previous round)",
         "BM_route_decision/1/1/0": "1 alias × 2,000 instances, half busy, loads looked up by host id (previous design)",
         "BM_route_decision/1/2/0": "1 alias × 2,000 instances, every host busy, loads looked up by host id (previous design)"}
for name, label in names.items():
    if name in R:
        # The by-host-id and per-candidate rows are earlier designs, shown for the ratio.
        previous = not name.endswith("/2")
        rows.append((f"(5) routing decision, {label} (ns)", "—", "—", fmt(R[name]["ns"], 0),
                     "" if previous else "< 2000", "" if previous else verdict(R[name]["ns"], 2000)))
if "BM_lease" in R:
    rows.append(("(5) load lease acquire + release (ns)", "—", "—", fmt(R["BM_lease"]["ns"], 0), "", ""))
if "BM_refresh_parse_and_build" in R:
    rows.append(("(6) refresh CPU in-process: parse 100 bodies + build table (ms)", "—", "—",
                 fmt({k: (v / 1e6 if k != "runs" else v) for k, v in R["BM_refresh_parse_and_build"]["ns"].items()}, 2),
                 "", ""))
if F:
    rows.append(("(6) refresh of 100 hosts: poll round span (ms)", "—", "—", f'{F["poll_span_ms"]:.1f}', "", ""))
    rows.append(("(6) refresh of 100 hosts: gateway CPU per refresh (ms)", "—", "—",
                 f'{F["cpu_ms_per_refresh"]:.1f}', "", ""))

md = [f"# Benchmark results ({results['machine']['date']})", "",
      f"{results['machine']['cpus']} CPUs ({results['machine']['cpu_model']}), kernel "
      f"{results['machine']['kernel']}; {runs} runs, {duration} s per load figure; "
      f"{results['machine']['pinning']}. Median of the runs, (min–max) after it.", "",
      "| scenario | direct | nginx | solar-control | target | |", "|---|---|---|---|---|---|"]
md += ["| " + " | ".join(r) + " |" for r in rows]
open(os.path.join(out_dir, "results.md"), "w").write("\n".join(md) + "\n")
print("\n".join(md))
