#!/usr/bin/env python3
"""Group-commit sweep: how ringkeeper's txn log settings move write throughput and latency.

    python3 tuning/groupcommit.py [--repeats 3] [--duration 8] [--warmup 2] [--clients 100,1000]
        [--sweeps grid,io,prealloc] [--ringkeeper PATH] [--loadgen PATH] [--data-dir DIR] [--out DIR]
    python3 tuning/groupcommit.py --quick       # 1 repeat, 2 s runs, 2 points per sweep
    python3 tuning/groupcommit.py --dry-run     # the plan and a time estimate, runs nothing
    python3 tuning/groupcommit.py --report DIR  # rebuild DIR/results.md and plots from results.jsonl
    python3 tuning/groupcommit.py --selftest    # the plumbing against tuning/selftest's fakes, seconds

ringkeeper standalone with forceSync=yes, loadgen doing 100 % setData with
--outstanding 1 at each load shape (--clients). Three sweeps, each one factor
around the defaults, except the grid:

  grid      ringkeeper.groupCommit.batchMaxBytes {16K, 64K, 256K, 1M}
            x ringkeeper.groupCommit.waitMaxUs {0, 100, 500, 2000}
  io        ringkeeper.txnLog.directIO {no, yes} x ringkeeper.txnLog.ioEngine {sync, io_uring}
  prealloc  preAllocSize {1, 8, 64, 512} MiB (small ones roll segments during the run)

A configuration shared by two sweeps runs once. Every run gets a fresh
server and data dir; the repeats are rounds, each running every
(configuration, clients) unit once in a shuffled order (--seed), so drift
on the machine spreads over all points. Each run is bounded in time.
Per run: loadgen's JSON, server CPU/RSS (benchlib.run_driver), and over
loadgen's measurement window the data dir's block device flushes
(/proc/diskstats "flush requests completed") and the server's write
syscalls and storage bytes (/proc/PID/io syscw, write_bytes).
"""

from __future__ import annotations

import argparse
import json
import os
import random
import re
import shlex
import signal
import subprocess
import sys
import time
from dataclasses import dataclass

HERE = os.path.dirname(os.path.abspath(__file__))
sys.path.insert(0, HERE)
import benchlib as bl  # noqa: E402
import svgchart  # noqa: E402
import zkharness  # noqa: E402
from compare import csv_list, load_rows  # noqa: E402

BATCH = "ringkeeper.groupCommit.batchMaxBytes"
WAIT = "ringkeeper.groupCommit.waitMaxUs"
DIRECT = "ringkeeper.txnLog.directIO"
ENGINE = "ringkeeper.txnLog.ioEngine"
PREALLOC = "preAllocSize"  # KiB, as in ZooKeeper

# the server's defaults, set explicitly in every point that does not vary them
BATCH_DEFAULT = 1024 * 1024
WAIT_DEFAULT_US = 0
PREALLOC_DEFAULT_KIB = 64 * 1024

K = 1024
GRID_BATCH = [16 * K, 64 * K, 256 * K, 1024 * K]
GRID_WAIT_US = [0, 100, 500, 2000]
IO_MODES = [("no", "sync"), ("no", "io_uring"), ("yes", "sync"), ("yes", "io_uring")]
PREALLOC_KIB = [1024, 8 * 1024, 64 * 1024, 512 * 1024]
SWEEPS = ("grid", "io", "prealloc")
# what --quick keeps: 2 points per sweep
QUICK_GRID = [(16 * K, 0), (1024 * K, 0)]
QUICK_IO = [("no", "sync"), ("yes", "io_uring")]
QUICK_PREALLOC_KIB = [1024, 64 * 1024]
SERVER_READY_TIMEOUT_S = 60.0  # a 512 MiB preallocated segment is zero-filled at start
IO_SAMPLE_PERIOD_S = 0.25
TMPFS_TYPES = ("tmpfs", "ramfs")


def size_label(n_bytes: int) -> str:
    for unit, f in (("M", K * K), ("K", K)):
        if n_bytes >= f and n_bytes % f == 0:
            return f"{n_bytes // f}{unit}"
    return str(n_bytes)


# ------------------------------------------------------------------------
# the plan
# ------------------------------------------------------------------------

@dataclass(frozen=True)
class Point:
    """One server configuration: the zoo.cfg keys this experiment sets."""
    settings: tuple  # sorted ((key, value), ...)

    @property
    def cfg(self) -> dict:
        return dict(self.settings)

    @property
    def key(self) -> str:
        return " ".join(f"{k}={v}" for k, v in self.settings)


def point(**over) -> Point:
    s = {BATCH: BATCH_DEFAULT, WAIT: WAIT_DEFAULT_US, PREALLOC: PREALLOC_DEFAULT_KIB}
    names = {"batch": BATCH, "wait": WAIT, "direct": DIRECT, "engine": ENGINE, "prealloc": PREALLOC}
    for k, v in over.items():
        s[names[k]] = v
    return Point(tuple(sorted(s.items())))


def sweep_points(sweep: str, quick: bool) -> list[Point]:
    if sweep == "grid":
        pairs = QUICK_GRID if quick else [(b, w) for b in GRID_BATCH for w in GRID_WAIT_US]
        return [point(batch=b, wait=w) for b, w in pairs]
    if sweep == "io":
        return [point(direct=d, engine=e) for d, e in (QUICK_IO if quick else IO_MODES)]
    if sweep == "prealloc":
        return [point(prealloc=p) for p in (QUICK_PREALLOC_KIB if quick else PREALLOC_KIB)]
    raise ValueError(f"unknown sweep {sweep!r}")


def plan(sweeps: list[str], clients: list[int], repeats: int, quick: bool, seed: int):
    """-> (points: [Point] without duplicates, rounds: [[(Point, clients), ...] per repeat])."""
    points: list[Point] = []
    for s in sweeps:
        for p in sweep_points(s, quick):
            if p not in points:
                points.append(p)
    units = [(p, c) for p in points for c in clients]
    rounds = []
    for rep in range(repeats):
        order = list(units)
        random.Random(seed * 1000 + rep).shuffle(order)
        rounds.append(order)
    return points, rounds


def estimate_s(a, rounds) -> float:
    """Measured on this machine (2 cores, ext4 on virtio): a server starts in ~0.3 s plus ~0.5 s
    per GiB of first segment to zero-fill and stops in ~0.2 s; loadgen adds ~0.4 s, 0.1 s per
    10,000 keys and 0.5 s per 1,000 sessions to warmup + duration."""
    total = 0.0
    for order in rounds:
        for p, c in order:
            server = 0.5 + p.cfg[PREALLOC] / (2 * K * K)
            total += server + a.warmup + a.duration + 0.4 + a.keys / 100_000 + c / 2000 + a.pause
    return total


# ------------------------------------------------------------------------
# the machine: binaries, data dir's device
# ------------------------------------------------------------------------

def file_facts(path: str) -> str:
    """path, modification time and size: which build of a binary ran (its --version does not say)."""
    st = os.stat(path)
    when = time.strftime("%Y-%m-%dT%H:%M:%SZ", time.gmtime(st.st_mtime))
    return f"{os.path.abspath(path)} (modified {when}, {st.st_size:,} bytes)"


def block_device(path: str) -> str | None:
    """The /proc/diskstats name of the device holding path (None: not a block device, e.g. tmpfs)."""
    st = os.stat(path)
    want = (os.major(st.st_dev), os.minor(st.st_dev))
    try:
        with open("/proc/diskstats") as f:
            for line in f:
                p = line.split()
                if len(p) >= 19 and (int(p[0]), int(p[1])) == want:
                    return p[2]
    except OSError:
        pass
    return None


# ------------------------------------------------------------------------
# flushes and write syscalls over the measurement window
# ------------------------------------------------------------------------

def read_device_counters(device: str) -> dict | None:
    """/proc/diskstats: writes completed (field 5), sectors written (field 7, 512 bytes each) and
    flush requests completed (field 16)."""
    with open("/proc/diskstats") as f:
        for line in f:
            p = line.split()
            if len(p) >= 19 and p[2] == device:
                return {"dev_writes": int(p[7]), "dev_write_bytes": int(p[9]) * 512, "dev_flushes": int(p[18])}
    return None


def read_machine_busy_s() -> float:
    """CPU seconds all CPUs spent busy since boot (/proc/stat: user nice system irq softirq steal)."""
    with open("/proc/stat") as f:
        v = [int(x) for x in f.readline().split()[1:9]]
    return (v[0] + v[1] + v[2] + v[5] + v[6] + v[7]) / os.sysconf("SC_CLK_TCK")


def read_proc_io(pids: list[int]) -> dict | None:
    """/proc/PID/io summed over pids: write syscalls (syscw) and bytes sent to storage (write_bytes)."""
    total = {"syscw": 0, "write_bytes": 0}
    for pid in pids:
        try:
            with open(f"/proc/{pid}/io") as f:
                for line in f:
                    k, _, v = line.partition(":")
                    if k in total:
                        total[k] += int(v)
        except (OSError, ValueError):
            return None
    return total


class IoSampler(bl.PeriodicSampler):
    """Samples the device and process counters every IO_SAMPLE_PERIOD_S: {name: [(unix, value)]}."""

    def __init__(self, device: str | None, pids: list[int]):
        super().__init__(IO_SAMPLE_PERIOD_S)
        self.device = device
        self.pids = pids
        self.series: dict[str, list] = {}

    def _sample(self):
        t = time.time()
        vals = {}
        try:
            vals.update((self.device and read_device_counters(self.device)) or {})
        except OSError:
            pass
        vals.update(read_proc_io(self.pids) or {})
        vals["machine_busy_s"] = read_machine_busy_s()
        for k, v in vals.items():
            self.series.setdefault(k, []).append((t, v))

    def rates(self, t0: float, t1: float) -> dict:
        """Per-second rate of each counter over [t0, t1] (interpolated), None where unknown."""
        out = {}
        for k in ("dev_flushes", "dev_writes", "dev_write_bytes", "syscw", "write_bytes", "machine_busy_s"):
            d = bl.delta_between(self.series.get(k, []), t0, t1)
            out[f"{k}_per_s"] = None if d is None else round(d / (t1 - t0), 1)
        return out


# ------------------------------------------------------------------------
# one run
# ------------------------------------------------------------------------

def server_config_lines(log_text: str, keys) -> tuple[list[str], list[str]]:
    """(keys the server said it ignores as unknown, its log lines naming any of keys)."""
    ignored, lines = [], []
    for line in log_text.splitlines():
        named = [k for k in keys if k in line]
        if named:
            lines.append(line.strip()[:300])
            m = re.search(r"(\S+): unknown key", line)
            if m and m.group(1) in keys and m.group(1) not in ignored:
                ignored.append(m.group(1))
    return ignored, lines


def read_head(path: str, n_bytes: int = 8192) -> str:
    try:
        with open(path, "rb") as f:
            return f.read(n_bytes).decode("utf-8", "replace")
    except OSError:
        return ""


def one_run(a, kind, p: Point, clients: int, device: str | None) -> dict:
    row: dict = {"config": p.key, "settings": p.cfg, "clients": clients, "write_ratio": 1.0, "ok": False}
    row["loadavg_before"] = bl.loadavg()
    kind.zoo_cfg_extra = p.cfg
    kind.port_base = a.port or zkharness.free_ports(1)[0]
    t0 = time.monotonic()
    try:
        h = kind.start("standalone", True, a.data_dir)
    except Exception as e:  # noqa: BLE001 - a server that cannot start is a result, not a crash
        msg = str(e).strip() or type(e).__name__
        ignored, lines = server_config_lines(msg, p.cfg)
        row.update(error="server failed to start: " + msg.splitlines()[0][:300], server_log_tail=msg[-3000:],
                   config_ignored_keys=ignored, server_config_lines=lines)
        return row
    row["server_start_s"] = round(time.monotonic() - t0, 2)
    row["server_version"] = h.version()
    try:
        head = read_head(h.logs[0]) if getattr(h, "logs", None) else ""
        row["server_log_head"] = head[:3000]
        row["config_ignored_keys"], row["server_config_lines"] = server_config_lines(head, p.cfg)
        # the server's own account of the log settings in effect (ringkeeper logs one line at start)
        m = re.search(r"txn log in \S+: (.*)", head)
        row["server_txn_log"] = m.group(1).strip() if m else None
        cmd = [a.loadgen, "--servers", h.connect_string, "--clients", str(clients), "--write-ratio", "1",
               "--outstanding", "1", "--keys", str(a.keys), "--value-size", str(a.value_size),
               "--duration", f"{a.duration:g}", "--warmup", f"{a.warmup:g}",
               "--session-timeout", str(a.session_timeout), "--json"]
        sampler = IoSampler(device, h.pids)
        sampler.start()
        try:
            r = bl.run_driver(cmd, h, a.warmup + a.duration + bl.connect_allowance(clients),
                              mntr_ports=getattr(h, "ports", None), busy_seconds=a.duration, cpus=a.pin[1])
        finally:
            sampler.stop()
        row.update(r)
        res = r.get("result") or {}
        w0, w1 = res.get("measure_start_unix"), res.get("measure_end_unix")
        if isinstance(w0, (int, float)) and isinstance(w1, (int, float)) and w1 > w0:
            row.update(sampler.rates(w0, w1))
            row["other_cores_busy"] = other_cores_busy(row, w1 - w0)
        if not h.alive():
            row["ok"] = False
            row["error"] = (row.get("error") or "") + " server died during the run"
            row["server_log_tail"] = h.log_tail()[-3000:]
    finally:
        h.stop()
    row["loadavg_after"] = bl.loadavg()
    return row


def other_cores_busy(row: dict, window_s: float) -> float | None:
    """Cores busy in the window with neither the server nor loadgen: the run's noise."""
    res = row.get("result") or {}
    busy, srv, ops = row.get("machine_busy_s_per_s"), row.get("server_cpu_us_per_op_window"), res.get("ops")
    if busy is None or srv is None or not ops or not isinstance(res.get("cpu_s"), (int, float)):
        return None
    return round(max(0.0, busy - (srv * ops / 1e6 + res["cpu_s"]) / window_s), 2)


def run_line(i: int, n: int, row: dict) -> str:
    res = row.get("result") or {}
    head = f"[{i}/{n}] c={row['clients']:<5} {row['config']}"
    if not row["ok"]:
        return f"{head}  FAILED: {(row.get('error') or '?').splitlines()[0][:200]}"
    return (f"{head}  {res.get('throughput_ops_s', 0):>9,.0f} ops/s  p99 {bl.fmt_ms(bl.lat_ms(res, 'all', 'p99'))} ms"
            f"  flushes/s {bl.fmt(row.get('dev_flushes_per_s'), 0)}"
            f"  others {bl.fmt(row.get('other_cores_busy'), 2)} cores"
            f"  srv {bl.fmt(row.get('server_cpu_us_per_op_window') or row.get('server_cpu_us_per_op'))} µs/op")


# ------------------------------------------------------------------------
# report
# ------------------------------------------------------------------------

SWEEP_TITLES = {"grid": "(a) batchMaxBytes × waitMaxUs", "io": "(b) directIO × ioEngine",
                "prealloc": "(c) preAllocSize"}
SWEEP_FACTORS = {"grid": [BATCH, WAIT], "io": [DIRECT, ENGINE], "prealloc": [PREALLOC]}


def factor_text(key: str, v) -> str:
    if key == BATCH:
        return size_label(int(v))
    if key == PREALLOC:
        return f"{int(v) // K} MiB" if int(v) % K == 0 else f"{v} KiB"
    return str(v)


@dataclass
class Cell:
    st: bl.CellStats
    flushes: float | None
    ops_per_flush: float | None
    syscw: float | None
    dev_mb_s: float | None
    others: float | None
    cpu: float | None
    ignored: list


def cell(rows) -> Cell:
    st = bl.cell_stats(rows)
    ok = [r for r in rows if r.get("ok")]
    flushes = bl.med([r.get("dev_flushes_per_s") for r in ok])
    per = [(r.get("result") or {}).get("throughput_ops_s", 0) / r["dev_flushes_per_s"]
           for r in ok if r.get("dev_flushes_per_s")]
    wb = bl.med([r.get("dev_write_bytes_per_s") for r in ok])
    cpu = bl.med(st.cpu_us_op_window) if any(x is not None for x in st.cpu_us_op_window) else bl.med(st.cpu_us_op)
    ignored = sorted({k for r in rows for k in r.get("config_ignored_keys") or []})
    return Cell(st, flushes, bl.med(per), bl.med([r.get("syscw_per_s") for r in ok]),
                None if wb is None else wb / 1e6, bl.med([r.get("other_cores_busy") for r in ok]), cpu, ignored)


def rows_of(rows, p_key: str, clients: int):
    return [r for r in rows if r.get("config") == p_key and r.get("clients") == clients]


def sweep_table(rows, sweep: str, points: list[Point], clients: list[int]) -> list[str]:
    factors = SWEEP_FACTORS[sweep]
    md = ["| clients | " + " | ".join(f.split(".")[-1] for f in factors) + " | ok runs | throughput ops/s (median) "
          "| range | write p50 ms | p99 ms | p99.9 ms | server CPU µs/op | flushes/s | writes per flush "
          "| server syscw/s | device MB/s written | others' cores busy | loadgen errors |",
          "| ---: | " + " | ".join("---:" for _ in factors) + " | ---: | ---: | ---: | ---: | ---: | ---: "
          "| ---: | ---: | ---: | ---: | ---: | ---: | --- |"]
    for c in clients:
        for p in points:
            sel = rows_of(rows, p.key, c)
            if not sel:
                continue
            x = cell(sel)
            st = x.st
            flags = " (ignored: " + ", ".join(k.split(".")[-1] for k in x.ignored) + ")" if x.ignored else ""
            md.append(f"| {c:,} | " + " | ".join(factor_text(f, p.cfg.get(f, "default")) for f in factors)
                      + f"{flags} | {st.ok}/{st.runs} | {bl.fmt(st.thr_med, 0)} | {bl.fmt_range(st.thr)} | "
                      f"{bl.fmt_ms(bl.med(st.p50))} | {bl.fmt_ms(bl.med(st.p99))} | {bl.fmt_ms(bl.med(st.p999))} | "
                      f"{bl.fmt(x.cpu, 1)} | {bl.fmt(x.flushes, 0)} | {bl.fmt(x.ops_per_flush, 1)} | "
                      f"{bl.fmt(x.syscw, 0)} | {bl.fmt(x.dev_mb_s, 1)} | {bl.fmt(x.others, 2)} | {bl.fmt_errors(st)} |")
    return md


def series_point(rows):
    st = bl.cell_stats(rows)
    thr = [v for v in st.thr if v is not None]
    p99 = [v for v in st.p99 if v is not None]
    t = (st.thr_med, min(thr), max(thr)) if thr else None
    q = (bl.med(p99), min(p99), max(p99)) if p99 else None
    return t, q


def write_svg(out_dir: str, name: str, text: str) -> str:
    with open(os.path.join(out_dir, name), "w") as f:
        f.write(text)
    return name


def sweep_charts(out_dir, rows, sweep: str, points: list[Point], clients: list[int]) -> list[str]:
    made = []
    if sweep == "grid":
        for c in clients:
            tser, pser = {}, {}
            for p in points:
                t, q = series_point(rows_of(rows, p.key, c))
                name = f"wait {p.cfg[WAIT]} µs"
                if t:
                    tser.setdefault(name, []).append((p.cfg[BATCH], *t))
                if q:
                    pser.setdefault(name, []).append((p.cfg[BATCH], *q))
            labels = {b: size_label(b) for b in GRID_BATCH + [p.cfg[BATCH] for p in points]}
            if tser:
                made.append(write_svg(out_dir, f"grid_throughput_c{c}.svg", svgchart.line_chart(
                    f"Write throughput, {c} clients", tser, "batchMaxBytes", "ops/s", x_tick_labels=labels)))
            if pser:
                made.append(write_svg(out_dir, f"grid_p99_c{c}.svg", svgchart.line_chart(
                    f"Write p99 latency, {c} clients", pser, "batchMaxBytes", "p99 ms", logy=True,
                    x_tick_labels=labels)))
    elif sweep == "io":
        tg, pg = {}, {}
        for p in points:
            label = ("O_DIRECT" if p.cfg.get(DIRECT) == "yes" else "buffered") + f", {p.cfg.get(ENGINE)}"
            for c in clients:
                t, q = series_point(rows_of(rows, p.key, c))
                if t:
                    tg.setdefault(label, {})[f"{c} clients"] = t
                if q:
                    pg.setdefault(label, {})[f"{c} clients"] = q
        if tg:
            made.append(write_svg(out_dir, "io_throughput.svg",
                                  svgchart.bar_chart("Write throughput by directIO, ioEngine", tg, "ops/s", width=760)))
        if pg:
            made.append(write_svg(out_dir, "io_p99.svg",
                                  svgchart.bar_chart("Write p99 latency by directIO, ioEngine", pg, "p99 ms", width=760)))
    elif sweep == "prealloc":
        tser, pser = {}, {}
        for p in points:
            for c in clients:
                t, q = series_point(rows_of(rows, p.key, c))
                x = p.cfg[PREALLOC] / K
                if t:
                    tser.setdefault(f"{c} clients", []).append((x, *t))
                if q:
                    pser.setdefault(f"{c} clients", []).append((x, *q))
        if tser:
            made.append(write_svg(out_dir, "prealloc_throughput.svg", svgchart.line_chart(
                "Write throughput by preAllocSize", tser, "preAllocSize (MiB)", "ops/s")))
        if pser:
            made.append(write_svg(out_dir, "prealloc_p99.svg", svgchart.line_chart(
                "Write p99 latency by preAllocSize", pser, "preAllocSize (MiB)", "p99 ms", logy=True)))
    return made


def write_report(out_dir: str, rows: list, meta: dict) -> None:
    pr = meta.get("params", {})
    quick, sweeps, clients = pr.get("quick", False), pr.get("sweeps", list(SWEEPS)), pr.get("clients", [])
    facts = meta.get("facts") or {}
    md = ["# ringkeeper group-commit sweep", "", "Command:", "", "```", meta.get("command", "?"), "```", "",
          f"Started {meta.get('started_utc', '?')}, finished {meta.get('finished_utc', '(not finished)')}, "
          f"report written {bl.utc_iso()}; git commit {facts.get('git_commit')}"
          + (" (with uncommitted changes)" if meta.get("git_dirty") else "") + ".", "",
          f"Load average (1, 5, 15 min) before: {' '.join(meta.get('loadavg_before') or ['?'])}, "
          f"after: {' '.join(meta.get('loadavg_after') or ['?'])}.", ""]
    la = [float(r["loadavg_before"][0]) for r in rows if r.get("loadavg_before")]
    if la:
        md += [f"1-minute load average before each run: {min(la):.2f}–{max(la):.2f} (median {bl.med(la):.2f}).", ""]
    md += ["What else was running at the start (CPU share over half a second):", ""]
    md += [f"- {x}" for x in meta.get("busy_before") or ["(unknown)"]]
    md += ["", "At the end:", ""] + [f"- {x}" for x in meta.get("busy_after") or ["(unknown)"]] + [""]
    md += bl.md_table("machine fact", facts) + bl.md_table("parameter", pr)
    ignored = sorted({k for r in rows for k in r.get("config_ignored_keys") or []})
    if ignored:
        md += [f"**The server ignored {', '.join(ignored)} as unknown keys**: points that differ only in "
               "those settings ran the same server configuration.", ""]
    md += [f"- {n}" for n in meta.get("notes", [])] + ([""] if meta.get("notes") else [])
    md += ["Every op is a setData (write ratio 1, --outstanding 1), so the latencies are write latencies. "
           "Throughput and latency: medians over the repeats (range = min–max throughput). Server CPU µs/op: "
           "server CPU time in loadgen's measurement window over the measured ops (whole run if the window "
           "is unknown). flushes/s: flush requests the data dir's block device completed in the window "
           f"(/proc/diskstats, device {meta.get('device')}; the whole device, so other writers count too, and "
           "one fdatasync of the log may flush more than once when it also commits the file system journal). "
           "writes per flush = throughput / flushes/s, the mean group-commit batch if the server were the "
           "device's only writer. server syscw/s: the server's write syscalls (/proc/PID/io; write, pwrite; "
           "not fdatasync, and not I/O submitted through io_uring). device MB/s written: sectors the device "
           "wrote in the window (/proc/diskstats; whole device, file system journal included). results.jsonl "
           "also has the server's /proc/PID/io write_bytes, which counts whole page-cache folios dirtied and "
           "so overstates small appends many times over on ext4 with large folios. others' cores busy: CPU "
           "the whole machine used in the window (/proc/stat) minus the server's and loadgen's, in cores "
           "(of 2 here): the noise each point ran beside.", ""]
    points_by_sweep = {s: sweep_points(s, quick) for s in sweeps}
    for s in sweeps:
        md += [f"## {SWEEP_TITLES[s]}", ""]
        md += sweep_table(rows, s, points_by_sweep[s], clients) + [""]
        charts = sweep_charts(out_dir, rows, s, points_by_sweep[s], clients)
        md += [" ".join(f"![{c}]({c})" for c in charts), ""] if charts else []
    said = {}
    for r in rows:
        if r.get("server_txn_log"):
            said.setdefault(r["config"], r["server_txn_log"])
    if said:
        md += ["## The server's own account of each configuration", "",
               "The line ringkeeper logs at start about its txn log, once per configuration:", ""]
        md += [f"- `{k}`: {v}" for k, v in said.items()] + [""]
    failed = [r for r in rows if not r.get("ok")]
    if failed:
        md += ["## Failed runs", ""]
        md += [f"- {r['clients']} clients, {r['config']}: {(r.get('error') or '?').splitlines()[0][:300]}"
               for r in failed[:50]]
        md += [f"- ... and {len(failed) - 50} more (see results.jsonl)"] if len(failed) > 50 else []
        md += [""]
    with open(os.path.join(out_dir, "results.md"), "w") as f:
        f.write("\n".join(md) + "\n")


# ------------------------------------------------------------------------
# main
# ------------------------------------------------------------------------

def rebuild_report(folder: str) -> int:
    """--report: results.md and plots again from folder's results.jsonl and meta.json (which
    says the sweeps, load shapes and --quick; without it the folder is not a sweep's)."""
    try:
        with open(os.path.join(folder, "meta.json")) as f:
            meta = json.load(f)
    except (OSError, ValueError) as e:
        print(f"error: {folder} has no readable meta.json ({e}); is it a groupcommit.py results folder?",
              file=sys.stderr)
        return 2
    rows = load_rows(os.path.join(folder, "results.jsonl"))
    write_report(folder, rows, meta)
    print(f"wrote {os.path.join(folder, 'results.md')} from {len(rows)} runs")
    return 0


def parse_args(argv):
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0],
                                 formatter_class=argparse.RawDescriptionHelpFormatter, epilog=__doc__)
    ap.add_argument("--sweeps", type=csv_list(str), default=list(SWEEPS), help="grid,io,prealloc (default all)")
    ap.add_argument("--clients", type=csv_list(int), default=[100, 1000], help="load shapes (default 100,1000)")
    ap.add_argument("--repeats", type=int, default=3)
    ap.add_argument("--duration", type=float, default=8, help="measured seconds per run (default 8)")
    ap.add_argument("--warmup", type=float, default=2, help="seconds of load before measuring (default 2)")
    ap.add_argument("--quick", action="store_true", help="1 repeat, 2 s runs, 2 points per sweep")
    ap.add_argument("--ringkeeper", default=bl.DEFAULT_RINGKEEPER, help="server binary (default %(default)s)")
    ap.add_argument("--ringkeeper-args", default=bl.RINGKEEPER_ARGS,
                    help="argument template, {config} = the zoo.cfg (default %(default)r)")
    ap.add_argument("--loadgen", default=bl.DEFAULT_LOADGEN, help="load generator (default %(default)s)")
    ap.add_argument("--port", type=int, default=0,
                    help="the server's client port; 0 (default) = a free port chosen before each run")
    ap.add_argument("--keys", type=int, default=1000)
    ap.add_argument("--value-size", type=int, default=100)
    ap.add_argument("--session-timeout", type=int, default=30000, help="ms")
    ap.add_argument("--pause", type=float, default=1.0, help="seconds between runs (default 1)")
    ap.add_argument("--seed", type=int, default=1, help="seed of each round's shuffled order")
    ap.add_argument("--data-dir", default="/var/tmp",
                    help="parent of the servers' data dirs; must not be tmpfs (default %(default)s)")
    ap.add_argument("--pin", type=zkharness.parse_pin, default=([], []), metavar="SERVER_CPUS:DRIVER_CPUS",
                    help="CPU affinity, e.g. 0:1 (default: unpinned)")
    ap.add_argument("--budget-minutes", type=float, default=90,
                    help="stop scheduling runs after this many minutes (default 90; 0 = no limit)")
    ap.add_argument("--out", default=None, help="results folder (default tuning/results/groupcommit-<UTC>)")
    ap.add_argument("--dry-run", action="store_true", help="print the plan and time estimate, run nothing")
    ap.add_argument("--report", metavar="DIR", help="only rebuild DIR/results.md and plots from DIR/results.jsonl")
    ap.add_argument("--selftest", action="store_true",
                    help="run tuning/selftest/test_groupcommit.py (fakes, no real server; a few seconds)")
    a = ap.parse_args(argv)
    for s in a.sweeps:
        if s not in SWEEPS:
            ap.error(f"unknown sweep {s!r} (known: {', '.join(SWEEPS)})")
    if a.quick:
        a.repeats, a.duration, a.warmup = 1, 2.0, 0.5
    if a.repeats < 1 or a.duration <= 0 or a.warmup < 0 or not a.clients:
        ap.error("need --repeats >= 1, --duration > 0, --warmup >= 0 and at least one --clients")
    return a


def selftest() -> int:
    import unittest
    sys.path.insert(0, os.path.join(HERE, "selftest"))
    import test_groupcommit
    suite = unittest.defaultTestLoader.loadTestsFromModule(test_groupcommit)
    return 0 if unittest.TextTestRunner(verbosity=2).run(suite).wasSuccessful() else 1


def main(argv=None) -> int:
    argv = sys.argv[1:] if argv is None else list(argv)
    a = parse_args(argv)
    if a.selftest:
        return selftest()
    if a.report:
        return rebuild_report(a.report)
    points, rounds = plan(a.sweeps, a.clients, a.repeats, a.quick, a.seed)
    nruns = sum(len(r) for r in rounds)
    est = estimate_s(a, rounds)
    print(f"plan: {len(points)} configurations × {len(a.clients)} load shapes × {a.repeats} repeats = {nruns} runs "
          f"({a.warmup:g}+{a.duration:g} s each); estimated {est / 60:.0f} min", flush=True)
    if a.dry_run:
        for p in points:
            print(f"  {p.key}")
        return 0
    kind = bl.RingkeeperKind(a.ringkeeper, a.port, a.ringkeeper_args, cpus=a.pin[0],
                             ready_timeout=SERVER_READY_TIMEOUT_S)
    a.loadgen = os.path.abspath(a.loadgen)
    try:
        kind.check()
    except bl.ServerUnavailable as e:
        print(f"error: {e} ({kind.binary}; cargo build --profile release -p ringkeeper-server)", file=sys.stderr)
        return 2
    if not (os.path.isfile(a.loadgen) and os.access(a.loadgen, os.X_OK)):
        print(f"error: load generator not found at {a.loadgen} (cargo build --release -p loadgen)", file=sys.stderr)
        return 2
    os.makedirs(a.data_dir, exist_ok=True)
    fstype, source = bl.fs_of(a.data_dir)
    if fstype in TMPFS_TYPES:
        print(f"error: --data-dir {a.data_dir} is on {fstype}: fsync costs nothing there; "
              "use a directory on a disk file system", file=sys.stderr)
        return 2
    device = block_device(a.data_dir)
    out = a.out or os.path.join(HERE, "results", "groupcommit-" + bl.utc_stamp())
    os.makedirs(out, exist_ok=True)
    jsonl = os.path.join(out, "results.jsonl")
    dirty = subprocess.run(["git", "-C", bl.REPO, "status", "--porcelain", "--untracked-files=no"],
                           capture_output=True, text=True).stdout.strip() != ""
    meta = {"command": "python3 " + " ".join(shlex.quote(x) for x in [os.path.relpath(__file__)] + argv),
            "started_utc": bl.utc_iso(), "git_dirty": dirty, "loadavg_before": bl.loadavg(),
            "busy_before": bl.busy_processes(), "device": device, "facts": bl.machine_facts(a.data_dir),
            "params": {"sweeps": a.sweeps, "clients": a.clients, "repeats": a.repeats, "quick": a.quick,
                       "duration_s": a.duration, "warmup_s": a.warmup, "write_ratio": 1, "outstanding": 1,
                       "keys": a.keys, "value_size": a.value_size, "force_sync": "yes", "seed": a.seed,
                       "pause_s": a.pause, "ringkeeper": file_facts(a.ringkeeper),
                       "ringkeeper_args": a.ringkeeper_args, "loadgen": file_facts(a.loadgen),
                       "data_dir": f"{os.path.abspath(a.data_dir)} ({fstype} on {source})",
                       "pin (server:driver CPUs)": f"{a.pin[0]}:{a.pin[1]}" if a.pin[0] or a.pin[1] else "none",
                       "configurations": len(points), "runs planned": nruns},
            "notes": []}
    if device is None:
        meta["notes"].append(f"{a.data_dir} is not on a block device listed in /proc/diskstats: no flushes/s")

    meta_path = os.path.join(out, "meta.json")
    with open(meta_path, "w") as f:
        json.dump(meta, f, indent=1)
    print(f"results folder: {out}", flush=True)
    signal.signal(signal.SIGTERM, signal.default_int_handler)  # SIGTERM: as Ctrl-C, a partial report
    units = [(rep, p, c) for rep, order in enumerate(rounds) for p, c in order]
    rows: list = []
    t_start = time.monotonic()
    try:
        for i, (rep, p, c) in enumerate(units, 1):
            if a.budget_minutes and time.monotonic() - t_start > a.budget_minutes * 60:
                meta["notes"].append(f"--budget-minutes {a.budget_minutes:g} used up: the last "
                                     f"{nruns - i + 1} runs were skipped; results are partial")
                break
            row = one_run(a, kind, p, c, device)
            row.update(run=i, repeat=rep)
            if row.get("server_version") and not meta["facts"].get("ringkeeper version"):
                meta["facts"]["ringkeeper version"] = row["server_version"]
            rows.append(row)
            bl.append_jsonl(jsonl, row)
            print(run_line(i, nruns, row), flush=True)
            time.sleep(a.pause)
    except KeyboardInterrupt:
        meta["notes"].append("the sweep was interrupted; results are partial")
        print("interrupted: writing the partial report", flush=True)
    finally:
        meta.update(finished_utc=bl.utc_iso(), elapsed_min=round((time.monotonic() - t_start) / 60, 1),
                    loadavg_after=bl.loadavg(), busy_after=bl.busy_processes())
        with open(meta_path, "w") as f:
            json.dump(meta, f, indent=1)
        write_report(out, rows, meta)
    print(f"done in {meta['elapsed_min']} min: {len(rows)} runs, {sum(1 for r in rows if r['ok'])} ok; "
          f"see {os.path.join(out, 'results.md')}", flush=True)
    return 0 if len(rows) == nruns else 130


if __name__ == "__main__":
    sys.exit(main())
