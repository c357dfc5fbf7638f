#!/usr/bin/env python3
"""Run Apache ZooKeeper 3.8 (Debian's package) by hand, for benchmarks.

Not via systemd: this module starts `java ... QuorumPeerMain zoo.cfg` itself,
with its own temp dir (config, data dir, log), bound to 127.0.0.1 only.

Library use:

    import zkharness
    with zkharness.start_standalone(2181, force_sync=False) as zk:
        print(zk.connect_string, zk.pids)
        print(zkharness.proc_cpu_seconds(zk.pids[0]), zkharness.proc_rss(zk.pids[0]))
    # leaving the block stops the JVM(s) and removes the temp dir

    ens = zkharness.start_ensemble([2181, 2182, 2183])
    ...
    ens.stop(); ens.cleanup()

CLI (foreground until Ctrl-C / SIGTERM):

    python3 tuning/zkharness.py standalone --port 2181 [--force-sync no]
    python3 tuning/zkharness.py ensemble --ports 2181,2182,2183
    python3 tuning/zkharness.py info            # classpath, java, version
    python3 tuning/zkharness.py srvr --port 2181 # send a 4lw and print the answer

Python 3.11 standard library only.
"""

from __future__ import annotations

import argparse
import atexit
import ctypes
import functools
import os
import resource
import shutil
import signal
import socket
import struct
import subprocess
import sys
import tempfile
import threading
import time
import zipfile

HOST = "127.0.0.1"
ZK_JAR = "/usr/share/java/zookeeper.jar"
# Debian's zookeeper.jar manifest has a Class-Path with every runtime jar it
# needs (netty, jetty, jackson, metrics, jline, snappy, slf4j-api, jute...), so
# the JVM pulls those in by itself. What the manifest lacks is an slf4j
# *binding*; without one ZooKeeper logs nothing at all. Debian's package
# depends on liblog4j1.2-java and libslf4j-java, so the log4j 1.2 binding is
# always there: add it explicitly so that we get a log file.
LOG_JARS = ["/usr/share/java/slf4j-log4j12.jar", "/usr/share/java/log4j-1.2.jar"]
MAIN_CLASS = "org.apache.zookeeper.server.quorum.QuorumPeerMain"
DEFAULT_HEAP = "2g"
NOFILE_WANT = 1_048_576
STOP_GRACE_S = 10.0

_CLK_TCK = os.sysconf("SC_CLK_TCK")
_PAGE = os.sysconf("SC_PAGE_SIZE")


class ZkHarnessError(RuntimeError):
    pass


# --------------------------------------------------------------------------
# /proc helpers
# --------------------------------------------------------------------------

def proc_cpu_seconds(pid: int) -> float:
    """utime+stime of a process (all its threads) in seconds, from /proc/PID/stat."""
    with open(f"/proc/{pid}/stat", "rb") as f:
        data = f.read().decode("ascii", "replace")
    # comm (field 2) may contain spaces and parens: split after the last ')'.
    rest = data[data.rindex(")") + 2:].split()
    # rest[0] is field 3 (state); utime is field 14, stime field 15.
    utime = int(rest[14 - 3])
    stime = int(rest[15 - 3])
    return (utime + stime) / _CLK_TCK


def proc_rss(pid: int) -> dict:
    """{'rss': bytes, 'hwm': bytes} from VmRSS / VmHWM in /proc/PID/status."""
    out = {"rss": None, "hwm": None}
    with open(f"/proc/{pid}/status") as f:
        for line in f:
            if line.startswith("VmRSS:"):
                out["rss"] = int(line.split()[1]) * 1024
            elif line.startswith("VmHWM:"):
                out["hwm"] = int(line.split()[1]) * 1024
    return out


def pid_alive(pid: int) -> bool:
    try:
        with open(f"/proc/{pid}/stat") as f:
            state = f.read().rsplit(")", 1)[1].split()[0]
        return state not in ("Z", "X")
    except (FileNotFoundError, ProcessLookupError, IndexError):
        return False


def raise_nofile(want: int = NOFILE_WANT) -> tuple[int, int]:
    """Raise RLIMIT_NOFILE to `want`, or as high as allowed (the hard limit).

    Returns the (soft, hard) limits in force afterwards.
    """
    soft, hard = resource.getrlimit(resource.RLIMIT_NOFILE)
    if hard == resource.RLIM_INFINITY or hard >= want:
        tries = [(want, hard)]
    else:
        tries = [(want, want), (hard, hard)]  # raising hard needs CAP_SYS_RESOURCE
    for t in tries:
        if t[0] <= soft and t[1] == hard:
            break
        try:
            resource.setrlimit(resource.RLIMIT_NOFILE, t)
            break
        except (ValueError, OSError):
            continue
    return resource.getrlimit(resource.RLIMIT_NOFILE)


# --------------------------------------------------------------------------
# ZooKeeper protocol helpers (four letter words, a bare session handshake)
# --------------------------------------------------------------------------

def four_letter(port: int, cmd: str = "srvr", host: str = HOST, timeout: float = 2.0) -> str:
    """Send a 4lw (srvr, mntr, ruok, conf, ...) and return the whole answer."""
    with socket.create_connection((host, port), timeout=timeout) as s:
        s.settimeout(timeout)
        s.sendall(cmd.encode("ascii"))
        chunks = []
        while True:
            try:
                b = s.recv(65536)
            except socket.timeout:
                break
            if not b:
                break
            chunks.append(b)
    return b"".join(chunks).decode("utf-8", "replace")


def parse_srvr(text: str) -> dict:
    out = {}
    for line in text.splitlines():
        if ":" in line:
            k, v = line.split(":", 1)
            out[k.strip()] = v.strip()
    return out


def zk_mode(port: int, host: str = HOST, timeout: float = 2.0) -> str | None:
    """'standalone' / 'leader' / 'follower' / 'observer', or None if not serving."""
    try:
        return parse_srvr(four_letter(port, "srvr", host, timeout)).get("Mode")
    except OSError:
        return None


def _recv_exact(s: socket.socket, n: int) -> bytes:
    buf = b""
    while len(buf) < n:
        b = s.recv(n - len(buf))
        if not b:
            raise ConnectionError("connection closed by server")
        buf += b
    return buf


def connect_request(session_timeout_ms: int) -> bytes:
    """A new session's ConnectRequest, framed: int protocolVersion, long
    lastZxidSeen, int timeOut, long sessionId, buffer passwd (int len + 16
    zero bytes), bool readOnly."""
    body = struct.pack(">iqiqi16s?", 0, 0, session_timeout_ms, 0, 16, b"\0" * 16, False)
    return struct.pack(">i", len(body)) + body


def zk_handshake(port: int, host: str = HOST, timeout: float = 3.0, session_timeout_ms: int = 10000) -> int:
    """Open a real ZooKeeper session (ConnectRequest), then close it (closeSession).

    Server-agnostic readiness probe: works for any server speaking the
    ZooKeeper client protocol, including ones without four-letter words.
    Returns the session id; raises OSError/ConnectionError on failure.
    """
    with socket.create_connection((host, port), timeout=timeout) as s:
        s.settimeout(timeout)
        s.sendall(connect_request(session_timeout_ms))
        (n,) = struct.unpack(">i", _recv_exact(s, 4))
        if n < 16 or n > 1 << 20:
            raise ConnectionError(f"bad ConnectResponse length {n}")
        resp = _recv_exact(s, n)
        _proto, neg_timeout, session_id = struct.unpack(">iiq", resp[:16])
        if neg_timeout <= 0 or session_id == 0:
            raise ConnectionError("server refused the session")
        # RequestHeader(xid=1, type=closeSession(-11)), no body
        s.sendall(struct.pack(">iii", 8, 1, -11))
        try:
            (n,) = struct.unpack(">i", _recv_exact(s, 4))
            _recv_exact(s, n)
        except (OSError, ConnectionError):
            pass
        return session_id


def port_free(port: int, host: str = HOST) -> bool:
    s = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
    try:
        s.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        s.bind((host, port))
        return True
    except OSError:
        return False
    finally:
        s.close()


def free_ports(n: int, avoid: set | None = None, host: str = HOST) -> list[int]:
    """n distinct ports that are free right now (the kernel picks them)."""
    avoid = set(avoid or ())
    out: list[int] = []
    socks = []
    try:
        while len(out) < n:
            s = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
            socks.append(s)
            s.bind((host, 0))
            p = s.getsockname()[1]
            if p not in avoid and p not in out:
                out.append(p)
            if len(socks) > 10 * n + 10:
                raise ZkHarnessError("could not find free ports")
    finally:
        for s in socks:
            s.close()
    return out


# --------------------------------------------------------------------------
# Classpath / java
# --------------------------------------------------------------------------

def find_java() -> str:
    jh = os.environ.get("JAVA_HOME")
    if jh and os.access(os.path.join(jh, "bin", "java"), os.X_OK):
        return os.path.join(jh, "bin", "java")
    j = shutil.which("java") or "/usr/bin/java"
    if not os.access(j, os.X_OK):
        raise ZkHarnessError("java not found: apt-get install -y zookeeper (pulls default-jre)")
    return j


def manifest_classpath(jar: str = ZK_JAR) -> list[str]:
    with zipfile.ZipFile(jar) as z:
        mf = z.read("META-INF/MANIFEST.MF").decode("utf-8", "replace")
    # manifest lines are wrapped at 72 bytes with a leading space continuation
    mf = mf.replace("\r\n", "\n").replace("\n ", "")
    for line in mf.splitlines():
        if line.startswith("Class-Path:"):
            return line.split(":", 1)[1].split()
    return []


# Jars from the manifest that the *server* cannot start without. Others in
# the manifest (jline: only zkCli's shell) are optional and may be absent.
ESSENTIAL_JARS = {"zookeeper-jute.jar", "slf4j-api.jar", "netty-handler.jar", "netty-transport.jar",
                  "netty-common.jar", "netty-buffer.jar", "metrics-core.jar", "commons-io.jar"}


def missing_manifest_jars() -> list[str]:
    return [p for p in manifest_classpath() if not os.path.exists(p)]


def classpath(conf_dir: str | None = None) -> list[str]:
    """Classpath entries: [conf_dir], zookeeper.jar, slf4j->log4j binding.

    Everything else comes from zookeeper.jar's manifest Class-Path (Debian
    does the same in /etc/zookeeper/conf/environment:
    CLASSPATH="/etc/zookeeper/conf:/usr/share/java/zookeeper.jar").
    """
    if not os.path.exists(ZK_JAR):
        raise ZkHarnessError(
            f"{ZK_JAR} missing: apt-get install -y zookeeper zookeeper-bin")
    missing = [p for p in missing_manifest_jars() if os.path.basename(p) in ESSENTIAL_JARS]
    if missing:
        raise ZkHarnessError("jars the server needs are missing (zookeeper.jar's manifest names them): "
                             + " ".join(missing))
    cp = [conf_dir] if conf_dir else []
    cp.append(ZK_JAR)
    cp += [j for j in LOG_JARS if os.path.exists(j)]
    return cp


def debian_version() -> str | None:
    try:
        return subprocess.run(["dpkg-query", "-W", "-f=${Version}", "zookeeper"],
                              capture_output=True, text=True, timeout=10).stdout.strip() or None
    except (OSError, subprocess.SubprocessError):
        return None


# --------------------------------------------------------------------------
# Process management
# --------------------------------------------------------------------------

_LIVE: "set[ZkCluster]" = set()
_LIVE_LOCK = threading.Lock()


def stop_processes(procs, grace: float = STOP_GRACE_S) -> None:
    """SIGTERM each process, SIGKILL whatever is still running after `grace` s."""
    for p in procs:
        if p.poll() is None:
            try:
                p.send_signal(signal.SIGTERM)
            except ProcessLookupError:
                pass
    deadline = time.monotonic() + grace
    for p in procs:
        try:
            p.wait(timeout=max(0.05, deadline - time.monotonic()))
        except subprocess.TimeoutExpired:
            pass
    for p in procs:
        if p.poll() is None:
            try:
                p.kill()
            except ProcessLookupError:
                pass
            try:
                p.wait(timeout=10)
            except subprocess.TimeoutExpired:
                pass


def _stop_all_at_exit():
    with _LIVE_LOCK:
        clusters = list(_LIVE)
    for c in clusters:
        try:
            c.stop()
            c.cleanup()
        except Exception:
            pass


atexit.register(_stop_all_at_exit)

_libc = None


def _child_setup(cpus=None):
    """Runs in the forked child before exec: fd limit, die with the parent,
    optional CPU affinity."""
    raise_nofile()
    if cpus:
        try:
            os.sched_setaffinity(0, set(cpus))
        except OSError:
            pass
    global _libc
    try:
        if _libc is None:
            _libc = ctypes.CDLL(None, use_errno=True)
        _libc.prctl(1, signal.SIGKILL, 0, 0, 0)  # PR_SET_PDEATHSIG
    except Exception:
        pass


class Member:
    def __init__(self, sid: int, client_port: int, peer_port: int | None, election_port: int | None, base: str):
        self.sid = sid
        self.client_port = client_port
        self.peer_port = peer_port
        self.election_port = election_port
        self.dir = os.path.join(base, f"zk{sid}")
        self.data_dir = os.path.join(self.dir, "data")
        self.cfg = os.path.join(self.dir, "zoo.cfg")
        self.log = os.path.join(self.dir, "zookeeper.log")
        self.out = os.path.join(self.dir, "stdout.log")
        self.proc: subprocess.Popen | None = None

    def log_tail(self, n: int = 40) -> str:
        parts = []
        for p in (self.log, self.out):
            try:
                with open(p, "rb") as f:
                    f.seek(0, 2)
                    size = f.tell()
                    f.seek(max(0, size - 64 * 1024))
                    lines = f.read().decode("utf-8", "replace").splitlines()[-n:]
                parts.append(f"--- tail of {p} ---\n" + "\n".join(lines))
            except OSError:
                pass
        return "\n".join(parts) or "(no log)"


class ZkCluster:
    """One standalone ZooKeeper or an ensemble, started by this process."""

    def __init__(self, client_ports: list[int], force_sync: bool = True, heap: str = DEFAULT_HEAP,
                 base_dir: str | None = None, keep_dir: bool = False, tick_ms: int = 2000,
                 listen_backlog: int = 4096, extra_cfg: dict | None = None,
                 peer_ports: list[int] | None = None, election_ports: list[int] | None = None,
                 jvm_flags: list[str] | None = None, cpus: list[int] | None = None):
        if not client_ports:
            raise ValueError("need at least one client port")
        self.standalone = len(client_ports) == 1
        self.force_sync = force_sync
        self.heap = heap
        self.tick_ms = tick_ms
        self.listen_backlog = listen_backlog
        self.extra_cfg = dict(extra_cfg or {})
        self.jvm_flags = list(jvm_flags or [])
        self.cpus = list(cpus or [])  # CPU affinity of the JVM(s); empty = all
        self.keep_dir = keep_dir
        self.base = tempfile.mkdtemp(prefix="zkharness-", dir=base_dir)
        self._stopped = False
        n = len(client_ports)
        if not self.standalone:
            # quorum/election ports: ZooKeeper's customary 2888+i / 3888+i when
            # free, else ports the kernel hands out (the machine is shared).
            if not peer_ports:
                peer_ports = [2888 + i for i in range(n)]
                if not all(port_free(p) for p in peer_ports):
                    peer_ports = free_ports(n)
            if not election_ports:
                election_ports = [3888 + i for i in range(n)]
                if not all(port_free(p) for p in election_ports) or set(election_ports) & set(peer_ports):
                    election_ports = free_ports(n, avoid=set(peer_ports) | set(client_ports))
        self.members = [
            Member(i + 1, client_ports[i],
                   None if self.standalone else peer_ports[i],
                   None if self.standalone else election_ports[i], self.base)
            for i in range(n)
        ]

    # -- public API ---------------------------------------------------------
    @property
    def client_ports(self) -> list[int]:
        return [m.client_port for m in self.members]

    @property
    def connect_string(self) -> str:
        return ",".join(f"{HOST}:{m.client_port}" for m in self.members)

    @property
    def pids(self) -> list[int]:
        return [m.proc.pid for m in self.members if m.proc is not None]

    @property
    def dir(self) -> str:
        return self.base

    def alive(self) -> bool:
        return all(m.proc is not None and m.proc.poll() is None for m in self.members)

    def cpu_seconds(self) -> float:
        return sum(proc_cpu_seconds(p) for p in self.pids)

    def rss(self) -> dict:
        per = {p: proc_rss(p) for p in self.pids}
        return {"rss": sum(v["rss"] or 0 for v in per.values()),
                "hwm": sum(v["hwm"] or 0 for v in per.values()), "per_pid": per}

    def modes(self) -> list[str | None]:
        return [zk_mode(m.client_port) for m in self.members]

    def version(self) -> str | None:
        for m in self.members:
            try:
                v = parse_srvr(four_letter(m.client_port, "srvr")).get("Zookeeper version")
                if v:
                    return v.split("-", 1)[0] + (" (" + v.split(",", 1)[1].strip() + ")" if "," in v else "")
            except OSError:
                continue
        return None

    def command_line(self, m: Member) -> list[str]:
        conf_dir = m.dir  # holds log4j.properties (first classpath entry)
        return [find_java(), f"-Xmx{self.heap}",
                "-Djava.net.preferIPv4Stack=true",
                f"-Dzookeeper.log.dir={m.dir}",
                f"-Dlog4j.configuration=file:{os.path.join(m.dir, 'log4j.properties')}",
                "-Dzookeeper.admin.enableServer=false",
                f"-Dzookeeper.forceSync={'yes' if self.force_sync else 'no'}",
                "-Dzookeeper.4lw.commands.whitelist=*",
                *self.jvm_flags,
                "-cp", ":".join(classpath(conf_dir)),
                MAIN_CLASS, m.cfg]

    def start(self, ready_timeout: float = 90.0) -> "ZkCluster":
        self.spawn()
        try:
            self.wait_ready(ready_timeout)
        except BaseException:
            self.stop()
            self.cleanup()
            raise
        return self

    def spawn(self) -> None:
        """Writes the configs and starts the JVM(s) without waiting for them
        to serve (start() waits; a caller timing the startup waits itself)."""
        for m in self.members:
            for p in (m.client_port, m.peer_port, m.election_port):
                if p is not None and not port_free(p):
                    self.cleanup()
                    raise ZkHarnessError(f"port {HOST}:{p} is already in use (another server still running?)")
        for m in self.members:
            self._write_config(m)
        with _LIVE_LOCK:
            _LIVE.add(self)
        for m in self.members:
            with open(m.out, "wb") as out:
                m.proc = subprocess.Popen(self.command_line(m), stdin=subprocess.DEVNULL, stdout=out,
                                          stderr=subprocess.STDOUT, cwd=m.dir,
                                          preexec_fn=functools.partial(_child_setup, self.cpus),
                                          start_new_session=True)

    def wait_ready(self, timeout: float = 90.0) -> None:
        deadline = time.monotonic() + timeout
        last = []
        while True:
            for m in self.members:
                if m.proc.poll() is not None:
                    raise ZkHarnessError(
                        f"ZooKeeper server {m.sid} (port {m.client_port}) exited with code {m.proc.returncode} "
                        f"before becoming ready\n{m.log_tail()}")
            last = self.modes()
            if self.standalone:
                if last == ["standalone"]:
                    return
            else:
                if last.count("leader") == 1 and last.count("follower") == len(last) - 1:
                    return
            if time.monotonic() > deadline:
                tails = "\n".join(m.log_tail(25) for m in self.members)
                raise ZkHarnessError(f"ZooKeeper not ready after {timeout:.0f}s (modes={last})\n{tails}")
            time.sleep(0.2)

    def stop(self, grace: float = STOP_GRACE_S) -> None:
        """SIGTERM every JVM, SIGKILL whatever is still there after `grace` s."""
        stop_processes([m.proc for m in self.members if m.proc is not None], grace)
        self._stopped = True
        with _LIVE_LOCK:
            _LIVE.discard(self)

    def cleanup(self) -> None:
        if not self.keep_dir:
            shutil.rmtree(self.base, ignore_errors=True)

    def __enter__(self):
        return self

    def __exit__(self, *exc):
        self.stop()
        self.cleanup()
        return False

    # -- internals ----------------------------------------------------------
    def _write_config(self, m: Member) -> None:
        os.makedirs(m.data_dir, exist_ok=True)
        lines = [
            f"tickTime={self.tick_ms}",
            f"dataDir={m.data_dir}",
            f"clientPort={m.client_port}",
            f"clientPortAddress={HOST}",
            "maxClientCnxns=0",
            "4lw.commands.whitelist=*",
            "admin.enableServer=false",
            f"forceSync={'yes' if self.force_sync else 'no'}",
            # default backlog is the JVM's 50: 10k simultaneous connects would
            # hit SYN retransmits (1 s, 3 s...). somaxconn caps it anyway.
            f"clientPortListenBacklog={self.listen_backlog}",
            "autopurge.snapRetainCount=3",
            "autopurge.purgeInterval=1",
        ]
        if not self.standalone:
            lines += ["initLimit=10", "syncLimit=5"]
            for o in self.members:
                lines.append(f"server.{o.sid}={HOST}:{o.peer_port}:{o.election_port}")
            with open(os.path.join(m.data_dir, "myid"), "w") as f:
                f.write(f"{m.sid}\n")
        for k, v in self.extra_cfg.items():
            lines.append(f"{k}={v}")
        with open(m.cfg, "w") as f:
            f.write("\n".join(lines) + "\n")
        with open(os.path.join(m.dir, "log4j.properties"), "w") as f:
            f.write(
                "log4j.rootLogger=INFO, FILE\n"
                "log4j.appender.FILE=org.apache.log4j.RollingFileAppender\n"
                f"log4j.appender.FILE.File={m.log}\n"
                "log4j.appender.FILE.MaxFileSize=20MB\n"
                "log4j.appender.FILE.MaxBackupIndex=2\n"
                "log4j.appender.FILE.layout=org.apache.log4j.PatternLayout\n"
                "log4j.appender.FILE.layout.ConversionPattern=%d{ISO8601} %-5p [%t:%C{1}@%L] - %m%n\n"
                # per-connection INFO lines are costly with 10k clients
                "log4j.logger.org.apache.zookeeper.server.NIOServerCnxn=WARN\n"
                "log4j.logger.org.apache.zookeeper.server.NIOServerCnxnFactory=WARN\n"
                "log4j.logger.org.apache.zookeeper.server.ZooKeeperServer=WARN\n"
                "log4j.logger.org.apache.zookeeper.server.SessionTrackerImpl=WARN\n"
                "log4j.logger.org.apache.zookeeper.server.PrepRequestProcessor=WARN\n"
                "log4j.logger.org.apache.zookeeper.server.FinalRequestProcessor=WARN\n"
            )


def start_standalone(port: int = 2181, force_sync: bool = True, **kw) -> ZkCluster:
    """Start one ZooKeeper on 127.0.0.1:port; returns once it reports Mode: standalone."""
    ready_timeout = kw.pop("ready_timeout", 60.0)
    return ZkCluster([port], force_sync=force_sync, **kw).start(ready_timeout)


def start_ensemble(ports: list[int] | None = None, force_sync: bool = True, **kw) -> ZkCluster:
    """Start a 3-server (or n-server) ensemble on 127.0.0.1; returns once it has one leader."""
    ports = list(ports or [2181, 2182, 2183])
    if len(ports) < 3:
        raise ValueError("an ensemble needs at least 3 client ports")
    ready_timeout = kw.pop("ready_timeout", 120.0)
    return ZkCluster(ports, force_sync=force_sync, **kw).start(ready_timeout)


def leftover_java_pids(all_zk: bool = False) -> list[int]:
    """PIDs of ZooKeeper JVMs started by zkharness (config in a zkharness-*
    dir) that are still alive; all_zk=True: every QuorumPeerMain JVM."""
    out = []
    for d in os.listdir("/proc"):
        if not d.isdigit():
            continue
        try:
            with open(f"/proc/{d}/cmdline", "rb") as f:
                cmd = f.read()
        except OSError:
            continue
        if MAIN_CLASS.encode() in cmd and (all_zk or b"/zkharness-" in cmd) and pid_alive(int(d)):
            out.append(int(d))
    return out


def parse_cpus(s: str) -> list[int]:
    """'0,1' or '0-1' -> [0, 1]; '' -> []."""
    out: list[int] = []
    for part in str(s or "").split(","):
        part = part.strip()
        if not part:
            continue
        if "-" in part:
            a, b = part.split("-", 1)
            out += list(range(int(a), int(b) + 1))
        else:
            out.append(int(part))
    return out


def parse_pin(s: str) -> tuple[list[int], list[int]]:
    """'SERVER_CPUS:DRIVER_CPUS', e.g. '0:1' -> ([0], [1]); '' or 'none' -> ([], [])."""
    if not s or s.strip().lower() == "none":
        return [], []
    if ":" not in s:
        raise argparse.ArgumentTypeError("expected SERVER_CPUS:DRIVER_CPUS, e.g. 0:1")
    a, b = s.split(":", 1)
    return parse_cpus(a), parse_cpus(b)


def parse_bool(s: str) -> bool:
    s = str(s).strip().lower()
    if s in ("yes", "y", "true", "1", "on"):
        return True
    if s in ("no", "n", "false", "0", "off"):
        return False
    raise argparse.ArgumentTypeError(f"expected yes or no, got {s!r}")


# --------------------------------------------------------------------------
# CLI
# --------------------------------------------------------------------------

def _foreground(cluster: ZkCluster) -> int:
    stop = threading.Event()

    def on_signal(signum, _frame):
        stop.set()

    signal.signal(signal.SIGINT, on_signal)
    signal.signal(signal.SIGTERM, on_signal)
    signal.signal(signal.SIGHUP, on_signal)
    print(f"connect string: {cluster.connect_string}", flush=True)
    print(f"version: {cluster.version()}  modes: {cluster.modes()}  pids: {cluster.pids}", flush=True)
    print(f"dir: {cluster.dir}" + ("  (kept)" if cluster.keep_dir else "  (removed on exit)"), flush=True)
    print("running; Ctrl-C or SIGTERM stops it", flush=True)
    rc = 0
    while not stop.wait(1.0):
        if not cluster.alive():
            print("a ZooKeeper process exited unexpectedly", file=sys.stderr)
            for m in cluster.members:
                print(m.log_tail(20), file=sys.stderr)
            rc = 1
            break
    print("stopping...", flush=True)
    cluster.stop()
    cluster.cleanup()
    return rc


def main(argv=None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    sub = ap.add_subparsers(dest="cmd", required=True)

    def common(p):
        p.add_argument("--force-sync", type=parse_bool, default=True, metavar="yes|no")
        p.add_argument("--heap", default=DEFAULT_HEAP, help="JVM -Xmx (default 2g)")
        p.add_argument("--base-dir", default=None, help="parent of the temp dir (default: $TMPDIR)")
        p.add_argument("--keep-dir", action="store_true", help="keep config/data/logs on exit")
        p.add_argument("--cpus", default="", help="pin the JVM(s) to these CPUs, e.g. 0 or 0,1")

    p = sub.add_parser("standalone", help="run one server in the foreground")
    p.add_argument("--port", type=int, default=2181)
    common(p)
    p = sub.add_parser("ensemble", help="run a 3-server ensemble in the foreground")
    p.add_argument("--ports", default="2181,2182,2183")
    common(p)
    sub.add_parser("info", help="print java, classpath, version")
    p = sub.add_parser("srvr", help="send a four letter word")
    p.add_argument("--port", type=int, default=2181)
    p.add_argument("--cmd", default="srvr")
    a = ap.parse_args(argv)

    if a.cmd == "info":
        print("java:", find_java())
        print("classpath:", ":".join(classpath("<confdir>")))
        print("manifest Class-Path:", " ".join(manifest_classpath()))
        print("manifest jars missing (optional ones only, else start fails):", missing_manifest_jars())
        print("debian package:", debian_version())
        print("nofile after raise:", raise_nofile())
        return 0
    if a.cmd == "srvr":
        print(four_letter(a.port, a.cmd), end="")
        return 0
    kw = dict(force_sync=a.force_sync, heap=a.heap, base_dir=a.base_dir, keep_dir=a.keep_dir,
              cpus=parse_cpus(a.cpus))
    try:
        if a.cmd == "standalone":
            cl = start_standalone(a.port, **kw)
        else:
            cl = start_ensemble([int(x) for x in a.ports.split(",")], **kw)
    except ZkHarnessError as e:
        print(f"error: {e}", file=sys.stderr)
        return 1
    return _foreground(cl)


if __name__ == "__main__":
    sys.exit(main())
