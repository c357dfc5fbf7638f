//! What the client knows: every acknowledged write with its zxid and its
//! effect on the tree, and the tree those writes make up to any zxid. It is
//! built from replies alone, so it is an oracle independent of the log.

use std::collections::BTreeMap;

use ringkeeper_zk::ZkServer;

/// The subtree the workload writes; everything else (`/zookeeper`) is the
/// server's own.
pub const WORKLOAD_ROOT: &str = "/crash";

/// One znode as the client's record and the recovered tree both give it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct NodeView {
    pub data: Vec<u8>,
    pub czxid: i64,
    pub mzxid: i64,
    pub version: i32,
    pub ephemeral_owner: i64,
}

/// What one acknowledged write did to the tree.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Effect {
    Create {
        path: String,
        data: Vec<u8>,
        ephemeral_owner: i64,
    },
    SetData {
        path: String,
        data: Vec<u8>,
    },
    Delete {
        path: String,
    },
    /// closeSession: the session's ephemerals go.
    CloseSession {
        session_id: i64,
    },
}

/// A reply to a write: its zxid and effects (none for a failed op).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct AckedWrite {
    pub zxid: i64,
    pub effects: Vec<Effect>,
}

/// Paths under [`WORKLOAD_ROOT`] and their nodes.
pub type TreeDump = BTreeMap<String, NodeView>;

/// The expected tree, advanced through the acknowledged writes in zxid
/// order; asked for ever later zxids (a sweep over cut points).
pub struct ExpectedTree<'a> {
    writes: &'a [AckedWrite],
    next: usize,
    at_zxid: i64,
    tree: TreeDump,
}

impl<'a> ExpectedTree<'a> {
    pub fn new(writes: &'a [AckedWrite]) -> Self {
        assert!(
            writes.windows(2).all(|w| w[0].zxid <= w[1].zxid),
            "acknowledged writes come in zxid order"
        );
        ExpectedTree {
            writes,
            next: 0,
            at_zxid: 0,
            tree: TreeDump::new(),
        }
    }

    /// The tree after every acknowledged write up to `zxid` (writes the
    /// client did not see, as createSession, change nothing here).
    pub fn at(&mut self, zxid: i64) -> &TreeDump {
        if zxid < self.at_zxid {
            *self = ExpectedTree::new(self.writes);
        }
        self.at_zxid = zxid;
        while let Some(write) = self.writes.get(self.next).filter(|w| w.zxid <= zxid) {
            for effect in &write.effects {
                apply(&mut self.tree, write.zxid, effect);
            }
            self.next += 1;
        }
        &self.tree
    }
}

fn apply(tree: &mut TreeDump, zxid: i64, effect: &Effect) {
    match effect {
        Effect::Create {
            path,
            data,
            ephemeral_owner,
        } => {
            let node = NodeView {
                data: data.clone(),
                czxid: zxid,
                mzxid: zxid,
                version: 0,
                ephemeral_owner: *ephemeral_owner,
            };
            assert!(
                tree.insert(path.clone(), node).is_none(),
                "{path} created twice"
            );
        }
        Effect::SetData { path, data } => {
            let node = tree
                .get_mut(path)
                .expect("setData of a node the model holds");
            node.data = data.clone();
            node.mzxid = zxid;
            node.version += 1;
        }
        Effect::Delete { path } => {
            assert!(
                tree.remove(path).is_some(),
                "{path} deleted but never created"
            );
        }
        Effect::CloseSession { session_id } => {
            tree.retain(|_, node| node.ephemeral_owner != *session_id);
        }
    }
}

/// The recovered server's nodes under [`WORKLOAD_ROOT`].
pub fn dump_tree(zk: &ZkServer) -> TreeDump {
    let mut dump = TreeDump::new();
    let nested = format!("{WORKLOAD_ROOT}/");
    zk.tree().walk(|path, node| {
        if path == WORKLOAD_ROOT || path.starts_with(&nested) {
            let stat = node.stat();
            dump.insert(
                path.to_string(),
                NodeView {
                    data: node.data().to_vec(),
                    czxid: stat.czxid,
                    mzxid: stat.mzxid,
                    version: stat.version,
                    ephemeral_owner: stat.ephemeral_owner,
                },
            );
        }
    });
    dump
}

/// The first difference between two dumps, for a readable failure.
pub fn first_difference(expected: &TreeDump, got: &TreeDump) -> Option<String> {
    for (path, node) in expected {
        match got.get(path) {
            None => return Some(format!("{path} is missing")),
            Some(found) if found != node => {
                return Some(format!("{path}: expected {node:?}, found {found:?}"))
            }
            Some(_) => {}
        }
    }
    got.keys()
        .find(|path| !expected.contains_key(*path))
        .map(|path| format!("{path} should not exist"))
}
