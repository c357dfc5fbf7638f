"""kazoo: delete with versions (BadVersion), of a node with children (NotEmpty), of a missing
node (NoNode)."""

from kazoo.exceptions import BadVersionError, NoNodeError, NotEmptyError

from interop_common import check, check_raises, connect, parse_args, passed


def main():
    args = parse_args()
    root = args.root
    client = connect(args.server)
    client.create(root)
    node = f"{root}/node"
    client.create(node, b"v0")
    check("version after one setData", client.set(node, b"v1", version=0).version, 1)
    check_raises("delete with a stale version", BadVersionError, lambda: client.delete(node, version=0))
    client.delete(node, version=1)
    check_raises("delete a deleted node", NoNodeError, lambda: client.delete(node))

    parent, child = f"{root}/parent", f"{root}/parent/child"
    client.create(parent)
    client.create(child)
    check_raises("delete a node with a child", NotEmptyError, lambda: client.delete(parent))
    client.delete(child, version=0)
    client.delete(parent)
    check("parent after delete", client.exists(parent), None)
    client.stop()
    client.close()
    passed("delete")


if __name__ == "__main__":
    main()
