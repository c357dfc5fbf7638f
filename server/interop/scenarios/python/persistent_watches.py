"""kazoo: persistent and persistent-recursive watches (addWatch) and removeWatches."""

from kazoo.exceptions import NoWatcherError

from interop_common import (AddWatch, EventLog, OneShot, RemoveWatches, ScenarioFailure, call, check,
                            check_raises, connect, four_letter, parse_args, passed)


def main():
    args = parse_args()
    root = args.root
    watching = connect(args.server)
    mutator = connect(args.server)
    log = EventLog(watching)
    mutator.create(root)
    node = f"{root}/p"
    mutator.create(node)

    call(watching, AddWatch(node, AddWatch.PERSISTENT))
    mutator.set(node, b"1")
    mutator.create(f"{node}/c")
    mutator.create(f"{node}/c/g")  # a grandchild: not seen by a non-recursive watch
    mutator.set(f"{node}/c", b"2")  # the child's data: not seen either
    mutator.set(node, b"3")
    check("persistent watch events (it stays after firing)", log.take("persistent watch", 3),
          [("NodeDataChanged", node), ("NodeChildrenChanged", node), ("NodeDataChanged", node)])

    tree = f"{root}/r"
    mutator.create(tree)
    call(watching, AddWatch(tree, AddWatch.PERSISTENT_RECURSIVE))
    a, b = f"{tree}/a", f"{tree}/a/b"
    mutator.create(a)
    mutator.set(a, b"1")
    mutator.create(b)
    mutator.delete(b)
    mutator.set(tree, b"1")
    check("persistent-recursive watch events (no NodeChildrenChanged)", log.take("recursive watch", 5),
          [("NodeCreated", a), ("NodeDataChanged", a), ("NodeCreated", b), ("NodeDeleted", b),
           ("NodeDataChanged", tree)])

    removable = f"{root}/rm"
    mutator.create(removable)
    watching.get(removable, watch=OneShot())
    if not any(line.strip() == removable for line in four_letter(args.server, "wchp").splitlines()):
        raise ScenarioFailure(f"wchp does not list {removable} while it is watched")
    call(watching, RemoveWatches(removable, RemoveWatches.DATA))
    listed = four_letter(args.server, "wchp")
    if any(line.strip() == removable for line in listed.splitlines()):
        raise ScenarioFailure(f"wchp still lists {removable} after removeWatches:\n{listed}")
    check_raises("removeWatches where none is set", NoWatcherError,
                 lambda: call(watching, RemoveWatches(removable, RemoveWatches.DATA)))
    mutator.set(node, b"4")
    check("persistent watch after removeWatches of another path", log.next("persistent watch"),
          ("NodeDataChanged", node))
    for client in (watching, mutator):
        client.stop()
        client.close()
    passed("persistent-watches")


if __name__ == "__main__":
    main()
