//! Stat maintenance, field by field, as Apache ZooKeeper 3.8 does it.
//!
//! Checked against Debian's ZooKeeper 3.8.0 running here (started with
//! tuning/zkharness.py, poked with zkCli.sh): the fresh tree's four nodes
//! (`stat /`, `/zookeeper`, `/zookeeper/quota`, `/zookeeper/config`; mntr
//! znode_count 5, approximate_data_size 44), and the session of
//! `the_zkcli_session_replayed` (same commands, same zxids, every printed
//! Stat field compared).

use ringkeeper_datatree::ephemeral_type::{ttl_to_ephemeral_owner, CONTAINER_EPHEMERAL_OWNER};
use ringkeeper_datatree::{DataTree, TreeOptions};
use ringkeeper_jute::{Acl, Id, Perms, Stat};

fn world(perms: i32) -> Vec<Acl> {
    vec![Acl {
        perms,
        id: Id {
            scheme: "world".to_string(),
            id: "anyone".to_string(),
        },
    }]
}

fn stat(tree: &DataTree, path: &str) -> Stat {
    tree.get_stat(path)
        .unwrap_or_else(|| panic!("{path} exists"))
}

const T0: i64 = 1_700_000_000_000;

#[test]
fn initial_nodes_have_the_stats_zookeeper_3_8_starts_with() {
    let tree = DataTree::new();
    let zero = Stat::default();
    // "/" has one child it never counted as a creation: cversion 0*2 - 1.
    assert_eq!(
        stat(&tree, "/"),
        Stat {
            cversion: -1,
            num_children: 1,
            ..zero.clone()
        }
    );
    assert_eq!(
        stat(&tree, "/zookeeper"),
        Stat {
            cversion: -2,
            num_children: 2,
            ..zero.clone()
        }
    );
    assert_eq!(stat(&tree, "/zookeeper/quota"), zero);
    // addConfigNode ends with setACL(READ_ACL_UNSAFE, version -1).
    assert_eq!(
        stat(&tree, "/zookeeper/config"),
        Stat {
            aversion: -1,
            ..zero
        }
    );
    let root = tree.lookup("/").expect("root");
    assert_eq!(tree.acl(root), &world(Perms::ALL)[..]);
    assert_eq!(tree.get("/").map(|n| n.acl_id()), Some(-1));
    assert_eq!(tree.get("/zookeeper/config").map(|n| n.acl_id()), Some(1));
    let config = tree.lookup("/zookeeper/config").expect("config");
    assert_eq!(tree.acl(config), &world(Perms::READ)[..]);
    assert_eq!(tree.node_count(), 5);
    assert_eq!(tree.approximate_data_size(), 44);
    assert_eq!(tree.acl_cache().len(), 1);
}

#[test]
fn the_zkcli_session_replayed() {
    // zkCli against ZooKeeper 3.8.0: create /dt-a hello (zxid 0xa);
    // create /dt-a/c1 x (0xb); create -s /dt-a/s- y (0xc);
    // set /dt-a/c1 worldwide (0xd); delete /dt-a/c1 (0xe);
    // setAcl /dt-a world:anyone:r (0xf); create -c /dt-c q (0x11).
    let mut tree = DataTree::new();
    let open = world(Perms::ALL);
    tree.create_node("/dt-a", b"hello", &open, 0, -1, 0xa, T0)
        .expect("create");
    let a = stat(&tree, "/dt-a");
    assert_eq!(
        (a.czxid, a.mzxid, a.pzxid, a.cversion, a.version, a.aversion),
        (0xa, 0xa, 0xa, 0, 0, 0)
    );
    assert_eq!(
        (a.ctime, a.mtime, a.data_length, a.num_children),
        (T0, T0, 5, 0)
    );

    tree.create_node("/dt-a/c1", b"x", &open, 0, -1, 0xb, T0 + 1)
        .expect("create");
    let counter = tree
        .get("/dt-a")
        .map(|n| n.stat().cversion)
        .expect("exists");
    let sequential = ringkeeper_datatree::path::sequential_path("/dt-a/s-", counter);
    assert_eq!(sequential, "/dt-a/s-0000000001");
    tree.create_node(&sequential, b"y", &open, 0, -1, 0xc, T0 + 2)
        .expect("create");
    let a = stat(&tree, "/dt-a");
    assert_eq!(
        (a.pzxid, a.cversion, a.num_children, a.mzxid),
        (0xc, 2, 2, 0xa)
    );
    let s = stat(&tree, "/dt-a/s-0000000001");
    assert_eq!(
        (s.czxid, s.mzxid, s.pzxid, s.cversion, s.data_length),
        (0xc, 0xc, 0xc, 0, 1)
    );

    let c1 = tree
        .set_data("/dt-a/c1", b"worldwide", 1, 0xd, T0 + 3)
        .expect("set");
    assert_eq!(
        (c1.czxid, c1.mzxid, c1.pzxid, c1.version, c1.data_length),
        (0xb, 0xd, 0xb, 1, 9)
    );
    assert_eq!((c1.ctime, c1.mtime), (T0 + 1, T0 + 3));
    assert_eq!(c1, stat(&tree, "/dt-a/c1"));

    tree.delete_node("/dt-a/c1", 0xe).expect("delete");
    let a = stat(&tree, "/dt-a");
    assert_eq!((a.pzxid, a.cversion, a.num_children), (0xe, 3, 1));
    // The persisted cversion counts creations only.
    assert_eq!(tree.get("/dt-a").map(|n| n.stat().cversion), Some(2));

    let a = tree
        .set_acl("/dt-a", &world(Perms::READ), 1)
        .expect("setAcl");
    assert_eq!(
        (a.aversion, a.version, a.cversion, a.pzxid, a.mzxid),
        (1, 0, 3, 0xe, 0xa)
    );

    tree.create_node(
        "/dt-c",
        b"q",
        &open,
        CONTAINER_EPHEMERAL_OWNER,
        -1,
        0x11,
        T0 + 5,
    )
    .expect("create container");
    let c = stat(&tree, "/dt-c");
    assert_eq!((c.czxid, c.ephemeral_owner, c.data_length), (0x11, 0, 1));
    let root = stat(&tree, "/");
    assert_eq!(
        (root.pzxid, root.cversion, root.num_children, root.mzxid),
        (0x11, 1, 3, 0)
    );
    tree.check_invariants().expect("consistent");
}

#[test]
fn set_data_changes_only_data_mtime_mzxid_and_version() {
    let mut tree = DataTree::new();
    tree.create_node("/n", b"abc", &world(Perms::ALL), 0, -1, 5, T0)
        .expect("create");
    let before = stat(&tree, "/n");
    let after = tree.set_data("/n", b"", 7, 9, T0 + 10).expect("set");
    assert_eq!(
        after,
        Stat {
            mzxid: 9,
            mtime: T0 + 10,
            version: 7,
            data_length: 0,
            ..before
        }
    );
    assert_eq!(tree.get("/n").map(|n| n.data().len()), Some(0));
}

#[test]
fn set_acl_changes_only_aversion_and_the_list() {
    let mut tree = DataTree::new();
    tree.create_node("/n", b"abc", &world(Perms::ALL), 0, -1, 5, T0)
        .expect("create");
    let before = stat(&tree, "/n");
    let after = tree.set_acl("/n", &world(Perms::READ), 3).expect("setAcl");
    assert_eq!(
        after,
        Stat {
            aversion: 3,
            ..before
        }
    );
    let id = tree.lookup("/n").expect("exists");
    assert_eq!(tree.acl(id), &world(Perms::READ)[..]);
}

#[test]
fn ephemeral_owner_is_shown_and_container_and_ttl_markers_are_hidden() {
    let mut tree = DataTree::with_options(TreeOptions {
        extended_types_enabled: true,
        ..TreeOptions::default()
    });
    let open = world(Perms::ALL);
    let session = 0x1000_0000_0000_0042;
    tree.create_node("/e", b"", &open, session, -1, 2, T0)
        .expect("create");
    assert_eq!(stat(&tree, "/e").ephemeral_owner, session);
    let ttl = ttl_to_ephemeral_owner(60_000).expect("ttl");
    tree.create_node("/t", b"", &open, ttl, -1, 3, T0)
        .expect("create");
    assert_eq!(stat(&tree, "/t").ephemeral_owner, 0);
    // The tree keeps the marker itself.
    assert_eq!(tree.get("/t").map(|n| n.stat().ephemeral_owner), Some(ttl));
}

#[test]
fn a_create_replayed_with_an_older_parent_cversion_leaves_the_parent_alone() {
    // DataTree.createNode raises the parent's cversion (and pzxid) only if
    // the txn's parentCVersion is larger: replaying txns over a fuzzy
    // snapshot must not move them backwards.
    let mut tree = DataTree::new();
    let open = world(Perms::ALL);
    tree.create_node("/p", b"", &open, 0, -1, 1, T0)
        .expect("create");
    tree.create_node("/p/a", b"", &open, 0, 5, 2, T0)
        .expect("create");
    assert_eq!(
        tree.get("/p").map(|n| (n.stat().cversion, n.stat().pzxid)),
        Some((5, 2))
    );
    tree.create_node("/p/b", b"", &open, 0, 3, 3, T0)
        .expect("create");
    assert_eq!(
        tree.get("/p").map(|n| (n.stat().cversion, n.stat().pzxid)),
        Some((5, 2))
    );
    tree.check_invariants().expect("consistent");
}

#[test]
fn a_delete_does_not_lower_the_parents_pzxid() {
    let mut tree = DataTree::new();
    let open = world(Perms::ALL);
    tree.create_node("/p", b"", &open, 0, -1, 1, T0)
        .expect("create");
    tree.create_node("/p/a", b"", &open, 0, -1, 10, T0)
        .expect("create");
    tree.delete_node("/p/a", 4).expect("delete");
    assert_eq!(stat(&tree, "/p").pzxid, 10);
    assert_eq!(stat(&tree, "/p").cversion, 2);
}

#[test]
fn set_cversion_pzxid_raises_only() {
    let mut tree = DataTree::new();
    let open = world(Perms::ALL);
    tree.create_node("/p", b"", &open, 0, -1, 1, T0)
        .expect("create");
    tree.set_cversion_pzxid("/p/", -1, 8).expect("exists");
    assert_eq!(
        tree.get("/p").map(|n| (n.stat().cversion, n.stat().pzxid)),
        Some((1, 8))
    );
    tree.set_cversion_pzxid("/p", 1, 9).expect("exists");
    assert_eq!(
        tree.get("/p").map(|n| (n.stat().cversion, n.stat().pzxid)),
        Some((1, 8))
    );
    assert!(tree.set_cversion_pzxid("/q", -1, 9).is_err());
    tree.check_invariants().expect("consistent");
}

#[test]
fn mntr_counters_follow_creates_sets_and_deletes() {
    let mut tree = DataTree::new();
    let open = world(Perms::ALL);
    tree.create_node("/é", b"12345", &open, 0, -1, 1, T0)
        .expect("create");
    // "/é" is 2 UTF-16 units (3 bytes), as Java's String.length() counts.
    assert_eq!(tree.approximate_data_size(), 44 + 2 + 5);
    assert_eq!(tree.node_count(), 6);
    tree.set_data("/é", b"1", 1, 2, T0).expect("set");
    assert_eq!(tree.approximate_data_size(), 44 + 2 + 1);
    tree.set_data("/", b"rootdata", 1, 3, T0).expect("set");
    assert_eq!(tree.approximate_data_size(), 44 + 2 + 1 + 8);
    tree.delete_node("/é", 4).expect("delete");
    assert_eq!(tree.approximate_data_size(), 44 + 8);
    assert_eq!(tree.node_count(), 5);
    assert_eq!(tree.all_children_number("/"), Some(3));
    tree.check_invariants().expect("consistent");
}
