"""kazoo: exists/getData/setData stats field by field, getChildren/getChildren2,
getAllChildrenNumber, getEphemerals."""

from kazoo.exceptions import NoNodeError

from interop_common import (GetAllChildrenNumber, GetEphemerals, ScenarioFailure, call, check, check_raises,
                            connect, parse_args, passed)


def main():
    args = parse_args()
    root = args.root
    client = connect(args.server)
    session_id = client.client_id[0]
    client.create(root)
    node = f"{root}/s"
    _, created = client.create(node, b"abc", include_data=True)
    check("exists stat equals the create2 stat", client.exists(node), created)

    updated = client.set(node, b"hello!")
    check("setData stat (version, dataLength, czxid)", (updated.version, updated.dataLength, updated.czxid),
          (1, 6, created.czxid))
    if updated.mzxid <= created.mzxid or updated.pzxid != created.pzxid:
        raise ScenarioFailure(f"setData zxids: created {created}, after set {updated}")
    data, stat = client.get(node)
    check("getData data", data, b"hello!")
    check("getData stat equals the setData stat", stat, updated)

    client.create(f"{node}/a")
    client.create(f"{node}/b", ephemeral=True)
    _, c_stat = client.create(f"{node}/c", include_data=True)
    parent = client.exists(node)
    check("parent after 3 creates (cversion, numChildren, pzxid, version)",
          (parent.cversion, parent.numChildren, parent.pzxid, parent.version), (3, 3, c_stat.czxid, 1))
    client.delete(f"{node}/c")
    children, stat = client.get_children(node, include_data=True)
    check("getChildren2 names", sorted(children), ["a", "b"])
    check("getChildren2 stat (cversion, numChildren)", (stat.cversion, stat.numChildren), (4, 2))
    check("getChildren names", sorted(client.get_children(node)), ["a", "b"])
    check("ephemeral's ephemeralOwner", client.exists(f"{node}/b").ephemeralOwner, session_id)
    check("persistent's ephemeralOwner", client.exists(f"{node}/a").ephemeralOwner, 0)

    client.create(f"{node}/a/x")
    check("getAllChildrenNumber (a, b, a/x)", call(client, GetAllChildrenNumber(node)), 3)
    check("getAllChildrenNumber of a leaf", call(client, GetAllChildrenNumber(f"{node}/a/x")), 0)
    other = f"{root}/other-ephemeral"
    client.create(other, ephemeral=True)
    check("getEphemerals under the root", sorted(call(client, GetEphemerals(root))), [other, f"{node}/b"])
    check("getEphemerals under s", call(client, GetEphemerals(node)), [f"{node}/b"])

    check("exists on a missing node", client.exists(f"{root}/missing"), None)
    check_raises("getData on a missing node", NoNodeError, lambda: client.get(f"{root}/missing"))
    client.stop()
    client.close()
    passed("stats")


if __name__ == "__main__":
    main()
