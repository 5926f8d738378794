# Sourced by the tests in tests/docs: a temporary directory for a quickstart stack and free
# loopback ports for its daemons and instances, exported for scripts/stack.sh.
#   source stack_env.sh BUILD_DIR NAME     (sets here, root, work; exports the stack's settings)
here=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
root=$(cd "$here/../.." && pwd)
export BUILD_DIR
BUILD_DIR=$(cd "${1:?usage: $0 BUILD_DIR}" && pwd)
work=$(mktemp -d "/tmp/solar-$2.XXXXXX")
free_port() { python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1",0)); print(s.getsockname()[1])'; }
export DATA_DIR=$work/data CONTROL_PORT GEN_PORT EMBED_PORT HOST_PORT
CONTROL_PORT=$(free_port) HOST_PORT=$(free_port) GEN_PORT=$(free_port) EMBED_PORT=$(free_port)
