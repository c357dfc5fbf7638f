#!/usr/bin/env python3
"""Stand-in for target/release/loadgen, for testing compare.py's plumbing.

Accepts loadgen's CLI, opens (and closes) one real ZooKeeper session on each
server of --servers so a wrong connect string shows up, sleeps for
warmup+duration (times $FAKE_LOADGEN_TIME_SCALE, default 1), then prints one
plausible JSON line. Numbers are made up: never use them as results.

$FAKE_LOADGEN_FAIL_CLIENTS=N,M makes runs with those --clients exit 1.
"""
import argparse
import json
import os
import random
import sys
import time

sys.path.insert(0, os.path.join(os.path.dirname(os.path.abspath(__file__)), ".."))
import zkharness  # noqa: E402

ap = argparse.ArgumentParser()
ap.add_argument("--servers", required=True)
ap.add_argument("--clients", type=int, required=True)
ap.add_argument("--write-ratio", type=float, required=True)
ap.add_argument("--outstanding", type=int, default=1)
ap.add_argument("--keys", type=int, default=1000)
ap.add_argument("--value-size", type=int, default=100)
ap.add_argument("--duration", type=float, default=10)
ap.add_argument("--warmup", type=float, default=3)
ap.add_argument("--session-timeout", type=int, default=30000)
ap.add_argument("--rate", type=float)
ap.add_argument("--json", action="store_true")
ap.add_argument("--plot")
a = ap.parse_args()

fail = [int(x) for x in os.environ.get("FAKE_LOADGEN_FAIL_CLIENTS", "").split(",") if x]
if a.clients in fail:
    print("fake loadgen: failing on purpose", file=sys.stderr)
    sys.exit(1)
for hp in a.servers.split(","):
    host, port = hp.rsplit(":", 1)
    zkharness.zk_handshake(int(port), host)
scale = float(os.environ.get("FAKE_LOADGEN_TIME_SCALE", "1"))
time.sleep(a.warmup * scale)
t0 = time.time()
time.sleep(a.duration * scale)
t1 = time.time()
port = int(a.servers.split(",")[0].rsplit(":", 1)[1])
base = 20000 if port < 2281 else 30000
thr = base * min(1.0, 0.2 + a.clients / 100) * (1 - 0.5 * a.write_ratio) * random.uniform(0.95, 1.05)
ops = int(thr * a.duration)
p50 = 1e6 * a.clients / max(thr, 1) * 0.8 + 80


def lat(m):
    return {"p50": p50 * m, "p90": p50 * 1.8 * m, "p99": p50 * 3 * m, "p999": p50 * 5 * m, "max": p50 * 9 * m}


out = {"servers": a.servers, "clients": a.clients, "write_ratio": a.write_ratio, "duration_s": a.duration,
       "ops": ops, "throughput_ops_s": thr,
       "latency_us": {"all": lat(1), "get": lat(0.9), "set": lat(1.5)},
       "errors": {"CONNECTIONLOSS": 0} if a.clients < 1000 else {"CONNECTIONLOSS": 2},
       "sessions_connected": a.clients, "sessions_closed_cleanly": a.clients, "disconnects": 0,
       "session_expiries": 0, "connect_ms": {"p50": 1.0, "p99": 5.0}, "cpu_us_per_op": 9.5,
       "measure_start_unix": t0, "measure_end_unix": t1, "fake": True}
if a.plot:
    with open(a.plot, "w") as f:
        f.write('<svg xmlns="http://www.w3.org/2000/svg" width="100" height="20"><text y="15">fake</text></svg>\n')
print("fake loadgen: some progress line on stdout")
print(json.dumps(out))
