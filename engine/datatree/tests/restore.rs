//! A tree written out by `walk` (with its ACL cache) and loaded back into a
//! fresh tree is the same tree: same nodes, Stats, ACL numbers, indexes,
//! counters and digest.

use ringkeeper_datatree::ephemeral_type::CONTAINER_EPHEMERAL_OWNER;
use ringkeeper_datatree::{AclId, DataTree, NodeStat, TreeError};
use ringkeeper_jute::{Acl, Id, Perms};

fn acl(perms: i32, scheme: &str) -> Vec<Acl> {
    vec![Acl {
        perms,
        id: Id {
            scheme: scheme.to_string(),
            id: "anyone".to_string(),
        },
    }]
}

struct Snapshot {
    acls: Vec<(AclId, Vec<Acl>)>,
    nodes: Vec<(String, Vec<u8>, AclId, NodeStat)>,
}

fn snapshot(tree: &DataTree) -> Snapshot {
    let acls = tree
        .acl_cache()
        .entries()
        .map(|(id, list)| (id, list.to_vec()))
        .collect();
    let mut nodes = Vec::new();
    tree.walk(|path, node| {
        nodes.push((
            path.to_string(),
            node.data().to_vec(),
            node.acl_id(),
            *node.stat(),
        ))
    });
    Snapshot { acls, nodes }
}

fn restore(snapshot: &Snapshot) -> DataTree {
    let mut tree = DataTree::new();
    for (id, list) in &snapshot.acls {
        tree.restore_acl(*id, list.clone());
    }
    for (path, data, acl_id, stat) in &snapshot.nodes {
        tree.restore_node(path, data, *acl_id, *stat)
            .unwrap_or_else(|e| panic!("{path}: {e:?}"));
    }
    tree.finish_restore();
    tree
}

fn listing(tree: &DataTree) -> Vec<String> {
    let mut lines = Vec::new();
    tree.walk(|path, node| {
        lines.push(format!(
            "{path} {:?} {:?} acl={} {:?}",
            node.data(),
            tree.node_stat(node),
            node.acl_id(),
            tree.node_acl(node)
        ))
    });
    lines.sort();
    lines
}

#[test]
fn a_walked_tree_restores_to_the_same_tree() {
    let mut tree = DataTree::new();
    let session = 0x0100_0000_0000_0009;
    tree.set_data("/", b"root", 1, 1, 10).expect("set");
    tree.create_node("/app", b"cfg", &acl(Perms::ALL, "world"), 0, -1, 2, 10)
        .expect("create");
    tree.create_node(
        "/app/e",
        b"",
        &acl(Perms::READ, "world"),
        session,
        -1,
        3,
        11,
    )
    .expect("create");
    tree.create_node("/app/gone", b"", &acl(Perms::ADMIN, "ip"), 0, -1, 4, 11)
        .expect("create");
    tree.delete_node("/app/gone", 5).expect("delete");
    tree.create_node(
        "/box",
        b"",
        &acl(Perms::ALL, "world"),
        CONTAINER_EPHEMERAL_OWNER,
        -1,
        6,
        12,
    )
    .expect("create");
    tree.set_acl("/zookeeper/config", &acl(Perms::ALL, "ip"), 0)
        .expect("setAcl");

    let restored = restore(&snapshot(&tree));
    assert_eq!(listing(&restored), listing(&tree));
    assert_eq!(restored.digest(), tree.digest());
    assert_eq!(restored.node_count(), tree.node_count());
    assert_eq!(
        restored.approximate_data_size(),
        tree.approximate_data_size()
    );
    assert_eq!(restored.ephemerals(session), vec!["/app/e"]);
    assert_eq!(restored.containers().count(), 1);
    let ids = |t: &DataTree| {
        t.acl_cache()
            .entries()
            .map(|(id, _)| id)
            .collect::<Vec<_>>()
    };
    assert_eq!(ids(&restored), ids(&tree));
    for (id, _) in tree.acl_cache().entries() {
        assert_eq!(
            restored.acl_cache().references(id),
            tree.acl_cache().references(id),
            "acl {id}"
        );
    }
    restored.check_invariants().expect("consistent");
}

#[test]
fn a_node_with_an_unknown_acl_number_or_a_missing_parent_is_refused() {
    let mut tree = DataTree::new();
    let before = tree.digest();
    assert_eq!(
        tree.restore_node("/a", b"", 42, NodeStat::default())
            .map(drop),
        Err(TreeError::UnknownAclId(42))
    );
    assert_eq!(
        tree.restore_node("/a/b", b"", -1, NodeStat::default())
            .map(drop),
        Err(TreeError::NoNode)
    );
    assert_eq!(tree.digest(), before);
    tree.check_invariants().expect("consistent");
}

/// A restored tree counts its quotas again (ZooKeeper's `setupQuota`):
/// stats are recounted from the nodes, and later changes keep them.
#[test]
fn a_restored_tree_recounts_and_keeps_its_quotas() {
    let mut tree = DataTree::new();
    let open = acl(Perms::ALL, "world");
    for (zxid, (path, data)) in [
        ("/q", &b""[..]),
        ("/q/a", b"12345"),
        ("/zookeeper/quota/q", b""),
        ("/zookeeper/quota/q/zookeeper_limits", b"count=10,bytes=100"),
        ("/zookeeper/quota/q/zookeeper_stats", b""),
    ]
    .into_iter()
    .enumerate()
    {
        tree.create_node(path, data, &open, 0, -1, zxid as i64 + 1, 10)
            .expect("create");
    }
    // A stale count, as a snapshot taken from a server that missed an update could hold.
    tree.set_data(
        "/zookeeper/quota/q/zookeeper_stats",
        b"count=99,bytes=99",
        1,
        9,
        10,
    )
    .expect("set");
    let mut restored = restore(&snapshot(&tree));
    let stats = |tree: &DataTree| {
        tree.get("/zookeeper/quota/q/zookeeper_stats")
            .expect("stats node")
            .data()
            .to_vec()
    };
    assert_eq!(stats(&restored), b"count=2,bytes=5");
    restored
        .create_node("/q/b", b"xx", &open, 0, -1, 10, 10)
        .expect("create");
    assert_eq!(stats(&restored), b"count=3,bytes=7");
    assert_eq!(restored.digest(), restored.recompute_digest());
}

#[test]
fn nodes_restore_in_any_parent_order_not_only_one_parent_after_another() {
    // The restore remembers the last parent; a listing that goes back and
    // forth between parents, or names a child of a start node, must not
    // fool it.
    let mut tree = DataTree::new();
    for path in [
        "/a",
        "/b",
        "/a/x",
        "/b/y",
        "/a/z",
        "/zookeeper/extra",
        "/a/x/deep",
    ] {
        tree.create_node(
            path,
            path.as_bytes(),
            &acl(Perms::ALL, "world"),
            0,
            -1,
            2,
            10,
        )
        .unwrap_or_else(|e| panic!("{path}: {e:?}"));
    }
    let mut listed = snapshot(&tree);
    // Shuffle the listing into an interleaved order that keeps parents first.
    let order = [
        "/",
        "/zookeeper",
        "/a",
        "/b",
        "/a/x",
        "/b/y",
        "/zookeeper/extra",
        "/a/z",
        "/a/x/deep",
    ];
    listed
        .nodes
        .retain(|(path, ..)| order.contains(&path.as_str()) || path.starts_with("/zookeeper"));
    listed
        .nodes
        .sort_by_key(|(path, ..)| order.iter().position(|p| p == path).unwrap_or(order.len()));
    let restored = restore(&listed);
    assert_eq!(listing(&restored), listing(&tree));
    assert_eq!(restored.digest(), tree.digest());

    let mut fresh = DataTree::new();
    fresh
        .restore_node("/a", b"", -1, NodeStat::default())
        .expect("/a");
    fresh
        .restore_node("/a/x", b"", -1, NodeStat::default())
        .expect("/a/x");
    assert_eq!(
        fresh
            .restore_node("/b/y", b"", -1, NodeStat::default())
            .err(),
        Some(TreeError::NoNode),
        "a missing parent is refused even right after another parent was remembered"
    );
}
