#!/usr/bin/env bash
# The quickstart as a user meets it: scripts/stack.sh up in the foreground (on free ports, in a
# temporary directory), the three curl lines it prints run exactly as printed, Ctrl-C (SIGINT
# to its process group, as a terminal sends it) leaving no process behind, then a second start
# that reuses the data directory (same key, one host, two instances) and `stack.sh stop`.
#   tests/docs/quickstart.sh BUILD_DIR
set -euo pipefail
source "$(dirname "$0")/stack_env.sh" "${1:-}" quickstart-test
fail() { echo "quickstart test: $*" >&2; cat "$work"/stack.*.out >&2 2>/dev/null || true; exit 1; }
leftovers() { pgrep -f "$work" || true; }
cleanup() {
    bash "$root/scripts/stack.sh" stop >/dev/null 2>&1 || true
    pkill -KILL -f "$work" 2>/dev/null || true
    rm -rf "$work"
}
trap cleanup EXIT

# start_stack N: stack.sh up in a new session (its own process group); sets stack_pid.
start_stack() {
    setsid bash "$root/scripts/stack.sh" up >"$work/stack.$1.out" 2>&1 &
    stack_pid=$!
    for _ in $(seq 1 1800); do
        grep -q "Ctrl-C stops everything" "$work/stack.$1.out" && return 0
        kill -0 "$stack_pid" 2>/dev/null || fail "stack.sh exited before it was ready"
        sleep 0.1
    done
    fail "stack.sh was not ready within 180 s"
}
wait_gone() {  # wait_gone PID: the process ends within 30 s
    for _ in $(seq 1 300); do kill -0 "$1" 2>/dev/null || return 0; sleep 0.1; done
    fail "process $1 still running 30 s after the stop"
}

start_stack 1
# The printed lines, exactly: the KEY assignment and the three curls after "Try:".
sed -n '/^Try:/,/^$/p' "$work/stack.1.out" | sed '1d;/^$/d;s/^  //' >"$work/printed.sh"
[ "$(grep -c '^curl ' "$work/printed.sh")" = 3 ] || fail "expected three curl lines, got: $(cat "$work/printed.sh")"
grep -q '^KEY=' "$work/printed.sh" || fail "no KEY line printed"
(cd "$work" && bash -euo pipefail -c 'curl() { command curl --fail-with-body -sS --max-time 60 "$@"; echo; }
'"$(cat "$work/printed.sh")") >"$work/answers.txt" 2>&1 || fail "a printed curl failed: $(cat "$work/answers.txt")"
grep -q '"object":"chat.completion"' "$work/answers.txt" || fail "no chat completion: $(cat "$work/answers.txt")"
grep -q '"object":"chat.completion.chunk"' "$work/answers.txt" || fail "no streamed chunks"
grep -q '^data: \[DONE\]' "$work/answers.txt" || fail "the stream did not end with data: [DONE]"
grep -q '"embedding":\[' "$work/answers.txt" || fail "no embedding: $(cat "$work/answers.txt")"
key_before=$(cat "$DATA_DIR/api_key")

# Ctrl-C: SIGINT to the whole foreground process group.
kill -INT -- "-$stack_pid"
wait_gone "$stack_pid"
sleep 0.5
[ -z "$(leftovers)" ] || fail "processes left after Ctrl-C: $(pgrep -af "$work")"

start_stack 2
[ "$(cat "$DATA_DIR/api_key")" = "$key_before" ] || fail "the second start made a new key"
hosts=$(curl -sf "http://127.0.0.1:$CONTROL_PORT/hosts" -H "X-API-Key: $key_before" |
    python3 -c 'import json, sys; print(len(json.load(sys.stdin)))')
[ "$hosts" = 1 ] || fail "expected the one host after a restart, got $hosts"
instances=$(curl -sf "http://127.0.0.1:$HOST_PORT/instances" -H "X-API-Key: $(cat "$DATA_DIR/host/api_key")" |
    python3 -c 'import json, sys; print(len(json.load(sys.stdin)))')
[ "$instances" = 2 ] || fail "expected the two instances after a restart, got $instances"
bash "$root/scripts/stack.sh" stop >/dev/null
wait_gone "$stack_pid"
sleep 0.5
[ -z "$(leftovers)" ] || fail "processes left after stack.sh stop: $(pgrep -af "$work")"
echo "quickstart test: ok (printed curls answered, Ctrl-C and stop left nothing, restart reused data)"
