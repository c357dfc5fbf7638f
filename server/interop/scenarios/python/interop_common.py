"""What the kazoo scenario scripts share: arguments, checks that say expected vs got, bounded
waits, the fault proxy's control line, and records kazoo 2.11 lacks.

kazoo 2.11 has no container/TTL create, getEphemerals, getAllChildrenNumber, whoAmI, addWatch,
removeWatches or multiRead. For those the scripts send the record through kazoo's own request
queue (`client._call`), so framing, xids and reply matching are still kazoo's; `EventLog` records
every watch event kazoo's connection reads (persistent watches have no kazoo callback).

Every script: `python3 <script> --server HOST:PORT --root /unique/root [--proxy HOST:PORT
--control HOST:PORT]`; prints `PASS <scenario>` and exits 0, or raises (exit 1, traceback).
"""

from __future__ import annotations

import argparse
import queue
import socket
import struct
import sys
import threading
from collections import namedtuple

from kazoo.client import KazooClient
from kazoo.exceptions import EXCEPTIONS
from kazoo.protocol.serialization import (
    Watch,
    int_struct,
    multiheader_struct,
    read_buffer,
    read_string,
    stat_struct,
    write_buffer,
    write_string,
)
from kazoo.protocol.states import ZnodeStat
from kazoo.retry import KazooRetry

WAIT_S = 20.0  # longest one awaited reply, event or state change may take
SESSION_TIMEOUT_S = 10.0  # the interop server grants at most 10 s (20 ticks of 500 ms)
EVENT_NAMES = {1: "NodeCreated", 2: "NodeDeleted", 3: "NodeDataChanged", 4: "NodeChildrenChanged"}
KAZOO_EVENT_NAMES = {"CREATED": "NodeCreated", "DELETED": "NodeDeleted", "CHANGED": "NodeDataChanged",
                     "CHILD": "NodeChildrenChanged"}


class ScenarioFailure(AssertionError):
    pass


def parse_args() -> argparse.Namespace:
    parser = argparse.ArgumentParser()
    parser.add_argument("--server", required=True, help="connect string of the server")
    parser.add_argument("--root", required=True, help="root path this scenario owns")
    parser.add_argument("--proxy", help="connect string of the fault proxy in front of the server")
    parser.add_argument("--control", help="host:port of the fault proxy's control line")
    return parser.parse_args()


def connect(hosts: str, session_timeout_s: float = SESSION_TIMEOUT_S, **kwargs) -> KazooClient:
    retry = KazooRetry(max_tries=-1, delay=0.1, backoff=1.5, max_delay=1.0)
    client = KazooClient(hosts=hosts, timeout=session_timeout_s, connection_retry=retry, **kwargs)
    client.start(timeout=WAIT_S)
    return client


def check(what: str, got, expected) -> None:
    if got != expected:
        raise ScenarioFailure(f"{what}: expected {expected!r}, got {got!r}")


def check_raises(what: str, exception_type, action) -> None:
    try:
        result = action()
    except exception_type:
        return
    except Exception as other:  # noqa: BLE001 - reported as the wrong outcome
        raise ScenarioFailure(f"{what}: expected {exception_type.__name__}, got {other!r}") from other
    raise ScenarioFailure(f"{what}: expected {exception_type.__name__}, got result {result!r}")


def wait_event(what: str, event: threading.Event, timeout_s: float = WAIT_S) -> None:
    if not event.wait(timeout_s):
        raise ScenarioFailure(f"{what}: did not happen within {timeout_s} s")


def proxy_command(control: str, command: str) -> None:
    host, port = control.rsplit(":", 1)
    with socket.create_connection((host, int(port)), timeout=WAIT_S) as line:
        line.sendall(command.encode("ascii") + b"\n")
        answer = line.makefile().readline().strip()
    if answer != "ok":
        raise ScenarioFailure(f"fault proxy refused {command!r}: {answer!r}")


def passed(scenario: str) -> None:
    print(f"PASS {scenario}")
    sys.stdout.flush()


class OneShot:
    """A kazoo watch callback that keeps each (event type, path) it receives."""

    def __init__(self):
        self.events: queue.Queue = queue.Queue()

    def __call__(self, event):
        self.events.put((KAZOO_EVENT_NAMES.get(event.type, event.type), event.path))

    def next(self, what: str):
        try:
            return self.events.get(timeout=WAIT_S)
        except queue.Empty:
            raise ScenarioFailure(f"{what}: no watch event within {WAIT_S} s") from None

    def expect(self, what: str, event_type: str, path: str) -> None:
        check(what, self.next(what), (event_type, path))


class EventLog:
    """Every watch event (type name, path) the client's connection reads, in order."""

    def __init__(self, client: KazooClient):
        self.events: queue.Queue = queue.Queue()
        connection = client._connection
        original = connection._read_watch_event

        def recording(buffer, offset):
            watch, _ = Watch.deserialize(buffer, offset)
            self.events.put((EVENT_NAMES.get(watch.type, watch.type), watch.path))
            return original(buffer, offset)

        connection._read_watch_event = recording

    def next(self, what: str):
        try:
            return self.events.get(timeout=WAIT_S)
        except queue.Empty:
            raise ScenarioFailure(f"{what}: no watch event within {WAIT_S} s") from None

    def take(self, what: str, count: int) -> list:
        return [self.next(f"{what} (event {i + 1} of {count})") for i in range(count)]


def call(client: KazooClient, request):
    """Sends one record through kazoo's request queue and waits for its reply."""
    result = client.handler.async_result()
    client._call(request, result)
    return result.get(timeout=WAIT_S)


def _write_acls(acls) -> bytes:
    out = bytearray(int_struct.pack(len(acls)))
    for acl in acls:
        out += int_struct.pack(acl.perms) + write_string(acl.id.scheme) + write_string(acl.id.id)
    return bytes(out)


def _read_create2_response(buffer, offset):
    path, offset = read_string(buffer, offset)
    return path, ZnodeStat._make(stat_struct.unpack_from(buffer, offset))


class CreateContainer(namedtuple("CreateContainer", "path data acl")):
    type = 19  # CreateRequest body with flags CONTAINER (4); Create2Response

    def serialize(self):
        return write_string(self.path) + write_buffer(self.data) + _write_acls(self.acl) + int_struct.pack(4)

    @classmethod
    def deserialize(cls, buffer, offset):
        return _read_create2_response(buffer, offset)


class CreateTTL(namedtuple("CreateTTL", "path data acl ttl_ms")):
    type = 21  # CreateTTLRequest: flags PERSISTENT_WITH_TTL (5), then the TTL as a long

    def serialize(self):
        return (write_string(self.path) + write_buffer(self.data) + _write_acls(self.acl)
                + int_struct.pack(5) + struct.pack("!q", self.ttl_ms))

    @classmethod
    def deserialize(cls, buffer, offset):
        return _read_create2_response(buffer, offset)


def _read_strings(buffer, offset):
    count = int_struct.unpack_from(buffer, offset)[0]
    offset += int_struct.size
    out = []
    for _ in range(max(count, 0)):
        text, offset = read_string(buffer, offset)
        out.append(text)
    return out, offset


class GetEphemerals(namedtuple("GetEphemerals", "prefix")):
    type = 103

    def serialize(self):
        return write_string(self.prefix)

    @classmethod
    def deserialize(cls, buffer, offset):
        return _read_strings(buffer, offset)[0]


class GetAllChildrenNumber(namedtuple("GetAllChildrenNumber", "path")):
    type = 104

    def serialize(self):
        return write_string(self.path)

    @classmethod
    def deserialize(cls, buffer, offset):
        return int_struct.unpack_from(buffer, offset)[0]


class WhoAmI:
    """No body. Not an empty namedtuple: kazoo skips queue entries whose request is falsy."""

    type = 107

    def serialize(self):
        return b""

    @classmethod
    def deserialize(cls, buffer, offset):
        count = int_struct.unpack_from(buffer, offset)[0]
        offset += int_struct.size
        out = []
        for _ in range(max(count, 0)):
            scheme, offset = read_string(buffer, offset)
            user, offset = read_string(buffer, offset)
            out.append((scheme, user))
        return out


class AddWatch(namedtuple("AddWatch", "path mode")):
    type = 106
    PERSISTENT = 0
    PERSISTENT_RECURSIVE = 1

    def serialize(self):
        return write_string(self.path) + int_struct.pack(self.mode)

    @classmethod
    def deserialize(cls, buffer, offset):
        return True


class RemoveWatches(namedtuple("RemoveWatches", "path watcher_type")):
    type = 18
    CHILDREN = 1
    DATA = 2
    ANY = 3

    def serialize(self):
        return write_string(self.path) + int_struct.pack(self.watcher_type)

    @classmethod
    def deserialize(cls, buffer, offset):
        return True


class SetWatches(namedtuple("SetWatches", "relative_zxid data exist child")):
    """Re-registers one-shot watches after a reconnect (kazoo does not: it fires its watch
    callbacks with a NONE event on connection loss). The server fires at once any watch whose
    node changed after relative_zxid."""

    type = 101

    def serialize(self):
        out = bytearray(struct.pack("!q", self.relative_zxid))
        for paths in (self.data, self.exist, self.child):
            out += int_struct.pack(len(paths))
            for path in paths:
                out += write_string(path)
        return bytes(out)

    @classmethod
    def deserialize(cls, buffer, offset):
        return True


class MultiRead(namedtuple("MultiRead", "ops")):
    """ops: ("get", path) or ("children", path); results: (data, ZnodeStat), [names] or an
    exception instance for an op that failed."""

    type = 22

    def serialize(self):
        out = bytearray()
        for kind, path in self.ops:
            op_type = 4 if kind == "get" else 8
            out += multiheader_struct.pack(op_type, False, -1) + write_string(path) + b"\x00"
        return bytes(out + multiheader_struct.pack(-1, True, -1))

    @classmethod
    def deserialize(cls, buffer, offset):
        results = []
        while True:
            op_type, done, _err = multiheader_struct.unpack_from(buffer, offset)
            offset += multiheader_struct.size
            if done:
                return results
            if op_type == 4:
                data, offset = read_buffer(buffer, offset)
                stat = ZnodeStat._make(stat_struct.unpack_from(buffer, offset))
                offset += stat_struct.size
                results.append((data, stat))
            elif op_type == 8:
                names, offset = _read_strings(buffer, offset)
                results.append(names)
            else:
                code = int_struct.unpack_from(buffer, offset)[0]
                offset += int_struct.size
                results.append(EXCEPTIONS[code]())


def four_letter(server: str, word: str) -> str:
    host, port = server.rsplit(":", 1)
    with socket.create_connection((host, int(port)), timeout=WAIT_S) as line:
        line.sendall(word.encode("ascii"))
        chunks = []
        while True:
            chunk = line.recv(65536)
            if not chunk:
                break
            chunks.append(chunk)
    return b"".join(chunks).decode("utf-8", "replace")
