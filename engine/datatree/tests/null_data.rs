//! ZooKeeper keeps a znode's `byte[] data` null when a create or setData
//! sends a null buffer: getData answers null, and everything else (Stat
//! dataLength, mntr's data size, quotas, the digest) counts it as empty.
//! Checked against Debian's ZooKeeper 3.8.0 (create with a -1 buffer, then
//! getData: length -1, dataLength 0; create with an empty buffer: length 0).
//! The tree used to store null as empty, so getData answered 0 bytes.

mod common;

use common::open;
use ringkeeper_datatree::{DataTree, NodeStat};
use ringkeeper_jute::NodeData;

const T0: i64 = 1_700_000_000_000;

fn null() -> Option<&'static [u8]> {
    None
}

#[test]
fn a_node_created_with_null_data_keeps_null_and_counts_as_empty() {
    let mut with_null = DataTree::new();
    let mut with_empty = DataTree::new();
    with_null
        .create_node("/n", &null(), &open(), 0, -1, 2, T0)
        .unwrap();
    with_empty
        .create_node("/n", b"", &open(), 0, -1, 2, T0)
        .unwrap();
    let node = with_null.get("/n").unwrap();
    assert!(node.is_data_null());
    assert_eq!(node.data_or_null(), None);
    assert_eq!(node.data(), b"");
    let empty = with_empty.get("/n").unwrap();
    assert!(!empty.is_data_null());
    assert_eq!(empty.data_or_null(), Some(&b""[..]));
    // Stat, data size and digest: null is empty (ZooKeeper's digest
    // skips a null array, which adds what an empty one adds: nothing).
    assert_eq!(with_null.get_stat("/n"), with_empty.get_stat("/n"));
    assert_eq!(with_null.get_stat("/n").unwrap().data_length, 0);
    assert_eq!(
        with_null.approximate_data_size(),
        with_empty.approximate_data_size()
    );
    assert_eq!(with_null.digest(), with_empty.digest());
    with_null.check_invariants().unwrap();
}

#[test]
fn set_data_with_null_makes_data_null_and_with_empty_makes_it_empty_again() {
    let mut tree = DataTree::new();
    tree.create_node("/n", b"abc", &open(), 0, -1, 2, T0)
        .unwrap();
    let stat = tree.set_data("/n", &NodeData::NULL, 1, 3, T0 + 1).unwrap();
    assert_eq!((stat.version, stat.data_length, stat.mzxid), (1, 0, 3));
    assert_eq!(tree.get("/n").unwrap().data_or_null(), None);
    assert_eq!(
        tree.approximate_data_size(),
        DataTree::new().approximate_data_size() + 2
    );
    tree.check_invariants().unwrap();

    tree.set_data("/n", b"", 2, 4, T0 + 2).unwrap();
    assert_eq!(tree.get("/n").unwrap().data_or_null(), Some(&b""[..]));
    tree.set_data("/n", &null(), 3, 5, T0 + 3).unwrap();
    tree.set_data("/n", b"xy", 4, 6, T0 + 4).unwrap();
    assert_eq!(tree.get("/n").unwrap().data_or_null(), Some(&b"xy"[..]));
    tree.check_invariants().unwrap();
}

#[test]
fn a_restored_node_keeps_null_data_and_a_restored_start_node_can_become_null() {
    let mut source = DataTree::new();
    source
        .create_node("/n", &null(), &open(), 0, -1, 2, T0)
        .unwrap();
    source.set_data("/", &null(), 1, 3, T0).unwrap();
    let mut restored = DataTree::new();
    for (id, list) in source.acl_cache().entries() {
        restored.restore_acl(id, list.to_vec());
    }
    source.walk(|path, node| {
        restored
            .restore_node(path, &node.data_or_null(), node.acl_id(), *node.stat())
            .unwrap();
    });
    restored.finish_restore();
    assert_eq!(restored.get("/n").unwrap().data_or_null(), None);
    assert_eq!(restored.get("/").unwrap().data_or_null(), None);
    assert_eq!(restored.digest(), source.digest());
    assert_eq!(
        *restored.get("/n").unwrap().stat(),
        NodeStat {
            czxid: 2,
            mzxid: 2,
            pzxid: 2,
            ctime_ms: T0,
            mtime_ms: T0,
            ..NodeStat::default()
        }
    );
    restored.check_invariants().unwrap();
}
