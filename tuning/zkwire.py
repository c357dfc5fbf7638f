"""A raw-protocol ZooKeeper client, enough for create / setData / getData
(Python 3.11 standard library only).

- ZkWire: one session over a plain socket, pipelined requests (restart.py
  fills a server with a large tree and replays the same setData on both)
- first_reply(): the restart probe, a fresh connection every POLL_INTERVAL_S
  until a getData answers with the expected data
- the request bodies (create with OPEN_ACL_UNSAFE, setData, getData)
"""

from __future__ import annotations

import collections
import errno
import selectors
import socket
import struct
import time

import zkharness

POLL_INTERVAL_S = 0.005
# Probes open at once, and how long one may wait for its answers.
PROBES_MAX = 800
PROBE_LIFETIME_S = 3.0
PIPELINE_WINDOW = 2000

OP_CREATE, OP_GET_DATA, OP_SET_DATA, OP_CLOSE = 1, 4, 5, -11


def _ustring(s: str) -> bytes:
    b = s.encode()
    return struct.pack(">i", len(b)) + b


def _buffer(b: bytes) -> bytes:
    return struct.pack(">i", len(b)) + b


# OPEN_ACL_UNSAFE: one ACL, perms ALL (31), world:anyone
_OPEN_ACL = struct.pack(">ii", 1, 31) + _ustring("world") + _ustring("anyone")


def create_body(path: str, data: bytes) -> bytes:
    return _ustring(path) + _buffer(data) + _OPEN_ACL + struct.pack(">i", 0)


def set_data_body(path: str, data: bytes) -> bytes:
    return _ustring(path) + _buffer(data) + struct.pack(">i", -1)


def get_data_body(path: str) -> bytes:
    return _ustring(path) + b"\0"


def _frame_of(payload: bytes) -> bytes:
    return struct.pack(">i", len(payload)) + payload


def _take_frame(buf: bytearray) -> bytes | None:
    if len(buf) < 4:
        return None
    (n,) = struct.unpack_from(">i", buf)
    if n < 0 or n > 1 << 24:
        raise ConnectionError(f"bad frame length {n}")
    if len(buf) < 4 + n:
        return None
    frame = bytes(buf[4:4 + n])
    del buf[:4 + n]
    return frame


class ZkWire:
    """One ZooKeeper session over a plain socket: handshake, pipelined
    requests, replies in order (the protocol answers a session in order)."""

    def __init__(self, port: int, host: str = zkharness.HOST, timeout: float = 30.0,
                 session_timeout_ms: int = 30000):
        self.sock = socket.create_connection((host, port), timeout=timeout)
        self.sock.settimeout(timeout)
        self.sock.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)
        self.buf = bytearray()
        self.xid = 0
        self.sock.sendall(zkharness.connect_request(session_timeout_ms))
        resp = self._frame()
        _proto, neg_timeout, self.session_id = struct.unpack(">iiq", resp[:16])
        if neg_timeout <= 0 or self.session_id == 0:
            raise ConnectionError("server refused the session")

    def _frame(self) -> bytes:
        while True:
            frame = _take_frame(self.buf)
            if frame is not None:
                return frame
            chunk = self.sock.recv(1 << 20)
            if not chunk:
                raise ConnectionError("connection closed by server")
            self.buf += chunk

    def _request(self, op: int, body: bytes) -> bytes:
        self.xid += 1
        return _frame_of(struct.pack(">ii", self.xid, op) + body)

    def _reply(self) -> tuple[int, int, bytes]:
        frame = self._frame()
        xid, zxid, err = struct.unpack_from(">iqi", frame)
        return err, zxid, frame[16:]

    def pipeline(self, requests, window: int = PIPELINE_WINDOW) -> collections.Counter:
        """Sends (op, body) requests with up to 2 x window in flight; returns
        a Counter of error codes and the highest zxid under key 'zxid'."""
        errors: collections.Counter = collections.Counter()
        last_zxid = 0
        pending = 0
        batch = []
        for op, body in requests:
            batch.append(self._request(op, body))
            if len(batch) >= window:
                self.sock.sendall(b"".join(batch))
                pending += len(batch)
                batch = []
                while pending > window:
                    err, zxid, _ = self._reply()
                    errors[err] += 1
                    last_zxid = max(last_zxid, zxid)
                    pending -= 1
        if batch:
            self.sock.sendall(b"".join(batch))
            pending += len(batch)
        while pending:
            err, zxid, _ = self._reply()
            errors[err] += 1
            last_zxid = max(last_zxid, zxid)
            pending -= 1
        errors["zxid"] = last_zxid
        return errors

    def close(self):
        try:
            self.sock.sendall(self._request(OP_CLOSE, b""))
            self.sock.settimeout(2.0)
            self._frame()
        except OSError:
            pass
        except ConnectionError:
            pass
        finally:
            self.sock.close()


def first_reply(port: int, path: str, expect: bytes, deadline: float, alive,
                host: str = zkharness.HOST) -> dict:
    """Opens a fresh probe connection every POLL_INTERVAL_S (non-blocking,
    many at once): ConnectRequest, then getData(path) once the session is
    granted. Returns when a getData answers with `expect`. A server may
    accept connections before it serves (ZooKeeper binds its port before
    loading) and leave them unanswered, so no probe waits for an older
    one; each is dropped after PROBE_LIFETIME_S."""
    sel = selectors.DefaultSelector()
    probes: dict = {}
    outcomes: collections.Counter = collections.Counter()
    attempts = 0
    hello = zkharness.connect_request(30000)
    ask = _frame_of(struct.pack(">ii", 1, OP_GET_DATA) + get_data_body(path))
    next_open = time.monotonic()

    def drop(s, why):
        if why:
            outcomes[why] += 1
        sel.unregister(s)
        probes.pop(s, None)
        s.close()

    try:
        while True:
            now = time.monotonic()
            if now >= next_open and len(probes) < PROBES_MAX:
                s = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
                s.setblocking(False)
                s.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)
                attempts += 1
                err = s.connect_ex((host, port))
                if err in (0, errno.EINPROGRESS):
                    sel.register(s, selectors.EVENT_WRITE)
                    probes[s] = {"state": "connecting", "buf": bytearray(), "opened": now}
                else:
                    outcomes[errno.errorcode.get(err, str(err))] += 1
                    s.close()
                next_open = now + POLL_INTERVAL_S
            for key, _ev in sel.select(max(0.0, next_open - time.monotonic())):
                s = key.fileobj
                p = probes[s]
                if p["state"] == "connecting":
                    err = s.getsockopt(socket.SOL_SOCKET, socket.SO_ERROR)
                    if err:
                        drop(s, errno.errorcode.get(err, str(err)))
                        continue
                    s.send(hello)
                    p["state"] = "hello"
                    sel.modify(s, selectors.EVENT_READ)
                    continue
                try:
                    data = s.recv(65536)
                except OSError as e:
                    drop(s, errno.errorcode.get(e.errno, type(e).__name__))
                    continue
                if not data:
                    drop(s, f"closed during {p['state']}")
                    continue
                p["buf"] += data
                frame = _take_frame(p["buf"])
                if frame is None:
                    continue
                if p["state"] == "hello":
                    _proto, neg_timeout, session_id = struct.unpack_from(">iiq", frame)
                    if neg_timeout <= 0 or session_id == 0:
                        drop(s, "session refused")
                        continue
                    s.send(ask)
                    p["state"] = "get"
                    frame = _take_frame(p["buf"])
                    if frame is None:
                        continue
                _xid, _zxid, err = struct.unpack_from(">iqi", frame)
                if err == 0:
                    (n,) = struct.unpack_from(">i", frame, 16)
                    if frame[20:20 + n] == expect:
                        return {"attempts": attempts, "outcomes": dict(outcomes)}
                    drop(s, "wrong data")
                else:
                    drop(s, f"error {err}")
            for s, p in list(probes.items()):
                if now - p["opened"] > PROBE_LIFETIME_S:
                    drop(s, f"no answer in {PROBE_LIFETIME_S:g} s ({p['state']})")
            if time.monotonic() > deadline:
                raise TimeoutError(f"no good reply after {attempts} probes: {dict(outcomes)}")
            if not alive():
                raise RuntimeError(f"server exited while starting ({dict(outcomes)})")
    finally:
        for s in list(probes):
            sel.unregister(s)
            s.close()
        sel.close()
