//! ZooKeeper's `ReferenceCountedACLCache`: every distinct ACL list is stored
//! once and nodes hold its number (the "acl long" of snapshots).
//!
//! Numbers come from a counter that only grows (`aclIndex`); a list whose
//! last user goes away is forgotten, and the same list interned again gets a
//! new number, exactly as in ZooKeeper, so snapshots written from the same
//! txn history carry the same numbers. -1 is OPEN_ACL_UNSAFE (world:anyone,
//! all permissions) and is never counted; ZooKeeper gives it to the initial
//! nodes only (a create with world:anyone gets a counted number).
//!
//! Lists are held as `Arc<[Acl]>` so that a reader who must keep a node's
//! list past the tree's borrow (the server's pending-change views, a
//! deleted node's watch events) shares it instead of copying it.

use std::collections::BTreeMap;
use std::sync::Arc;

use hashbrown::HashTable;
use ringkeeper_jute::{Acl, Id, Perms};

use crate::hash::hash_bytes;

/// An interned ACL list's number.
pub type AclId = i64;

/// OPEN_ACL_UNSAFE's number: never in the cache, never counted.
pub const OPEN_ACL_UNSAFE_ID: AclId = -1;

#[derive(Debug)]
struct AclEntry {
    acls: Arc<[Acl]>,
    references: u64,
}

#[derive(Debug)]
pub struct AclCache {
    /// Ordered by number, so a snapshot lists them in a stable order.
    by_id: BTreeMap<AclId, AclEntry>,
    /// Numbers of `by_id`, found by a hash of the list.
    by_content: HashTable<AclId>,
    /// The last number given out.
    last_id: AclId,
    hash_seed: u64,
    open_acl_unsafe: Arc<[Acl]>,
}

impl AclCache {
    pub fn new(hash_seed: u64) -> Self {
        AclCache {
            by_id: BTreeMap::new(),
            by_content: HashTable::new(),
            last_id: 0,
            hash_seed,
            open_acl_unsafe: Arc::new([Acl {
                perms: Perms::ALL,
                id: Id {
                    scheme: "world".to_string(),
                    id: "anyone".to_string(),
                },
            }]),
        }
    }

    fn hash_of(&self, acls: &[Acl]) -> u64 {
        hash_acls(self.hash_seed, acls)
    }

    /// `convertAcls`: the number of `acls`, adding it if new, and one more
    /// reference to it.
    pub fn intern(&mut self, acls: &[Acl]) -> AclId {
        let hash = self.hash_of(acls);
        let by_id = &self.by_id;
        let found = self
            .by_content
            .find(hash, |id| {
                by_id.get(id).is_some_and(|entry| *entry.acls == *acls)
            })
            .copied();
        let id = match found {
            Some(id) => id,
            None => {
                self.last_id += 1;
                let id = self.last_id;
                self.by_id.insert(
                    id,
                    AclEntry {
                        acls: Arc::from(acls),
                        references: 0,
                    },
                );
                self.insert_content_index(hash, id);
                id
            }
        };
        self.add_usage(id);
        id
    }

    fn insert_content_index(&mut self, hash: u64, id: AclId) {
        let Self {
            by_id,
            by_content,
            hash_seed,
            ..
        } = self;
        let rehash = |id: &AclId| {
            let acls = by_id.get(id).map_or(&[][..], |entry| &entry.acls[..]);
            hash_acls(*hash_seed, acls)
        };
        by_content.insert_unique(hash, id, rehash);
    }

    /// The list numbered `id`; OPEN_ACL_UNSAFE for -1.
    pub fn get(&self, id: AclId) -> Option<&[Acl]> {
        self.get_shared(id).map(|acls| &acls[..])
    }

    /// The list numbered `id` as the cache holds it, to be shared.
    pub fn get_shared(&self, id: AclId) -> Option<&Arc<[Acl]>> {
        if id == OPEN_ACL_UNSAFE_ID {
            return Some(&self.open_acl_unsafe);
        }
        self.by_id.get(&id).map(|entry| &entry.acls)
    }

    /// One more node uses `id` (unknown numbers are ignored, as ZooKeeper
    /// does).
    pub fn add_usage(&mut self, id: AclId) {
        if let Some(entry) = self.by_id.get_mut(&id) {
            entry.references += 1;
        }
    }

    /// One node fewer uses `id`; the list is forgotten with its last user.
    pub fn remove_usage(&mut self, id: AclId) {
        let Some(entry) = self.by_id.get_mut(&id) else {
            return;
        };
        entry.references = entry.references.saturating_sub(1);
        if entry.references == 0 {
            self.forget(id);
        }
    }

    /// One node fewer uses `id`, but keep the list even at zero users:
    /// while a snapshot loads, a list may lose the initial nodes' reference
    /// before the snapshot's nodes add theirs. `purge_unused` cleans up.
    pub(crate) fn remove_usage_keeping(&mut self, id: AclId) {
        if let Some(entry) = self.by_id.get_mut(&id) {
            entry.references = entry.references.saturating_sub(1);
        }
    }

    fn forget(&mut self, id: AclId) {
        let Some(entry) = self.by_id.remove(&id) else {
            return;
        };
        let hash = self.hash_of(&entry.acls);
        if let Ok(found) = self
            .by_content
            .find_entry(hash, |candidate| *candidate == id)
        {
            found.remove();
        }
    }

    /// Nodes using `id` (0 for -1 and unknown numbers).
    pub fn references(&self, id: AclId) -> u64 {
        self.by_id.get(&id).map_or(0, |entry| entry.references)
    }

    /// Distinct lists held (-1 not counted), as `aclCacheSize`.
    pub fn len(&self) -> usize {
        self.by_id.len()
    }

    pub fn is_empty(&self) -> bool {
        self.by_id.is_empty()
    }

    /// Every list with its number, by number: what a snapshot stores.
    pub fn entries(&self) -> impl Iterator<Item = (AclId, &[Acl])> + '_ {
        self.by_id.iter().map(|(id, entry)| (*id, &entry.acls[..]))
    }

    /// Put back a list read from a snapshot; nodes add their references
    /// as they are loaded (a number already held keeps its references, so
    /// the initial nodes' lists can be overwritten by the snapshot's). The
    /// counter continues above it.
    pub fn restore(&mut self, id: AclId, acls: Vec<Acl>) {
        if id == OPEN_ACL_UNSAFE_ID {
            return;
        }
        let references = self.references(id);
        self.forget(id);
        let hash = self.hash_of(&acls);
        let acls = Arc::from(acls);
        self.by_id.insert(id, AclEntry { acls, references });
        self.insert_content_index(hash, id);
        self.last_id = self.last_id.max(id);
    }

    /// Forget lists no node uses (after a snapshot load).
    pub fn purge_unused(&mut self) {
        let unused: Vec<AclId> = self
            .by_id
            .iter()
            .filter(|(_, entry)| entry.references == 0)
            .map(|(id, _)| *id)
            .collect();
        for id in unused {
            self.forget(id);
        }
    }
}

fn hash_acls(seed: u64, acls: &[Acl]) -> u64 {
    acls.iter().fold(seed ^ acls.len() as u64, |state, acl| {
        let state = hash_bytes(
            state ^ u64::from(acl.perms as u32),
            acl.id.scheme.as_bytes(),
        );
        hash_bytes(state, acl.id.id.as_bytes())
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    fn acl(perms: i32, scheme: &str, id: &str) -> Acl {
        Acl {
            perms,
            id: Id {
                scheme: scheme.to_string(),
                id: id.to_string(),
            },
        }
    }

    #[test]
    fn equal_lists_share_one_number_and_count_their_users() {
        let mut cache = AclCache::new(1);
        let list = vec![acl(Perms::ALL, "digest", "bob:hash")];
        let first = cache.intern(&list);
        let second = cache.intern(&list.clone());
        assert_eq!(first, 1);
        assert_eq!(first, second);
        assert_eq!(cache.references(first), 2);
        assert_eq!(cache.len(), 1);
        assert_eq!(cache.get(first), Some(&list[..]));
    }

    #[test]
    fn a_shared_list_is_the_cached_one_and_outlives_its_number() {
        let mut cache = AclCache::new(1);
        let list = vec![acl(Perms::ALL, "digest", "bob:hash")];
        let id = cache.intern(&list);
        let first = Arc::clone(cache.get_shared(id).expect("interned"));
        let second = cache.get_shared(id).expect("interned");
        assert!(Arc::ptr_eq(&first, second), "shared, not copied");
        cache.remove_usage(id);
        assert_eq!(cache.get(id), None);
        assert_eq!(&first[..], &list[..], "a holder keeps its list");
    }

    #[test]
    fn a_list_is_forgotten_with_its_last_user_and_renumbered_if_seen_again() {
        let mut cache = AclCache::new(1);
        let list = vec![acl(Perms::READ, "world", "anyone")];
        let first = cache.intern(&list);
        cache.remove_usage(first);
        assert_eq!(cache.get(first), None);
        assert!(cache.is_empty());
        // ZooKeeper's counter only grows.
        assert_eq!(cache.intern(&list), first + 1);
    }

    #[test]
    fn open_acl_unsafe_is_minus_one_and_never_counted() {
        let mut cache = AclCache::new(1);
        let open = cache
            .get(OPEN_ACL_UNSAFE_ID)
            .expect("always present")
            .to_vec();
        assert_eq!(open, vec![acl(Perms::ALL, "world", "anyone")]);
        cache.add_usage(OPEN_ACL_UNSAFE_ID);
        cache.remove_usage(OPEN_ACL_UNSAFE_ID);
        assert_eq!(cache.get(OPEN_ACL_UNSAFE_ID), Some(&open[..]));
        // A create with world:anyone gets a counted number, as in ZooKeeper.
        assert_eq!(cache.intern(&open), 1);
    }

    #[test]
    fn order_and_every_field_distinguish_lists() {
        let mut cache = AclCache::new(1);
        let a = acl(Perms::READ, "ip", "10.0.0.1");
        let b = acl(Perms::ALL, "ip", "10.0.0.1");
        let c = acl(Perms::READ, "ip", "10.0.0.2");
        let d = acl(Perms::READ, "digest", "10.0.0.1");
        let ids = [
            cache.intern(&[a.clone(), b.clone()]),
            cache.intern(&[b.clone(), a.clone()]),
            cache.intern(std::slice::from_ref(&a)),
            cache.intern(&[c]),
            cache.intern(&[d]),
            cache.intern(&[]),
        ];
        assert_eq!(ids, [1, 2, 3, 4, 5, 6]);
    }

    #[test]
    fn restored_lists_wait_for_users_and_unused_ones_are_purged() {
        let mut cache = AclCache::new(1);
        cache.restore(7, vec![acl(Perms::READ, "world", "anyone")]);
        cache.restore(3, vec![acl(Perms::ALL, "auth", "")]);
        cache.add_usage(7);
        cache.purge_unused();
        assert_eq!(
            cache.entries().map(|(id, _)| id).collect::<Vec<_>>(),
            vec![7]
        );
        // Numbering continues above the highest restored number.
        assert_eq!(cache.intern(&[acl(Perms::WRITE, "world", "anyone")]), 8);
        // Interning a restored list finds it.
        assert_eq!(cache.intern(&[acl(Perms::READ, "world", "anyone")]), 7);
        assert_eq!(cache.references(7), 2);
    }
}
