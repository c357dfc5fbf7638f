#!/usr/bin/env python3
"""Validate loadgen against the ZooKeeper C client (zkref) on Apache ZooKeeper.

    python3 tuning/validate.py [--clients 100,1000] [--write-ratio 0.1] [--repeats 3]
        [--duration 10] [--warmup 3] [--force-sync yes|no] [--out tuning/results/validate-<UTC>]

Starts one ZooKeeper standalone (zkharness), then for each client count and
each repeat runs loadgen and zkref back to back (alternating, same load
model and parameters) and prints a markdown table of medians with the ratio
loadgen/zkref. Writes validate.md and validate.jsonl into --out. zkref is
built with zk-c-reference/build.sh when missing or older than zkref.c.
If loadgen is not built yet, only zkref runs (and no ratio is given).

ZooKeeper is pinned to CPU 0 and the driver to CPU 1 by default (--pin 0:1;
--pin none to share both cores): on 2 cores a driver that needs more CPU
per op would otherwise leave less to the server and measure less.

zkref runs with --cork by default (one TCP segment per request, as loadgen
writes them): the stock C client writes the length prefix and the body as
two segments, which costs ZooKeeper more per request and would show up as a
difference between the drivers. --zkref-args= runs it stock.
"""

from __future__ import annotations

import argparse
import json
import os
import shlex
import signal
import subprocess
import sys
import time

HERE = os.path.dirname(os.path.abspath(__file__))
sys.path.insert(0, HERE)
import benchlib as bl  # noqa: E402
import zkharness  # noqa: E402


def ensure_zkref(path: str) -> str | None:
    src = os.path.join(HERE, "zk-c-reference", "zkref.c")
    if path == bl.DEFAULT_ZKREF and (not os.path.exists(path) or os.path.getmtime(path) < os.path.getmtime(src)):
        r = subprocess.run(["sh", os.path.join(HERE, "zk-c-reference", "build.sh"), path],
                           capture_output=True, text=True, timeout=120)
        if r.returncode != 0:
            return f"building zkref failed: {(r.stderr or r.stdout).strip()}"
    if not (os.path.isfile(path) and os.access(path, os.X_OK)):
        return f"zkref not found at {path}"
    return None


def main(argv=None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0],
                                 formatter_class=argparse.RawDescriptionHelpFormatter, epilog=__doc__)
    ap.add_argument("--clients", default="100,1000")
    ap.add_argument("--write-ratio", type=float, default=0.1)
    ap.add_argument("--repeats", type=int, default=3)
    ap.add_argument("--duration", type=float, default=10)
    ap.add_argument("--warmup", type=float, default=3)
    ap.add_argument("--force-sync", type=zkharness.parse_bool, default=True, metavar="yes|no")
    ap.add_argument("--port", type=int, default=2181, help="ZooKeeper client port")
    ap.add_argument("--keys", type=int, default=10000)
    ap.add_argument("--value-size", type=int, default=100)
    ap.add_argument("--session-timeout", type=int, default=30000)
    ap.add_argument("--loadgen", default=bl.DEFAULT_LOADGEN)
    ap.add_argument("--zkref", default=bl.DEFAULT_ZKREF)
    ap.add_argument("--pause", type=float, default=1.0)
    ap.add_argument("--pin", type=zkharness.parse_pin,
                    default=zkharness.parse_pin("0:1" if len(os.sched_getaffinity(0)) >= 2 else "none"),
                    metavar="SERVER_CPUS:DRIVER_CPUS|none",
                    help="CPU affinity (default 0:1 = ZooKeeper on CPU 0, the driver on CPU 1, so that the "
                         "drivers' own CPU cost does not change the server's share; none = unpinned)")
    ap.add_argument("--zkref-args", default="--cork",
                    help="zkref flags, given as --zkref-args=... (default --cork: one TCP segment per request, "
                         "like loadgen; --zkref-args= for the C library's stock two-segment writes)")
    ap.add_argument("--out", default=None, help="results folder (default tuning/results/validate-<UTC>)")
    a = ap.parse_args(sys.argv[1:] if argv is None else argv)
    clients = [int(x) for x in a.clients.split(",") if x]
    a.loadgen = os.path.abspath(a.loadgen)
    a.zkref = os.path.abspath(a.zkref)

    err = ensure_zkref(a.zkref)
    if err:
        print(f"error: {err}", file=sys.stderr)
        return 2
    drivers = ["loadgen", "zkref"]
    notes = []
    if not (os.path.isfile(a.loadgen) and os.access(a.loadgen, os.X_OK)):
        msg = f"loadgen not built yet ({a.loadgen}; cargo build --release -p loadgen): running zkref only"
        print(msg, flush=True)
        notes.append(msg)
        drivers = ["zkref"]

    out = a.out or os.path.join(HERE, "results", "validate-" + bl.utc_stamp())
    os.makedirs(out, exist_ok=True)
    jsonl = os.path.join(out, "validate.jsonl")
    cmdline = "python3 " + " ".join(shlex.quote(x) for x in [os.path.relpath(__file__, os.getcwd())] +
                                    (sys.argv[1:] if argv is None else list(argv)))
    facts = bl.machine_facts()
    started = bl.utc_iso()

    def on_term(signum, frame):
        raise KeyboardInterrupt()
    signal.signal(signal.SIGTERM, on_term)

    rows = []
    zk = None
    t_start = time.monotonic()
    try:
        zk = zkharness.start_standalone(a.port, force_sync=a.force_sync, cpus=a.pin[0])
        h = bl.ZkHandle(zk)
        facts["zk version"] = h.version()
        print(f"ZooKeeper {h.version()} standalone at {zk.connect_string} (pid {zk.pids[0]}, "
              f"forceSync={'yes' if a.force_sync else 'no'})", flush=True)
        total = len(clients) * a.repeats * len(drivers)
        n = 0
        for c in clients:
            for rep in range(a.repeats):
                for d in drivers:
                    n += 1
                    binary = a.loadgen if d == "loadgen" else a.zkref
                    cmd = [binary, "--servers", zk.connect_string, "--clients", str(c),
                           "--write-ratio", f"{a.write_ratio:g}", "--outstanding", "1", "--keys", str(a.keys),
                           "--value-size", str(a.value_size), "--duration", f"{a.duration:g}",
                           "--warmup", f"{a.warmup:g}", "--session-timeout", str(a.session_timeout), "--json"]
                    if not h.alive():
                        raise RuntimeError("ZooKeeper died:\n" + h.log_tail())
                    if d == "zkref" and a.zkref_args:
                        cmd += shlex.split(a.zkref_args)
                    row = bl.run_driver(cmd, h, a.warmup + a.duration + bl.connect_allowance(c),
                                        mntr_ports=zk.client_ports, busy_seconds=a.duration, cpus=a.pin[1])
                    row.update({"driver": d, "clients": c, "write_ratio": a.write_ratio, "repeat": rep})
                    rows.append(row)
                    bl.append_jsonl(jsonl, row)
                    res = row.get("result") or {}
                    if row["ok"]:
                        print(f"[{n}/{total}] c={c:<5} {d:8s} rep={rep} {res.get('throughput_ops_s', 0):>10,.0f} ops/s"
                              f" (server counted {bl.fmt(row.get('server_counted_ops_s'), 0)}/s)"
                              f"  p50 {bl.fmt_ms(bl.lat_ms(res, 'all', 'p50'))} ms"
                              f"  p99 {bl.fmt_ms(bl.lat_ms(res, 'all', 'p99'))} ms  err {bl.error_count(res)}"
                              f"  driver {row['driver_cpu_s']:.1f} s CPU  server {bl.fmt(row.get('server_cpu_us_per_op'))} µs/op",
                              flush=True)
                    else:
                        print(f"[{n}/{total}] c={c:<5} {d:8s} rep={rep} FAILED: {row['error'].splitlines()[0][:200]}",
                              flush=True)
                    time.sleep(a.pause)
    except KeyboardInterrupt:
        notes.append("interrupted: results are partial")
        print("interrupted", flush=True)
    except (zkharness.ZkHarnessError, RuntimeError) as e:
        notes.append(f"aborted: {str(e).splitlines()[0]}")
        print(f"error: {e}", file=sys.stderr)
    finally:
        if zk is not None:
            zk.stop()
            zk.cleanup()

    md = ["# loadgen vs ZooKeeper C client (zkref), against Apache ZooKeeper standalone", "",
          "Command:", "", "```", cmdline, "```", "",
          f"Started {started}; {len(rows)} runs in {(time.monotonic() - t_start) / 60:.1f} min. "
          f"Write ratio {a.write_ratio:g}, {a.repeats} repeats, {a.warmup:g} s warmup + {a.duration:g} s measured, "
          f"{a.keys} keys of {a.value_size} B, forceSync={'yes' if a.force_sync else 'no'}, 1 outstanding op per session"
          + (f", zkref flags `{a.zkref_args}`" if a.zkref_args else "")
          + (f", ZooKeeper pinned to CPU {a.pin[0]} and the driver to CPU {a.pin[1]}" if a.pin[0] or a.pin[1] else "")
          + ".",
          ""]
    md += bl.md_table("machine fact", facts)
    md += [f"- {x}" for x in notes]
    if notes:
        md.append("")
    md += ["| clients | driver | ok runs | throughput ops/s (median) | range | server-counted ops/s | "
           "p50 ms | p99 ms | errors | driver CPU µs/op | server CPU µs/op | (window) |",
           "| ---: | --- | ---: | ---: | ---: | ---: | ---: | ---: | --- | ---: | ---: | ---: |"]
    ratios = []
    for c in clients:
        st = {}
        for d in drivers:
            cell = [r for r in rows if r["clients"] == c and r["driver"] == d]
            if not cell:
                continue
            s = st[d] = bl.cell_stats(cell)
            md.append(f"| {c:,} | {d} | {s.ok}/{s.runs} | {bl.fmt(s.thr_med, 0)} | {bl.fmt_range(s.thr)} | "
                      f"{bl.fmt(bl.med(s.server_counted), 0)} | {bl.fmt_ms(bl.med(s.p50))} | {bl.fmt_ms(bl.med(s.p99))} | {bl.fmt_errors(s)} | "
                      f"{bl.fmt(bl.med(s.driver_cpu_us_op), 1)} | {bl.fmt(bl.med(s.cpu_us_op), 1)} | "
                      f"{bl.fmt(bl.med(s.cpu_us_op_window), 1)} |")
        if "loadgen" in st and "zkref" in st:
            lg, zr = st["loadgen"], st["zkref"]
            r_thr = lg.thr_med / zr.thr_med if lg.thr_med and zr.thr_med else None
            p50l, p50z = bl.med(lg.p50), bl.med(zr.p50)
            r_p50 = p50l / p50z if p50l and p50z else None
            r_p99 = lg.p99_med / zr.p99_med if lg.p99_med and zr.p99_med else None
            ratios.append((c, r_thr, r_p50, r_p99))
    md.append("")
    if ratios:
        md += ["| clients | loadgen/zkref throughput | loadgen/zkref p50 | loadgen/zkref p99 |",
               "| ---: | ---: | ---: | ---: |"]
        for c, rt, r50, r99 in ratios:
            md.append(f"| {c:,} | {bl.fmt(rt, 2)} | {bl.fmt(r50, 2)} | {bl.fmt(r99, 2)} |")
        md.append("")
    md.append("Server-counted ops/s = ZooKeeper's own request counter (mntr zk_packets_received, sampled "
              "every 0.5 s and interpolated): over the driver's measurement window when the driver prints it "
              "(zkref does), else over the busiest contiguous `duration` seconds of the run (leans high under "
              "noise). It checks the drivers' op counting independently of either driver.")
    md.append("")
    md.append("Driver CPU µs/op = the driver process's own CPU time (whole run, including key creation, "
              "connecting and closing) / measured ops: on 2 cores the driver competes with the server, so a "
              "hungrier driver lowers the server's throughput. Server CPU µs/op = ZooKeeper's CPU time over the "
              "whole driver run / measured ops; (window) = only the measurement window, for drivers that print "
              "its timestamps (zkref does).")
    text = "\n".join(md) + "\n"
    with open(os.path.join(out, "validate.md"), "w") as f:
        f.write(text)
    print()
    print(text)
    print(f"written to {os.path.join(out, 'validate.md')}")
    left = zkharness.leftover_java_pids()
    if left:
        print(f"warning: ZooKeeper JVMs still running: {left}", file=sys.stderr)
    return 0 if rows and all(r["ok"] for r in rows) else 1


if __name__ == "__main__":
    sys.exit(main())
