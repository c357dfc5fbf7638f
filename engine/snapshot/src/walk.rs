//! The resumable walk that feeds a snapshot: depth-first, parents before
//! children, in steps of bounded size, with no reference into the tree
//! kept between steps. Between two steps the tree may change (a fuzzy
//! snapshot: the server releases its state lock); the walk then keeps
//! ZooKeeper's fuzzy-snapshot promise:
//!
//! - every node that exists from the first step to the last is recorded,
//!   in the state it had at the moment its record was made;
//! - a node created after its parent was recorded is missing, one deleted
//!   after it was recorded is present, and one deleted before it was
//!   reached is skipped with its whole subtree; replaying the log from the
//!   snapshot's start zxid repairs all three (docs/storage.md).
//!
//! Records still come in preorder (a popped path's subtree is pushed above
//! everything pushed before it), and each path is recorded at most once
//! (a path is pushed only when its parent's path is recorded). The paths
//! still to visit are kept as copies, back to back in one buffer used as a
//! stack, so a step allocates nothing per node.

use ringkeeper_datatree::DataTree;

use crate::encoder::SnapshotEncoder;
use crate::error::SnapshotWriteError;
use crate::format::NO_PARENT;

/// How much one step may copy (the time a step holds the state lock grows
/// with both).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct StepBudget {
    /// Nodes recorded per step, at most.
    pub nodes_max: usize,
    /// A step ends once it has encoded this many bytes (a node with large
    /// data can overshoot it by its own size). Every step that is not the
    /// last records at least one node, whether or not the caller wrote
    /// out the bytes of earlier steps.
    pub bytes_max: usize,
}

/// Nodes per step by default: about 0.1-0.3 ms of lock time (measured in
/// tests/large.rs and reported in docs/storage.md).
pub const STEP_NODES_DEFAULT: usize = 1024;
/// Pending bytes per step by default.
pub const STEP_BYTES_DEFAULT: usize = 1 << 20;

impl Default for StepBudget {
    fn default() -> Self {
        StepBudget {
            nodes_max: STEP_NODES_DEFAULT,
            bytes_max: STEP_BYTES_DEFAULT,
        }
    }
}

/// A walk in progress.
#[derive(Debug)]
pub struct FuzzyWalk {
    /// The paths to visit, concatenated; `pending` says where each starts.
    paths: String,
    /// (start of the path in `paths`, record index of its parent).
    pending: Vec<(usize, u32)>,
    /// The path being recorded (copied out of `paths` before its children
    /// are pushed over it).
    current: String,
}

impl Default for FuzzyWalk {
    fn default() -> Self {
        Self::new()
    }
}

impl FuzzyWalk {
    /// A walk that starts at the root.
    pub fn new() -> Self {
        FuzzyWalk {
            paths: String::from("/"),
            pending: vec![(0, NO_PARENT)],
            current: String::new(),
        }
    }

    /// Whether every reachable node has been visited.
    pub fn is_done(&self) -> bool {
        self.pending.is_empty()
    }

    /// Paths waiting to be visited.
    pub fn pending_paths(&self) -> usize {
        self.pending.len()
    }

    /// Record up to `budget` nodes of `tree` into `encoder`. Returns true
    /// once the walk is complete. Call it with the state lock held; nothing
    /// of `tree` is kept after it returns.
    pub fn step(
        &mut self,
        tree: &DataTree,
        encoder: &mut SnapshotEncoder,
        budget: StepBudget,
    ) -> Result<bool, SnapshotWriteError> {
        let mut recorded = 0;
        let pending_at_start = encoder.pending_bytes();
        loop {
            let spent = recorded >= budget.nodes_max
                || encoder.pending_bytes() - pending_at_start >= budget.bytes_max;
            if recorded > 0 && spent {
                break;
            }
            let Some((start, parent)) = self.pending.pop() else {
                break;
            };
            self.current.clear();
            self.current.push_str(&self.paths[start..]);
            self.paths.truncate(start);
            // Gone since its parent was recorded: skipped with its subtree.
            let Some(node) = tree.get(&self.current) else {
                continue;
            };
            let parent = (parent != NO_PARENT).then_some(parent);
            let index = encoder.push_node(
                parent,
                node.name(),
                node.data_or_null(),
                node.acl_id(),
                node.stat(),
                || tree.node_acl(node),
            )?;
            recorded += 1;
            // The root's children extend "", not "/".
            let prefix_len = if parent.is_none() {
                0
            } else {
                self.current.len()
            };
            for name in tree.node_children(node) {
                self.pending.push((self.paths.len(), index));
                self.paths.push_str(&self.current[..prefix_len]);
                self.paths.push('/');
                self.paths.push_str(name);
            }
        }
        Ok(self.pending.is_empty())
    }
}
