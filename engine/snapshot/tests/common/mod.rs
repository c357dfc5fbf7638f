//! Trees, workloads and comparisons shared by the snapshot tests.

#![allow(dead_code)] // each test binary uses its own part

use ringkeeper_datatree::ephemeral_type::{ttl_to_ephemeral_owner, CONTAINER_EPHEMERAL_OWNER};
use ringkeeper_datatree::{DataTree, TreeError, TreeOptions};
use ringkeeper_jute::{Acl, Id, NodeData, Perms};
use ringkeeper_snapshot::SnapshotSession;

pub const SESSION_A: i64 = 0x0100_0000_0000_0009;
pub const SESSION_B: i64 = 0x0100_0000_0000_000a;

pub fn acl(perms: i32, scheme: &str, id: &str) -> Vec<Acl> {
    vec![Acl {
        perms,
        id: Id {
            scheme: scheme.to_string(),
            id: id.to_string(),
        },
    }]
}

pub fn options() -> TreeOptions {
    TreeOptions {
        hash_seed: 0x1234_5678,
        extended_types_enabled: true,
    }
}

/// A tree with every kind of node the format must carry: nested paths,
/// binary and empty data, a non-ASCII name, several ACL lists (one with
/// two entries), ephemerals of two sessions, a container, a TTL node, a
/// sequential-looking name, deletions (so cversion != children) and a
/// changed "/zookeeper/config" ACL. Returns it with its last zxid.
pub fn sample_tree() -> (DataTree, i64) {
    let mut tree = DataTree::with_options(options());
    let open = acl(Perms::ALL, "world", "anyone");
    let read_only = acl(Perms::READ, "world", "anyone");
    let mut two = acl(Perms::ALL, "digest", "bob:0123456789abcdef");
    two.extend(acl(Perms::READ | Perms::WRITE, "ip", "10.0.0.0/8"));
    let mut zxid = 0x1_0000_0000;
    let mut next = || {
        zxid += 1;
        zxid
    };
    let time = 1_700_000_000_000;
    tree.set_data("/", b"root data", 1, next(), time)
        .expect("set /");
    tree.create_node("/app", b"config=1", &open, 0, -1, next(), time)
        .expect("create");
    tree.create_node("/app/members", b"", &read_only, 0, -1, next(), time)
        .expect("create");
    for i in 0..5 {
        tree.create_node(
            &format!("/app/members/m-{i:010}"),
            &[i as u8, 0, 255, b'\n'],
            &two,
            if i % 2 == 0 { SESSION_A } else { SESSION_B },
            -1,
            next(),
            time + i,
        )
        .expect("create ephemeral");
    }
    tree.create_node("/app/gone", b"x", &read_only, 0, -1, next(), time)
        .expect("create");
    let gone_zxid = next();
    tree.delete_node("/app/gone", gone_zxid).expect("delete");
    tree.create_node(
        "/locks",
        b"",
        &open,
        CONTAINER_EPHEMERAL_OWNER,
        -1,
        next(),
        time,
    )
    .expect("create container");
    tree.create_node(
        "/locks/lock-0000000000",
        b"",
        &open,
        SESSION_A,
        -1,
        next(),
        time,
    )
    .expect("create lock");
    let ttl = ttl_to_ephemeral_owner(60_000).expect("ttl");
    tree.create_node("/cache", &[7u8; 300], &open, ttl, -1, next(), time)
        .expect("create ttl");
    tree.create_node(
        "/ünïcode-名前",
        "värde".as_bytes(),
        &open,
        0,
        -1,
        next(),
        time,
    )
    .expect("create unicode");
    let deep = "/app/a/b/c/d/e/f";
    let mut path = String::from("/app");
    for part in deep.trim_start_matches("/app/").split('/') {
        path.push('/');
        path.push_str(part);
        tree.create_node(&path, part.as_bytes(), &open, 0, -1, next(), time)
            .expect("create deep");
    }
    tree.set_data("/app", b"config=2", 1, next(), time + 10)
        .expect("set");
    tree.set_acl("/app/a", &read_only, 1).expect("setAcl");
    tree.set_acl("/zookeeper/config", &two, 0).expect("setAcl");
    (tree, zxid)
}

pub fn sample_sessions() -> Vec<SnapshotSession> {
    vec![
        SnapshotSession {
            session_id: SESSION_B,
            timeout_ms: 30_000,
        },
        SnapshotSession {
            session_id: SESSION_A,
            timeout_ms: 4_000,
        },
    ]
}

/// Every node as text: path, data, wire Stat, ACL number and list;
/// sorted, so children order (a hash-seed matter) does not count.
pub fn listing(tree: &DataTree) -> Vec<String> {
    let mut lines = Vec::new();
    tree.walk(|path, node| {
        lines.push(format!(
            "{path} {:?} {:?} acl={} {:?}",
            node.data_or_null(),
            tree.node_stat(node),
            node.acl_id(),
            tree.node_acl(node)
        ))
    });
    lines.sort();
    lines
}

/// As [`listing`] but without ACL numbers (a replayed tree may number
/// its lists differently from the live one; the lists must match).
pub fn listing_without_acl_numbers(tree: &DataTree) -> Vec<String> {
    let mut lines = Vec::new();
    tree.walk(|path, node| {
        lines.push(format!(
            "{path} {:?} {:?} {:?}",
            node.data_or_null(),
            tree.node_stat(node),
            tree.node_acl(node)
        ))
    });
    lines.sort();
    lines
}

/// splitmix64, for workloads from a seed.
pub struct Rng(pub u64);

impl Rng {
    pub fn next(&mut self) -> u64 {
        self.0 = self.0.wrapping_add(0x9e37_79b9_7f4a_7c15);
        let mut z = self.0;
        z = (z ^ (z >> 30)).wrapping_mul(0xbf58_476d_1ce4_e5b9);
        z = (z ^ (z >> 27)).wrapping_mul(0x94d0_49bb_1331_11eb);
        z ^ (z >> 31)
    }

    pub fn below(&mut self, bound: usize) -> usize {
        (self.next() % bound as u64) as usize
    }
}

/// A txn as the log would hold it (absolute values, as ZooKeeper's txns).
#[derive(Debug, Clone)]
pub enum Txn {
    Create {
        path: String,
        data: NodeData,
        acl: Vec<Acl>,
        owner: i64,
        /// The parent's persisted cversion after the create.
        parent_cversion: i32,
        zxid: i64,
        time_ms: i64,
    },
    Delete {
        path: String,
        zxid: i64,
    },
    SetData {
        path: String,
        data: NodeData,
        version: i32,
        zxid: i64,
        time_ms: i64,
    },
    SetAcl {
        path: String,
        acl: Vec<Acl>,
        aversion: i32,
        zxid: i64,
    },
}

impl Txn {
    pub fn zxid(&self) -> i64 {
        match self {
            Txn::Create { zxid, .. }
            | Txn::Delete { zxid, .. }
            | Txn::SetData { zxid, .. }
            | Txn::SetAcl { zxid, .. } => *zxid,
        }
    }
}

/// Make one random change to a live tree at `zxid`; returns its txn.
/// Paths come from a small name space so that nodes are deleted and
/// created again under the same paths while a snapshot walks.
pub fn random_change(tree: &mut DataTree, rng: &mut Rng, zxid: i64) -> Txn {
    let acls = [
        acl(Perms::ALL, "world", "anyone"),
        acl(Perms::READ, "world", "anyone"),
        acl(Perms::ALL, "ip", "127.0.0.1"),
    ];
    loop {
        let mut paths = Vec::new();
        tree.walk(|path, node| {
            if !path.starts_with("/zookeeper") {
                paths.push((path.to_string(), node.child_count()));
            }
        });
        let time_ms = 1_700_000_000_000 + zxid;
        match rng.below(4) {
            0 => {
                let (parent, _) = &paths[rng.below(paths.len())];
                let depth = parent.matches('/').count();
                if depth >= 4 {
                    continue;
                }
                let name = format!("n{}", rng.below(6));
                let path = if parent == "/" {
                    format!("/{name}")
                } else {
                    format!("{parent}/{name}")
                };
                let mut data = NodeData::from(vec![b'a' + rng.below(26) as u8; rng.below(40)]);
                // Now and then null data, which must survive as null.
                if zxid % 5 == 0 {
                    data = NodeData::NULL;
                }
                let acl = acls[rng.below(acls.len())].clone();
                if tree
                    .create_node(&path, &data, &acl, 0, -1, zxid, time_ms)
                    .is_err()
                {
                    continue;
                }
                let parent_cversion = tree.get(parent).expect("parent").stat().cversion;
                return Txn::Create {
                    path,
                    data,
                    acl,
                    owner: 0,
                    parent_cversion,
                    zxid,
                    time_ms,
                };
            }
            1 => {
                let leaves: Vec<&String> = paths
                    .iter()
                    .filter(|(path, children)| *children == 0 && path != "/")
                    .map(|(path, _)| path)
                    .collect();
                if leaves.is_empty() {
                    continue;
                }
                let path = leaves[rng.below(leaves.len())].clone();
                tree.delete_node(&path, zxid).expect("leaf deletes");
                return Txn::Delete { path, zxid };
            }
            2 => {
                let (path, _) = &paths[rng.below(paths.len())];
                let version = tree.get(path).expect("exists").stat().version + 1;
                let data = if zxid % 7 == 0 {
                    NodeData::NULL
                } else {
                    NodeData::from(format!("v{zxid}").into_bytes())
                };
                tree.set_data(path, &data, version, zxid, time_ms)
                    .expect("exists");
                return Txn::SetData {
                    path: path.clone(),
                    data,
                    version,
                    zxid,
                    time_ms,
                };
            }
            _ => {
                let (path, _) = &paths[rng.below(paths.len())];
                let aversion = tree.get(path).expect("exists").stat().aversion + 1;
                let acl = acls[rng.below(acls.len())].clone();
                tree.set_acl(path, &acl, aversion).expect("exists");
                return Txn::SetAcl {
                    path: path.clone(),
                    acl,
                    aversion,
                    zxid,
                };
            }
        }
    }
}

/// Apply a txn over a fuzzy snapshot, with the leniency replay needs
/// (docs/storage.md, "Why a fuzzy snapshot is correct"):
/// - create of an existing node: leave the node, raise the parent's
///   cversion/pzxid (ZooKeeper's setCversionPzxid);
/// - delete: remove the node with any subtree it has in the replayed tree
///   (those children are created again by later txns); a missing node
///   still raises the parent's pzxid (ZooKeeper's deleteNode, as the
///   DataTree replays it: `delete_node_for_replay`);
/// - setData/setACL of a missing node: nothing (a later delete removed it).
pub fn replay(tree: &mut DataTree, txn: &Txn) {
    match txn {
        Txn::Create {
            path,
            data,
            acl,
            owner,
            parent_cversion,
            zxid,
            time_ms,
        } => match tree.create_node(path, data, acl, *owner, *parent_cversion, *zxid, *time_ms) {
            Ok(_) => {}
            Err(TreeError::NodeExists) => {
                let parent = parent_of(path);
                tree.set_cversion_pzxid(parent, *parent_cversion, *zxid)
                    .expect("parent exists");
            }
            Err(error) => panic!("replaying create {path}: {error}"),
        },
        Txn::Delete { path, zxid } => {
            match tree.delete_node_for_replay(path, *zxid, &mut Vec::new()) {
                // The parent is gone too: a later txn of the log deleted it.
                Ok(()) | Err(TreeError::NoNode) => {}
                Err(error) => panic!("replaying delete {path}: {error}"),
            }
        }
        Txn::SetData {
            path,
            data,
            version,
            zxid,
            time_ms,
        } => {
            let _ = tree.set_data(path, data, *version, *zxid, *time_ms);
        }
        Txn::SetAcl {
            path,
            acl,
            aversion,
            ..
        } => {
            let _ = tree.set_acl(path, acl, *aversion);
        }
    }
}

fn parent_of(path: &str) -> &str {
    match path.rfind('/') {
        Some(0) | None => "/",
        Some(at) => &path[..at],
    }
}
