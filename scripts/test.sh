#!/usr/bin/env bash
# Installs what is missing, builds, and runs every test: formatting check, the test suite in a
# normal build, then again under AddressSanitizer + UndefinedBehaviorSanitizer.
set -euo pipefail
root=$(cd "$(dirname "$0")/.." && pwd)
cd "$root"
bash scripts/install-deps.sh

echo "== clang-format check"
git ls-files '*.cpp' '*.hpp' | xargs clang-format --dry-run --Werror

echo "== build and test (Release)"
bash scripts/build.sh build-test -DCMAKE_BUILD_TYPE=Release
ctest --test-dir build-test --output-on-failure -j 2 --timeout 180

echo "== build and test (ASan + UBSan)"
# -O1 -g1 keeps the sanitizer build's compile time and run time reasonable on two cores.
bash scripts/build.sh build-asan -DCMAKE_BUILD_TYPE=None -DCMAKE_CXX_FLAGS="-O1 -g1" -DSOLAR_SANITIZE=ON
ASAN_OPTIONS=detect_leaks=1:abort_on_error=1 UBSAN_OPTIONS=print_stacktrace=1:halt_on_error=1 \
    ctest --test-dir build-asan --output-on-failure -j 2 --timeout 300
echo "== all tests passed"
