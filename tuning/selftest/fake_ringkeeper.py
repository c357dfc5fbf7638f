#!/usr/bin/env python3
"""Stand-in for target/release/ringkeeper, for testing compare.py's plumbing.

Takes the default standalone argument template of compare.py
(--listen HOST:PORT --data-dir DIR --fsync true|false) and serves it with a
real Apache ZooKeeper through zkharness (so its "server CPU" is the Python
wrapper's, not meaningful). Ensemble arguments (--id/--peers) are refused
with exit code 2, which exercises compare.py's start-failure path.

Given a zoo.cfg instead (ringkeeper's real command line, `fake_ringkeeper.py
zoo.cfg`), it starts no JVM: a small Python stub on clientPortAddress:
clientPort answers the ZooKeeper handshake (a ConnectResponse with a new
session id), closeSession, and the four-letter words mntr/srvr/ruok, which
is all the tuning scripts' readiness probes, samplers and fake_loadgen.py
touch. It prints the zoo.cfg keys it read and a "txn log in DIR: ..." line
as the real server does at start, and warns
"zoo.cfg line N: KEY: unknown key, ignored" (the real server's wording) for
each key named in $FAKE_RINGKEEPER_UNKNOWN_KEYS (comma list), so a script's
check for ignored settings can be tested. Used by groupcommit.py --selftest.
"""
import argparse
import os
import sys

sys.path.insert(0, os.path.join(os.path.dirname(os.path.abspath(__file__)), ".."))
import zkharness  # noqa: E402



def serve_stub(cfg_path: str) -> int:
    import socketserver
    import struct
    import threading

    keys = {}
    with open(cfg_path) as f:
        for n, line in enumerate(f, 1):
            line = line.strip()
            if line and not line.startswith("#") and "=" in line:
                k, v = line.split("=", 1)
                keys[k.strip()] = (n, v.strip())
    unknown = [k for k in os.environ.get("FAKE_RINGKEEPER_UNKNOWN_KEYS", "").split(",") if k]
    for k in unknown:
        if k in keys:
            print(f"zoo.cfg line {keys[k][0]}: {k}: unknown key, ignored", flush=True)
    print("fake ringkeeper (stub): zoo.cfg " + " ".join(f"{k}={v}" for k, (_n, v) in keys.items()), flush=True)
    # the real server's start-up line about its txn log, in the same form
    log_keys = " ".join(f"{k}={v}" for k, (_n, v) in keys.items() if k.startswith("ringkeeper.") or k == "preAllocSize")
    print(f"ringkeeper: txn log in {keys.get('dataDir', (0, '?'))[1]}: stub, no log; {log_keys}", flush=True)
    host = keys.get("clientPortAddress", (0, zkharness.HOST))[1]
    port = int(keys["clientPort"][1])
    lock = threading.Lock()
    counters = {"packets": 0, "session": 0}

    recv_exact = zkharness._recv_exact

    class Handler(socketserver.BaseRequestHandler):
        def handle(self):
            s = self.request
            try:
                head = recv_exact(s, 4)
                if head.isalpha():  # a four-letter word
                    with lock:
                        n = counters["packets"]
                    answers = {b"ruok": "imok",
                               b"srvr": "Zookeeper version: fake-ringkeeper\nMode: standalone\n",
                               b"mntr": f"zk_version\tfake-ringkeeper\nzk_packets_received\t{n}\n"}
                    s.sendall(answers.get(head, "").encode())
                    return
                (n,) = struct.unpack(">i", head)
                recv_exact(s, n)  # ConnectRequest: not looked at
                with lock:
                    counters["session"] += 1
                    counters["packets"] += 1
                    sid = counters["session"]
                body = struct.pack(">iiqi16s?", 0, 10000, sid, 16, b"\0" * 16, False)
                s.sendall(struct.pack(">i", len(body)) + body)
                while True:
                    (n,) = struct.unpack(">i", recv_exact(s, 4))
                    xid, op = struct.unpack(">ii", recv_exact(s, n)[:8])
                    with lock:
                        counters["packets"] += 1
                    s.sendall(struct.pack(">iiqi", 16, xid, 1, 0))  # ReplyHeader(xid, zxid 1, ok)
                    if op == -11:  # closeSession
                        return
            except (OSError, ConnectionError, struct.error):
                return

    socketserver.ThreadingTCPServer.allow_reuse_address = True
    socketserver.ThreadingTCPServer.daemon_threads = True
    with socketserver.ThreadingTCPServer((host, port), Handler) as srv:
        srv.serve_forever()
    return 0


if len(sys.argv) == 2 and not sys.argv[1].startswith("-"):
    sys.exit(serve_stub(sys.argv[1]))
ap = argparse.ArgumentParser()
ap.add_argument("--listen")
ap.add_argument("--data-dir")
ap.add_argument("--fsync", default="true")
ap.add_argument("--id")
ap.add_argument("--peers")
ap.add_argument("--version", action="store_true")
a = ap.parse_args()
if a.version:
    print("fake-ringkeeper 0.0 (zookeeper inside)")
    sys.exit(0)
if a.id or a.peers:
    print("fake ringkeeper: ensemble mode not supported", file=sys.stderr)
    sys.exit(2)
port = int(a.listen.rsplit(":", 1)[1])
sys.exit(zkharness.main(["standalone", "--port", str(port), "--force-sync",
                         "yes" if a.fsync == "true" else "no", "--base-dir", a.data_dir]))
