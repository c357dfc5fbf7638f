//! One znode as the arena stores it (ZooKeeper's `DataNode`).
//!
//! Compact on purpose (a million of them must fit comfortably): the node's
//! own name and its data share one heap allocation, `name ‖ data`; the full
//! path is never stored (it is rebuilt from parent links when needed); the
//! ACL is a number into the tree's ACL cache; children are a table of arena
//! indexes, absent for leaves.

use crate::acl_cache::AclId;
use crate::children::Children;

/// The persisted part of a node's Stat (ZooKeeper's `StatPersisted`):
/// `dataLength` and `numChildren` are derived, and `cversion` here counts
/// child *creations*; clients see `2 * cversion - numChildren`, which also
/// counts deletions (see [`crate::DataTree::node_stat`]).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub struct NodeStat {
    /// zxid of the create.
    pub czxid: i64,
    /// zxid of the last setData (the create's if none).
    pub mzxid: i64,
    pub ctime_ms: i64,
    pub mtime_ms: i64,
    /// Data version: the version the last setData set.
    pub version: i32,
    /// Children created, in the persisted form (see above); also the next
    /// sequential suffix.
    pub cversion: i32,
    /// ACL version: the version the last setACL set.
    pub aversion: i32,
    /// Session id of an ephemeral, 0 for persistent nodes, or a container
    /// or TTL marker (see [`crate::ephemeral_type`]).
    pub ephemeral_owner: i64,
    /// zxid of the last child creation or deletion (the create's if none).
    pub pzxid: i64,
}

#[derive(Debug)]
pub struct Node {
    /// The node's name (UTF-8, `name_len` bytes) followed by its data.
    pub(crate) name_and_data: Box<[u8]>,
    pub(crate) name_len: u32,
    /// Arena index of the parent (the root's is its own).
    pub(crate) parent: u32,
    pub(crate) acl_id: AclId,
    /// Hash of (path, data) for the digest; 0 for nodes the digest leaves
    /// out (see [`crate::digest`]).
    pub(crate) content_hash: u64,
    pub(crate) stat: NodeStat,
    pub(crate) children: Children,
}

impl Node {
    pub(crate) fn new(
        name: &str,
        data: &[u8],
        parent: u32,
        acl_id: AclId,
        content_hash: u64,
        stat: NodeStat,
    ) -> Node {
        Node {
            name_and_data: join(name.as_bytes(), data),
            // Callers bound names by NAME_BYTES_MAX, below u32::MAX.
            name_len: name.len() as u32,
            parent,
            acl_id,
            content_hash,
            stat,
            children: Children::default(),
        }
    }

    /// The last component of the node's path ("" for the root).
    pub fn name(&self) -> &str {
        std::str::from_utf8(self.name_bytes())
            .expect("invariant: the name bytes were copied from a &str at creation")
    }

    #[inline]
    pub(crate) fn name_bytes(&self) -> &[u8] {
        &self.name_and_data[..self.name_len as usize]
    }

    pub fn data(&self) -> &[u8] {
        &self.name_and_data[self.name_len as usize..]
    }

    pub fn stat(&self) -> &NodeStat {
        &self.stat
    }

    pub fn acl_id(&self) -> AclId {
        self.acl_id
    }

    pub fn child_count(&self) -> usize {
        self.children.len()
    }

    /// Replace the data, reusing the allocation when the size is unchanged.
    pub(crate) fn replace_data(&mut self, data: &[u8]) {
        let name_len = self.name_len as usize;
        if self.name_and_data.len() - name_len == data.len() {
            self.name_and_data[name_len..].copy_from_slice(data);
        } else {
            self.name_and_data = join(self.name_bytes(), data);
        }
    }

    /// Heap bytes this node owns (for memory accounting in tests).
    pub(crate) fn heap_bytes(&self) -> usize {
        self.name_and_data.len() + self.children.heap_bytes()
    }
}

fn join(name: &[u8], data: &[u8]) -> Box<[u8]> {
    let mut bytes = Vec::with_capacity(name.len() + data.len());
    bytes.extend_from_slice(name);
    bytes.extend_from_slice(data);
    bytes.into_boxed_slice()
}
