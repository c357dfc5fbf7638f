//! The DataTree: ZooKeeper's `DataTree` over the arena. Changes arrive
//! already checked (versions, ACLs, path syntax) and in zxid order; this
//! applies them exactly as ZooKeeper's `createNode`, `deleteNode`,
//! `setData`, `setACL` and `setCversionPzxid` do, keeping Stat, the ACL
//! cache, the owner indexes, mntr's counters and the digest in step.
//!
//! A refused change (NoNode, NodeExists, NotEmpty, ...) leaves the tree
//! exactly as it was.

use std::sync::Arc;

use ringkeeper_jute::{Acl, AsNodeData, Id, Perms, Stat};

use crate::acl_cache::{AclCache, OPEN_ACL_UNSAFE_ID};
use crate::arena::{Arena, NodeId};
use crate::digest::{content_hash, contribution};
use crate::ephemeral_type::{client_ephemeral_owner, EphemeralType};
use crate::error::TreeError;
use crate::hash::hash_bytes;
use crate::node::{Node, NodeStat};
use crate::owner_index::OwnerIndex;
use crate::path::parent_and_name;
use crate::quota::QuotaRoots;

/// The root's arena slot.
pub(crate) const ROOT: u32 = 0;

/// The longest node name (one path component) in bytes; names are stored
/// with a 31-bit length (the 32nd bit says whether the data is null).
/// Paths are bounded far below this by jute.maxbuffer.
pub const NAME_BYTES_MAX: usize = i32::MAX as usize;

/// The seed of the children tables when none is given.
const DEFAULT_HASH_SEED: u64 = 0x5eed_0fc4_1d7e_5500;

/// How a tree is set up.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct TreeOptions {
    /// Seed of the children tables' hash. Deterministic given the seed
    /// (iteration order of children depends on it); the server passes a
    /// random one through its seam for nondeterminism so that clients
    /// cannot aim for collisions.
    pub hash_seed: u64,
    /// ZooKeeper's `zookeeper.extendedTypesEnabled` (default false): whether
    /// owners with a 0xFF high byte are TTL markers or session ids.
    pub extended_types_enabled: bool,
}

impl Default for TreeOptions {
    fn default() -> Self {
        TreeOptions {
            hash_seed: DEFAULT_HASH_SEED,
            extended_types_enabled: false,
        }
    }
}

#[derive(Debug)]
pub struct DataTree {
    pub(crate) arena: Arena,
    pub(crate) acl_cache: AclCache,
    pub(crate) owners: OwnerIndex,
    pub(crate) options: TreeOptions,
    /// mntr's approximate_data_size: UTF-16 length of each path plus the
    /// length of its data.
    pub(crate) approximate_data_size: i64,
    pub(crate) digest: u64,
    /// Paths with a quota (see [`crate::quota`]).
    pub(crate) quota_roots: QuotaRoots,
    /// The parent the last restored node went under (see `restore_node`).
    pub(crate) restore_parent: Option<(String, u32)>,
}

impl Default for DataTree {
    fn default() -> Self {
        Self::new()
    }
}

impl DataTree {
    /// A tree as ZooKeeper 3.8 starts one: "/", "/zookeeper",
    /// "/zookeeper/quota" (all zero Stat, ACL -1) and "/zookeeper/config"
    /// (read-only for world:anyone, aversion -1, as `addConfigNode` leaves
    /// it).
    pub fn new() -> Self {
        Self::with_options(TreeOptions::default())
    }

    pub fn with_options(options: TreeOptions) -> Self {
        let mut tree = DataTree {
            arena: Arena::default(),
            acl_cache: AclCache::new(options.hash_seed),
            owners: OwnerIndex::default(),
            options,
            approximate_data_size: 0,
            digest: 0,
            quota_roots: QuotaRoots::default(),
            restore_parent: None,
        };
        let root = Node::new(
            "",
            Some(&[]),
            ROOT,
            OPEN_ACL_UNSAFE_ID,
            content_hash("/", &[]),
            NodeStat::default(),
        );
        let root_id = tree.arena.insert(root);
        debug_assert_eq!(root_id.map(NodeId::index), Some(ROOT));
        tree.approximate_data_size = 1;
        tree.digest = tree.contribution_at(ROOT);
        for path in ["/zookeeper", "/zookeeper/quota", "/zookeeper/config"] {
            tree.add_initial_node(path);
        }
        let read_acl_unsafe = [Acl {
            perms: Perms::READ,
            id: Id {
                scheme: "world".to_string(),
                id: "anyone".to_string(),
            },
        }];
        let config = tree.set_acl("/zookeeper/config", &read_acl_unsafe, -1);
        debug_assert!(config.is_ok());
        tree
    }

    /// An initial node: zero Stat, ACL -1, and no parent cversion change
    /// (ZooKeeper adds these children without touching the parent's Stat,
    /// which is why "/" shows cversion -1 and "/zookeeper" -2).
    fn add_initial_node(&mut self, path: &str) {
        let Some((parent_path, name)) = parent_and_name(path) else {
            return;
        };
        let Some(parent) = self.lookup_index(parent_path) else {
            return;
        };
        let node = Node::new(
            name,
            Some(&[]),
            parent,
            OPEN_ACL_UNSAFE_ID,
            content_hash(path, &[]),
            NodeStat::default(),
        );
        if let Some(id) = self.arena.insert(node) {
            self.link_child(parent, id.index());
            self.approximate_data_size += utf16_len(path);
            self.digest = self.digest.wrapping_add(self.contribution_at(id.index()));
        }
    }

    // ----- reads -----

    /// The node at `path` ("/" or "/a/b"; anything else is None). Walks the
    /// path component by component without allocating.
    pub fn lookup(&self, path: &str) -> Option<NodeId> {
        self.lookup_index(path)
            .and_then(|index| self.arena.id_at(index))
    }

    pub(crate) fn lookup_index(&self, path: &str) -> Option<u32> {
        if path == "/" {
            return Some(ROOT);
        }
        let rest = path.strip_prefix('/')?;
        let mut index = ROOT;
        for name in rest.split('/') {
            index = self.child_index(index, name)?;
        }
        Some(index)
    }

    #[inline]
    pub(crate) fn name_hash(&self, name: &[u8]) -> u64 {
        hash_bytes(self.options.hash_seed, name)
    }

    #[inline]
    pub(crate) fn child_index(&self, parent: u32, name: &str) -> Option<u32> {
        let hash = self.name_hash(name.as_bytes());
        self.arena.at(parent).children.find(hash, |child| {
            self.arena.at(child).name_bytes() == name.as_bytes()
        })
    }

    /// The node `id` names, if it still exists.
    pub fn node(&self, id: NodeId) -> Option<&Node> {
        self.arena.get(id)
    }

    pub fn get(&self, path: &str) -> Option<&Node> {
        self.lookup_index(path).map(|index| self.arena.at(index))
    }

    /// The wire Stat of node `id`.
    ///
    /// # Panics
    /// If `id` is stale (its node was deleted): ids are meant to be used
    /// right after `lookup`/`create_node`, and a stale one is a bug.
    pub fn stat(&self, id: NodeId) -> Stat {
        self.node_stat(self.live(id))
    }

    /// The wire Stat of `path`'s node.
    pub fn get_stat(&self, path: &str) -> Option<Stat> {
        self.get(path).map(|node| self.node_stat(node))
    }

    /// The wire Stat of a node (`DataNode.copyStat`): the persisted fields,
    /// plus dataLength and numChildren, cversion turned from creations into
    /// changes (`2 * creations - children`: every creation not matched by a
    /// live child was matched by a deletion), and 0 as the owner of
    /// container and TTL nodes.
    pub fn node_stat(&self, node: &Node) -> Stat {
        let stat = &node.stat;
        let num_children = node.child_count() as i32;
        Stat {
            czxid: stat.czxid,
            mzxid: stat.mzxid,
            ctime: stat.ctime_ms,
            mtime: stat.mtime_ms,
            version: stat.version,
            cversion: stat.cversion.wrapping_mul(2).wrapping_sub(num_children),
            aversion: stat.aversion,
            ephemeral_owner: client_ephemeral_owner(
                stat.ephemeral_owner,
                self.options.extended_types_enabled,
            ),
            data_length: node.data().len() as i32,
            num_children,
            pzxid: stat.pzxid,
        }
    }

    /// The ACL list of node `id`.
    ///
    /// # Panics
    /// If `id` is stale (see [`DataTree::stat`]).
    pub fn acl(&self, id: NodeId) -> &[Acl] {
        self.node_acl(self.live(id))
    }

    pub fn node_acl(&self, node: &Node) -> &[Acl] {
        self.shared_node_acl(node)
    }

    /// `node`'s ACL list as the ACL cache holds it: keeping it costs a
    /// reference count, not a copy of the list.
    pub fn shared_node_acl(&self, node: &Node) -> &Arc<[Acl]> {
        self.acl_cache
            .get_shared(node.acl_id)
            .expect("invariant: every node holds a reference to its ACL list")
    }

    /// The names of node `id`'s children, in no particular order (stable
    /// for a given seed and history, as ZooKeeper's HashSet order is).
    ///
    /// # Panics
    /// If `id` is stale (see [`DataTree::stat`]).
    pub fn children(&self, id: NodeId) -> impl Iterator<Item = &str> + '_ {
        self.node_children(self.live(id))
    }

    pub fn node_children<'a>(&'a self, node: &'a Node) -> impl Iterator<Item = &'a str> + 'a {
        node.children
            .iter()
            .map(move |child| self.arena.at(child).name())
    }

    fn live(&self, id: NodeId) -> &Node {
        match self.arena.get(id) {
            Some(node) => node,
            None => panic!("stale NodeId {id:?}: its node was deleted"),
        }
    }

    /// The path of node `id` (rebuilt from parent links).
    pub fn path(&self, id: NodeId) -> Option<String> {
        self.arena.get(id)?;
        let mut path = String::new();
        self.write_path(id.index(), &mut path);
        Some(path)
    }

    pub(crate) fn write_path(&self, index: u32, out: &mut String) {
        if index == ROOT {
            out.push('/');
            return;
        }
        let mut chain = Vec::new();
        let mut at = index;
        while at != ROOT {
            chain.push(at);
            at = self.arena.at(at).parent;
        }
        for &at in chain.iter().rev() {
            out.push('/');
            out.push_str(self.arena.at(at).name());
        }
    }

    /// Nodes in the tree, counted as ZooKeeper's mntr `znode_count` does:
    /// ZooKeeper's node map holds the root twice ("" and "/"), so a fresh
    /// tree of 4 nodes reports 5.
    pub fn node_count(&self) -> usize {
        self.arena.live() + 1
    }

    /// mntr's `approximate_data_size`: for each node, its path's length in
    /// UTF-16 units plus its data's length (44 for a fresh tree).
    pub fn approximate_data_size(&self) -> i64 {
        self.approximate_data_size
    }

    /// The ACL cache (`aclCacheSize`, and what snapshots store).
    pub fn acl_cache(&self) -> &AclCache {
        &self.acl_cache
    }

    pub fn extended_types_enabled(&self) -> bool {
        self.options.extended_types_enabled
    }

    // ----- changes -----

    /// ZooKeeper's `createNode`: add `path` under its existing parent with
    /// a fresh Stat (czxid = mzxid = pzxid = `zxid`, ctime = mtime =
    /// `time_ms`, versions 0). The parent's persisted cversion becomes
    /// `parent_cversion` (-1: one more than now) and its pzxid `zxid`, but
    /// only if that raises the cversion, as ZooKeeper does for txn replay.
    ///
    /// One difference: when the node exists, ZooKeeper (for fuzzy-snapshot
    /// replay) overwrites its ACL before throwing NodeExists; this tree
    /// refuses without changing anything (`set_cversion_pzxid` is the
    /// replay fix-up ZooKeeper applies next).
    ///
    /// `data` may be null ([`AsNodeData`]): the node then answers getData
    /// with null, and counts as empty everywhere else (Stat, quotas,
    /// digest), as in ZooKeeper.
    #[allow(clippy::too_many_arguments)] // the fields of a CreateTxn
    pub fn create_node(
        &mut self,
        path: &str,
        data: &(impl AsNodeData + ?Sized),
        acl: &[Acl],
        ephemeral_owner: i64,
        parent_cversion: i32,
        zxid: i64,
        time_ms: i64,
    ) -> Result<NodeId, TreeError> {
        let Some((parent_path, name)) = parent_and_name(path) else {
            return Err(if path == "/" {
                TreeError::NodeExists
            } else {
                TreeError::BadPath
            });
        };
        if name.len() > NAME_BYTES_MAX {
            return Err(TreeError::BadPath);
        }
        let parent = self.lookup_index(parent_path).ok_or(TreeError::NoNode)?;
        if self.child_index(parent, name).is_some() {
            return Err(TreeError::NodeExists);
        }
        let extended = self.options.extended_types_enabled;
        let parent_owner = self.arena.at(parent).stat.ephemeral_owner;
        if EphemeralType::get(parent_owner, extended) == Ok(EphemeralType::Normal) {
            return Err(TreeError::NoChildrenForEphemerals);
        }
        let kind = EphemeralType::get(ephemeral_owner, extended)?;

        let data = data.as_node_data();
        let bytes = data.unwrap_or_default();
        let acl_id = self.acl_cache.intern(acl);
        let stat = NodeStat {
            czxid: zxid,
            mzxid: zxid,
            ctime_ms: time_ms,
            mtime_ms: time_ms,
            version: 0,
            cversion: 0,
            aversion: 0,
            ephemeral_owner,
            pzxid: zxid,
        };
        let node = Node::new(name, data, parent, acl_id, content_hash(path, bytes), stat);
        let Some(id) = self.arena.insert(node) else {
            self.acl_cache.remove_usage(acl_id);
            return Err(TreeError::TooManyNodes);
        };
        let child = id.index();
        self.link_child(parent, child);
        self.raise_cversion_at(parent, parent_cversion, zxid);
        self.owners.add(kind, ephemeral_owner, child);
        self.approximate_data_size += utf16_len(path) + bytes.len() as i64;
        self.digest = self.digest.wrapping_add(self.contribution_at(child));
        self.quota_after_create(path, parent_path, name, bytes.len());
        Ok(id)
    }

    /// ZooKeeper's `deleteNode`: remove the childless node at `path`; the
    /// parent's pzxid becomes `zxid` if that raises it. The parent's
    /// persisted cversion does not change: the client-visible cversion
    /// still grows by one, because the child count dropped.
    ///
    /// One difference: ZooKeeper raises the parent's pzxid even when the
    /// child is already gone (fuzzy-snapshot replay); this tree refuses
    /// with NoNode and changes nothing.
    pub fn delete_node(&mut self, path: &str, zxid: i64) -> Result<(), TreeError> {
        let (parent_path, name) = parent_and_name(path).ok_or(TreeError::BadPath)?;
        let parent = self.lookup_index(parent_path).ok_or(TreeError::NoNode)?;
        let child = self.child_index(parent, name).ok_or(TreeError::NoNode)?;
        if self.arena.at(child).child_count() > 0 {
            return Err(TreeError::NotEmpty);
        }
        self.unlink_child(parent, child);
        self.raise_pzxid_at(parent, zxid);
        self.digest = self.digest.wrapping_sub(self.contribution_at(child));
        let node = self
            .arena
            .remove(child)
            .expect("invariant: child_index found a live node");
        self.acl_cache.remove_usage(node.acl_id);
        let owner = node.stat.ephemeral_owner;
        if let Ok(kind) = EphemeralType::get(owner, self.options.extended_types_enabled) {
            self.owners.remove(kind, owner, child);
        }
        self.approximate_data_size -= utf16_len(path) + node.data().len() as i64;
        self.quota_after_delete(path, parent_path, name, node.data().len());
        Ok(())
    }

    /// ZooKeeper's `setData`: new data (which may be null), mtime, mzxid
    /// and (already incremented) version. Returns the new wire Stat.
    pub fn set_data(
        &mut self,
        path: &str,
        data: &(impl AsNodeData + ?Sized),
        version: i32,
        zxid: i64,
        time_ms: i64,
    ) -> Result<Stat, TreeError> {
        let data = data.as_node_data();
        let bytes = data.unwrap_or_default();
        let index = self.lookup_index(path).ok_or(TreeError::NoNode)?;
        let before = self.contribution_at(index);
        let node = self.arena.at_mut(index);
        let old_len = node.data().len() as i64;
        node.replace_data(data);
        node.content_hash = content_hash(path, bytes);
        node.stat.mtime_ms = time_ms;
        node.stat.mzxid = zxid;
        node.stat.version = version;
        self.approximate_data_size += bytes.len() as i64 - old_len;
        let after = self.contribution_at(index);
        self.digest = self.digest.wrapping_sub(before).wrapping_add(after);
        let stat = self.node_stat(self.arena.at(index));
        self.quota_after_set_data(path, bytes.len() as i64 - old_len);
        Ok(stat)
    }

    /// ZooKeeper's `setACL`: new ACL list and (already incremented)
    /// aversion. The old list loses a user before the new one is interned,
    /// as in ZooKeeper, so re-setting a node's only list renumbers it.
    pub fn set_acl(&mut self, path: &str, acl: &[Acl], aversion: i32) -> Result<Stat, TreeError> {
        let index = self.lookup_index(path).ok_or(TreeError::NoNode)?;
        let old_acl_id = self.arena.at(index).acl_id;
        self.acl_cache.remove_usage(old_acl_id);
        let acl_id = self.acl_cache.intern(acl);
        self.arena.at_mut(index).acl_id = acl_id;
        self.change_stat(index, |stat| stat.aversion = aversion);
        Ok(self.node_stat(self.arena.at(index)))
    }

    /// ZooKeeper's `setCversionPzxid` (used when replaying a create that
    /// finds its node already there): raise the persisted cversion to
    /// `new_cversion` (-1: one more than now) and set pzxid, if it raises
    /// the cversion. A trailing '/' on `path` is ignored, as in ZooKeeper.
    pub fn set_cversion_pzxid(
        &mut self,
        path: &str,
        new_cversion: i32,
        zxid: i64,
    ) -> Result<(), TreeError> {
        let path = match path.strip_suffix('/') {
            Some(trimmed) if !trimmed.is_empty() => trimmed,
            _ => path,
        };
        let index = self.lookup_index(path).ok_or(TreeError::NoNode)?;
        self.raise_cversion_at(index, new_cversion, zxid);
        Ok(())
    }

    /// ZooKeeper's `killSession`: delete every ephemeral of `session_id`
    /// (at `zxid`) and forget the session. Returns the deleted paths, in
    /// arena order.
    pub fn kill_session(&mut self, session_id: i64, zxid: i64) -> Vec<String> {
        let indexes = self.owners.take_session(session_id);
        let mut deleted = Vec::with_capacity(indexes.len());
        for index in indexes {
            let mut path = String::new();
            self.write_path(index, &mut path);
            // Ephemerals have no children (creates under them are refused),
            // so this delete cannot fail.
            if self.delete_node(&path, zxid).is_ok() {
                deleted.push(path);
            }
        }
        deleted
    }

    // ----- internals -----

    pub(crate) fn contribution_at(&self, index: u32) -> u64 {
        let node = self.arena.at(index);
        contribution(node.content_hash, &node.stat)
    }

    /// The parent side of a create: the persisted cversion becomes
    /// `new_cversion` (-1: one more than now) and pzxid `zxid`, only if
    /// that raises the cversion.
    fn raise_cversion_at(&mut self, index: u32, new_cversion: i32, zxid: i64) {
        self.change_stat(index, |stat| {
            let new_cversion = if new_cversion == -1 {
                stat.cversion.wrapping_add(1)
            } else {
                new_cversion
            };
            if new_cversion > stat.cversion {
                stat.cversion = new_cversion;
                stat.pzxid = zxid;
            }
        });
    }

    /// The parent side of a delete: pzxid becomes `zxid` if that raises it.
    pub(crate) fn raise_pzxid_at(&mut self, index: u32, zxid: i64) {
        self.change_stat(index, |stat| {
            if zxid > stat.pzxid {
                stat.pzxid = zxid;
            }
        });
    }

    /// Change a node's persisted Stat and keep the digest in step.
    pub(crate) fn change_stat(&mut self, index: u32, change: impl FnOnce(&mut NodeStat)) {
        let before = self.contribution_at(index);
        change(&mut self.arena.at_mut(index).stat);
        let after = self.contribution_at(index);
        self.digest = self.digest.wrapping_sub(before).wrapping_add(after);
    }

    pub(crate) fn link_child(&mut self, parent: u32, child: u32) {
        let hash = self.name_hash(self.arena.at(child).name_bytes());
        // The table is taken out of the parent so that growing it can read
        // the other children's names from the arena.
        let mut children = std::mem::take(&mut self.arena.at_mut(parent).children);
        let seed = self.options.hash_seed;
        let arena = &self.arena;
        children.insert(hash, child, |existing| {
            hash_bytes(seed, arena.at(existing).name_bytes())
        });
        self.arena.at_mut(parent).children = children;
    }

    fn unlink_child(&mut self, parent: u32, child: u32) {
        let hash = self.name_hash(self.arena.at(child).name_bytes());
        let mut children = std::mem::take(&mut self.arena.at_mut(parent).children);
        let seed = self.options.hash_seed;
        let arena = &self.arena;
        let removed = children.remove(hash, child, |existing| {
            hash_bytes(seed, arena.at(existing).name_bytes())
        });
        debug_assert!(removed, "child {child} was not linked under {parent}");
        self.arena.at_mut(parent).children = children;
    }
}

/// A path's length as Java's `String.length()` counts it.
pub(crate) fn utf16_len(path: &str) -> i64 {
    if path.is_ascii() {
        return path.len() as i64;
    }
    path.chars().map(|c| c.len_utf16() as i64).sum()
}
