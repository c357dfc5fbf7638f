"""Shared pieces of the tuning scripts (compare.py, validate.py, groupcommit.py,
restart.py, snapshot_pause.py); Python 3.11 stdlib only.

- server kinds (Apache ZooKeeper via zkharness, ringkeeper's binary), each a
  small class with start() -> handle (connect_string, pids, alive, stop)
- run_driver(): one bounded run of loadgen / zkref with server CPU and RSS
- statistics, machine facts, markdown (the SVG charts are svgchart.py)
"""

from __future__ import annotations

import datetime as _dt
import functools
import json
import os
import platform
import resource
import shlex
import shutil
import signal
import statistics
import subprocess
import sys
import tempfile
import threading
import time
from dataclasses import dataclass, field

HERE = os.path.dirname(os.path.abspath(__file__))
REPO = os.path.dirname(HERE)
sys.path.insert(0, HERE)
import zkharness  # noqa: E402

DEFAULT_LOADGEN = os.path.join(REPO, "target", "release", "loadgen")
DEFAULT_RINGKEEPER = os.path.join(REPO, "target", "release", "ringkeeper")
DEFAULT_ZKREF = os.path.join(HERE, "zk-c-reference", "zkref")

# ringkeeper runs as `ringkeeper zoo.cfg`: the harness writes a zoo.cfg per
# member ({config}) the way zkharness does for Apache ZooKeeper. The templates
# stay overridable with --ringkeeper-args / --ringkeeper-ensemble-args.
# Placeholders: {config} {port} {host} {data_dir} {force_sync} (yes/no) {fsync} (true/false)
#               ensemble only: {id} {peers} (id=host:peerPort,... for all members)
#               {peer_port} {client_ports} (host:port,...)
RINGKEEPER_ARGS = "{config}"
RINGKEEPER_ENSEMBLE_ARGS = "{config}"
# Ensemble mode is not implemented in ringkeeper yet (standalone only).
RINGKEEPER_ENSEMBLE_READY = False


def ringkeeper_zoo_cfg(port: int, data_dir: str, force_sync: bool, extra: dict | None = None) -> str:
    """extra: more `key=value` lines, after the base ones (a later line wins in zoo.cfg)."""
    return (f"tickTime=2000\ndataDir={data_dir}\nclientPort={port}\n"
            f"clientPortAddress={zkharness.HOST}\nmaxClientCnxns=0\n"
            f"forceSync={'yes' if force_sync else 'no'}\n4lw.commands.whitelist=*\n"
            + "".join(f"{k}={v}\n" for k, v in (extra or {}).items()))


def utc_stamp() -> str:
    return _dt.datetime.now(_dt.timezone.utc).strftime("%Y%m%dT%H%M%SZ")


def utc_iso() -> str:
    return _dt.datetime.now(_dt.timezone.utc).strftime("%Y-%m-%dT%H:%M:%SZ")


# --------------------------------------------------------------------------
# server kinds
# --------------------------------------------------------------------------

class ServerUnavailable(Exception):
    """The server kind cannot run here (e.g. binary not built): skip its rows."""


class ServerHandle:
    name = "?"
    connect_string = ""

    @property
    def pids(self) -> list[int]:
        raise NotImplementedError

    def alive(self) -> bool:
        raise NotImplementedError

    def stop(self) -> None:
        raise NotImplementedError

    def version(self) -> str | None:
        return None

    def cpu_seconds(self) -> float:
        total = 0.0
        for p in self.pids:
            try:
                total += zkharness.proc_cpu_seconds(p)
            except OSError:
                pass
        return total

    def rss(self) -> dict:
        per = {}
        for p in self.pids:
            try:
                per[p] = zkharness.proc_rss(p)
            except OSError:
                per[p] = {"rss": None, "hwm": None}
        return {"rss": sum(v["rss"] or 0 for v in per.values()),
                "hwm": sum(v["hwm"] or 0 for v in per.values()),
                "per_pid": {str(k): v for k, v in per.items()}}

    def log_tail(self) -> str:
        return ""


class ServerKind:
    name = "?"

    def check(self) -> None:
        """Raise ServerUnavailable with a one-line reason if it cannot run."""

    def start(self, topology: str, force_sync: bool, work_dir: str) -> ServerHandle:
        raise NotImplementedError


class ZkHandle(ServerHandle):
    name = "zk"

    def __init__(self, cluster: zkharness.ZkCluster):
        self.cluster = cluster
        self.connect_string = cluster.connect_string
        self._version = cluster.version()

    @property
    def pids(self):
        return self.cluster.pids

    def alive(self):
        return self.cluster.alive()

    def stop(self):
        self.cluster.stop()
        self.cluster.cleanup()

    def version(self):
        return self._version

    def log_tail(self):
        return "\n".join(m.log_tail(20) for m in self.cluster.members)


class ZkKind(ServerKind):
    """Apache ZooKeeper 3.8 from Debian's package, started by zkharness."""
    name = "zk"

    def __init__(self, port_base: int = 2181, heap: str = zkharness.DEFAULT_HEAP, cpus: list[int] | None = None):
        self.port_base = port_base
        self.heap = heap
        self.cpus = list(cpus or [])

    def check(self):
        try:
            zkharness.classpath()
            zkharness.find_java()
        except zkharness.ZkHarnessError as e:
            raise ServerUnavailable(str(e)) from None

    def start(self, topology, force_sync, work_dir):
        kw = dict(force_sync=force_sync, heap=self.heap, base_dir=work_dir, cpus=self.cpus)
        if topology == "standalone":
            c = zkharness.start_standalone(self.port_base, **kw)
        else:
            c = zkharness.start_ensemble([self.port_base + i for i in range(3)], **kw)
        return ZkHandle(c)


class ProcHandle(ServerHandle):
    """Generic: processes we started, each serving the ZK protocol on a port."""

    def __init__(self, name, procs, ports, logs, base_dir):
        self.name = name
        self.procs = procs
        self.ports = ports
        self.logs = logs
        self.base_dir = base_dir
        self.connect_string = ",".join(f"{zkharness.HOST}:{p}" for p in ports)
        self._version = None

    @property
    def pids(self):
        return [p.pid for p in self.procs]

    def alive(self):
        return all(p.poll() is None for p in self.procs)

    def stop(self, grace: float = 10.0):
        zkharness.stop_processes(self.procs, grace)
        shutil.rmtree(self.base_dir, ignore_errors=True)

    def version(self):
        return self._version

    def log_tail(self):
        out = []
        for path in self.logs:
            try:
                with open(path, "rb") as f:
                    lines = f.read()[-16384:].decode("utf-8", "replace").splitlines()[-20:]
                out.append(f"--- tail of {path} ---\n" + "\n".join(lines))
            except OSError:
                pass
        return "\n".join(out)


class RingkeeperKind(ServerKind):
    name = "ringkeeper"

    def __init__(self, binary: str = DEFAULT_RINGKEEPER, port_base: int = 2281,
                 args_template: str = RINGKEEPER_ARGS, ensemble_template: str = RINGKEEPER_ENSEMBLE_ARGS,
                 ready_timeout: float = 30.0, cpus: list[int] | None = None,
                 zoo_cfg_extra: dict | None = None):
        self.cpus = list(cpus or [])
        # more zoo.cfg lines for every member (may be changed between starts)
        self.zoo_cfg_extra = dict(zoo_cfg_extra or {})
        self.binary = os.path.abspath(binary)
        self.port_base = port_base
        self.args_template = args_template
        self.ensemble_template = ensemble_template
        self.ready_timeout = ready_timeout

    def check(self):
        if not (os.path.isfile(self.binary) and os.access(self.binary, os.X_OK)):
            raise ServerUnavailable("ringkeeper server binary not built yet; skipping")

    def start(self, topology, force_sync, work_dir):
        self.check()
        if topology != "standalone" and not RINGKEEPER_ENSEMBLE_READY:
            raise ServerUnavailable("ringkeeper ensemble mode is not implemented yet; skipping")
        base = tempfile.mkdtemp(prefix="ringkeeper-", dir=work_dir)
        n = 1 if topology == "standalone" else 3
        ports = [self.port_base + i for i in range(n)]
        peer_ports = [p + 10000 for p in ports]
        if n > 1 and not all(zkharness.port_free(p) for p in peer_ports):
            peer_ports = zkharness.free_ports(n, avoid=set(ports))
        for p in ports + (peer_ports if n > 1 else []):
            if not zkharness.port_free(p):
                shutil.rmtree(base, ignore_errors=True)
                raise RuntimeError(f"port {zkharness.HOST}:{p} is already in use")
        peers = ",".join(f"{i + 1}={zkharness.HOST}:{peer_ports[i]}" for i in range(n))
        procs, logs = [], []
        try:
            for i in range(n):
                d = os.path.join(base, f"rk{i + 1}")
                data = os.path.join(d, "data")
                os.makedirs(data)
                config = os.path.join(d, "zoo.cfg")
                with open(config, "w") as f:
                    f.write(ringkeeper_zoo_cfg(ports[i], data, force_sync, self.zoo_cfg_extra))
                fmt = dict(config=config, port=ports[i], host=zkharness.HOST, data_dir=data,
                           force_sync="yes" if force_sync else "no", fsync="true" if force_sync else "false",
                           id=i + 1, peers=peers, peer_port=peer_ports[i],
                           client_ports=",".join(f"{zkharness.HOST}:{p}" for p in ports))
                tmpl = self.args_template if n == 1 else self.ensemble_template
                cmd = [self.binary] + shlex.split(tmpl.format(**fmt))
                log = os.path.join(d, "ringkeeper.log")
                logs.append(log)
                with open(log, "wb") as out:
                    out.write((" ".join(shlex.quote(c) for c in cmd) + "\n").encode())
                    out.flush()
                    procs.append(subprocess.Popen(cmd, stdin=subprocess.DEVNULL, stdout=out,
                                                  stderr=subprocess.STDOUT, cwd=d,
                                                  preexec_fn=functools.partial(zkharness._child_setup, self.cpus),
                                                  start_new_session=True))
            h = ProcHandle(self.name, procs, ports, logs, base)
        except BaseException:
            for p in procs:
                p.kill()
                p.wait()
            shutil.rmtree(base, ignore_errors=True)
            raise
        # ready when every member accepts a real ZooKeeper session
        deadline = time.monotonic() + self.ready_timeout
        pending = list(ports)
        while pending:
            if not h.alive():
                tail = h.log_tail()
                h.stop()
                raise RuntimeError(f"ringkeeper exited during startup\n{tail}")
            for p in list(pending):
                try:
                    zkharness.zk_handshake(p, timeout=2.0)
                    pending.remove(p)
                except (OSError, ConnectionError):
                    pass
            if pending and time.monotonic() > deadline:
                tail = h.log_tail()
                h.stop()
                raise RuntimeError(f"ringkeeper not accepting sessions on {pending} after "
                                   f"{self.ready_timeout:.0f}s\n{tail}")
            if pending:
                time.sleep(0.2)
        try:
            v = subprocess.run([self.binary, "--version"], capture_output=True, text=True, timeout=5)
            h._version = (v.stdout.strip() or v.stderr.strip()).splitlines()[0] if v.returncode == 0 else None
        except (OSError, subprocess.SubprocessError, IndexError):
            pass
        return h


# --------------------------------------------------------------------------
# one driver run
# --------------------------------------------------------------------------

def delta_between(s: list, t0: float, t1: float) -> float | None:
    """How much a counter sampled as [(unix, value)] grew over [t0, t1], by linear
    interpolation between samples; None unless the samples cover [t0, t1]."""
    if len(s) < 2 or t0 < s[0][0] or t1 > s[-1][0] or t1 <= t0:
        return None

    def at(t):
        for (ta, ca), (tb, cb) in zip(s, s[1:]):
            if ta <= t <= tb:
                return ca if tb == ta else ca + (cb - ca) * (t - ta) / (tb - ta)
        return None

    a, b = at(t0), at(t1)
    return None if a is None or b is None else b - a


class PeriodicSampler(threading.Thread):
    """A daemon thread calling _sample() every `period` s, and once more at stop()."""

    def __init__(self, period: float):
        super().__init__(daemon=True)
        self.period = period
        self._halt = threading.Event()

    def _sample(self) -> None:
        raise NotImplementedError

    def run(self):
        while True:
            self._sample()
            if self._halt.wait(self.period):
                break

    def stop(self):
        self._halt.set()
        self.join(timeout=5)
        self._sample()


class CpuSampler(PeriodicSampler):
    """Samples server CPU time (sum over pids) every `period` s: [(unix, cpu_s)].

    With mntr_ports it also samples the servers' own request counters
    (`zk_packets_received` from the four-letter word mntr, summed over the
    ports): [(unix, packets)], an independent count of the load.
    """

    def __init__(self, handle: ServerHandle, period: float = 0.5, mntr_ports: list[int] | None = None):
        super().__init__(period)
        self.handle = handle
        self.mntr_ports = list(mntr_ports or [])
        self.samples: list[tuple[float, float]] = []
        self.packets: list[tuple[float, int]] = []

    def _packets(self) -> int | None:
        total = 0
        for p in self.mntr_ports:
            try:
                txt = zkharness.four_letter(p, "mntr", timeout=1.0)
            except OSError:
                return None
            for line in txt.splitlines():
                if line.startswith("zk_packets_received"):
                    total += int(line.split()[1])
                    break
            else:
                return None
        return total

    def _sample(self):
        try:
            self.samples.append((time.time(), self.handle.cpu_seconds()))
        except Exception:
            pass
        if self.mntr_ports:
            n = self._packets()
            if n is None:
                self.mntr_ports = []  # server has no mntr: stop asking
            else:
                self.packets.append((time.time(), n))

    def busy_rate(self, seconds: float) -> float | None:
        """Request rate over the busiest contiguous stretch of `seconds` (the
        measured window is the busiest stretch of a run; under noise this
        leans high)."""
        s = self.packets
        if len(s) < 2:
            return None
        best = None
        j = 0
        for i in range(len(s)):
            while j < len(s) and s[j][0] - s[i][0] < seconds:
                j += 1
            if j >= len(s):
                break
            r = (s[j][1] - s[i][1]) / (s[j][0] - s[i][0])
            best = r if best is None else max(best, r)
        if best is None:  # run shorter than `seconds`
            best = (s[-1][1] - s[0][1]) / (s[-1][0] - s[0][0]) if s[-1][0] > s[0][0] else None
        return best

    def packets_between(self, t0: float, t1: float) -> float | None:
        return delta_between(self.packets, t0, t1)

    def cpu_between(self, t0: float, t1: float) -> float | None:
        """CPU seconds used in [t0, t1], linear interpolation between samples."""
        return delta_between(self.samples, t0, t1)


# names a driver may use for its measurement window (unix seconds)
_WINDOW_KEYS = [("t_measure_start_unix", "t_measure_end_unix"),
                ("measure_start_unix", "measure_end_unix"),
                ("measure_start_unix_s", "measure_end_unix_s")]


def parse_json_line(stdout: str) -> dict | None:
    for line in reversed(stdout.strip().splitlines()):
        line = line.strip()
        if line.startswith("{"):
            try:
                return json.loads(line)
            except json.JSONDecodeError:
                continue
    return None


def run_driver(cmd: list[str], handle: ServerHandle | None, timeout: float,
               mntr_ports: list[int] | None = None, busy_seconds: float | None = None,
               cpus: list[int] | None = None) -> dict:
    """Run one bounded driver process; measure server CPU/RSS around it.

    Returns a dict with ok, error, result (parsed JSON), wall_s, server_* and
    driver_cpu_s (the driver's own CPU, from RUSAGE_CHILDREN).
    """
    if cpus:
        cmd = ["taskset", "-c", ",".join(str(c) for c in cpus)] + list(cmd)
    row: dict = {"cmd": cmd, "started_utc": utc_iso(), "ok": False, "error": None, "result": None}
    # the driver inherits our fd limit (no preexec_fn: the sampler thread runs)
    zkharness.raise_nofile()
    cpu0 = handle.cpu_seconds() if handle else None
    ru0 = resource.getrusage(resource.RUSAGE_CHILDREN)
    sampler = CpuSampler(handle, mntr_ports=mntr_ports) if handle else None
    if sampler:
        sampler.start()
    t0 = time.monotonic()
    stdout = stderr = ""
    try:
        p = subprocess.Popen(cmd, stdin=subprocess.DEVNULL, stdout=subprocess.PIPE, stderr=subprocess.PIPE,
                             text=True, start_new_session=True)
    except OSError as e:
        if sampler:
            sampler.stop()
        row["error"] = f"cannot start driver: {e}"
        return row
    try:
        stdout, stderr = p.communicate(timeout=timeout)
    except subprocess.TimeoutExpired:
        try:
            os.killpg(p.pid, signal.SIGKILL)
        except ProcessLookupError:
            pass
        stdout, stderr = p.communicate()
        row["error"] = f"driver timed out after {timeout:.0f}s and was killed"
    wall = time.monotonic() - t0
    if sampler:
        sampler.stop()
    ru1 = resource.getrusage(resource.RUSAGE_CHILDREN)
    row["wall_s"] = round(wall, 3)
    row["exit_code"] = p.returncode
    row["driver_cpu_s"] = round((ru1.ru_utime - ru0.ru_utime) + (ru1.ru_stime - ru0.ru_stime), 3)
    row["stderr_tail"] = "\n".join(stderr.strip().splitlines()[-15:])
    res = parse_json_line(stdout)
    row["result"] = res
    if row["error"] is None:
        if p.returncode != 0:
            row["error"] = f"driver exit code {p.returncode}: " + (" | ".join(stderr.strip().splitlines()[-3:])
                                                                     or "(no stderr)")
        elif res is None:
            row["error"] = "driver printed no JSON line: " + (stdout.strip()[-300:] or "(empty stdout)")
        elif res.get("error"):
            row["error"] = f"driver reported: {res.get('error')}"
    row["ok"] = row["error"] is None
    if handle:
        cpu1 = handle.cpu_seconds()
        row["server_alive_after"] = handle.alive()
        row["server_cpu_s"] = round(cpu1 - cpu0, 3)
        row["server_cpu_util"] = round((cpu1 - cpu0) / wall, 3) if wall > 0 else None
        r = handle.rss()
        row["server_rss_bytes"] = r["rss"]
        row["server_hwm_bytes"] = r["hwm"]
        row["server_rss_per_pid"] = r["per_pid"]
        ops = (res or {}).get("ops") or 0
        row["server_cpu_us_per_op"] = round((cpu1 - cpu0) * 1e6 / ops, 2) if ops else None
        # steady-state figures, if the driver tells us its measurement window
        row["server_cpu_us_per_op_window"] = None
        window = None
        if res:
            for a, b in _WINDOW_KEYS:
                if isinstance(res.get(a), (int, float)) and isinstance(res.get(b), (int, float)):
                    window = (res[a], res[b])
                    break
        if window and ops:
            c = sampler.cpu_between(*window)
            if c is not None:
                row["server_cpu_us_per_op_window"] = round(c * 1e6 / ops, 2)
        # the server's own count of requests: in the driver's window when
        # known, else over the busiest stretch of `busy_seconds`
        row["server_counted_ops_s"] = None
        row["server_counted_method"] = None
        ts = [t for t, _ in sampler.samples]
        # largest gap between CPU/mntr samples: big gaps (an overloaded
        # machine starving the sampler) make the window figures imprecise
        row["sampler_max_gap_s"] = round(max((b - a for a, b in zip(ts, ts[1:])), default=0.0), 2)
        if sampler and sampler.packets:
            n = sampler.packets_between(*window) if window else None
            if n is not None:
                row["server_counted_ops_s"] = round(n / (window[1] - window[0]), 1)
                row["server_counted_method"] = "window"
            elif busy_seconds:
                r = sampler.busy_rate(busy_seconds)
                if r is not None:
                    row["server_counted_ops_s"] = round(r, 1)
                    row["server_counted_method"] = "busiest"
    return row


def connect_allowance(clients: int) -> float:
    """Seconds a driver may spend connecting/creating keys/closing, on top of warmup+duration."""
    return 45.0 + clients / 100.0


# --------------------------------------------------------------------------
# statistics helpers over driver JSON
# --------------------------------------------------------------------------

def lat_ms(res: dict, which: str, pct: str) -> float | None:
    try:
        v = res["latency_us"][which][pct]
        return None if v is None else float(v) / 1000.0
    except (KeyError, TypeError, ValueError):
        return None


def error_count(res: dict | None) -> int:
    if not res:
        return 0
    e = res.get("errors")
    if isinstance(e, dict):
        return int(sum(v for v in e.values() if isinstance(v, (int, float))))
    if isinstance(e, (int, float)):
        return int(e)
    return 0


def error_kinds(rows) -> dict:
    out: dict = {}
    for r in rows:
        e = (r.get("result") or {}).get("errors")
        if isinstance(e, dict):
            for k, v in e.items():
                if isinstance(v, (int, float)) and v:
                    out[k] = out.get(k, 0) + int(v)
        elif isinstance(e, (int, float)) and e:
            out["errors"] = out.get("errors", 0) + int(e)
    return out


def med(xs):
    xs = [x for x in xs if x is not None]
    return statistics.median(xs) if xs else None


@dataclass
class CellStats:
    runs: int = 0
    ok: int = 0
    thr: list = field(default_factory=list)
    p50: list = field(default_factory=list)
    p99: list = field(default_factory=list)
    p999: list = field(default_factory=list)
    errors: int = 0
    error_kinds: dict = field(default_factory=dict)
    cpu_us_op: list = field(default_factory=list)
    cpu_us_op_window: list = field(default_factory=list)
    rss: list = field(default_factory=list)
    driver_cpu_us_op: list = field(default_factory=list)
    server_counted: list = field(default_factory=list)
    failures: list = field(default_factory=list)
    short_sessions: int = 0  # ok runs where fewer sessions connected than asked for

    @property
    def thr_med(self):
        return med(self.thr)

    @property
    def p99_med(self):
        return med(self.p99)


def cell_stats(rows) -> CellStats:
    st = CellStats()
    for r in rows:
        st.runs += 1
        res = r.get("result") or {}
        if not r.get("ok"):
            st.failures.append(r.get("error") or "?")
        if r.get("ok"):
            st.ok += 1
            st.thr.append(res.get("throughput_ops_s"))
            st.p50.append(lat_ms(res, "all", "p50"))
            st.p99.append(lat_ms(res, "all", "p99"))
            st.p999.append(lat_ms(res, "all", "p999"))
            st.cpu_us_op.append(r.get("server_cpu_us_per_op"))
            st.cpu_us_op_window.append(r.get("server_cpu_us_per_op_window"))
            st.server_counted.append(r.get("server_counted_ops_s"))
            if r.get("server_rss_bytes"):
                st.rss.append(r["server_rss_bytes"] / 2 ** 20)
            ops = res.get("ops") or 0
            if ops and r.get("driver_cpu_s") is not None:
                st.driver_cpu_us_op.append(r["driver_cpu_s"] * 1e6 / ops)
        st.errors += error_count(res)
        sc, cl = res.get("sessions_connected"), res.get("clients")
        if r.get("ok") and isinstance(sc, int) and isinstance(cl, int) and sc < cl:
            st.short_sessions += 1
    st.error_kinds = error_kinds(rows)
    return st


def fmt(x, nd=1, dash="–"):
    if x is None:
        return dash
    if isinstance(x, float) and nd == 0:
        return f"{x:,.0f}"
    if isinstance(x, int):
        return f"{x:,}"
    return f"{x:,.{nd}f}"


def append_jsonl(path: str, row: dict) -> None:
    """Appends one run's row to a results.jsonl as it finishes, so a run that
    is cut short keeps every row so far."""
    with open(path, "a") as f:
        f.write(json.dumps(row) + "\n")


def fmt_ms(x):
    if x is None:
        return "–"
    return f"{x:.3f}" if x < 1 else (f"{x:.2f}" if x < 100 else f"{x:.0f}")


def fmt_range(xs):
    xs = [x for x in xs if x is not None]
    if not xs:
        return "–"
    return f"{min(xs):,.0f}–{max(xs):,.0f}"


def md_table(key_head: str, d: dict) -> list[str]:
    """A two-column markdown table of d (| key_head | value |), then a blank line."""
    return [f"| {key_head} | value |", "| --- | --- |"] + [f"| {k} | {v} |" for k, v in d.items()] + [""]


def fmt_errors(st: CellStats) -> str:
    s = str(st.errors)
    if st.error_kinds and st.errors:
        s += " (" + ", ".join(f"{k} {v}" for k, v in sorted(st.error_kinds.items())) + ")"
    if st.runs - st.ok:
        s += f"; {st.runs - st.ok} failed run(s)"
    if st.short_sessions:
        s += f"; {st.short_sessions} run(s) with sessions missing"
    return s


# --------------------------------------------------------------------------
# machine facts
# --------------------------------------------------------------------------

def _first_line(cmd, timeout=10) -> str | None:
    try:
        r = subprocess.run(cmd, capture_output=True, text=True, timeout=timeout)
        out = (r.stdout or r.stderr).strip().splitlines()
        return out[0] if out else None
    except (OSError, subprocess.SubprocessError):
        return None


def machine_facts(data_dir: str | None = None) -> dict:
    f: dict = {}
    f["nproc"] = len(os.sched_getaffinity(0))
    f["kernel"] = platform.release()
    try:
        with open("/proc/cpuinfo") as fh:
            for line in fh:
                if line.startswith("model name"):
                    f["cpu"] = line.split(":", 1)[1].strip()
                    break
    except OSError:
        pass
    try:
        with open("/proc/meminfo") as fh:
            kb = int(fh.readline().split()[1])
            f["memory_gib"] = round(kb / 2 ** 20, 1)
    except (OSError, ValueError, IndexError):
        pass
    f["zookeeper_debian_package"] = zkharness.debian_version()
    f["java"] = _first_line(["java", "-version"])
    f["rlimit_nofile"] = list(resource.getrlimit(resource.RLIMIT_NOFILE))
    f["rlimit_nofile_after_raise"] = list(zkharness.raise_nofile())
    la = loadavg()
    if la is not None:
        f["loadavg_at_start"] = la
    f["git_commit"] = _first_line(["git", "-C", REPO, "rev-parse", "--short", "HEAD"])
    if f["git_commit"] and ("fatal" in f["git_commit"] or "ambiguous" in f["git_commit"]):
        f["git_commit"] = None
    d = data_dir or tempfile.gettempdir()
    fstype, source = fs_of(d)
    f["data_dir_parent"] = d
    f["data_dir_fs"] = f"{fstype} {source}" if fstype else None
    return f


def fs_of(path: str) -> tuple[str | None, str | None]:
    """(filesystem type, source device) of path, from df."""
    try:
        r = subprocess.run(["df", "--output=fstype,source", path], capture_output=True, text=True, timeout=5)
        fstype, source = r.stdout.strip().splitlines()[-1].split()[:2]
        return fstype, source
    except (OSError, subprocess.SubprocessError, IndexError, ValueError):
        return None, None


# --------------------------------------------------------------------------
# what the machine does beside us
# --------------------------------------------------------------------------

def loadavg() -> list[str] | None:
    try:
        with open("/proc/loadavg") as f:
            return f.read().split()[:3]
    except OSError:
        return None


def _cpu_ticks_by_pid() -> dict:
    """{pid: (name, utime+stime ticks)} for every process, from /proc/PID/stat."""
    out = {}
    for d in os.listdir("/proc"):
        if not d.isdigit():
            continue
        try:
            with open(f"/proc/{d}/stat") as f:
                st = f.read()
        except OSError:
            continue
        name = st[st.index("(") + 1:st.rindex(")")]
        rest = st[st.rindex(")") + 2:].split()
        out[int(d)] = (name, int(rest[11]) + int(rest[12]))
    return out


def busy_processes(interval_s: float = 0.5, n: int = 8) -> list[str]:
    """What else was running: how many rustc/cargo/java/ringkeeper/loadgen
    processes exist, then the processes that used >= 5 % of a core over
    interval_s, busiest first."""
    a = _cpu_ticks_by_pid()
    time.sleep(interval_s)
    b = _cpu_ticks_by_pid()
    hz = os.sysconf("SC_CLK_TCK")
    names = [v[0] for v in b.values()]
    counts = ", ".join(f"{c} ×{names.count(c)}" for c in ("rustc", "cargo", "java", "ringkeeper", "loadgen"))
    busy = sorted(((b[p][1] - a[p][1]) / hz / interval_s, p, b[p][0]) for p in b if p in a and p != os.getpid())
    top = [f"{name} (pid {pid}): {share * 100:.0f} % of a core" for share, pid, name in reversed(busy)
           if share >= 0.05][:n]
    return [f"processes: {counts}"] + (top or [f"nothing else above 5 % of a core over {interval_s:g} s"])


def others_running() -> str:
    """What else used the CPU, in one line: how many rustc/cargo/java/loadgen/ringkeeper
    processes exist, and the top 5 by ps's %CPU (CPU time over each process's whole life,
    not a sample of now as busy_processes() takes)."""
    names = [name for name, _ in _cpu_ticks_by_pid().values()]
    counts = {name: names.count(name) for name in ("rustc", "cargo", "java", "loadgen", "ringkeeper")}
    r = subprocess.run(["ps", "-eo", "pcpu,comm", "--sort=-pcpu", "--no-headers"], capture_output=True, text=True)
    top = ", ".join(" ".join(l.split()) for l in r.stdout.splitlines()[:5])
    return f"processes: {counts}; top by CPU: {top}"
