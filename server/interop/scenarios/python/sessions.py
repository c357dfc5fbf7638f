"""kazoo session scenarios, selected by --scenario: expiry behind a partition, reconnect with
setWatches, close. The first two need --proxy and --control (the fault proxy)."""

import argparse
import queue

from kazoo.exceptions import ConnectionClosedError
from kazoo.protocol.states import KazooState

from interop_common import (EventLog, OneShot, ScenarioFailure, SetWatches, call, check, check_raises, connect,
                            passed, proxy_command)

SHORT_SESSION_TIMEOUT_S = 4.0
STATE_WAIT_S = 40.0  # a session timeout plus reconnect attempts


class StateLog:
    def __init__(self, client):
        self.states = queue.Queue()
        self.seen = []
        client.add_listener(self.states.put)

    def await_state(self, wanted):
        try:
            while True:
                state = self.states.get(timeout=STATE_WAIT_S)
                self.seen.append(state)
                if state == wanted:
                    return
        except queue.Empty:
            raise ScenarioFailure(f"no {wanted} state within {STATE_WAIT_S} s; seen {self.seen}") from None


def expiry(args):
    doomed = connect(args.proxy, session_timeout_s=SHORT_SESSION_TIMEOUT_S)
    states = StateLog(doomed)
    observer = connect(args.server)
    observer.create(args.root)
    ephemeral = f"{args.root}/eph"
    doomed.create(ephemeral, ephemeral=True)
    old_session = doomed.client_id[0]
    watch = OneShot()
    check("ephemeralOwner", observer.exists(ephemeral, watch=watch).ephemeralOwner, old_session)

    proxy_command(args.control, "partition")
    # The server hears nothing from the session for its timeout and expires it.
    watch.expect("observer's watch on expiry", "NodeDeleted", ephemeral)
    check("ephemeral after expiry", observer.exists(ephemeral), None)
    states.await_state(KazooState.SUSPENDED)
    proxy_command(args.control, "heal")
    states.await_state(KazooState.LOST)
    # kazoo answers an expired session by starting a new one.
    states.await_state(KazooState.CONNECTED)
    if doomed.client_id[0] == old_session:
        raise ScenarioFailure("kazoo kept the expired session id")
    check("ephemeral seen by the new session", doomed.exists(ephemeral), None)
    for client in (doomed, observer):
        client.stop()
        client.close()


def reconnect(args):
    watching = connect(args.proxy)
    states = StateLog(watching)
    log = EventLog(watching)
    mutator = connect(args.server)
    root = args.root
    mutator.create(root)
    data_node, absent, parent = f"{root}/d", f"{root}/later", f"{root}/kids"
    mutator.create(data_node)
    mutator.create(parent)
    session = watching.client_id[0]
    data_watch = OneShot()
    watching.get(data_node, watch=data_watch)
    watching.exists(absent)
    watching.get_children(parent)
    last_zxid_seen = watching.last_zxid

    proxy_command(args.control, "drop")
    states.await_state(KazooState.SUSPENDED)
    # kazoo keeps no watches across a connection loss: it fires them with a NONE event.
    check("kazoo's watch callback on connection loss", data_watch.next("NONE event"), ("NONE", None))
    mutator.set(data_node, b"changed")
    mutator.create(absent)
    mutator.create(f"{parent}/k")
    proxy_command(args.control, "heal")
    states.await_state(KazooState.CONNECTED)
    check("session id after reconnect", watching.client_id[0], session)
    # setWatches with the zxid seen before the loss: the server fires what changed meanwhile.
    call(watching, SetWatches(last_zxid_seen, [data_node], [absent], [parent]))
    events = sorted(log.take("events after setWatches", 3))
    check("events fired by setWatches", events,
          sorted([("NodeDataChanged", data_node), ("NodeCreated", absent), ("NodeChildrenChanged", parent)]))
    check("data seen after reconnect", watching.get(data_node)[0], b"changed")
    for client in (watching, mutator):
        client.stop()
        client.close()


def close(args):
    closing = connect(args.server)
    observer = connect(args.server)
    closing.create(args.root)
    ephemeral = f"{args.root}/eph"
    closing.create(ephemeral, ephemeral=True)
    watch = OneShot()
    check("ephemeral exists", observer.exists(ephemeral, watch=watch) is not None, True)
    closing.stop()  # sends closeSession
    watch.expect("observer's watch on close", "NodeDeleted", ephemeral)
    check("ephemeral after close", observer.exists(ephemeral), None)
    check("state of a closed client", closing.state, KazooState.LOST)
    check_raises("an operation of the closed client", ConnectionClosedError, lambda: closing.exists(args.root))
    closing.close()
    observer.stop()
    observer.close()


def main():
    parser = argparse.ArgumentParser()
    parser.add_argument("--scenario", required=True, choices=["expiry", "reconnect", "close"])
    parser.add_argument("--server", required=True)
    parser.add_argument("--root", required=True)
    parser.add_argument("--proxy")
    parser.add_argument("--control")
    args = parser.parse_args()
    if args.scenario != "close" and not (args.proxy and args.control):
        raise SystemExit(f"{args.scenario} needs --proxy and --control")
    {"expiry": expiry, "reconnect": reconnect, "close": close}[args.scenario](args)
    passed(args.scenario)


if __name__ == "__main__":
    main()
