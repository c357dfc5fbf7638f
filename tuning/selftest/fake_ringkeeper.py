#!/usr/bin/env python3
"""Stand-in for target/release/ringkeeper, for testing compare.py's plumbing.

Takes the default standalone argument template of compare.py
(--listen HOST:PORT --data-dir DIR --fsync true|false) and serves it with a
real Apache ZooKeeper through zkharness (so its "server CPU" is the Python
wrapper's, not meaningful). Ensemble arguments (--id/--peers) are refused
with exit code 2, which exercises compare.py's start-failure path.
"""
import argparse
import os
import sys

sys.path.insert(0, os.path.join(os.path.dirname(os.path.abspath(__file__)), ".."))
import zkharness  # noqa: E402

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
