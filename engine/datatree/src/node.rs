//! One znode as the arena stores it (ZooKeeper's `DataNode`).
//!
//! Compact on purpose (a million of them must fit comfortably): the node's
//! own name and its data share one heap allocation, `name ‖ data`, and
//! whether the data is null (ZooKeeper's `byte[] data == null`) is the top
//! bit of the name's length; the full
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
    /// The node's name (UTF-8, `name_len()` bytes) followed by its data
    /// (no bytes when the data is null).
    pub(crate) name_and_data: Box<[u8]>,
    /// The name's length in bytes, and [`DATA_NULL_FLAG`].
    name_len_and_flag: u32,
    /// Arena index of the parent (the root's is its own).
    pub(crate) parent: u32,
    pub(crate) acl_id: AclId,
    /// Hash of (path, data) for the digest; 0 for nodes the digest leaves
    /// out (see [`crate::digest`]).
    pub(crate) content_hash: u64,
    pub(crate) stat: NodeStat,
    pub(crate) children: Children,
}

/// The top bit of `name_len_and_flag`: the data is null. Names are
/// shorter ([`crate::NAME_BYTES_MAX`]), so the bit is free.
const DATA_NULL_FLAG: u32 = 1 << 31;

impl Node {
    /// `data` None is ZooKeeper's null data.
    pub(crate) fn new(
        name: &str,
        data: Option<&[u8]>,
        parent: u32,
        acl_id: AclId,
        content_hash: u64,
        stat: NodeStat,
    ) -> Node {
        // Callers bound names by NAME_BYTES_MAX, below DATA_NULL_FLAG.
        let name_len = name.len() as u32;
        Node {
            name_and_data: join(name.as_bytes(), data.unwrap_or_default()),
            name_len_and_flag: name_len | null_flag(data),
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
    fn name_len(&self) -> usize {
        (self.name_len_and_flag & !DATA_NULL_FLAG) as usize
    }

    #[inline]
    pub(crate) fn name_bytes(&self) -> &[u8] {
        &self.name_and_data[..self.name_len()]
    }

    /// The data (null reads as empty: its length, as `Stat.dataLength`
    /// says, is 0).
    pub fn data(&self) -> &[u8] {
        &self.name_and_data[self.name_len()..]
    }

    /// Whether the data is null (created or set with a null buffer).
    pub fn is_data_null(&self) -> bool {
        self.name_len_and_flag & DATA_NULL_FLAG != 0
    }

    /// The data as getData answers it: `None` for null.
    pub fn data_or_null(&self) -> Option<&[u8]> {
        (!self.is_data_null()).then(|| self.data())
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

    /// Replace the data (None: null), reusing the allocation when the
    /// size is unchanged.
    pub(crate) fn replace_data(&mut self, data: Option<&[u8]>) {
        let name_len = self.name_len();
        let bytes = data.unwrap_or_default();
        if self.name_and_data.len() - name_len == bytes.len() {
            self.name_and_data[name_len..].copy_from_slice(bytes);
        } else {
            self.name_and_data = join(self.name_bytes(), bytes);
        }
        self.name_len_and_flag = name_len as u32 | null_flag(data);
    }

    /// Heap bytes this node owns (for memory accounting in tests).
    pub(crate) fn heap_bytes(&self) -> usize {
        self.name_and_data.len() + self.children.heap_bytes()
    }
}

fn null_flag(data: Option<&[u8]>) -> u32 {
    if data.is_none() {
        DATA_NULL_FLAG
    } else {
        0
    }
}

fn join(name: &[u8], data: &[u8]) -> Box<[u8]> {
    let mut bytes = Vec::with_capacity(name.len() + data.len());
    bytes.extend_from_slice(name);
    bytes.extend_from_slice(data);
    bytes.into_boxed_slice()
}
