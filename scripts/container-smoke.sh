#!/usr/bin/env bash
# File: builds the Docker image and smoke-tests it where a container engine runs (`docker info`
# succeeds): start solar-control, wait for /healthz (and the image's HEALTHCHECK), check that a
# bad POST /hosts answers 400, stop it. Where no engine runs it says so and exits 0 without
# claiming a pass. Loopback only: the port is published on 127.0.0.1.
set -euo pipefail
root=$(cd "$(dirname "$0")/.." && pwd)
cd "$root"

engine=${CONTAINER_ENGINE:-docker}
if ! command -v "$engine" >/dev/null 2>&1; then
    echo "container-smoke: NOT RUN: no '$engine' client on this machine (nothing was tested)"
    exit 0
fi
if ! "$engine" info >/dev/null 2>&1; then
    echo "container-smoke: NOT RUN: '$engine info' fails, no container engine is running here" \
        "(nothing was tested)"
    exit 0
fi

image=${SOLAR_IMAGE:-solar:smoke}
name=solar-smoke-$$
host_name=$name-host
key=smoke-$(openssl rand -hex 16)
trap '"$engine" rm -f "$name" "$host_name" >/dev/null 2>&1 || true' EXIT

echo "container-smoke: building $image"
"$engine" build -t "$image" .

echo "container-smoke: starting $name"
"$engine" run -d --name "$name" -e API_KEY="$key" -p 127.0.0.1::8000 "$image" >/dev/null
port=$("$engine" port "$name" 8000/tcp | head -n1 | sed 's/.*://')
base="http://127.0.0.1:$port"

fail() {
    echo "container-smoke: FAILED: $*" >&2
    "$engine" logs "$name" 2>&1 | tail -n 40 >&2
    exit 1
}

for _ in $(seq 1 60); do
    if curl -fsS "$base/healthz" >/dev/null 2>&1; then break; fi
    sleep 0.5
done
curl -fsS "$base/healthz" >/dev/null || fail "/healthz did not answer 200"

# A body without name/url is refused with 400; with the wrong key it is 401 before that.
status=$(curl -s -o /dev/null -w '%{http_code}' "$base/hosts" -H "X-API-Key: $key" \
    -H 'Content-Type: application/json' -d '{"url": 42}')
[ "$status" = 400 ] || fail "POST /hosts with a bad body answered $status, not 400"
status=$(curl -s -o /dev/null -w '%{http_code}' "$base/hosts" -H "X-API-Key: wrong" \
    -H 'Content-Type: application/json' -d '{}')
[ "$status" = 401 ] || fail "POST /hosts with a wrong key answered $status, not 401"

# The image's own HEALTHCHECK (docker/healthcheck.sh) must report healthy.
health=starting
for _ in $(seq 1 40); do
    health=$("$engine" inspect -f '{{.State.Health.Status}}' "$name" 2>/dev/null || echo unknown)
    [ "$health" = healthy ] && break
    sleep 1
done
[ "$health" = healthy ] || fail "the container's HEALTHCHECK says $health"

# The host role starts too and answers its public /health (solar-host has no /healthz).
"$engine" run -d --name "$host_name" -e SOLAR_ROLE=host -e API_KEY="$key" -p 127.0.0.1::8001 \
    --entrypoint /usr/bin/tini "$image" -- /usr/local/bin/entrypoint-host.sh >/dev/null
host_base="http://127.0.0.1:$("$engine" port "$host_name" 8001/tcp | head -n1 | sed 's/.*://')"
for _ in $(seq 1 60); do
    if curl -fsS "$host_base/health" >/dev/null 2>&1; then break; fi
    sleep 0.5
done
curl -fsS "$host_base/health" >/dev/null || fail "solar-host's /health did not answer 200"
"$engine" stop -t 15 "$host_name" >/dev/null

echo "container-smoke: stopping $name"
"$engine" stop -t 15 "$name" >/dev/null
code=$("$engine" inspect -f '{{.State.ExitCode}}' "$name")
[ "$code" = 0 ] || fail "solar-control exited with $code on SIGTERM"
echo "container-smoke: PASSED (image $image: /healthz, HEALTHCHECK, POST /hosts 400/401," \
    "solar-host /health, clean stop)"
