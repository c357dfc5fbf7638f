#!/usr/bin/env python3
"""Restart time with a large tree: ringkeeper vs Apache ZooKeeper 3.8 (issue 4, Performance A).

Both servers restart from the same data: N znodes of 100 B (default
1,000,000, under --parents parents) in a snapshot, plus --txns setData txns
(default 100,000) in the txn log after it. Measured per restart: the time
from exec to the first successful getData of a known znode over a fresh
connection (polled every ~5 ms), whose data must be the value of the last
setData in the log (so the log was replayed, not only the snapshot loaded),
and the server's RSS once it serves. Each restart starts from a fresh copy
of the prepared data dir, so every repeat restarts the same state (page
cache warm: the copy was just written). forceSync=yes, data dir on / (ext4).

    python3 tuning/restart.py [--znodes 1000000] [--txns 100000] [--repeats 5] [--out DIR]
    python3 tuning/restart.py --znodes 20000 --txns 2000 --repeats 3      # development size

The prepared data (--data-root, default /var/tmp/ringkeeper-figures/<size>)
is kept and reused by later runs and by snapshot_pause.py; --rebuild makes
it again. How it is made (see Dataset.build): ZooKeeper gets the znodes via
the raw protocol (pipelined creates), is restarted once so that its startup
snapshot holds them all (ZooKeeper 3.8 takes a snapshot after loading, in
ZooKeeperServer.loadData), and the logs before that snapshot are removed;
`ringkeeper import-zk` turns a copy of that into ringkeeper's data dir (one
snapshot, empty log); then the same --txns setData (same keys, same values,
same order) go to each server with snapCount high enough that neither takes
a snapshot, so each ends as "snapshot + txns in the log" over the same tree.

Also the shared pieces of snapshot_pause.py: Dataset, starting either
server on a given data dir, results headers. The raw-protocol ZooKeeper
client (ZkWire, the restart probe) is zkwire.py. Python 3.11 standard
library only.
"""

from __future__ import annotations

import argparse
import functools
import json
import os
import random
import re
import shutil
import subprocess
import sys
import threading
import time

HERE = os.path.dirname(os.path.abspath(__file__))
sys.path.insert(0, HERE)
import benchlib  # noqa: E402
import svgchart  # noqa: E402
import zkharness  # noqa: E402
import zkwire  # noqa: E402
from zkwire import OP_CREATE, OP_SET_DATA, ZkWire, create_body, set_data_body  # noqa: E402

DATA_ROOT_DEFAULT = "/var/tmp/ringkeeper-figures"
ZK_PORT = 24181  # away from compare.py's 2181 and 2281: other benchmarks share the machine
RK_PORT = 24281
# A snapCount so large that no snapshot is taken while preparing (ZooKeeper
# and ringkeeper both snapshot after snapCount/2 + rand(snapCount/2) txns).
SNAP_COUNT_NEVER = 100_000_000
RESTART_TIMEOUT_S = 300.0


# --------------------------------------------------------------------------
# the data set
# --------------------------------------------------------------------------

def child_path(i: int, parents: int, znodes: int) -> str:
    per = -(-znodes // parents)
    return f"/rk/p{i // per:04d}/c{i:07d}"


def create_value(i: int, size: int) -> bytes:
    return f"create {i:07d} ".encode().ljust(size, b"v")[:size]


def set_value(j: int, size: int) -> bytes:
    return f"set {j:09d} ".encode().ljust(size, b"s")[:size]


def set_requests(znodes: int, parents: int, txns: int, size: int, seed: int):
    """The --txns setData requests, same for both servers; the last key is
    the known node the restart probe reads."""
    rng = random.Random(seed)
    for j in range(txns):
        yield OP_SET_DATA, set_data_body(child_path(rng.randrange(znodes), parents, znodes), set_value(j, size))


def last_set(znodes: int, parents: int, txns: int, size: int, seed: int) -> tuple[str, bytes]:
    rng = random.Random(seed)
    key = 0
    for _ in range(txns):
        key = rng.randrange(znodes)
    return child_path(key, parents, znodes), set_value(txns - 1, size)


def populate(port: int, znodes: int, parents: int, size: int) -> dict:
    t0 = time.monotonic()
    c = ZkWire(port)
    try:
        per = -(-znodes // parents)
        n_parents = -(-znodes // per)
        head = [(OP_CREATE, create_body("/rk", b""))]
        head += [(OP_CREATE, create_body(f"/rk/p{p:04d}", b"")) for p in range(n_parents)]
        errs = c.pipeline(head)
        errs.update(c.pipeline((OP_CREATE, create_body(child_path(i, parents, znodes), create_value(i, size)))
                               for i in range(znodes)))
    finally:
        c.close()
    bad = {k: v for k, v in errs.items() if k not in (0, "zxid")}
    if bad:
        raise RuntimeError(f"populate: errors {bad}")
    return {"creates": znodes + n_parents + 1, "parents": n_parents, "seconds": round(time.monotonic() - t0, 1)}


def apply_sets(port: int, znodes: int, parents: int, txns: int, size: int, seed: int) -> dict:
    t0 = time.monotonic()
    c = ZkWire(port)
    try:
        errs = c.pipeline(set_requests(znodes, parents, txns, size, seed))
    finally:
        c.close()
    bad = {k: v for k, v in errs.items() if k not in (0, "zxid")}
    if bad:
        raise RuntimeError(f"setData: errors {bad}")
    return {"sets": txns, "last_zxid": hex(errs["zxid"]), "seconds": round(time.monotonic() - t0, 1)}


# --------------------------------------------------------------------------
# starting the servers on a given data dir
# --------------------------------------------------------------------------

def _log4j_with_server_info(path: str, log_file: str) -> None:
    # zkharness's settings, but ZooKeeperServer at INFO: its "Snapshot taken
    # in N ms" line is how the startup and background snapshots show.
    with open(path, "w") as f:
        f.write("log4j.rootLogger=INFO, FILE\n"
                "log4j.appender.FILE=org.apache.log4j.FileAppender\n"
                f"log4j.appender.FILE.File={log_file}\n"
                "log4j.appender.FILE.layout=org.apache.log4j.PatternLayout\n"
                "log4j.appender.FILE.layout.ConversionPattern=%d{ISO8601} %-5p [%t:%C{1}@%L] - %m%n\n"
                "log4j.logger.org.apache.zookeeper.server.NIOServerCnxn=WARN\n"
                "log4j.logger.org.apache.zookeeper.server.NIOServerCnxnFactory=WARN\n"
                "log4j.logger.org.apache.zookeeper.server.SessionTrackerImpl=WARN\n"
                "log4j.logger.org.apache.zookeeper.server.PrepRequestProcessor=WARN\n"
                "log4j.logger.org.apache.zookeeper.server.FinalRequestProcessor=WARN\n")


def zk_cluster(data_dir: str, work_dir: str, snap_count: int, heap: str, port: int = ZK_PORT,
               cpus: list[int] | None = None) -> zkharness.ZkCluster:
    """A ZooKeeper standalone (not started) serving `data_dir` (its zoo.cfg's
    dataDir is overridden: the last key of a properties file wins)."""
    c = zkharness.ZkCluster([port], force_sync=True, heap=heap, base_dir=work_dir,
                            extra_cfg={"dataDir": data_dir, "snapCount": snap_count,
                                       "autopurge.purgeInterval": 0}, cpus=cpus)
    m = c.members[0]
    props = os.path.join(c.base, "log4j-figures.properties")
    _log4j_with_server_info(props, m.log)
    # a later -D of the same property wins over zkharness's
    c.jvm_flags.append(f"-Dlog4j.configuration=file:{props}")
    return c


class RkServer:
    """ringkeeper on a given data dir; stderr lines kept with their arrival
    time (unix seconds), also copied to `log_path`."""

    def __init__(self, binary: str, data_dir: str, work_dir: str, snap_count: int, port: int = RK_PORT,
                 cpus: list[int] | None = None, extra_cfg: dict | None = None):
        os.makedirs(work_dir, exist_ok=True)
        self.binary = binary
        self.port = port
        self.cpus = list(cpus or [])
        self.config = os.path.join(work_dir, "zoo.cfg")
        self.log_path = os.path.join(work_dir, "ringkeeper.log")
        with open(self.config, "w") as f:
            f.write(benchlib.ringkeeper_zoo_cfg(port, data_dir, True,
                                                {"snapCount": snap_count, "autopurge.purgeInterval": 0,
                                                 **(extra_cfg or {})}))
        self.proc: subprocess.Popen | None = None
        self.lines: list[tuple[float, str]] = []
        self._reader: threading.Thread | None = None

    @property
    def pids(self):
        return [self.proc.pid] if self.proc else []

    def spawn(self):
        if not zkharness.port_free(self.port):
            raise RuntimeError(f"port {self.port} is in use")
        self.proc = subprocess.Popen([self.binary, self.config], stdin=subprocess.DEVNULL,
                                     stdout=subprocess.DEVNULL, stderr=subprocess.PIPE,
                                     preexec_fn=functools.partial(zkharness._child_setup, self.cpus),
                                     start_new_session=True)
        self._reader = threading.Thread(target=self._read, daemon=True)
        self._reader.start()

    def _read(self):
        with open(self.log_path, "a") as log:
            for raw in self.proc.stderr:
                t = time.time()
                line = raw.decode("utf-8", "replace").rstrip("\n")
                self.lines.append((t, line))
                log.write(f"{t:.3f} {line}\n")
                log.flush()

    def alive(self) -> bool:
        return self.proc is not None and self.proc.poll() is None

    def wait_ready(self, timeout: float = RESTART_TIMEOUT_S):
        deadline = time.monotonic() + timeout
        while True:
            if not self.alive():
                raise RuntimeError("ringkeeper exited:\n" + "\n".join(l for _, l in self.lines[-20:]))
            try:
                zkharness.zk_handshake(self.port, timeout=2.0)
                return
            except (OSError, ConnectionError):
                if time.monotonic() > deadline:
                    raise
                time.sleep(0.05)

    def stop(self):
        if self.proc:
            zkharness.stop_processes([self.proc], 30.0)
            if self._reader:
                self._reader.join(timeout=5)

    def tail(self, n: int = 20) -> str:
        return "\n".join(l for _, l in self.lines[-n:])


def zk_start_ready(data_dir: str, work_dir: str, snap_count: int, heap: str) -> zkharness.ZkCluster:
    c = zk_cluster(data_dir, work_dir, snap_count, heap)
    c.start(RESTART_TIMEOUT_S)
    return c


def zk_stop(c: zkharness.ZkCluster) -> None:
    c.stop(30.0)
    c.cleanup()


# --------------------------------------------------------------------------
# building the data set
# --------------------------------------------------------------------------

def copy_dir(src: str, dst: str) -> None:
    shutil.rmtree(dst, ignore_errors=True)
    os.makedirs(os.path.dirname(dst), exist_ok=True)
    subprocess.run(["cp", "-a", src, dst], check=True)
    subprocess.run(["sync"], check=True)


# settle_disk(): a 4 KiB fdatasync "quiet" below this p99 ...
SETTLE_P99_MS = 1.0
# ... over a window this long ...
SETTLE_WINDOW_S = 3.0
# ... waiting at most this long.
SETTLE_MAX_S = 90.0


def settle_disk(dir_path: str) -> dict:
    """Wait until the disk under `dir_path` is quiet again after a harness
    copied or deleted hundreds of MB there: 4 KiB write + fdatasync probes
    (about one per ms) until their p99 over the last SETTLE_WINDOW_S stays
    under SETTLE_P99_MS, at most SETTLE_MAX_S. On this VM (ext4 mounted
    with `discard`, a virtio disk) such a copy slows every fdatasync to
    ~3.4 ms for 10-20 s a few seconds later (journal commits with discards,
    host write-back): load measured then shows the harness, not the server.
    Returns {"waited_s", "quiet", "p99_ms"} for the report."""
    path = os.path.join(dir_path, "settle-probe.tmp")
    fd = os.open(path, os.O_CREAT | os.O_RDWR | os.O_TRUNC, 0o600)
    try:
        os.pwrite(fd, b"\0" * 4096, 0)
        os.fsync(fd)
        start = time.monotonic()
        window: list[tuple[float, float]] = []
        while True:
            t = time.monotonic()
            os.pwrite(fd, b"s" * 4096, 0)
            os.fdatasync(fd)
            now = time.monotonic()
            window.append((now, (now - t) * 1000.0))
            window = [(at, ms) for at, ms in window if at >= now - SETTLE_WINDOW_S]
            lat = sorted(ms for _, ms in window)
            p99 = lat[min(len(lat) - 1, int(len(lat) * 0.99))]
            full = now - start >= SETTLE_WINDOW_S
            if (full and p99 < SETTLE_P99_MS) or now - start >= SETTLE_MAX_S:
                return {"waited_s": round(now - start, 1), "quiet": full and p99 < SETTLE_P99_MS,
                        "p99_ms": round(p99, 3)}
            time.sleep(0.001)
    finally:
        os.close(fd)
        os.unlink(path)


def _zk_keep_newest_snapshot_only(data_dir: str) -> str:
    v2 = os.path.join(data_dir, "version-2")
    snaps = sorted((f for f in os.listdir(v2) if f.startswith("snapshot.")), key=lambda f: int(f.split(".")[1], 16))
    newest = snaps[-1]
    for f in os.listdir(v2):
        if (f.startswith("snapshot.") and f != newest) or f.startswith("log."):
            os.remove(os.path.join(v2, f))
    return newest


class Dataset:
    """The prepared data dirs: `zk` (ZooKeeper's dataDir) and `rk`
    (ringkeeper's), both "snapshot of the tree + txns setData in the log"."""

    def __init__(self, root: str, znodes: int, parents: int, txns: int, value_size: int, seed: int):
        self.znodes, self.parents, self.txns, self.value_size, self.seed = znodes, parents, txns, value_size, seed
        self.dir = os.path.join(root, f"z{znodes}-p{parents}-t{txns}-v{value_size}")
        self.zk = os.path.join(self.dir, "zk")
        self.rk = os.path.join(self.dir, "rk")
        self.meta_path = os.path.join(self.dir, "dataset.json")
        self.known_path, self.known_value = last_set(znodes, parents, txns, value_size, seed)

    def ready(self) -> bool:
        return os.path.isfile(self.meta_path)

    def meta(self) -> dict:
        with open(self.meta_path) as f:
            return json.load(f)

    def build(self, rk_binary: str, heap: str, log) -> dict:
        shutil.rmtree(self.dir, ignore_errors=True)
        os.makedirs(self.dir)
        work = os.path.join(self.dir, "work")
        os.makedirs(work)
        meta: dict = {"znodes": self.znodes, "parents": self.parents, "txns": self.txns,
                      "value_size": self.value_size, "seed": self.seed, "known_path": self.known_path,
                      "built": benchlib.utc_iso(), "heap": heap}
        s1 = os.path.join(self.dir, "zk-s1")  # ZooKeeper with the tree in its snapshot, no log
        os.makedirs(s1)
        log(f"populating ZooKeeper with {self.znodes:,} znodes under {self.parents} parents")
        c = zk_start_ready(s1, work, SNAP_COUNT_NEVER, heap)
        try:
            meta["populate"] = populate(ZK_PORT, self.znodes, self.parents, self.value_size)
        finally:
            zk_stop(c)
        log(f"  {meta['populate']}; restarting ZooKeeper so that its startup snapshot holds the tree")
        t0 = time.monotonic()
        c = zk_start_ready(s1, work, SNAP_COUNT_NEVER, heap)
        zk_stop(c)
        meta["zk_snapshot"] = _zk_keep_newest_snapshot_only(s1)
        log(f"  {meta['zk_snapshot']} ({time.monotonic() - t0:.1f} s); importing into ringkeeper")
        rk_cfg_dir = os.path.join(work, "import")
        os.makedirs(self.rk)
        probe = RkServer(rk_binary, self.rk, rk_cfg_dir, SNAP_COUNT_NEVER)
        r = subprocess.run([rk_binary, "import-zk", s1, probe.config], capture_output=True, text=True, timeout=600)
        if r.returncode != 0:
            raise RuntimeError(f"import-zk failed: {r.stderr.strip()}")
        meta["import_zk"] = r.stdout.strip()
        log(f"  {meta['import_zk']}")
        copy_dir(s1, self.zk)
        log(f"applying the same {self.txns:,} setData to ZooKeeper")
        c = zk_start_ready(self.zk, work, SNAP_COUNT_NEVER, heap)
        try:
            meta["zk_sets"] = apply_sets(ZK_PORT, self.znodes, self.parents, self.txns, self.value_size, self.seed)
        finally:
            zk_stop(c)
        log(f"  {meta['zk_sets']}; and to ringkeeper")
        rk = RkServer(rk_binary, self.rk, os.path.join(work, "rk-sets"), SNAP_COUNT_NEVER)
        rk.spawn()
        try:
            rk.wait_ready()
            meta["rk_sets"] = apply_sets(RK_PORT, self.znodes, self.parents, self.txns, self.value_size, self.seed)
        finally:
            rk.stop()
        log(f"  {meta['rk_sets']}")
        meta["zk_files"] = sorted(os.listdir(os.path.join(self.zk, "version-2")))
        meta["rk_files"] = sorted(os.listdir(self.rk))
        meta["zk_bytes"] = dir_bytes(self.zk)
        meta["rk_bytes"] = dir_bytes(self.rk)
        shutil.rmtree(work, ignore_errors=True)
        shutil.rmtree(s1, ignore_errors=True)
        with open(self.meta_path, "w") as f:
            json.dump(meta, f, indent=1)
        return meta


def dir_bytes(d: str) -> int:
    total = 0
    for root, _dirs, files in os.walk(d):
        for f in files:
            try:
                total += os.path.getsize(os.path.join(root, f))
            except OSError:
                pass
    return total


# --------------------------------------------------------------------------
# results folder header
# --------------------------------------------------------------------------

def header_lines(title: str, argv: list[str], facts: dict, before: dict, after: dict) -> list[str]:
    return [f"# {title}", "",
            f"- command: `{' '.join(argv)}`",
            f"- date (UTC): {before['date']} to {after['date']}",
            f"- git commit: {facts.get('git_commit')}; binaries built from: {facts.get('build_commit') or 'unknown'}",
            f"- machine: {facts.get('nproc')} CPUs ({facts.get('cpu')}), {facts.get('memory_gib')} GiB, "
            f"kernel {facts.get('kernel')}; data on {facts.get('data_dir_fs')}",
            f"- ZooKeeper: Debian {facts.get('zookeeper_debian_package')}, {facts.get('java')}",
            f"- load average before: {' '.join(before['loadavg'])}; after: {' '.join(after['loadavg'])}",
            f"- what else ran, before: {before['others']}",
            f"- what else ran, after: {after['others']}", ""]


def moment() -> dict:
    return {"date": benchlib.utc_iso(), "loadavg": benchlib.loadavg(), "others": benchlib.others_running()}


# --------------------------------------------------------------------------
# the restart measurement
# --------------------------------------------------------------------------

_ZK_TIMINGS = [("zk_snapshot_loaded_ms", re.compile(r"Snapshot loaded in (\d+) ms")),
               ("zk_txns_loaded", re.compile(r"(\d+) txns loaded in (\d+) ms")),
               ("zk_startup_snapshot_ms", re.compile(r"Snapshot taken in (\d+) ms"))]


def zk_log_timings(path: str) -> dict:
    out = {}
    try:
        with open(path, errors="replace") as f:
            text = f.read()
    except OSError:
        return out
    for key, rx in _ZK_TIMINGS:
        m = rx.search(text)
        if m:
            if key == "zk_txns_loaded":
                out["zk_txns_replayed"] = int(m.group(1))
                out["zk_txns_loaded_ms"] = int(m.group(2))
            else:
                out[key] = int(m.group(1))
    return out


_RK_RECOVERED = re.compile(r"recovered (.*) \+ (\d+) txns from the log to zxid (0x[0-9a-f]+) in (\d+) ms")


def restart_once(kind: str, ds: Dataset, run_dir: str, rk_binary: str, heap: str) -> dict:
    data = os.path.join(run_dir, "data")
    src = ds.zk if kind == "zk" else ds.rk
    t_copy = time.monotonic()
    copy_dir(src, data)
    row = {"server": kind, "copy_s": round(time.monotonic() - t_copy, 2), "ok": False, "error": None}
    work = os.path.join(run_dir, "work")
    os.makedirs(work, exist_ok=True)
    if kind == "zk":
        server, port = zk_cluster(data, work, SNAP_COUNT_NEVER, heap), ZK_PORT
    else:
        server, port = RkServer(rk_binary, data, work, SNAP_COUNT_NEVER), RK_PORT
    t0 = time.monotonic()
    try:
        server.spawn()
        probe = zkwire.first_reply(port, ds.known_path, ds.known_value, t0 + RESTART_TIMEOUT_S, server.alive)
        row["restart_s"] = round(time.monotonic() - t0, 4)
        row.update(probe)
        pid = server.pids[0]
        row["rss_at_first_reply"] = zkharness.proc_rss(pid)
        time.sleep(2.0)
        row["rss_after_2s"] = zkharness.proc_rss(pid)
        row["ok"] = True
    except Exception as e:  # recorded; the run goes on with the next restart
        row["error"] = f"{type(e).__name__}: {e}"
    finally:
        if kind == "zk":
            row["log_tail"] = server.members[0].log_tail(8) if not row["ok"] else None
            row.update(zk_log_timings(server.members[0].log))
            zk_stop(server)
        else:
            server.stop()
            for _, line in server.lines:
                m = _RK_RECOVERED.search(line)
                if m:
                    row.update({"rk_recovered_from": m.group(1), "rk_txns_replayed": int(m.group(2)),
                                "rk_last_zxid": m.group(3), "rk_recovery_ms": int(m.group(4))})
            row["log_tail"] = server.tail(8) if not row["ok"] else None
    shutil.rmtree(run_dir, ignore_errors=True)
    return row


def summarize(rows: list[dict]) -> dict:
    out = {}
    for kind in ("zk", "ringkeeper"):
        ok = [r for r in rows if r["server"] == kind and r["ok"]]
        out[kind] = {
            "ok": len(ok), "runs": sum(1 for r in rows if r["server"] == kind),
            "restart_s": benchlib.med([r["restart_s"] for r in ok]),
            "restart_s_all": [r["restart_s"] for r in ok],
            "rss_mib": benchlib.med([r["rss_after_2s"]["rss"] / 2 ** 20 for r in ok]),
            "hwm_mib": benchlib.med([r["rss_after_2s"]["hwm"] / 2 ** 20 for r in ok]),
            "attempts": benchlib.med([r["attempts"] for r in ok]),
        }
        for key in ("zk_snapshot_loaded_ms", "zk_txns_loaded_ms", "zk_startup_snapshot_ms", "zk_txns_replayed",
                    "rk_recovery_ms", "rk_txns_replayed"):
            vals = [r[key] for r in ok if key in r]
            if vals:
                out[kind][key] = benchlib.med(vals)
    return out


def write_report(out_dir: str, argv: list[str], ds: Dataset, meta: dict, rows: list[dict], facts: dict,
                 before: dict, after: dict) -> str:
    s = summarize(rows)
    zk, rk = s["zk"], s["ringkeeper"]
    L = header_lines("Restart with a large tree: ringkeeper vs Apache ZooKeeper 3.8", argv, facts, before, after)
    L += ["## Data", "",
          f"- {ds.znodes:,} znodes of {ds.value_size} B under {meta.get('populate', {}).get('parents', ds.parents)} "
          f"parents (`/rk/pNNNN/cNNNNNNN`), plus `/rk` and the parents; then {ds.txns:,} setData of "
          f"{ds.value_size} B on random znodes (seed {ds.seed}), the same on both servers",
          f"- ZooKeeper's dataDir: {', '.join(meta.get('zk_files', []))} ({meta.get('zk_bytes', 0) / 2 ** 20:.0f} MiB)",
          f"- ringkeeper's dataDir: {', '.join(meta.get('rk_files', []))} "
          f"({meta.get('rk_bytes', 0) / 2 ** 20:.0f} MiB)",
          f"- import: `{meta.get('import_zk', '')}`",
          f"- known znode read by the probe: `{ds.known_path}`, must hold the value of the last setData",
          "- forceSync=yes on both; each restart starts from a fresh `cp -a` of the prepared dir (then `sync`), "
          "so the page cache is warm; servers alternate, ZooKeeper first",
          f"- ZooKeeper heap: -Xmx{meta.get('heap', '2g')}; ringkeeper: default cores", "",
          "## Result (medians)", "",
          "| server | restart: exec to first good getData | runs | RSS after load | peak RSS | own log |",
          "| --- | ---: | ---: | ---: | ---: | --- |"]

    def own(kind, st):
        if kind == "zk":
            parts = [f"snapshot loaded {benchlib.fmt(st.get('zk_snapshot_loaded_ms'), 0)} ms",
                     f"{benchlib.fmt(st.get('zk_txns_replayed'), 0)} txns replayed in "
                     f"{benchlib.fmt(st.get('zk_txns_loaded_ms'), 0)} ms",
                     f"startup snapshot written in {benchlib.fmt(st.get('zk_startup_snapshot_ms'), 0)} ms"]
        else:
            parts = [f"recovered (snapshot + {benchlib.fmt(st.get('rk_txns_replayed'), 0)} txns) in "
                     f"{benchlib.fmt(st.get('rk_recovery_ms'), 0)} ms"]
        return "; ".join(parts)

    for kind, st in (("zk", zk), ("ringkeeper", rk)):
        all_s = ", ".join(f"{x:.3f}" for x in st["restart_s_all"])
        L.append(f"| {kind} | {benchlib.fmt(st['restart_s'], 3)} s ({all_s}) | {st['ok']}/{st['runs']} | "
                 f"{benchlib.fmt(st['rss_mib'], 0)} MiB | {benchlib.fmt(st['hwm_mib'], 0)} MiB | {own(kind, st)} |")
    if zk["restart_s"] and rk["restart_s"]:
        L += ["", f"ringkeeper / ZooKeeper restart time: {rk['restart_s'] / zk['restart_s']:.3f}; "
              f"target for ringkeeper: <= 1 s: {'met' if rk['restart_s'] <= 1.0 else 'NOT met'}"]
    failed = [r for r in rows if not r["ok"]]
    if failed:
        L += ["", "Failed restarts:", ""] + [f"- {r['server']}: {r['error']}" for r in failed]
    L += ["", "Every restart is a row of `results.jsonl` (attempts = probes until the first good reply, "
          "outcomes = why earlier probes failed, RSS/HWM in bytes).", "",
          "Method: the time runs from just before `Popen` (fork+exec of `java ...` or `ringkeeper zoo.cfg`) to "
          "the reply of a getData over a fresh connection that returns the expected data. A probe is a new "
          "TCP connection, a ConnectRequest and a getData; refused or dropped connections are retried "
          f"every {zkwire.POLL_INTERVAL_S * 1000:.0f} ms. ZooKeeper binds its port before loading and closes "
          "connections until it serves; ringkeeper binds after recovery. ZooKeeper 3.8 writes a full "
          "snapshot after loading and before serving (ZooKeeperServer.loadData -> takeSnapshot), which is "
          "part of its restart time.", ""]
    path = os.path.join(out_dir, "results.md")
    with open(path, "w") as f:
        f.write("\n".join(L))
    svg = svgchart.line_chart(f"Restart time, {ds.znodes:,} znodes + {ds.txns:,} txns in the log",
                              {k: [(i + 1, r["restart_s"], None, None) for i, r in
                                   enumerate([r for r in rows if r["server"] == k and r["ok"]])]
                               for k in ("zk", "ringkeeper")},
                              "repeat", "seconds from exec to first good reply", logx=False, logy=True,
                              legend_notes=("dot = one restart", ""))  # no medians or ranges here
    with open(os.path.join(out_dir, "restart.svg"), "w") as f:
        f.write(svg)
    return "\n".join(L)


def dataset_from_args(a) -> Dataset:
    return Dataset(a.data_root, a.znodes, a.parents, a.txns, a.value_size, a.seed)


def add_dataset_args(p: argparse.ArgumentParser) -> None:
    p.add_argument("--znodes", type=int, default=1_000_000)
    p.add_argument("--parents", type=int, default=1000, help="znodes are spread evenly under this many parents")
    p.add_argument("--txns", type=int, default=100_000, help="setData txns in the log after the snapshot")
    p.add_argument("--value-size", type=int, default=100)
    p.add_argument("--seed", type=int, default=4)
    p.add_argument("--data-root", default=DATA_ROOT_DEFAULT)
    p.add_argument("--rebuild", action="store_true", help="prepare the data again even if it exists")
    p.add_argument("--ringkeeper", default=benchlib.DEFAULT_RINGKEEPER)
    p.add_argument("--zk-heap", default=zkharness.DEFAULT_HEAP)
    p.add_argument("--build-commit", default=None,
                   help="the git commit the binaries were built from, for the header (default: unknown)")
    p.add_argument("--prepare-only", action="store_true", help="prepare the data dirs, measure nothing")


def ensure_dataset(a, log) -> tuple[Dataset, dict]:
    ds = dataset_from_args(a)
    if a.rebuild or not ds.ready():
        meta = ds.build(os.path.abspath(a.ringkeeper), a.zk_heap, log)
    else:
        meta = ds.meta()
        log(f"reusing the data in {ds.dir} (built {meta.get('built')})")
    return ds, meta


def check_ports() -> None:
    for p in (ZK_PORT, RK_PORT):
        if not zkharness.port_free(p):
            raise SystemExit(f"port {p} is in use: another server is running")


def main(argv=None) -> int:
    p = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    add_dataset_args(p)
    p.add_argument("--repeats", type=int, default=5)
    p.add_argument("--out", default=None)
    a = p.parse_args(argv)
    rk_binary = os.path.abspath(a.ringkeeper)
    if not os.access(rk_binary, os.X_OK):
        raise SystemExit(f"{rk_binary}: not built (cargo build --release -p ringkeeper-server)")
    check_ports()
    out = a.out or os.path.join(HERE, "results", f"restart-{benchlib.utc_stamp()}")

    def log(msg):
        print(f"[{time.strftime('%H:%M:%S')}] {msg}", flush=True)

    before = moment()
    facts = benchlib.machine_facts(a.data_root)
    ds, meta = ensure_dataset(a, log)
    if a.prepare_only:
        print(json.dumps(meta, indent=1))
        return 0
    facts["build_commit"] = a.build_commit
    os.makedirs(out, exist_ok=True)
    jsonl = os.path.join(out, "results.jsonl")
    rows = []
    for rep in range(a.repeats):
        for kind in ("zk", "ringkeeper"):
            row = restart_once(kind, ds, os.path.join(ds.dir, f"run-{kind}"), rk_binary, a.zk_heap)
            row["repeat"] = rep + 1
            rows.append(row)
            benchlib.append_jsonl(jsonl, row)
            log(f"repeat {rep + 1} {kind}: " + (f"{row['restart_s']:.3f} s, RSS "
                f"{row['rss_after_2s']['rss'] / 2 ** 20:.0f} MiB" if row["ok"] else f"FAILED {row['error']}"))
    after = moment()
    print(write_report(out, sys.argv if argv is None else ["tuning/restart.py", *argv], ds, meta, rows, facts,
                       before, after))
    print(f"\nwritten to {out}")
    return 0 if all(r["ok"] for r in rows) else 1


if __name__ == "__main__":
    sys.exit(main())
