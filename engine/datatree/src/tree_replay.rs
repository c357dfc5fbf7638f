//! The two changes txn-log replay needs beyond the live ones, because a
//! fuzzy snapshot can hold a node in a state no single zxid had
//! (docs/storage.md, "Why a fuzzy snapshot is correct", rule R2):
//!
//! - [`DataTree::delete_node_for_replay`]: ZooKeeper's `deleteNode` as it
//!   behaves at replay. A node that is there goes with its whole subtree
//!   (ZooKeeper does not check for children; this tree refuses NotEmpty
//!   live, so the subtree goes bottom-up, each delete at the txn's zxid).
//!   A node that is already gone still raises its parent's pzxid.
//! - [`DataTree::raise_pzxid`]: that pzxid raise alone.
//!
//! Both are raise-only on the parent's pzxid and never touch cversion,
//! exactly as ZooKeeper's `deleteNode`.

use crate::error::TreeError;
use crate::path::parent_and_name;
use crate::tree::DataTree;

impl DataTree {
    /// Delete `path` at `zxid` as a replayed delete txn does: with its
    /// subtree if it has one; if it is missing, raise its parent's pzxid
    /// to `zxid` (if that raises it). Appends every removed node's path
    /// and ephemeral owner to `removed`, deepest first. Err(NoNode) only
    /// when the parent is missing too (nothing changes), BadPath for "/"
    /// or a path that is not canonical.
    pub fn delete_node_for_replay(
        &mut self,
        path: &str,
        zxid: i64,
        removed: &mut Vec<(String, i64)>,
    ) -> Result<(), TreeError> {
        let (parent_path, _) = parent_and_name(path).ok_or(TreeError::BadPath)?;
        if self.lookup_index(parent_path).is_none() {
            return Err(TreeError::NoNode);
        }
        if self.lookup_index(path).is_none() {
            return self.raise_pzxid(parent_path, zxid);
        }
        // Preorder: every node comes after its ancestors, so the reverse
        // deletes children before their parents. An explicit stack: a
        // subtree may be deeper than the thread's stack would allow.
        let mut preorder = Vec::new();
        let mut to_visit = vec![path.to_string()];
        while let Some(visiting) = to_visit.pop() {
            if let Some(node) = self.get(&visiting) {
                for name in self.node_children(node) {
                    to_visit.push(format!("{visiting}/{name}"));
                }
                preorder.push((visiting, node.stat().ephemeral_owner));
            }
        }
        for (victim, owner) in preorder.into_iter().rev() {
            // Its children were deleted just before it, so only a bug in
            // the walk could make this fail; the tree stays consistent.
            self.delete_node(&victim, zxid)?;
            removed.push((victim, owner));
        }
        Ok(())
    }

    /// Set the pzxid of `path`'s node to `zxid` if that raises it
    /// (ZooKeeper's `deleteNode` does this even for a child that is gone).
    pub fn raise_pzxid(&mut self, path: &str, zxid: i64) -> Result<(), TreeError> {
        let index = self.lookup_index(path).ok_or(TreeError::NoNode)?;
        self.raise_pzxid_at(index, zxid);
        Ok(())
    }
}

#[cfg(test)]
mod tests {
    use ringkeeper_jute::{Acl, Id, Perms};

    use crate::tree::DataTree;
    use crate::TreeError;

    fn open() -> Vec<Acl> {
        vec![Acl {
            perms: Perms::ALL,
            id: Id {
                scheme: "world".into(),
                id: "anyone".into(),
            },
        }]
    }

    fn create(tree: &mut DataTree, path: &str, owner: i64, zxid: i64) {
        tree.create_node(path, b"d", &open(), owner, -1, zxid, 1_000)
            .expect("created");
    }

    #[test]
    fn a_replayed_delete_of_a_node_with_children_removes_the_subtree_bottom_up() {
        let mut tree = DataTree::new();
        create(&mut tree, "/a", 0, 1);
        create(&mut tree, "/a/b", 0, 2);
        create(&mut tree, "/a/b/c", 7, 3);
        create(&mut tree, "/a/d", 0, 4);
        let mut removed = Vec::new();
        tree.delete_node_for_replay("/a", 10, &mut removed)
            .expect("deleted");
        assert!(tree.get("/a").is_none());
        assert_eq!(removed.len(), 4);
        assert_eq!(removed.last(), Some(&("/a".to_string(), 0)));
        let position = |path: &str| removed.iter().position(|(p, _)| p == path);
        assert!(position("/a/b/c") < position("/a/b"), "children first");
        assert!(removed.contains(&("/a/b/c".to_string(), 7)));
        assert_eq!(tree.get("/").map(|root| root.stat().pzxid), Some(10));
        assert_eq!(tree.ephemeral_count(), 0);
        assert_eq!(tree.recompute_digest(), tree.digest());
        tree.check_invariants().expect("consistent");
    }

    #[test]
    fn a_replayed_delete_of_a_missing_node_raises_the_parents_pzxid_only_upwards() {
        let mut tree = DataTree::new();
        create(&mut tree, "/p", 0, 5);
        let cversion = tree.get("/p").map(|node| node.stat().cversion);
        let mut removed = Vec::new();
        tree.delete_node_for_replay("/p/gone", 9, &mut removed)
            .expect("parent exists");
        assert!(removed.is_empty());
        let stat = *tree.get("/p").expect("parent").stat();
        assert_eq!(stat.pzxid, 9);
        assert_eq!(Some(stat.cversion), cversion, "cversion untouched");
        tree.delete_node_for_replay("/p/gone", 7, &mut removed)
            .expect("parent exists");
        assert_eq!(tree.get("/p").expect("parent").stat().pzxid, 9);
        assert_eq!(tree.recompute_digest(), tree.digest());
    }

    #[test]
    fn a_replayed_delete_under_a_missing_parent_or_of_the_root_changes_nothing() {
        let mut tree = DataTree::new();
        let digest = tree.digest();
        let mut removed = Vec::new();
        assert_eq!(
            tree.delete_node_for_replay("/x/y", 3, &mut removed),
            Err(TreeError::NoNode)
        );
        assert_eq!(
            tree.delete_node_for_replay("/", 3, &mut removed),
            Err(TreeError::BadPath)
        );
        assert_eq!(tree.raise_pzxid("/x", 3), Err(TreeError::NoNode));
        assert_eq!(tree.digest(), digest);
    }
}
