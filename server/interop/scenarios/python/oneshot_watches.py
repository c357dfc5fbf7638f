"""kazoo: one-shot data, exists and child watches: event type and path, and each fires once."""

import queue

from interop_common import OneShot, ScenarioFailure, check, connect, parse_args, passed, four_letter


def main():
    args = parse_args()
    root = args.root
    watching = connect(args.server)
    mutator = connect(args.server)
    mutator.create(root)
    data_node, absent = f"{root}/d", f"{root}/x"
    mutator.create(data_node)

    data_watch, exists_watch, child_watch = OneShot(), OneShot(), OneShot()
    watching.get(data_node, watch=data_watch)
    check("exists on a missing node", watching.exists(absent, watch=exists_watch), None)
    check("children of d", watching.get_children(data_node, watch=child_watch), [])

    mutator.set(data_node, b"1")
    data_watch.expect("data watch on setData", "NodeDataChanged", data_node)
    mutator.create(absent)
    exists_watch.expect("exists watch on create", "NodeCreated", absent)
    mutator.create(f"{data_node}/c")
    child_watch.expect("child watch on create", "NodeChildrenChanged", data_node)

    # Each fired once: more changes to d reach no callback. A fresh watch on a sentinel proves
    # that the events of those changes would have arrived by now (one session, zxid order).
    mutator.set(data_node, b"2")
    mutator.create(f"{data_node}/c2")
    sentinel = OneShot()
    watching.exists(f"{root}/sentinel", watch=sentinel)
    mutator.create(f"{root}/sentinel")
    sentinel.expect("sentinel exists watch", "NodeCreated", f"{root}/sentinel")
    for name, watch in (("data", data_watch), ("child", child_watch), ("exists", exists_watch)):
        try:
            extra = watch.events.get_nowait()
        except queue.Empty:
            continue
        raise ScenarioFailure(f"one-shot {name} watch fired again: {extra}")

    # Data and child watches on a node that is deleted both fire NodeDeleted.
    data_watch, child_watch = OneShot(), OneShot()
    watching.get(absent, watch=data_watch)
    watching.get_children(absent, watch=child_watch)
    mutator.delete(absent)
    data_watch.expect("data watch on delete", "NodeDeleted", absent)
    child_watch.expect("child watch on delete", "NodeDeleted", absent)

    listed = four_letter(args.server, "wchp")
    if any(line.strip() == data_node for line in listed.splitlines()):
        raise ScenarioFailure(f"wchp still lists {data_node} after its watches fired:\n{listed}")
    for client in (watching, mutator):
        client.stop()
        client.close()
    passed("oneshot-watches")


if __name__ == "__main__":
    main()
