//! Recovery's half of apply: a txn read back from the log changes the
//! tree and the sessions exactly as its live apply did (the same code,
//! `apply.rs` with `Effects::Replay`), with no replies and no watch
//! events, and idempotently from a fuzzy snapshot's start zxid
//! (docs/storage.md, "Why a fuzzy snapshot is correct"):
//!
//! - R1 a create of a node that exists leaves the node and raises the
//!   parent's cversion and pzxid to the txn's (ZooKeeper's
//!   `setCversionPzxid` after NODEEXISTS);
//! - R2 a delete removes the node with its subtree; of a missing node it
//!   still raises the parent's pzxid;
//! - R3 setData and setACL of a missing node do nothing; otherwise they
//!   write absolute values;
//! - R4 createSession adds the session if missing; closeSession deletes
//!   its ephemerals by R2 and removes it.
//!
//! Like ZooKeeper's `processTxn` at load, a txn whose change the tree
//! still refuses (which replay of a healthy log never meets) is skipped:
//! the digest comparison after replay is the check that catches a
//! diverged state.

use std::fmt;

use ringkeeper_datatree::path::parent_and_name;
use ringkeeper_jute::DecodeError;

use crate::apply::Effects;
use crate::server::ZkServer;
use crate::txn::Txn;

/// A logged txn that could not be replayed.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum ReplayError {
    /// The bytes are not a txn as `Txn::to_bytes` writes one.
    Undecodable { error: DecodeError },
    /// Replay is for recovery, before any txn is prepped.
    TxnsPending { pending_through_zxid: i64 },
}

impl fmt::Display for ReplayError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            ReplayError::Undecodable { error } => {
                write!(f, "a logged txn does not decode: {error}")
            }
            ReplayError::TxnsPending {
                pending_through_zxid,
            } => write!(
                f,
                "replay into a server with txns pending (through zxid {pending_through_zxid:#x})"
            ),
        }
    }
}

impl std::error::Error for ReplayError {}

impl ZkServer {
    /// Recovery: applies one logged txn (`Txn::to_bytes`) without replies
    /// or watch events. A txn at or before the last zxid applied (the
    /// snapshot's, or one replayed already) is skipped, so the whole log
    /// may be fed from its start. Sessions it creates get a fresh timeout
    /// from `now_ms`.
    pub fn replay(&mut self, txn_bytes: &[u8], now_ms: u64) -> Result<(), ReplayError> {
        if let Some(pending_through_zxid) = self.pending_through() {
            return Err(ReplayError::TxnsPending {
                pending_through_zxid,
            });
        }
        let txn = Txn::decode(txn_bytes).map_err(|error| ReplayError::Undecodable { error })?;
        self.replay_txn(&txn, now_ms);
        Ok(())
    }

    /// [`ZkServer::replay`] of a decoded txn. Returns whether it was
    /// applied (false: at or before the last zxid applied).
    pub fn replay_txn(&mut self, txn: &Txn, now_ms: u64) -> bool {
        let zxid = txn.zxid();
        if zxid <= self.last_processed_zxid {
            return false;
        }
        self.apply_txn(txn, &mut Effects::Replay { now_ms });
        self.last_processed_zxid = zxid;
        self.last_prepped_zxid = self.last_prepped_zxid.max(zxid);
        self.pipeline.restored_at(zxid);
        self.counters.txns_applied += 1;
        true
    }

    /// R1, once the tree refused a create because the node exists: the
    /// parent's cversion and pzxid rise to the txn's (ZooKeeper's
    /// `setCversionPzxid` after NODEEXISTS).
    pub(crate) fn replay_create_of_existing(
        &mut self,
        path: &str,
        parent_cversion: i32,
        zxid: i64,
    ) {
        if let Some((parent, _)) = parent_and_name(path) {
            let _ = self.tree.set_cversion_pzxid(parent, parent_cversion, zxid);
        }
    }

    /// R2.
    pub(crate) fn replay_delete(&mut self, path: &str, zxid: i64) {
        let mut removed = Vec::new();
        // Err: the parent is gone too (or "/"): nothing to change.
        let _ = self.tree.delete_node_for_replay(path, zxid, &mut removed);
        for (path, owner) in removed {
            self.ephemeral_order.removed(owner, &path);
        }
    }
}
