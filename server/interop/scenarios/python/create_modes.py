"""kazoo: every create mode (persistent, ephemeral, sequential, ephemeral-sequential, container,
TTL), create2's stat, and create's errors."""

import time

from kazoo.exceptions import NodeExistsError, NoChildrenForEphemeralsError, NoNodeError
from kazoo.security import OPEN_ACL_UNSAFE

from interop_common import (CreateContainer, CreateTTL, ScenarioFailure, call, check, check_raises, connect,
                            parse_args, passed)

REAP_TIMEOUT_S = 15.0  # the container manager checks every second
TTL_MS = 500


def fresh_stat(what, stat, data_length, ephemeral_owner):
    check(f"{what}: (version, cversion, aversion, numChildren, dataLength, ephemeralOwner)",
          (stat.version, stat.cversion, stat.aversion, stat.numChildren, stat.dataLength, stat.ephemeralOwner),
          (0, 0, 0, 0, data_length, ephemeral_owner))
    check(f"{what}: (mzxid, pzxid) equal czxid", (stat.mzxid, stat.pzxid), (stat.czxid, stat.czxid))
    if stat.czxid <= 0 or stat.ctime != stat.mtime:
        raise ScenarioFailure(f"{what}: czxid {stat.czxid} ctime {stat.ctime} mtime {stat.mtime}")


def await_gone(client, path):
    deadline = time.monotonic() + REAP_TIMEOUT_S
    while client.exists(path) is not None:
        if time.monotonic() > deadline:
            raise ScenarioFailure(f"{path} still exists after {REAP_TIMEOUT_S} s (container manager)")
        time.sleep(0.2)


def main():
    args = parse_args()
    root = args.root
    client = connect(args.server)
    session_id = client.client_id[0]
    client.create(root)

    path, stat = client.create(f"{root}/persistent", b"p", include_data=True)
    check("create2 path", path, f"{root}/persistent")
    fresh_stat("create2 persistent", stat, 1, 0)
    _, stat = client.create(f"{root}/ephemeral", b"ee", ephemeral=True, include_data=True)
    fresh_stat("create2 ephemeral", stat, 2, session_id)

    # The sequence number is the parent's cversion at creation: two children exist already.
    first = client.create(f"{root}/seq-", sequence=True)
    second = client.create(f"{root}/seq-", sequence=True)
    check("sequential names", (first, second), (f"{root}/seq-0000000002", f"{root}/seq-0000000003"))
    path, stat = client.create(f"{root}/eseq-", ephemeral=True, sequence=True, include_data=True)
    check("ephemeral sequential name", path, f"{root}/eseq-0000000004")
    check("ephemeral sequential ephemeralOwner", stat.ephemeralOwner, session_id)
    check("children after every create mode", sorted(client.get_children(root)),
          ["ephemeral", "eseq-0000000004", "persistent", "seq-0000000002", "seq-0000000003"])

    # Container: clients see ephemeralOwner 0; it goes once its last child goes.
    container = f"{root}/container"
    path, stat = call(client, CreateContainer(container, b"", OPEN_ACL_UNSAFE))
    check("container path", path, container)
    check("container ephemeralOwner as clients see it", stat.ephemeralOwner, 0)
    client.create(f"{container}/child")
    client.delete(f"{container}/child")
    await_gone(client, container)

    ttl_node = f"{root}/ttl"
    path, stat = call(client, CreateTTL(ttl_node, b"t", OPEN_ACL_UNSAFE, TTL_MS))
    check("TTL node path and dataLength", (path, stat.dataLength), (ttl_node, 1))
    check("TTL node ephemeralOwner as clients see it", stat.ephemeralOwner, 0)
    await_gone(client, ttl_node)

    check_raises("create an existing node", NodeExistsError, lambda: client.create(f"{root}/persistent"))
    check_raises("create under a missing parent", NoNodeError, lambda: client.create(f"{root}/missing/child"))
    check_raises("create under an ephemeral", NoChildrenForEphemeralsError,
                 lambda: client.create(f"{root}/ephemeral/child"))
    client.stop()
    client.close()
    passed("create-modes")


if __name__ == "__main__":
    main()
