#!/usr/bin/env python3
"""Write latency while a snapshot of a large tree is taken: ringkeeper vs
Apache ZooKeeper 3.8 (issue 4, Performance B: p99.9 under 50 ms during it).

Each run starts a server on a fresh copy of restart.py's prepared data
(default 1,000,000 znodes of 100 B), with a snapCount chosen so that the
first background snapshot starts a few seconds into the measured window,
and drives an open-loop setData load with loadgen (`--mix set=1 --rate R`,
latency counted from each op's intended send time). The snapshot's start
and end come from the server's log: ZooKeeper's `Snapshotting: 0x..` and
`Snapshot taken in N ms` lines (log4j timestamps), ringkeeper's `snapshot
... written: ..., N ms` line (time of arrival on its stderr; start = end - N).

The per-second p50/p99/p99.9 and ops/s come from loadgen's --json
("seconds"). A second counts as "during the snapshot"
when it overlaps [start, end + 1 s] (an op delayed by the snapshot completes,
and is counted, after it); the others of the measured window are "outside".
The p99.9 of a window is reported as the largest per-second p99.9 in it: the
p99.9 of a union of seconds is at most the largest of theirs, so this is an
upper bound; the max is the whole run's.

    python3 tuning/snapshot_pause.py [--znodes 1000000] [--repeats 3] [--rate 5000] [--out DIR]
    python3 tuning/snapshot_pause.py --znodes 20000 --txns 2000 --repeats 1    # development size

Python 3.11 standard library only.
"""

from __future__ import annotations

import argparse
import datetime as _dt
import os
import re
import shutil
import statistics
import subprocess
import sys
import time

HERE = os.path.dirname(os.path.abspath(__file__))
sys.path.insert(0, HERE)
import benchlib  # noqa: E402
import restart  # noqa: E402
import svgchart  # noqa: E402
import zkharness  # noqa: E402

LOADGEN_KEYS = 10_000
# A second overlapping [snapshot start, snapshot end + this] is "during".
DURING_TAIL_S = 1.0
SNAPSHOT_END_WAIT_S = 120.0
TARGET_P999_MS = 50.0


# --------------------------------------------------------------------------
# snapshot windows from the servers' logs
# --------------------------------------------------------------------------

_ZK_TS = re.compile(r"^(\d{4}-\d\d-\d\d \d\d:\d\d:\d\d,\d{3}) ")
_ZK_SNAP_START = re.compile(r"Snapshotting: 0x([0-9a-f]+)")
_ZK_SNAP_END = re.compile(r"Snapshot taken in (\d+) ms")
_RK_SNAP = re.compile(r"snapshot (\S+) written: (\d+) nodes, (\d+) bytes, (\d+) ms")


def _zk_time(stamp: str) -> float:
    # log4j's ISO8601 layout is the JVM's local time, as is Python's
    return _dt.datetime.strptime(stamp, "%Y-%m-%d %H:%M:%S,%f").timestamp()


def zk_snapshots(log_path: str, after_unix: float) -> list[dict]:
    out, cur = [], None
    with open(log_path, errors="replace") as f:
        for line in f:
            m = _ZK_TS.match(line)
            if not m:
                continue
            t = _zk_time(m.group(1))
            if t < after_unix:
                continue
            if s := _ZK_SNAP_START.search(line):
                cur = {"start_unix": t, "zxid": "0x" + s.group(1)}
            elif (e := _ZK_SNAP_END.search(line)) and cur:
                cur.update(end_unix=t, took_ms=int(e.group(1)))
                out.append(cur)
                cur = None
    if cur:
        out.append(cur)  # started, not finished when the log was read
    return out


def rk_snapshots(lines: list[tuple[float, str]], after_unix: float) -> list[dict]:
    out = []
    for t, line in lines:
        if t >= after_unix and (m := _RK_SNAP.search(line)):
            ms = int(m.group(4))
            out.append({"start_unix": t - ms / 1000.0, "end_unix": t, "took_ms": ms,
                        "file": m.group(1), "nodes": int(m.group(2)), "bytes": int(m.group(3))})
    return out


# --------------------------------------------------------------------------
# one run
# --------------------------------------------------------------------------

def choose_snap_count(rate: float, clients: int, warmup_s: float, first_after_s: float) -> int:
    """snapCount such that the first snapshot starts between `first_after_s`
    and about twice that after measuring starts: both servers start one after
    snapCount/2 + rand(snapCount/2) logged txns, counted from their start;
    loadgen's setup logs a createSession per client and its keys first."""
    setup = clients + LOADGEN_KEYS + 1 + 16 + 1
    return int(2 * (setup + rate * (warmup_s + first_after_s)))


def parse_variants(specs: list[str]) -> dict[str, dict]:
    """`--rk-variant NAME:KEY=VALUE[,KEY=VALUE...]` -> {"ringkeeper[NAME]": {KEY: VALUE}}."""
    out = {}
    for spec in specs:
        name, sep, pairs = spec.partition(":")
        cfg = dict(p.split("=", 1) for p in pairs.split(",") if "=" in p)
        if not sep or not name or not cfg:
            raise SystemExit(f"--rk-variant {spec!r}: expected NAME:KEY=VALUE[,KEY=VALUE...]")
        out[f"ringkeeper[{name}]"] = cfg
    return out


def run_once(label: str, ds: restart.Dataset, run_dir: str, a, rep: int, runs_dir: str) -> dict:
    """One run of server `label`: "zk", "ringkeeper", or a ringkeeper variant
    ("ringkeeper[NAME]", with its extra zoo.cfg lines from --rk-variant)."""
    kind = "zk" if label == "zk" else "ringkeeper"
    data = os.path.join(run_dir, "data")
    work = os.path.join(run_dir, "work")
    os.makedirs(work, exist_ok=True)
    restart.copy_dir(ds.zk if kind == "zk" else ds.rk, data)
    if a.snapshot_only:  # drop the logged txns: the same tree, as import-zk left it, and an empty log
        logs = os.path.join(data, "version-2") if kind == "zk" else data
        for f in os.listdir(logs):
            if f.startswith("log."):
                os.remove(os.path.join(logs, f))
    settled = restart.settle_disk(run_dir)
    snap_count = a.snap_count or choose_snap_count(a.rate, a.clients, a.warmup, a.first_after)
    row = {"server": label, "repeat": rep, "snap_count": snap_count, "ok": False, "error": None,
           "extra_cfg": a.variants.get(label, {}), "disk_settle": settled}
    port = restart.ZK_PORT if kind == "zk" else restart.RK_PORT
    if kind == "zk":
        server = restart.zk_cluster(data, work, snap_count, a.zk_heap)
    else:
        server = restart.RkServer(os.path.abspath(a.ringkeeper), data, work, snap_count,
                                  extra_cfg=a.variants.get(label))
    server.spawn()
    pids = server.pids
    name = f"{label}-{rep}".replace("[", "-").replace("]", "")
    plot = os.path.join(runs_dir, f"{name}-loadgen.svg")
    try:
        server.wait_ready(restart.RESTART_TIMEOUT_S)
        ready_unix = time.time()
        row["rss_before_bytes"] = zkharness.proc_rss(pids[0])["rss"]
        cmd = [os.path.abspath(a.loadgen), "--servers", f"{zkharness.HOST}:{port}", "--clients", str(a.clients),
               "--mix", "set=1", "--rate", str(a.rate), "--outstanding", "1", "--keys", str(LOADGEN_KEYS),
               "--value-size", str(ds.value_size), "--duration", str(a.duration), "--warmup", str(a.warmup),
               "--session-timeout", "30000", "--json", "--plot", plot]
        row["loadgen_command"] = " ".join(cmd)
        cpu0 = sum(zkharness.proc_cpu_seconds(p) for p in pids)
        p = subprocess.run(cmd, capture_output=True, text=True,
                           timeout=a.warmup + a.duration + benchlib.connect_allowance(a.clients))
        row["server_cpu_s"] = round(sum(zkharness.proc_cpu_seconds(p) for p in pids) - cpu0, 2)
        row["loadgen_exit"] = p.returncode
        row["loadgen_stderr_tail"] = "\n".join(p.stderr.strip().splitlines()[-4:])
        res = benchlib.parse_json_line(p.stdout)
        if res is None:
            raise RuntimeError(f"loadgen printed no JSON (exit {p.returncode}): {row['loadgen_stderr_tail']}")
        row["result"] = res
        # let a snapshot still being written finish, so its end is known
        deadline = time.monotonic() + SNAPSHOT_END_WAIT_S
        while True:
            snaps = (restart_zk_snaps(server, ready_unix) if kind == "zk"
                     else rk_snapshots(server.lines, ready_unix))
            if all("end_unix" in s for s in snaps) or time.monotonic() > deadline:
                break
            time.sleep(0.5)
        row["snapshots"] = snaps
        row["rss_after_bytes"] = zkharness.proc_rss(pids[0])["rss"]
        if not res.get("seconds"):
            raise RuntimeError("loadgen's --json has no per-second series: rebuild loadgen")
        row["seconds"] = res.pop("seconds")
        row["windows"] = windows(row)
        row["ok"] = p.returncode == 0 and bool(snaps)
        if not snaps:
            row["error"] = "no snapshot was taken during the run (snapCount too high for this rate?)"
        elif p.returncode != 0:
            row["error"] = f"loadgen exit {p.returncode}: {row['loadgen_stderr_tail']}"
    except Exception as e:  # recorded; the next run goes on
        row["error"] = f"{type(e).__name__}: {e}"
    finally:
        if kind == "zk":
            shutil.copy(server.members[0].log, os.path.join(runs_dir, f"{name}-zookeeper.log"))
            restart.zk_stop(server)
        else:
            server.stop()
            shutil.copy(server.log_path, os.path.join(runs_dir, f"{name}-ringkeeper.log"))
        shutil.rmtree(run_dir, ignore_errors=True)
    if row.get("seconds"):
        with open(os.path.join(runs_dir, f"{name}.svg"), "w") as f:
            f.write(timeline_svg([(f"{label}, repeat {rep}", row)], a.rate))
    return row


def restart_zk_snaps(cluster, after_unix: float) -> list[dict]:
    return zk_snapshots(cluster.members[0].log, after_unix)


def windows(row: dict) -> dict:
    """Per-second figures split into during / outside the snapshot windows."""
    res = row["result"]
    load_start = res["measure_start_unix"] - res["warmup_s"]
    warmup = res["warmup_s"]
    spans = [(s["start_unix"] - load_start, s.get("end_unix", s["start_unix"]) - load_start + DURING_TAIL_S)
             for s in row["snapshots"]]
    during, outside = [], []
    for sec in row["seconds"]:
        lo, hi = sec["at_s"] - 1.0, sec["at_s"]
        if lo < warmup - 1e-6:
            continue  # warmup: not measured
        (during if any(lo < b and a < hi for a, b in spans) else outside).append(sec)

    def agg(secs):
        if not secs:
            return None
        return {"seconds": len(secs),
                "p50_ms_median": statistics.median(s["p50_ms"] for s in secs),
                "p99_ms_max": max(s["p99_ms"] for s in secs),
                "p999_ms_max": max(s["p999_ms"] for s in secs),
                "p999_ms_median": statistics.median(s["p999_ms"] for s in secs),
                "ops_per_s_min": min(s["ops_per_s"] for s in secs)}
    return {"spans_s": [[round(a, 2), round(b - DURING_TAIL_S, 2)] for a, b in spans],
            "during": agg(during), "outside": agg(outside)}


# --------------------------------------------------------------------------
# SVG: latency over time with the snapshot windows marked
# --------------------------------------------------------------------------

def timeline_svg(panels: list[tuple[str, dict]], rate: float) -> str:
    """One panel per run: per-second p50/p99/p99.9 (log y), snapshot spans shaded."""
    import math
    w, ph, ml, mr, mt = 860, 230, 70, 120, 30
    pw = w - ml - mr
    h = len(panels) * (ph + 60) + 40
    ymax_ms = max([s["p999_ms"] for _, r in panels for s in r["seconds"]] + [1.0])
    ly0, ly1 = -2, max(0, math.ceil(math.log10(max(ymax_ms, TARGET_P999_MS))))
    xmax = max([s["at_s"] for _, r in panels for s in r["seconds"]] + [1])
    o = [f'<svg xmlns="http://www.w3.org/2000/svg" width="{w}" height="{h}" font-family="sans-serif" font-size="12">',
         f'<rect width="{w}" height="{h}" fill="white"/>']
    for i, (title, r) in enumerate(panels):
        top = 20 + i * (ph + 60) + mt
        bot = top + ph

        def X(x):
            return ml + x / xmax * pw

        def Y(v):
            v = max(v, 10.0 ** ly0)
            return bot - (math.log10(v) - ly0) / (ly1 - ly0) * ph
        o.append(f'<text x="{ml}" y="{top - 10}" font-size="14" font-weight="bold">{svgchart.esc(title)}: '
                 f'write latency per second (open loop, {rate:g} setData/s)</text>')
        for a, b in r.get("windows", {}).get("spans_s", []):
            a, b = max(a, 0.0), min(b, xmax)  # a snapshot may end after the last second
            o.append(f'<rect x="{X(a):.1f}" y="{top}" width="{max(X(b) - X(a), 1.5):.1f}" '
                     f'height="{ph}" fill="#fdd9a0" opacity="0.7"><title>snapshot {a:.2f}-{b:.2f} s</title></rect>')
        for e in range(ly0, ly1 + 1):
            y = Y(10.0 ** e)
            o.append(f'<line x1="{ml}" x2="{ml + pw}" y1="{y:.1f}" y2="{y:.1f}" stroke="#ddd"/>'
                     f'<text x="{ml - 6}" y="{y + 4:.1f}" text-anchor="end">{10.0 ** e:g}</text>')
        yt = Y(TARGET_P999_MS)
        o.append(f'<line x1="{ml}" x2="{ml + pw}" y1="{yt:.1f}" y2="{yt:.1f}" stroke="#888" stroke-dasharray="6,4"/>'
                 f'<text x="{ml + pw + 6}" y="{yt + 4:.1f}" fill="#666">50 ms</text>')
        warm = r["result"]["warmup_s"] if r.get("result") else 0
        o.append(f'<line x1="{X(warm):.1f}" x2="{X(warm):.1f}" y1="{top}" y2="{bot}" stroke="#555" '
                 f'stroke-dasharray="3,3"/>')
        step = 5 if xmax <= 60 else 10
        for t in range(0, int(xmax) + 1, step):
            o.append(f'<text x="{X(t):.1f}" y="{bot + 15}" text-anchor="middle">{t}</text>')
        o.append(f'<rect x="{ml}" y="{top}" width="{pw}" height="{ph}" fill="none" stroke="#444"/>')
        o.append(f'<text x="{ml + pw / 2}" y="{bot + 32}" text-anchor="middle">seconds since load start '
                 f'(shaded: snapshot being written; dashed: measuring starts)</text>')
        o.append(f'<text x="16" y="{(top + bot) / 2}" text-anchor="middle" '
                 f'transform="rotate(-90 16 {(top + bot) / 2})">ms (log)</text>')
        for j, (key, name, color) in enumerate([("p50_ms", "p50", "#2ca02c"), ("p99_ms", "p99", "#ff7f0e"),
                                                ("p999_ms", "p99.9", "#d62728")]):
            pts = " ".join(f"{X(s['at_s']):.1f},{Y(s[key]):.1f}" for s in r["seconds"])
            o.append(f'<polyline points="{pts}" fill="none" stroke="{color}" stroke-width="1.6"/>')
            ly = top + 14 + j * 18
            o.append(f'<line x1="{ml + pw + 8}" x2="{ml + pw + 28}" y1="{ly}" y2="{ly}" stroke="{color}" '
                     f'stroke-width="3"/><text x="{ml + pw + 32}" y="{ly + 4}">{name}</text>')
    o.append("</svg>")
    return "\n".join(o) + "\n"


# --------------------------------------------------------------------------
# report
# --------------------------------------------------------------------------

def _m(rows, path):
    vals = []
    for r in rows:
        v = r
        for k in path:
            v = v.get(k) if isinstance(v, dict) else None
        if v is not None:
            vals.append(v)
    return benchlib.med(vals)


def _settle_cell(settle: dict | None) -> str:
    if not settle:
        return "–"
    return f"{settle['waited_s']:g}" + ("" if settle["quiet"] else f" (not quiet: p99 {settle['p99_ms']} ms)")


def write_report(out, argv, ds, meta, a, rows, facts, before, after) -> None:
    L = restart.header_lines("Write latency during a snapshot of a large tree: ringkeeper vs Apache ZooKeeper 3.8",
                             argv, facts, before, after)
    sc = rows[0]["snap_count"] if rows else None
    L += ["## Setup", "",
          f"- data: restart.py's prepared dirs ({ds.znodes:,} znodes of {ds.value_size} B under {ds.parents} parents "
          + ("; its log files removed (--snapshot-only): the servers start from the snapshot with an empty log"
             if a.snapshot_only else f" + {ds.txns:,} setData in the log")
          + f"), a fresh copy per run; forceSync=yes; snapCount={sc} on both "
          f"(first snapshot between ~{a.first_after:g} s and ~{2 * a.first_after + a.warmup:g} s into the "
          "measured window; later ones may follow)",
          f"- load: loadgen open loop, {a.clients} sessions, setData only (`--mix set=1`), {a.rate:g} ops/s, "
          f"{LOADGEN_KEYS:,} keys under /loadgen of {ds.value_size} B, "
          f"warmup {a.warmup:g} s + {a.duration:g} s measured",
          f"- before each server starts, the disk is let settle after the copy (`restart.settle_disk`: 4 KiB "
          f"fdatasync probes until their p99 over {restart.SETTLE_WINDOW_S:g} s is under "
          f"{restart.SETTLE_P99_MS:g} ms, at most {restart.SETTLE_MAX_S:g} s; the wait is in the runs table)",
          f"- servers alternate in this order: {', '.join(a.labels)}; {a.repeats} repeats; medians over repeats below",
          *[f"- {label}: ringkeeper with `{', '.join(f'{k}={v}' for k, v in cfg.items())}` in zoo.cfg"
            for label, cfg in a.variants.items()], "",
          "## Result (medians over repeats; ms)", "",
          "| server | ok runs | snapshots/run | snapshot took (ms) | during: p50 | during: p99 (max s) | "
          "during: p99.9 (max s) | outside: p50 | outside: p99 (max s) | outside: p99.9 (max s) | "
          "whole run p99.9 | whole run max | min ops/s during |",
          "| --- | ---: | ---: | ---: | ---: | ---: | ---: | ---: | ---: | ---: | ---: | ---: | ---: |"]
    for kind in a.labels:
        rs = [r for r in rows if r["server"] == kind and r["ok"]]
        took = benchlib.med([benchlib.med([s.get("took_ms") for s in r["snapshots"]]) for r in rs])
        nsnap = benchlib.med([len(r["snapshots"]) for r in rs])
        L.append("| " + " | ".join([
            kind, f"{len(rs)}/{sum(1 for r in rows if r['server'] == kind)}", benchlib.fmt(nsnap, 0),
            benchlib.fmt(took, 0),
            benchlib.fmt_ms(_m(rs, ["windows", "during", "p50_ms_median"])),
            benchlib.fmt_ms(_m(rs, ["windows", "during", "p99_ms_max"])),
            benchlib.fmt_ms(_m(rs, ["windows", "during", "p999_ms_max"])),
            benchlib.fmt_ms(_m(rs, ["windows", "outside", "p50_ms_median"])),
            benchlib.fmt_ms(_m(rs, ["windows", "outside", "p99_ms_max"])),
            benchlib.fmt_ms(_m(rs, ["windows", "outside", "p999_ms_max"])),
            benchlib.fmt_ms(benchlib.med([benchlib.lat_ms(r["result"], "all", "p999") for r in rs])),
            benchlib.fmt_ms(benchlib.med([benchlib.lat_ms(r["result"], "all", "max") for r in rs])),
            benchlib.fmt(_m(rs, ["windows", "during", "ops_per_s_min"]), 0)]) + " |")
    for label in (x for x in a.labels if x != "zk"):
        rk = [r for r in rows if r["server"] == label and r["ok"]]
        worst = max([r["windows"]["during"]["p999_ms_max"] for r in rk if r["windows"]["during"]] or [None],
                    key=lambda v: -1 if v is None else v)
        if worst is not None:
            L += ["", f"{label}, worst per-second p99.9 during a snapshot over all runs: {worst:.2f} ms "
                  f"(target < {TARGET_P999_MS:g} ms: {'met' if worst < TARGET_P999_MS else 'NOT met'})"]
    L += ["", "## Runs", "", "| server | repeat | snapshots (start-end s since load start, took ms) | errors | "
          "backlog dropped | during p99.9 (max s) | outside p99.9 (max s) | disk settle wait (s) |",
          "| --- | ---: | --- | --- | ---: | ---: | ---: | ---: |"]
    for r in rows:
        w = r.get("windows") or {}
        spans = "; ".join(f"{x:.1f}-{y:.1f} ({s.get('took_ms')})" for (x, y), s in
                          zip(w.get("spans_s", []), r.get("snapshots", [])))
        res = r.get("result") or {}
        L.append(f"| {r['server']} | {r['repeat']} | {spans or '–'} | "
                 f"{res.get('error_total', '–') if r['error'] is None else r['error']} | "
                 f"{res.get('open_loop_backlog_dropped', '–')} | "
                 f"{benchlib.fmt_ms((w.get('during') or {}).get('p999_ms_max'))} | "
                 f"{benchlib.fmt_ms((w.get('outside') or {}).get('p999_ms_max'))} | "
                 f"{_settle_cell(r.get('disk_settle'))} |")
    L += ["", "How the columns are made: loadgen's per-second p50/p99/p99.9 (its --json \"seconds\"); "
          f"\"during\" = the measured seconds that overlap [snapshot start, snapshot end + {DURING_TAIL_S:g} s], "
          "\"outside\" = the other measured seconds. p50 = median of the seconds' p50; p99 and p99.9 = the largest "
          "per-second value in the window (an upper bound of the window's own percentile). Whole-run figures are "
          "loadgen's --json over the measured window (both windows together). Snapshot start/end: ZooKeeper's "
          "log (`Snapshotting`, `Snapshot taken in`), ringkeeper's stderr (`snapshot ... written ... N ms`, "
          "start = arrival - N ms).", "",
          "Files: `results.jsonl` (one row per run, with the per-second series and snapshot times), "
          "`latency_over_time.svg` (repeat 1 of each server), `runs/` (per-run SVGs, loadgen's own plots, "
          "server logs).", ""]
    with open(os.path.join(out, "results.md"), "w") as f:
        f.write("\n".join(L))
    firsts = [(f"{r['server']}, repeat {r['repeat']}", r) for r in rows if r.get("seconds") and r["repeat"] == 1]
    if firsts:
        with open(os.path.join(out, "latency_over_time.svg"), "w") as f:
            f.write(timeline_svg(firsts, a.rate))
    print("\n".join(L))


def main(argv=None) -> int:
    p = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    restart.add_dataset_args(p)
    p.add_argument("--repeats", type=int, default=3)
    p.add_argument("--rate", type=float, default=5000.0, help="setData/s, open loop")
    p.add_argument("--clients", type=int, default=100)
    p.add_argument("--duration", type=float, default=30.0)
    p.add_argument("--warmup", type=float, default=2.0)
    p.add_argument("--first-after", type=float, default=5.0,
                   help="earliest start of the first snapshot, seconds after measuring starts")
    p.add_argument("--snap-count", type=int, default=0, help="0: chosen from --rate (choose_snap_count)")
    p.add_argument("--loadgen", default=benchlib.DEFAULT_LOADGEN)
    p.add_argument("--snapshot-only", action="store_true",
                   help="start from the snapshot alone (the data's log files removed): no recovered log")
    p.add_argument("--servers", default="zk,ringkeeper", help="comma list of zk, ringkeeper")
    p.add_argument("--rk-variant", action="append", default=[], metavar="NAME:KEY=VALUE[,KEY=VALUE]",
                   help="also run ringkeeper with these zoo.cfg lines, reported as ringkeeper[NAME] (repeatable)")
    p.add_argument("--out", default=None)
    a = p.parse_args(argv)
    a.variants = parse_variants(a.rk_variant)
    a.labels = [s for s in a.servers.split(",") if s] + list(a.variants)
    if any(s not in ("zk", "ringkeeper") for s in a.servers.split(",") if s):
        raise SystemExit(f"--servers {a.servers!r}: only zk and ringkeeper")
    for b in (a.loadgen, a.ringkeeper):
        if not os.access(b, os.X_OK):
            raise SystemExit(f"{b}: not built")
    restart.check_ports()
    out = a.out or os.path.join(HERE, "results", f"snapshot-pause-{benchlib.utc_stamp()}")
    runs_dir = os.path.join(out, "runs")
    os.makedirs(runs_dir, exist_ok=True)

    def log(msg):
        print(f"[{time.strftime('%H:%M:%S')}] {msg}", flush=True)

    before = restart.moment()
    facts = benchlib.machine_facts(a.data_root)
    ds, meta = restart.ensure_dataset(a, log)
    if a.prepare_only:
        return 0
    facts["build_commit"] = a.build_commit
    jsonl = os.path.join(out, "results.jsonl")
    rows = []
    for rep in range(1, a.repeats + 1):
        for kind in a.labels:
            row = run_once(kind, ds, os.path.join(ds.dir, "pause-zk" if kind == "zk" else "pause-rk"), a, rep,
                           runs_dir)
            rows.append(row)
            benchlib.append_jsonl(jsonl, row)
            w = row.get("windows") or {}
            log(f"repeat {rep} {kind}: snapshots {w.get('spans_s')}, during {w.get('during')}, "
                f"outside p99.9 max {(w.get('outside') or {}).get('p999_ms_max')}"
                + (f"; ERROR {row['error']}" if row["error"] else ""))
    after = restart.moment()
    write_report(out, sys.argv if argv is None else ["tuning/snapshot_pause.py", *argv], ds, meta, a, rows, facts,
                 before, after)
    print(f"\nwritten to {out}")
    return 0 if all(r["ok"] for r in rows) else 1


if __name__ == "__main__":
    sys.exit(main())
