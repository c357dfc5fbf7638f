//! Loading a tree back from a snapshot: ACL lists first, then nodes with
//! their persisted Stat, parents before children (the order of
//! [`DataTree::walk`], and of ZooKeeper's snapshots). Parents' Stats are
//! taken from the snapshot as they are, not recomputed; derived values
//! (child counts, owner indexes, counters, digest) are rebuilt as nodes
//! arrive, so the digest of a restored tree can be compared with the one
//! recorded next to the snapshot.

use ringkeeper_jute::{Acl, AsNodeData};

use crate::acl_cache::{AclId, OPEN_ACL_UNSAFE_ID};
use crate::arena::NodeId;
use crate::digest::content_hash;
use crate::ephemeral_type::EphemeralType;
use crate::error::TreeError;
use crate::node::{Node, NodeStat};
use crate::path::parent_and_name;
use crate::tree::{utf16_len, DataTree, NAME_BYTES_MAX};

impl DataTree {
    /// Put back an ACL list with its number, before the nodes that use it.
    pub fn restore_acl(&mut self, id: AclId, acls: Vec<Acl>) {
        self.acl_cache.restore(id, acls);
    }

    /// Put back one node. Start from [`DataTree::new`]: the nodes it starts
    /// with ("/", "/zookeeper", ...) are overwritten in place by the
    /// snapshot's, keeping their children; any other node must be new and
    /// its parent restored already. `data` may be null.
    pub fn restore_node(
        &mut self,
        path: &str,
        data: &(impl AsNodeData + ?Sized),
        acl_id: AclId,
        stat: NodeStat,
    ) -> Result<NodeId, TreeError> {
        let data = data.as_node_data();
        if acl_id != OPEN_ACL_UNSAFE_ID && self.acl_cache.get(acl_id).is_none() {
            return Err(TreeError::UnknownAclId(acl_id));
        }
        let extended = self.options.extended_types_enabled;
        let kind = EphemeralType::get(stat.ephemeral_owner, extended)?;
        let Some((parent_path, name)) = parent_and_name(path) else {
            // Only "/" has no parent; it always exists.
            let index = self.lookup_index(path).ok_or(TreeError::BadPath)?;
            self.overwrite(index, path, data, acl_id, stat, kind);
            return self.arena.id_at(index).ok_or(TreeError::NoNode);
        };
        let parent = self.restore_parent_index(parent_path)?;
        if let Some(index) = self.child_index(parent, name) {
            self.overwrite(index, path, data, acl_id, stat, kind);
            return self.arena.id_at(index).ok_or(TreeError::NoNode);
        }
        if name.len() > NAME_BYTES_MAX {
            return Err(TreeError::BadPath);
        }
        let bytes = data.unwrap_or_default();
        let node = Node::new(name, data, parent, acl_id, content_hash(path, bytes), stat);
        let id = self.arena.insert(node).ok_or(TreeError::TooManyNodes)?;
        self.link_child(parent, id.index());
        self.acl_cache.add_usage(acl_id);
        self.owners.add(kind, stat.ephemeral_owner, id.index());
        self.approximate_data_size += utf16_len(path) + bytes.len() as i64;
        self.digest = self.digest.wrapping_add(self.contribution_at(id.index()));
        Ok(id)
    }

    /// The index of `parent_path`. A snapshot lists a parent's children one
    /// after another, so the last parent is remembered: a million nodes
    /// under a thousand parents cost a thousand path walks, not two million
    /// (restoring 1M nodes spent a third of its time walking paths).
    fn restore_parent_index(&mut self, parent_path: &str) -> Result<u32, TreeError> {
        // Nothing but `restore_node` changes the tree until `finish_restore`
        // forgets the parent, so a remembered index still names that path.
        if let Some((path, index)) = &self.restore_parent {
            if path == parent_path && self.arena.id_at(*index).is_some() {
                return Ok(*index);
            }
        }
        let index = self.lookup_index(parent_path).ok_or(TreeError::NoNode)?;
        self.restore_parent = Some((parent_path.to_owned(), index));
        Ok(index)
    }

    fn overwrite(
        &mut self,
        index: u32,
        path: &str,
        data: Option<&[u8]>,
        acl_id: AclId,
        stat: NodeStat,
        kind: EphemeralType,
    ) {
        let bytes = data.unwrap_or_default();
        let extended = self.options.extended_types_enabled;
        let before = self.contribution_at(index);
        let node = self.arena.at(index);
        let (old_owner, old_acl_id) = (node.stat.ephemeral_owner, node.acl_id);
        let old_len = node.data().len() as i64;
        if let Ok(old_kind) = EphemeralType::get(old_owner, extended) {
            self.owners.remove(old_kind, old_owner, index);
        }
        // Lists are kept at zero users until `finish_restore`: the
        // snapshot's nodes may not have added their references yet.
        self.acl_cache.add_usage(acl_id);
        self.acl_cache.remove_usage_keeping(old_acl_id);
        let node = self.arena.at_mut(index);
        node.replace_data(data);
        node.content_hash = content_hash(path, bytes);
        node.acl_id = acl_id;
        node.stat = stat;
        self.owners.add(kind, stat.ephemeral_owner, index);
        self.approximate_data_size += bytes.len() as i64 - old_len;
        let after = self.contribution_at(index);
        self.digest = self.digest.wrapping_sub(before).wrapping_add(after);
    }

    /// After the last node: forget ACL lists no node uses (ZooKeeper's
    /// `purgeUnused`) and recount quota statistics (`setupQuota`).
    /// Required: until then unused lists are kept and quotas not counted.
    pub fn finish_restore(&mut self) {
        self.restore_parent = None;
        self.acl_cache.purge_unused();
        self.setup_quota();
    }
}
