#!/usr/bin/env bash
# The main job on a fresh machine, with no configuration:
#   loadgen --clients 10000 --write-ratio 0.1
# against ringkeeper's embedded default server, which loadgen starts itself
# when no --servers is given (127.0.0.1:2181, data under ./ringkeeper-data).
# Arguments, if any, replace loadgen's default ones.
set -euo pipefail
cd "$(dirname "$0")/.."

cargo build --release -p loadgen
if [ $# -eq 0 ]; then
  set -- --clients 10000 --write-ratio 0.1
fi
exec ./target/release/loadgen "$@"
