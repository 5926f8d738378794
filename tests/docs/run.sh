#!/usr/bin/env bash
# Runs every curl example of README.md and docs/**/*.md (tests/docs/extract_examples.py) against
# a quickstart stack (scripts/stack.sh) started on free loopback ports in a temporary directory,
# so that the documentation cannot drift from the programs. The examples' localhost:8000 and
# :8001 are pointed at that stack's ports; each curl must get a 2xx answer.
#   tests/docs/run.sh BUILD_DIR
set -euo pipefail
source "$(dirname "$0")/stack_env.sh" "${1:-}" docs-test
export STACK_DETACH=1
cleanup() {
    bash "$root/scripts/stack.sh" stop >/dev/null 2>&1 || true
    rm -rf "$work"
}
trap cleanup EXIT

if ! bash "$root/scripts/stack.sh" up >"$work/stack.out" 2>&1; then
    cat "$work/stack.out" "$DATA_DIR"/logs/*.log >&2 || true
    exit 1
fi

docs=("$root/README.md")
while IFS= read -r file; do docs+=("$file"); done < <(
    find "$root/docs" -name '*.md' -not -path '*/node_modules/*' | sort)
python3 "$here/extract_examples.py" "${docs[@]}" >"$work/examples.raw.sh"
sed -e "s#localhost:8000#127.0.0.1:$CONTROL_PORT#g" -e "s#127.0.0.1:8000#127.0.0.1:$CONTROL_PORT#g" \
    -e "s#localhost:8001#127.0.0.1:$HOST_PORT#g" -e "s#127.0.0.1:8001#127.0.0.1:$HOST_PORT#g" \
    "$work/examples.raw.sh" >"$work/examples.sh"
count=$(grep -c "^echo '--- " "$work/examples.sh" || true)
if [ "$count" -lt 3 ]; then
    echo "docs test: only $count curl example(s) found; the quickstart alone has three" >&2
    exit 1
fi
# Each curl fails on an HTTP error status, prints the body it got either way, and may not hang.
cd "$work"
prelude='curl() { command curl --fail-with-body --max-time 60 "$@"; echo; }'
if ! bash -c "$prelude"$'\n'"$(cat "$work/examples.sh")" >"$work/examples.out" 2>&1; then
    cat "$work/examples.out" >&2
    echo "docs test: an example failed (above); logs:" >&2
    tail -n 20 "$DATA_DIR"/logs/*.log >&2 || true
    exit 1
fi
cat "$work/examples.out"
