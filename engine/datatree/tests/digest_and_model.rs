//! Random change sequences against a plain path-keyed model of ZooKeeper's
//! DataTree (a BTreeMap of path -> node, the way DataTree.java keys its
//! nodes): after every change each node's wire Stat, data and ACL match the
//! model, the incremental digest equals a full recompute, and every derived
//! counter matches a walk; at the end the tree, written out by `walk` and
//! restored, is the same tree. Two replicas with different children-table
//! seeds agree on the digest.

use std::collections::BTreeMap;

use proptest::prelude::*;
use ringkeeper_datatree::ephemeral_type::CONTAINER_EPHEMERAL_OWNER;
use ringkeeper_datatree::{DataTree, TreeOptions};
use ringkeeper_jute::{Acl, Id, Perms, Stat};

const SESSIONS: [i64; 2] = [0x0100_0000_0000_0001, 0x0100_0000_0000_0002];

#[derive(Debug, Clone)]
enum Change {
    Create {
        path: String,
        data: Vec<u8>,
        owner: i64,
        acl: u8,
        parent_cversion: Option<i32>,
    },
    Delete {
        path: String,
    },
    SetData {
        path: String,
        data: Vec<u8>,
    },
    SetAcl {
        path: String,
        acl: u8,
    },
    KillSession {
        session: i64,
    },
}

fn acl(choice: u8) -> Vec<Acl> {
    let scheme = if choice % 2 == 0 { "world" } else { "ip" };
    vec![Acl {
        perms: Perms::ALL >> (choice % 3),
        id: Id {
            scheme: scheme.to_string(),
            id: format!("id{}", choice % 3),
        },
    }]
}

fn path_strategy() -> impl Strategy<Value = String> {
    // Three levels of three names: creates often find their parent, deletes
    // often find children in the way.
    prop::collection::vec(prop::sample::select(vec!["a", "b", "é"]), 1..=3)
        .prop_map(|names| format!("/{}", names.join("/")))
}

fn change_strategy() -> impl Strategy<Value = Change> {
    let data = prop::collection::vec(any::<u8>(), 0..40);
    let owner = prop::sample::select(vec![
        0,
        0,
        0,
        SESSIONS[0],
        SESSIONS[1],
        CONTAINER_EPHEMERAL_OWNER,
    ]);
    prop_oneof![
        4 => (path_strategy(), data.clone(), owner, 0u8..6, prop::option::weighted(0.2, -2i32..8))
            .prop_map(|(path, data, owner, acl, parent_cversion)| Change::Create { path, data, owner, acl, parent_cversion }),
        2 => path_strategy().prop_map(|path| Change::Delete { path }),
        2 => (path_strategy(), data).prop_map(|(path, data)| Change::SetData { path, data }),
        1 => (path_strategy(), 0u8..6).prop_map(|(path, acl)| Change::SetAcl { path, acl }),
        1 => prop::sample::select(SESSIONS.to_vec()).prop_map(|session| Change::KillSession { session }),
    ]
}

/// One node of the model, keyed by its full path as DataTree.java does.
#[derive(Debug, Clone)]
struct ModelNode {
    data: Vec<u8>,
    acl: Vec<Acl>,
    czxid: i64,
    mzxid: i64,
    pzxid: i64,
    ctime: i64,
    mtime: i64,
    version: i32,
    /// Persisted: creations.
    cversion: i32,
    aversion: i32,
    owner: i64,
}

struct Model {
    nodes: BTreeMap<String, ModelNode>,
}

fn parent_of(path: &str) -> String {
    match path.rfind('/') {
        Some(0) => "/".to_string(),
        Some(at) => path[..at].to_string(),
        None => String::new(),
    }
}

impl Model {
    fn new(tree: &DataTree) -> Model {
        let mut nodes = BTreeMap::new();
        tree.walk(|path, node| {
            let s = node.stat();
            nodes.insert(
                path.to_string(),
                ModelNode {
                    data: node.data().to_vec(),
                    acl: tree.node_acl(node).to_vec(),
                    czxid: s.czxid,
                    mzxid: s.mzxid,
                    pzxid: s.pzxid,
                    ctime: s.ctime_ms,
                    mtime: s.mtime_ms,
                    version: s.version,
                    cversion: s.cversion,
                    aversion: s.aversion,
                    owner: s.ephemeral_owner,
                },
            );
        });
        Model { nodes }
    }

    fn children(&self, path: &str) -> usize {
        self.nodes
            .keys()
            .filter(|p| p.as_str() != "/" && parent_of(p) == path)
            .count()
    }

    fn stat(&self, path: &str) -> Stat {
        let n = &self.nodes[path];
        let children = self.children(path) as i32;
        Stat {
            czxid: n.czxid,
            mzxid: n.mzxid,
            ctime: n.ctime,
            mtime: n.mtime,
            version: n.version,
            cversion: n.cversion * 2 - children,
            aversion: n.aversion,
            ephemeral_owner: if n.owner == CONTAINER_EPHEMERAL_OWNER {
                0
            } else {
                n.owner
            },
            data_length: n.data.len() as i32,
            num_children: children,
            pzxid: n.pzxid,
        }
    }

    /// Apply as ZooKeeper would; false where the tree must refuse.
    fn apply(&mut self, change: &Change, zxid: i64, time: i64) -> bool {
        match change {
            Change::Create {
                path,
                data,
                owner,
                acl: choice,
                parent_cversion,
            } => {
                let parent = parent_of(path);
                let Some(parent_node) = self.nodes.get(&parent) else {
                    return false;
                };
                if self.nodes.contains_key(path)
                    || (parent_node.owner != 0 && parent_node.owner != CONTAINER_EPHEMERAL_OWNER)
                {
                    return false;
                }
                let parent_node = self.nodes.get_mut(&parent).expect("checked");
                // -1 in a CreateTxn means "one more than now".
                let new_cversion = match parent_cversion {
                    None | Some(-1) => parent_node.cversion + 1,
                    Some(explicit) => *explicit,
                };
                if new_cversion > parent_node.cversion {
                    parent_node.cversion = new_cversion;
                    parent_node.pzxid = zxid;
                }
                self.nodes.insert(
                    path.clone(),
                    ModelNode {
                        data: data.clone(),
                        acl: acl(*choice),
                        czxid: zxid,
                        mzxid: zxid,
                        pzxid: zxid,
                        ctime: time,
                        mtime: time,
                        version: 0,
                        cversion: 0,
                        aversion: 0,
                        owner: *owner,
                    },
                );
                true
            }
            Change::Delete { path } => {
                if !self.nodes.contains_key(path) || self.children(path) > 0 {
                    return false;
                }
                self.nodes.remove(path);
                let parent = self
                    .nodes
                    .get_mut(&parent_of(path))
                    .expect("parent of a node");
                parent.pzxid = parent.pzxid.max(zxid);
                true
            }
            Change::SetData { path, data } => {
                let Some(n) = self.nodes.get_mut(path) else {
                    return false;
                };
                n.data = data.clone();
                n.version += 1;
                n.mzxid = zxid;
                n.mtime = time;
                true
            }
            Change::SetAcl { path, acl: choice } => {
                let Some(n) = self.nodes.get_mut(path) else {
                    return false;
                };
                n.acl = acl(*choice);
                n.aversion += 1;
                true
            }
            Change::KillSession { session } => {
                let doomed: Vec<String> = self
                    .nodes
                    .iter()
                    .filter(|(_, n)| n.owner == *session)
                    .map(|(p, _)| p.clone())
                    .collect();
                for path in doomed {
                    self.apply(&Change::Delete { path }, zxid, time);
                }
                true
            }
        }
    }
}

fn apply(tree: &mut DataTree, change: &Change, zxid: i64, time: i64) -> bool {
    match change {
        Change::Create {
            path,
            data,
            owner,
            acl: choice,
            parent_cversion,
        } => tree
            .create_node(
                path,
                data,
                &acl(*choice),
                *owner,
                parent_cversion.unwrap_or(-1),
                zxid,
                time,
            )
            .is_ok(),
        Change::Delete { path } => tree.delete_node(path, zxid).is_ok(),
        Change::SetData { path, data } => {
            let version = tree.get(path).map_or(0, |n| n.stat().version + 1);
            tree.set_data(path, data, version, zxid, time).is_ok()
        }
        Change::SetAcl { path, acl: choice } => {
            let aversion = tree.get(path).map_or(0, |n| n.stat().aversion + 1);
            tree.set_acl(path, &acl(*choice), aversion).is_ok()
        }
        Change::KillSession { session } => {
            tree.kill_session(*session, zxid);
            true
        }
    }
}

fn assert_matches_model(tree: &DataTree, model: &Model) {
    let mut tree_paths = Vec::new();
    tree.walk(|path, node| {
        tree_paths.push(path.to_string());
        let expected = &model.nodes[path];
        assert_eq!(node.data(), &expected.data[..], "{path} data");
        assert_eq!(tree.node_acl(node), &expected.acl[..], "{path} acl");
        assert_eq!(tree.node_stat(node), model.stat(path), "{path} stat");
    });
    tree_paths.sort();
    assert_eq!(tree_paths, model.nodes.keys().cloned().collect::<Vec<_>>());
    for session in SESSIONS {
        let mut expected: Vec<String> = model
            .nodes
            .iter()
            .filter(|(_, n)| n.owner == session)
            .map(|(p, _)| p.clone())
            .collect();
        expected.sort();
        assert_eq!(tree.ephemerals(session), expected);
    }
    let containers = model
        .nodes
        .values()
        .filter(|n| n.owner == CONTAINER_EPHEMERAL_OWNER)
        .count();
    assert_eq!(tree.containers().count(), containers);
    assert_eq!(tree.node_count(), model.nodes.len() + 1);
    let distinct_acls: std::collections::BTreeSet<String> = model
        .nodes
        .iter()
        .filter(|(p, _)| !matches!(p.as_str(), "/" | "/zookeeper" | "/zookeeper/quota"))
        .map(|(_, n)| format!("{:?}", n.acl))
        .collect();
    assert_eq!(tree.acl_cache().len(), distinct_acls.len());
}

fn restored_copy(tree: &DataTree) -> DataTree {
    let mut copy = DataTree::new();
    for (id, list) in tree.acl_cache().entries() {
        copy.restore_acl(id, list.to_vec());
    }
    tree.walk(|path, node| {
        copy.restore_node(path, node.data(), node.acl_id(), *node.stat())
            .unwrap_or_else(|e| panic!("{path}: {e}"));
    });
    copy.finish_restore();
    copy
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(256))]

    #[test]
    fn random_changes_keep_the_tree_equal_to_the_model_and_the_digest_exact(
        changes in prop::collection::vec(change_strategy(), 1..60)
    ) {
        let mut tree = DataTree::new();
        let mut model = Model::new(&tree);
        for (step, change) in changes.iter().enumerate() {
            let zxid = step as i64 + 1;
            let time = 1_000 + step as i64;
            let applied = apply(&mut tree, change, zxid, time);
            prop_assert_eq!(applied, model.apply(change, zxid, time), "{:?}", change);
            prop_assert_eq!(tree.digest(), tree.recompute_digest(), "after {:?}", change);
            assert_matches_model(&tree, &model);
        }
        prop_assert_eq!(tree.check_invariants(), Ok(()));
        // Written out by walk and loaded back, it is the same tree.
        let restored = restored_copy(&tree);
        prop_assert_eq!(restored.digest(), tree.digest());
        assert_matches_model(&restored, &model);
        prop_assert_eq!(restored.check_invariants(), Ok(()));
    }

    #[test]
    fn replicas_with_different_seeds_agree_on_the_digest(
        changes in prop::collection::vec(change_strategy(), 1..60),
        seed in any::<u64>(),
    ) {
        let mut one = DataTree::new();
        let mut other = DataTree::with_options(TreeOptions { hash_seed: seed, ..TreeOptions::default() });
        for (step, change) in changes.iter().enumerate() {
            apply(&mut one, change, step as i64 + 1, 0);
            apply(&mut other, change, step as i64 + 1, 0);
        }
        prop_assert_eq!(one.digest(), other.digest());
    }
}

#[test]
fn the_digest_tells_apart_trees_that_differ_in_one_field() {
    let open = acl(0);
    let mut one = DataTree::new();
    let mut other = DataTree::new();
    for tree in [&mut one, &mut other] {
        tree.create_node("/a", b"x", &open, 0, -1, 1, 10)
            .expect("create");
    }
    assert_eq!(one.digest(), other.digest());
    other.set_data("/a", b"x", 1, 2, 10).expect("set");
    assert_ne!(one.digest(), other.digest());
    one.set_data("/a", b"x", 1, 2, 10).expect("set");
    assert_eq!(one.digest(), other.digest());
    // Changes under /zookeeper/ are left out, as in ZooKeeper.
    let before = one.digest();
    one.set_data("/zookeeper/quota", b"q", 1, 3, 10)
        .expect("set");
    assert_eq!(one.digest(), before);
    one.set_data("/zookeeper", b"z", 1, 4, 10).expect("set");
    assert_ne!(one.digest(), before);
}
