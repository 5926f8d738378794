#!/usr/bin/env bash
# Installs every Debian 12 (bookworm) package Solar builds, tests and runs with.
# Idempotent: when everything is present it prints one line and touches nothing.
set -euo pipefail

packages=(
    build-essential cmake ninja-build pkg-config clang-format
    libboost1.81-all-dev          # Asio, Beast, URL (1.74 lacks as_tuple, message_generator)
    nlohmann-json3-dev libspdlog-dev libfmt-dev libcli11-dev
    libsqlite3-dev libssl-dev
    libgoogle-perftools-dev       # tcmalloc_minimal: solar-control's allocator
    libgtest-dev libgmock-dev libbenchmark-dev
    libpcre2-dev libutf8proc-dev  # tokenizers: byte-level BPE split regex, Unicode normalisation
    libtorch-dev                  # solar-hf-runner (1.13.1, CPU)
    libopenblas0-openmp           # without it libtorch's matrix products are ~25 times slower
    python3-torch python3-numpy   # test-only: independent reference outputs for the runner
    wrk nginx-light docker-compose  # benchmarks (bench/) and the compose-file check
    chromium                      # test-only: headless browser test of /docs (tests/browser)
    curl ca-certificates procps openssl sqlite3
)

missing=()
for pkg in "${packages[@]}"; do
    if ! dpkg-query -W -f='${Status}' "$pkg" 2>/dev/null | grep -q "install ok installed"; then
        missing+=("$pkg")
    fi
done

if [ ${#missing[@]} -eq 0 ]; then
    echo "install-deps: all ${#packages[@]} packages present"
    exit 0
fi

sudo_cmd=()
if [ "$(id -u)" -ne 0 ]; then sudo_cmd=(sudo); fi

echo "install-deps: installing ${missing[*]}"
export DEBIAN_FRONTEND=noninteractive
"${sudo_cmd[@]}" apt-get update -qq
"${sudo_cmd[@]}" apt-get install -y -qq --no-install-recommends "${missing[@]}" >/dev/null
echo "install-deps: done"
