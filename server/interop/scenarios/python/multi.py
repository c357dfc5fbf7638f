"""kazoo: multi (transaction) success and atomic failure with per-op results, multiRead, sync."""

from kazoo.exceptions import BadVersionError, NoNodeError, RolledBackError, RuntimeInconsistency

from interop_common import MultiRead, call, check, connect, parse_args, passed


def main():
    args = parse_args()
    root = args.root
    client = connect(args.server)
    client.create(root)
    m1, m2, m3 = f"{root}/m1", f"{root}/m2", f"{root}/m3"

    transaction = client.transaction()
    transaction.create(m1, b"one")
    transaction.create(m2, b"two")
    transaction.set_data(m1, b"uno", version=0)
    transaction.check(m1, 1)
    transaction.delete(m2, version=0)
    results = transaction.commit()
    check("multi result count", len(results), 5)
    check("multi create results", results[:2], [m1, m2])
    check("multi setData stat (version, dataLength)", (results[2].version, results[2].dataLength), (1, 3))
    check("multi check and delete results", results[3:], [True, True])
    data, stat = client.get(m1)
    check("m1 after multi", (data, stat.version), (b"uno", 1))
    check("m2 created and deleted in one multi", client.exists(m2), None)

    # Atomic failure: ops before the failing one report OK (kazoo: RolledBackError), the failing
    # one its own error, the ones after RuntimeInconsistency.
    transaction = client.transaction()
    transaction.create(m3)
    transaction.set_data(m1, b"bad", version=7)
    transaction.delete(m1)
    results = transaction.commit()
    check("failed multi per-op results", [type(result) for result in results],
          [RolledBackError, BadVersionError, RuntimeInconsistency])
    check("m3 after a failed multi", client.exists(m3), None)
    check("m1 after a failed multi", client.get(m1)[0], b"uno")

    results = call(client, MultiRead([("get", m1), ("children", root), ("get", m3)]))
    check("multiRead result count", len(results), 3)
    check("multiRead getData", (results[0][0], results[0][1].version), (b"uno", 1))
    check("multiRead getChildren", results[1], ["m1"])
    check("multiRead getData of a missing node", type(results[2]), NoNodeError)

    check("sync answers the path", client.sync(root), root)
    client.stop()
    client.close()
    passed("multi")


if __name__ == "__main__":
    main()
