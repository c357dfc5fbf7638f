//! Ephemerals by session, containers and TTL nodes: what session close,
//! the `dump` four-letter word and the container manager read.

mod common;

use common::open;
use ringkeeper_datatree::ephemeral_type::{
    ttl_ms, ttl_to_ephemeral_owner, CONTAINER_EPHEMERAL_OWNER,
};
use ringkeeper_datatree::{DataTree, TreeOptions};

const SESSION_A: i64 = 0x0100_0000_0000_0001;
const SESSION_B: i64 = 0x0100_0000_0000_0002;

#[test]
fn killing_a_session_deletes_exactly_its_ephemerals() {
    let mut tree = DataTree::new();
    tree.create_node("/app", b"", &open(), 0, -1, 1, 0)
        .expect("create");
    tree.create_node("/app/lock-a1", b"", &open(), SESSION_A, -1, 2, 0)
        .expect("create");
    tree.create_node("/app/lock-b1", b"", &open(), SESSION_B, -1, 3, 0)
        .expect("create");
    tree.create_node("/a2", b"", &open(), SESSION_A, -1, 4, 0)
        .expect("create");
    assert_eq!(tree.ephemerals(SESSION_A), vec!["/a2", "/app/lock-a1"]);
    assert_eq!(tree.ephemeral_count(), 3);
    assert_eq!(
        tree.sessions_with_ephemerals().collect::<Vec<_>>(),
        vec![SESSION_A, SESSION_B]
    );

    let mut deleted = tree.kill_session(SESSION_A, 10);
    deleted.sort();
    assert_eq!(deleted, vec!["/a2", "/app/lock-a1"]);
    assert!(tree.lookup("/app/lock-a1").is_none());
    assert!(tree.lookup("/app/lock-b1").is_some());
    assert!(tree.ephemerals(SESSION_A).is_empty());
    assert_eq!(tree.ephemeral_count(), 1);
    assert_eq!(
        tree.sessions_with_ephemerals().collect::<Vec<_>>(),
        vec![SESSION_B]
    );
    // The deletes happened at the closeSession's zxid.
    assert_eq!(tree.get_stat("/app").map(|s| s.pzxid), Some(10));
    assert_eq!(tree.get_stat("/").map(|s| s.pzxid), Some(10));
    assert!(tree.kill_session(SESSION_A, 11).is_empty());
    tree.check_invariants().expect("consistent");
}

#[test]
fn a_session_whose_ephemerals_were_deleted_stays_listed_until_killed() {
    // As ZooKeeper's `ephemerals` map: deleteNode empties the session's set
    // but only killSession removes it.
    let mut tree = DataTree::new();
    tree.create_node("/e", b"", &open(), SESSION_A, -1, 1, 0)
        .expect("create");
    tree.delete_node("/e", 2).expect("delete");
    assert_eq!(
        tree.sessions_with_ephemerals().collect::<Vec<_>>(),
        vec![SESSION_A]
    );
    assert!(tree.ephemerals(SESSION_A).is_empty());
    assert_eq!(tree.ephemeral_count(), 0);
    assert!(tree.kill_session(SESSION_A, 3).is_empty());
    assert_eq!(tree.sessions_with_ephemerals().count(), 0);
}

#[test]
fn containers_and_ttl_nodes_are_indexed_until_deleted() {
    let mut tree = DataTree::with_options(TreeOptions {
        extended_types_enabled: true,
        ..TreeOptions::default()
    });
    let ttl = ttl_to_ephemeral_owner(30_000).expect("ttl");
    tree.create_node("/c", b"", &open(), CONTAINER_EPHEMERAL_OWNER, -1, 1, 0)
        .expect("create");
    tree.create_node("/t", b"", &open(), ttl, -1, 2, 0)
        .expect("create");
    tree.create_node("/p", b"", &open(), 0, -1, 3, 0)
        .expect("create");
    let containers: Vec<String> = tree.containers().filter_map(|id| tree.path(id)).collect();
    assert_eq!(containers, vec!["/c"]);
    let ttls: Vec<_> = tree.ttls().collect();
    assert_eq!(ttls.len(), 1);
    assert_eq!(tree.path(ttls[0]).as_deref(), Some("/t"));
    let owner = tree
        .node(ttls[0])
        .map(|n| n.stat().ephemeral_owner)
        .expect("live");
    assert_eq!(ttl_ms(owner), 30_000);
    // Neither counts as an ephemeral, and both may have children.
    assert_eq!(tree.ephemeral_count(), 0);
    tree.create_node("/c/x", b"", &open(), 0, -1, 4, 0)
        .expect("child of a container");
    tree.delete_node("/c/x", 5).expect("delete");
    tree.delete_node("/c", 6).expect("delete");
    tree.delete_node("/t", 7).expect("delete");
    assert_eq!(tree.containers().count(), 0);
    assert_eq!(tree.ttls().count(), 0);
    tree.check_invariants().expect("consistent");
}

#[test]
fn with_extended_types_off_a_high_byte_ff_owner_is_an_ordinary_session() {
    // Server id 255 makes session ids with a 0xFF high byte; ZooKeeper's
    // default (extendedTypesEnabled=false) treats them as sessions.
    let mut tree = DataTree::new();
    let session_of_server_255 = 0xff00_0000_0000_0007_u64 as i64;
    tree.create_node("/e", b"", &open(), session_of_server_255, -1, 1, 0)
        .expect("create");
    assert_eq!(tree.ttls().count(), 0);
    assert_eq!(tree.ephemerals(session_of_server_255), vec!["/e"]);
    assert_eq!(
        tree.get_stat("/e").map(|s| s.ephemeral_owner),
        Some(session_of_server_255)
    );
}

#[test]
fn all_children_number_counts_every_descendant() {
    let mut tree = DataTree::new();
    for (zxid, path) in ["/a", "/a/b", "/a/b/c", "/a/d", "/x"]
        .into_iter()
        .enumerate()
    {
        tree.create_node(path, b"", &open(), 0, -1, zxid as i64 + 1, 0)
            .expect("create");
    }
    assert_eq!(tree.all_children_number("/a"), Some(3));
    assert_eq!(tree.all_children_number("/a/b/c"), Some(0));
    // ZooKeeper: nodes.size() - 2 for "/" (its map holds the root twice).
    assert_eq!(tree.all_children_number("/"), Some(8));
    assert_eq!(tree.all_children_number("/zookeeper"), Some(2));
    assert_eq!(tree.all_children_number("/nope"), None);
}

#[test]
fn walk_visits_parents_before_children_with_full_paths() {
    let mut tree = DataTree::new();
    for (zxid, path) in ["/a", "/a/b", "/a/b/c", "/x"].into_iter().enumerate() {
        tree.create_node(path, b"", &open(), 0, -1, zxid as i64 + 1, 0)
            .expect("create");
    }
    let mut seen = Vec::new();
    tree.walk(|path, node| {
        if path != "/" {
            let parent = ringkeeper_datatree::path::parent_and_name(path)
                .expect("child")
                .0;
            assert!(
                seen.iter().any(|p: &String| p == parent),
                "{parent} before {path}"
            );
            assert_eq!(node.name(), path.rsplit('/').next().unwrap_or(""));
        }
        seen.push(path.to_string());
    });
    seen.sort();
    assert_eq!(
        seen,
        vec![
            "/",
            "/a",
            "/a/b",
            "/a/b/c",
            "/x",
            "/zookeeper",
            "/zookeeper/config",
            "/zookeeper/quota"
        ]
    );
}
