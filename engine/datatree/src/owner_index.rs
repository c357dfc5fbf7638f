//! Which nodes belong to which session, and which are containers or TTL
//! nodes (ZooKeeper's `ephemerals`, `containers` and `ttls`), as arena
//! indexes. Ordered sets, so every listing comes out in the same order on
//! every replica.

use std::collections::{BTreeMap, BTreeSet};

use crate::ephemeral_type::EphemeralType;

#[derive(Debug, Default)]
pub(crate) struct OwnerIndex {
    /// Session id -> its ephemerals. A session keeps its (possibly empty)
    /// entry until it is killed, as in ZooKeeper, so `dump` lists a session
    /// whose ephemerals were all deleted by hand.
    sessions: BTreeMap<i64, BTreeSet<u32>>,
    ephemeral_count: usize,
    containers: BTreeSet<u32>,
    ttls: BTreeSet<u32>,
}

impl OwnerIndex {
    pub(crate) fn add(&mut self, kind: EphemeralType, ephemeral_owner: i64, index: u32) {
        match kind {
            EphemeralType::Void => {}
            EphemeralType::Container => {
                self.containers.insert(index);
            }
            EphemeralType::Ttl => {
                self.ttls.insert(index);
            }
            EphemeralType::Normal => {
                if self
                    .sessions
                    .entry(ephemeral_owner)
                    .or_default()
                    .insert(index)
                {
                    self.ephemeral_count += 1;
                }
            }
        }
    }

    pub(crate) fn remove(&mut self, kind: EphemeralType, ephemeral_owner: i64, index: u32) {
        match kind {
            EphemeralType::Void => {}
            EphemeralType::Container => {
                self.containers.remove(&index);
            }
            EphemeralType::Ttl => {
                self.ttls.remove(&index);
            }
            EphemeralType::Normal => {
                let removed = self
                    .sessions
                    .get_mut(&ephemeral_owner)
                    .is_some_and(|nodes| nodes.remove(&index));
                if removed {
                    self.ephemeral_count -= 1;
                }
            }
        }
    }

    /// Forget a session; its ephemerals, which the caller deletes.
    pub(crate) fn take_session(&mut self, session_id: i64) -> BTreeSet<u32> {
        let nodes = self.sessions.remove(&session_id).unwrap_or_default();
        self.ephemeral_count -= nodes.len();
        nodes
    }

    pub(crate) fn session(&self, session_id: i64) -> impl Iterator<Item = u32> + '_ {
        self.sessions
            .get(&session_id)
            .into_iter()
            .flatten()
            .copied()
    }

    pub(crate) fn sessions(&self) -> impl Iterator<Item = i64> + '_ {
        self.sessions.keys().copied()
    }

    pub(crate) fn ephemeral_count(&self) -> usize {
        self.ephemeral_count
    }

    pub(crate) fn containers(&self) -> impl Iterator<Item = u32> + '_ {
        self.containers.iter().copied()
    }

    pub(crate) fn ttls(&self) -> impl Iterator<Item = u32> + '_ {
        self.ttls.iter().copied()
    }
}
