#!/usr/bin/env bash
# The quickstart stack on loopback, from an already built tree:
#   scripts/stack.sh up     solar-control, one solar-host registered with it, and two instances
#                           served by solar-hf-runner (text generation and embeddings); prints
#                           how to use it, then waits in the foreground: Ctrl-C stops it all.
#   scripts/stack.sh stop   stops a stack started from another terminal (same DATA_DIR).
# Running `up` again reuses the data directory: the same keys, host and instances.
#
# Environment (defaults): BUILD_DIR (build), DATA_DIR (./data), CONTROL_PORT (8000),
# HOST_PORT (8001), GEN_PORT / EMBED_PORT (the instances' ports; solar-host picks from 3500 up
# when unset), STACK_DETACH=1 (return once ready, leaving the stack running; stop it with `stop`).
set -euo pipefail
root=$(cd "$(dirname "$0")/.." && pwd)
build=$(cd "${BUILD_DIR:-$root/build}" && pwd)
data=${DATA_DIR:-$root/data}
mkdir -p "$data"
data=$(cd "$data" && pwd)
control_port=${CONTROL_PORT:-8000}
host_port=${HOST_PORT:-8001}
gateway=http://127.0.0.1:$control_port
host_url=http://127.0.0.1:$host_port
run=$data/run
logs=$data/logs

say() { echo "stack: $*"; }
die() { echo "stack: $*" >&2; exit 1; }

# Stops the processes named in $run/*.pid: SIGTERM, then SIGKILL after 20 s. solar-host stops
# its instances on SIGTERM, and they die with it in any case (PR_SET_PDEATHSIG).
stop_all() {
    local pids=() pid file
    for file in "$run"/host.pid "$run"/control.pid; do
        [ -f "$file" ] || continue
        pid=$(cat "$file")
        if kill -0 "$pid" 2>/dev/null; then
            kill -TERM "$pid" 2>/dev/null || true
            pids+=("$pid")
        fi
        rm -f "$file"
    done
    for _ in $(seq 1 200); do
        local alive=0
        for pid in "${pids[@]}"; do kill -0 "$pid" 2>/dev/null && alive=1; done
        [ "$alive" = 0 ] && break
        sleep 0.1
    done
    for pid in "${pids[@]}"; do kill -KILL "$pid" 2>/dev/null || true; done
    [ "${#pids[@]}" -gt 0 ] && say "stopped"
    return 0
}

if [ "${1:-up}" = stop ]; then
    stop_all
    exit 0
fi
[ "${1:-up}" = up ] || die "usage: scripts/stack.sh [up|stop]"

for program in solar-control solar-host solar-hf-runner; do
    [ -x "$build/src/$program" ] || die "$build/src/$program is missing: build first (scripts/build.sh)"
done
command -v curl >/dev/null || die "curl is missing"
command -v python3 >/dev/null || die "python3 is missing"
for file in "$run"/control.pid "$run"/host.pid; do
    if [ -f "$file" ] && kill -0 "$(cat "$file")" 2>/dev/null; then
        die "already running (pid $(cat "$file")); scripts/stack.sh stop ends it"
    fi
done
mkdir -p "$run" "$logs" "$data/host"

# api METHOD URL KEY [BODY]: the response body on 2xx, else the body on stderr and failure.
api() {
    local args=(-sS --fail-with-body -X "$1" "$2" -H "X-API-Key: $3")
    [ $# -ge 4 ] && args+=(-H "Content-Type: application/json" -d "$4")
    curl "${args[@]}"
}
# json EXPR: evaluates a Python expression over the JSON document on stdin (as `d`).
json() { python3 -c "import json, sys; d = json.load(sys.stdin); print($1)"; }
wait_for() {  # wait_for SECONDS DESCRIPTION COMMAND...
    local seconds=$1 what=$2
    shift 2
    for _ in $(seq 1 $((seconds * 10))); do
        "$@" >/dev/null 2>&1 && return 0
        sleep 0.1
    done
    die "timed out after ${seconds}s waiting for $what (logs in $logs)"
}

bash "$root/scripts/quickstart/prepare_models.sh" "$data/models"

trap 'stop_all; exit 130' INT
trap 'stop_all; exit 143' TERM

# The daemons run from their data directories so that a .env elsewhere does not leak in.
(cd "$data" && exec "$build/src/solar-control" --host 127.0.0.1 --port "$control_port" \
    --data-dir "$data" --refresh-interval-ms 2000 >>"$logs/control.log" 2>&1) &
echo $! >"$run/control.pid"
(cd "$data/host" && exec "$build/src/solar-host" --host 127.0.0.1 --port "$host_port" \
    --data-dir "$data/host" --hf-runner-path "$build/src/solar-hf-runner" \
    >>"$logs/host.log" 2>&1) &
echo $! >"$run/host.pid"
wait_for 30 "solar-control on :$control_port" curl -sf "$gateway/health"
wait_for 30 "solar-host on :$host_port" curl -sf "$host_url/health"
key=$(cat "$data/api_key")
host_key=$(cat "$data/host/api_key")

# Register the host once; a second run finds it by URL.
registered=$(api GET "$gateway/hosts" "$key" | json "any(h['url'].rstrip('/') == '$host_url' for h in d)")
if [ "$registered" != True ]; then
    api POST "$gateway/hosts" "$key" \
        "{\"name\": \"local\", \"url\": \"$host_url\", \"api_key\": \"$host_key\"}" >/dev/null
fi

# ensure_instance ALIAS CONFIG_JSON: creates the instance unless one has the alias, then starts it.
ensure_instance() {
    local alias=$1 config=$2 id status
    id=$(api GET "$host_url/instances" "$host_key" |
        json "next((i['id'] for i in d if i['config']['alias'] == '$alias'), '')")
    if [ -z "$id" ]; then
        id=$(api POST "$host_url/instances" "$host_key" "{\"config\": $config}" | json "d['id']")
    fi
    status=$(api GET "$host_url/instances/$id" "$host_key" | json "d['status']")
    if [ "$status" != running ] && [ "$status" != starting ]; then
        api POST "$host_url/instances/$id/start" "$host_key" >/dev/null
    fi
}
instance_key() {  # a key per instance, generated once, kept in the data directory
    local file=$data/host/$1.key
    [ -f "$file" ] || (umask 077 && python3 -c 'import secrets; print(secrets.token_hex(16))' >"$file")
    cat "$file"
}
port_field() { [ -n "${1:-}" ] && echo ", \"port\": $1"; return 0; }
ensure_instance tiny-llama "{\"backend_type\": \"huggingface_causal\", \"model_id\": \"$data/models/tiny-llama\",
    \"alias\": \"tiny-llama\", \"device\": \"cpu\", \"dtype\": \"float32\", \"max_length\": 2048,
    \"host\": \"127.0.0.1\", \"api_key\": \"$(instance_key tiny-llama)\"$(port_field "${GEN_PORT:-}")}"
ensure_instance tiny-embed "{\"backend_type\": \"huggingface_embedding\", \"model_id\": \"$data/models/tiny-embed\",
    \"alias\": \"tiny-embed\", \"device\": \"cpu\", \"dtype\": \"float32\", \"max_length\": 128,
    \"host\": \"127.0.0.1\", \"api_key\": \"$(instance_key tiny-embed)\"$(port_field "${EMBED_PORT:-}")}"

models_ready() {
    api GET "$gateway/v1/models" "$key" |
        json "{m['id'] for m in d['data']} >= {'tiny-llama', 'tiny-embed'} or sys.exit(1)"
}
wait_for 120 "both instances to serve through the gateway" models_ready

cat <<EOF

Solar is running on loopback.
  gateway (OpenAI-compatible): $gateway/v1      API docs: $gateway/docs
  API key: in $data/api_key
  solar-host: $host_url (key in $data/host/api_key); logs in $logs
  models: tiny-llama (chat and completions), tiny-embed (embeddings): tiny random-weight
          models, so the text they write is gibberish; the plumbing is real.

Try:
  KEY=\$(cat $data/api_key)
  curl $gateway/v1/chat/completions -H "Authorization: Bearer \$KEY" -H "Content-Type: application/json" -d '{"model": "tiny-llama", "messages": [{"role": "user", "content": "Hello!"}], "max_tokens": 16}'
  curl -N $gateway/v1/chat/completions -H "Authorization: Bearer \$KEY" -H "Content-Type: application/json" -d '{"model": "tiny-llama", "messages": [{"role": "user", "content": "Hello!"}], "max_tokens": 16, "stream": true}'
  curl $gateway/v1/embeddings -H "Authorization: Bearer \$KEY" -H "Content-Type: application/json" -d '{"model": "tiny-embed", "input": "hello world"}'

EOF

if [ "${STACK_DETACH:-0}" = 1 ]; then
    trap - INT TERM
    say "detached; scripts/stack.sh stop ends it"
    exit 0
fi
say "Ctrl-C stops everything"
# Wait for either daemon to end (Ctrl-C lands in the trap); then take the other one down too.
wait -n || true
say "a daemon exited; stopping the rest"
stop_all
exit 1
