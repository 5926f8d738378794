#!/usr/bin/env bash
# Runs every benchmark scenario against three paths to the same upstream stand-in (direct,
# nginx, solar-control), RUNS times each, interleaved, and writes bench/results/results.{md,json}.
#
#   bench/run.sh [BUILD_DIR]        (default: build; needs the solar-bench targets built)
#   RUNS=5 DURATION=5 bench/run.sh  (defaults: 3 runs, 5 s per load figure)
#
# Pinning (machines with 2+ cores): the proxy under test (nginx's one worker, solar-control
# with THREADS=1) runs alone on PROXY_CPU; the load generators and the stand-in share
# CLIENT_CPU. Direct runs thus have client and upstream on one core, proxied runs span two.
set -euo pipefail

here=$(cd "$(dirname "$0")" && pwd)
build=$(cd "${1:-$here/../build}" && pwd)
runs=${RUNS:-3}
duration=${DURATION:-5}
results=${RESULTS_DIR:-$here/results}
client_cpu=${CLIENT_CPU:-0}
proxy_cpu=${PROXY_CPU:-1}
if [ "$(nproc)" -lt 2 ]; then proxy_cpu=$client_cpu; fi
key=bench-key

ulimit -n "$(ulimit -Hn)"
if [ "$(ulimit -n)" -lt 12000 ]; then
    echo "run.sh: ulimit -n is $(ulimit -n); 10,000 idle connections need about 12,000" >&2
    exit 1
fi
for tool in wrk nginx curl python3; do
    command -v "$tool" >/dev/null || { echo "run.sh: $tool is missing" >&2; exit 1; }
done

tmp=$(mktemp -d /tmp/solar-bench.XXXXXX)
raw=$tmp/raw
mkdir -p "$raw" "$results"
pids=()
cleanup() {
    for pid in "${pids[@]}"; do kill "$pid" 2>/dev/null || true; done
    wait 2>/dev/null || true
    rm -rf "$tmp"
}
trap cleanup EXIT

free_port() { python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1",0)); print(s.getsockname()[1])'; }
on_client() { taskset -c "$client_cpu" "$@"; }
# Waits until FILE contains a line matching PATTERN; prints the line.
wait_line() {
    local file=$1 pattern=$2
    for _ in $(seq 1 100); do
        if grep -qE "$pattern" "$file" 2>/dev/null; then grep -m1 -E "$pattern" "$file"; return 0; fi
        sleep 0.1
    done
    echo "run.sh: timed out waiting for '$pattern' in $file" >&2
    cat "$file" >&2
    return 1
}
cpu_ticks() { awk '{print $14 + $15}' "/proc/$1/stat"; }

# Starts the stand-in with extra flags; sets standin_pid and standin_port.
start_standin() {
    local out=$tmp/standin.$RANDOM.out
    taskset -c "$client_cpu" "$build/bench/solar-bench-upstream" --port 0 "$@" >"$out" 2>&1 &
    standin_pid=$!
    pids+=("$standin_pid")
    standin_port=$(wait_line "$out" '^listening on' | sed 's/.*://')
    standin_out=$out
}

# Starts solar-control with a fresh data dir; sets control_pid and control_port.
start_control() {
    local dir=$tmp/control.$RANDOM
    mkdir -p "$dir"
    (cd "$dir" && exec env -i PATH="$PATH" API_KEY=$key HOST=127.0.0.1 PORT=0 DATA_DIR="$dir" \
        THREADS=1 LOG_LEVEL=info REFRESH_INTERVAL_MS="${1:-10000}" \
        taskset -c "$proxy_cpu" "$build/src/solar-control" 2>"$dir/stderr.log" >/dev/null) &
    control_pid=$!
    pids+=("$control_pid")
    control_port=$(wait_line "$dir/stderr.log" 'listening on' | sed 's/.*://')
}

add_host() {  # add_host NAME PORT
    curl -sf -o /dev/null "http://127.0.0.1:$control_port/hosts" -H "X-API-Key: $key" \
        -H 'Content-Type: application/json' \
        -d "{\"name\":\"$1\",\"url\":\"http://127.0.0.1:$2\",\"api_key\":\"unused\"}"
}

echo "== setup ($tmp)"
start_standin
upstream_port=$standin_port
start_control
add_host standin "$upstream_port"
for _ in $(seq 1 50); do
    curl -sf "http://127.0.0.1:$control_port/v1/models" -H "X-API-Key: $key" | grep -q '"bench"' && break
    sleep 0.1
done

nginx_prefix=$tmp/nginx
nginx_port=$(free_port)
mkdir -p "$nginx_prefix"
sed -e "s|@PREFIX@|$nginx_prefix|g" -e "s|@PORT@|127.0.0.1:$nginx_port|g" \
    -e "s|@UPSTREAM@|127.0.0.1:$upstream_port|g" "$here/nginx.conf.in" >"$nginx_prefix/nginx.conf"
taskset -c "$proxy_cpu" nginx -p "$nginx_prefix" -c "$nginx_prefix/nginx.conf" -e "$nginx_prefix/error.log" &
nginx_pid=$!
pids+=("$nginx_pid")
for _ in $(seq 1 50); do curl -s -o /dev/null "http://127.0.0.1:$nginx_port/health" && break; sleep 0.1; done
nginx_worker=$(pgrep -P "$nginx_pid" | head -1)

# Idle RSS: the gateway started, one host registered and refreshed, no request served yet.
sleep 1
grep VmRSS "/proc/$control_pid/status" | awk '{print "{\"rss_kb\":"$2"}"}' >"$raw/rss_idle.control.1.json"
grep VmRSS "/proc/$nginx_worker/status" | awk '{print "{\"rss_kb\":"$2"}"}' >"$raw/rss_idle.nginx.1.json"

declare -A url_of=(
    [direct]="http://127.0.0.1:$upstream_port"
    [nginx]="http://127.0.0.1:$nginx_port"
    [control]="http://127.0.0.1:$control_port"
)
declare -A pid_of=([direct]=$standin_pid [nginx]=$nginx_worker [control]=$control_pid)
chat=/v1/chat/completions
auth=(-H "X-API-Key: $key")

for run in $(seq 1 "$runs"); do
    for path in direct nginx control; do
        url=${url_of[$path]}
        echo "== run $run/$runs: $path"
        for rate in 1000 5000; do
            on_client "$build/bench/solar-bench-load" --url "$url$chat" --rate "$rate" \
                --duration "$duration" --warmup 1 --connections 64 "${auth[@]}" \
                >"$raw/latency_$rate.$path.$run.json"
        done
        before=$(cpu_ticks "${pid_of[$path]}")
        on_client wrk -t1 -c64 -d"${duration}s" --latency -s "$here/post.lua" "${auth[@]}" "$url$chat" \
            >"$tmp/wrk.txt"
        after=$(cpu_ticks "${pid_of[$path]}")
        python3 - "$tmp/wrk.txt" "$before" "$after" "$duration" "$(getconf CLK_TCK)" \
            >"$raw/throughput.$path.$run.json" <<'EOF'
import json, re, sys
text = open(sys.argv[1]).read()
def ms(v):
    n, unit = re.match(r"([\d.]+)(\w+)", v).groups()
    return float(n) * {"us": 1e-3, "ms": 1, "s": 1e3}[unit]
rps = float(re.search(r"Requests/sec:\s+([\d.]+)", text).group(1))
lat = dict(re.findall(r"^\s+(50|99)%\s+(\S+)", text, re.M))
errors = re.search(r"Non-2xx or 3xx responses: (\d+)", text)
sock = re.search(r"Socket errors: (.*)", text)
cpu = (int(sys.argv[3]) - int(sys.argv[2])) / int(sys.argv[5]) / float(sys.argv[4])
print(json.dumps({"rps": rps, "p50_ms": ms(lat["50"]), "p99_ms": ms(lat["99"]),
                  "non_2xx": int(errors.group(1)) if errors else 0,
                  "socket_errors": sock.group(1) if sock else "", "server_cpu": cpu}))
EOF
        on_client "$build/bench/solar-bench-sse" --url "$url$chat" --streams 1 --total 300 \
            --chunks 2 --chunk-delay-ms 0 "${auth[@]}" >"$raw/sse_ttfb.$path.$run.json"
        watch=(--watch-pid "${pid_of[$path]}")
        on_client "$build/bench/solar-bench-sse" --url "$url$chat" --streams 1000 --chunks 100 \
            --chunk-delay-ms 10 "${auth[@]}" "${watch[@]}" >"$raw/sse_1000.$path.$run.json"
        if [ "$path" != direct ]; then
            on_client "$build/bench/solar-bench-load" --url "$url/health" --hold 10000 \
                --duration 5 "${watch[@]}" >"$raw/idle_10k.$path.$run.json"
        fi
    done
done
grep VmRSS "/proc/$control_pid/status" | awk '{print "{\"rss_kb\":"$2"}"}' >"$raw/rss_after.control.1.json"
grep -c ' error ' "$tmp"/control.*/stderr.log >"$raw/control_errors.txt" || true

echo "== registry refresh, 100 hosts x 20 instances"
kill "$control_pid" "$nginx_pid"
start_standin --hosts 100 --instances 20 --aliases 20
refresh_standin=$standin_port
read -r -a host_ports <<<"$(grep '^host ports' "$standin_out" | sed 's/^host ports //')"
start_control 1000
for i in "${!host_ports[@]}"; do add_host "host-$i" "${host_ports[$i]}"; done
sleep 3
models=$(curl -sf "http://127.0.0.1:$control_port/v1/models" -H "X-API-Key: $key" | grep -o '"id"' | wc -l)
start_ns=$(python3 -c 'import time; print(time.clock_gettime_ns(time.CLOCK_MONOTONIC))')
before=$(cpu_ticks "$control_pid")
sleep 10
after=$(cpu_ticks "$control_pid")
curl -sf "http://127.0.0.1:$refresh_standin/_bench/stats" >"$tmp/stats.json"
python3 - "$tmp/stats.json" "$start_ns" "$before" "$after" "$(getconf CLK_TCK)" "$models" \
    "$(grep VmRSS /proc/$control_pid/status | awk '{print $2}')" >"$raw/refresh.control.1.json" <<'EOF'
import json, statistics, sys
rounds = [r for r in json.load(open(sys.argv[1]))["rounds"] if r["start_ns"] >= int(sys.argv[2])]
full = [r for r in rounds if r["calls"] == 100]
cpu_s = (int(sys.argv[4]) - int(sys.argv[3])) / int(sys.argv[5])
print(json.dumps({"rounds": len(full), "poll_span_ms": statistics.median([r["span_ms"] for r in full]) if full else 0,
                  "cpu_ms_per_refresh": 1000 * cpu_s / max(1, len(full)), "cpu_share_at_1s": cpu_s / 10,
                  "aliases": int(sys.argv[6]), "rss_kb": int(sys.argv[7])}))
EOF

echo "== routing decision (Google Benchmark)"
on_client "$build/bench/solar-bench-routing" --benchmark_repetitions="$runs" \
    --benchmark_min_time=0.2 --benchmark_format=json >"$raw/routing.json" 2>/dev/null

python3 "$here/report.py" "$raw" "$results" "$runs" "$duration"
echo "== wrote $results/results.md and $results/results.json"
