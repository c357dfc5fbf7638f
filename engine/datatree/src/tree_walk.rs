//! Reads of the DataTree that span many nodes: walks, subtree counts, the
//! owner indexes (ephemerals, containers, TTL nodes), the digest and
//! memory accounting.

use crate::arena::{Arena, NodeId};
use crate::digest::{content_hash, contribution};
use crate::node::Node;
use crate::tree::{DataTree, ROOT};

/// Bytes the tree holds, for capacity planning (see the memory test).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct MemoryUsage {
    /// Slot vector and free list.
    pub arena_bytes: usize,
    /// Name-and-data buffers and children tables (requested sizes; the
    /// allocator rounds each up).
    pub node_heap_bytes: usize,
    /// One arena slot (a `Node` plus its generation).
    pub slot_bytes: usize,
}

impl DataTree {
    /// Depth-first, parents before children, the root first: `f(path,
    /// node)` for every node (for snapshots and `dump`). One path buffer
    /// is reused throughout.
    pub fn walk(&self, mut f: impl FnMut(&str, &Node)) {
        let mut path = String::from("/");
        f(&path, self.arena.at(ROOT));
        // (node, length of its parent's path in `path`); the root's
        // children extend the empty prefix, not "/".
        let mut stack: Vec<(u32, usize)> = self
            .arena
            .at(ROOT)
            .children
            .iter()
            .map(|child| (child, 0))
            .collect();
        while let Some((index, parent_len)) = stack.pop() {
            let node = self.arena.at(index);
            path.truncate(parent_len);
            path.push('/');
            path.push_str(node.name());
            f(&path, node);
            let len = path.len();
            stack.extend(node.children.iter().map(|child| (child, len)));
        }
    }

    /// ZooKeeper's `getAllChildrenNumber`: every node below `path` (for "/",
    /// every node but the root). None if `path` does not exist.
    pub fn all_children_number(&self, path: &str) -> Option<usize> {
        let index = self.lookup_index(path)?;
        if index == ROOT {
            return Some(self.arena.live() - 1);
        }
        let mut count = 0;
        let mut stack = vec![index];
        while let Some(at) = stack.pop() {
            let children = &self.arena.at(at).children;
            count += children.len();
            stack.extend(children.iter());
        }
        Some(count)
    }

    /// The paths of `session_id`'s ephemerals (`getEphemerals`), sorted.
    pub fn ephemerals(&self, session_id: i64) -> Vec<String> {
        let mut paths: Vec<String> = self
            .owners
            .session(session_id)
            .map(|index| self.path_at(index))
            .collect();
        paths.sort_unstable();
        paths
    }

    /// Sessions that own ephemerals, ascending (for `dump` and
    /// `getSessions`). A session whose ephemerals were all deleted stays
    /// listed, with none, until [`DataTree::kill_session`], as in
    /// ZooKeeper.
    pub fn sessions_with_ephemerals(&self) -> impl Iterator<Item = i64> + '_ {
        self.owners.sessions()
    }

    /// mntr's `ephemerals_count`.
    pub fn ephemeral_count(&self) -> usize {
        self.owners.ephemeral_count()
    }

    /// Container nodes, in arena order (for the container manager).
    pub fn containers(&self) -> impl Iterator<Item = NodeId> + '_ {
        self.owners
            .containers()
            .filter_map(|index| self.arena.id_at(index))
    }

    /// TTL nodes, in arena order (for the container manager; the TTL is
    /// `ephemeral_type::ttl_ms(node.stat().ephemeral_owner)`).
    pub fn ttls(&self) -> impl Iterator<Item = NodeId> + '_ {
        self.owners
            .ttls()
            .filter_map(|index| self.arena.id_at(index))
    }

    fn path_at(&self, index: u32) -> String {
        let mut path = String::new();
        self.write_path(index, &mut path);
        path
    }

    /// The digest of the whole tree, kept up to date by every change: O(1).
    pub fn digest(&self) -> u64 {
        self.digest
    }

    /// The digest computed from scratch by a full walk, rehashing every
    /// path and data: what [`DataTree::digest`] must equal.
    pub fn recompute_digest(&self) -> u64 {
        let mut digest = 0u64;
        self.walk(|path, node| {
            let node_digest = contribution(content_hash(path, node.data()), node.stat());
            digest = digest.wrapping_add(node_digest);
        });
        digest
    }

    /// Check every derived value against the nodes themselves: the digest,
    /// mntr's counters, parent links, child counts and the owner indexes.
    /// A full walk; for tests and debug assertions. Returns what differs.
    pub fn check_invariants(&self) -> Result<(), String> {
        let mut problems = Vec::new();
        if self.digest != self.recompute_digest() {
            problems.push(format!(
                "digest {:#x} != recomputed {:#x}",
                self.digest,
                self.recompute_digest()
            ));
        }
        let mut size = 0i64;
        let mut walked = 0usize;
        let mut ephemerals = 0usize;
        self.walk(|path, node| {
            walked += 1;
            size += crate::tree::utf16_len(path) + node.data().len() as i64;
            if content_hash(path, node.data()) != node.content_hash {
                problems.push(format!("{path}: stale content hash"));
            }
            let kind = crate::ephemeral_type::EphemeralType::get(
                node.stat().ephemeral_owner,
                self.options.extended_types_enabled,
            );
            if kind == Ok(crate::ephemeral_type::EphemeralType::Normal) {
                ephemerals += 1;
            }
        });
        if size != self.approximate_data_size {
            problems.push(format!(
                "approximate_data_size {} != walked {size}",
                self.approximate_data_size
            ));
        }
        if walked != self.arena.live() {
            problems.push(format!(
                "{walked} nodes reachable, {} live",
                self.arena.live()
            ));
        }
        if ephemerals != self.owners.ephemeral_count() {
            problems.push(format!(
                "{ephemerals} ephemerals in the tree, {} indexed",
                self.owners.ephemeral_count()
            ));
        }
        for node in self.arena.nodes() {
            for child in node.children.iter() {
                let parent = self.arena.at(self.arena.at(child).parent);
                if !std::ptr::eq(parent, node) {
                    problems.push(format!("child {child} links to another parent"));
                }
            }
        }
        if problems.is_empty() {
            Ok(())
        } else {
            Err(problems.join("; "))
        }
    }

    /// What the tree holds in memory.
    pub fn memory_usage(&self) -> MemoryUsage {
        MemoryUsage {
            arena_bytes: self.arena.own_bytes(),
            node_heap_bytes: self.arena.nodes().map(Node::heap_bytes).sum(),
            slot_bytes: Arena::slot_bytes(),
        }
    }
}
