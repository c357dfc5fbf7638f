#!/usr/bin/env bash
# The main job on a fresh machine, with no configuration:
#   loadgen --clients 10000 --write-ratio 0.1 against a local server.
# Until ringkeeper's own server exists (issue 3), the local server is Apache
# ZooKeeper 3.8 from Debian, started by tuning/zkharness.py on 127.0.0.1.
# Arguments, if any, replace loadgen's default ones (--servers is added).
set -euo pipefail
cd "$(dirname "$0")/.."

if [ ! -f /usr/share/java/zookeeper.jar ]; then
  echo "quickstart: installing Apache ZooKeeper (Debian package zookeeper)" >&2
  apt-get update -qq
  DEBIAN_FRONTEND=noninteractive apt-get install -y -qq zookeeper >/dev/null
fi
cargo build --release -p loadgen

port=${LOADGEN_ZK_PORT:-2181}
if python3 tuning/zkharness.py srvr --port "$port" 2>/dev/null | grep -q '^Zookeeper version\|^Mode:'; then
  echo "quickstart: something already answers on 127.0.0.1:$port; stop it or set LOADGEN_ZK_PORT" >&2
  exit 1
fi
python3 tuning/zkharness.py standalone --port "$port" >&2 &
zookeeper=$!
trap 'kill "$zookeeper" 2>/dev/null || true; wait "$zookeeper" 2>/dev/null || true' EXIT

for _ in $(seq 1 120); do
  kill -0 "$zookeeper" 2>/dev/null || { echo "quickstart: ZooKeeper did not start" >&2; exit 1; }
  if python3 tuning/zkharness.py srvr --port "$port" 2>/dev/null | grep -q '^Mode:'; then
    break
  fi
  sleep 0.5
done

if [ $# -eq 0 ]; then
  set -- --clients 10000 --write-ratio 0.1
fi
./target/release/loadgen --servers "127.0.0.1:$port" "$@"
