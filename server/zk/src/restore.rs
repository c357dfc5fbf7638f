//! A server rebuilt from disk, and what a snapshot takes from a live one.
//!
//! Recovery is: load the newest valid snapshot (its tree, ACL cache,
//! sessions and zxid; or an empty tree at zxid 0), [`ZkServer::restore`]
//! from it, then [`ZkServer::replay`] every logged txn after its zxid (a
//! fuzzy snapshot needs the replay rules of `replay.rs`), then compare the
//! digest the snapshot recorded once its digest zxid is replayed. Sessions
//! come back with fresh timeouts: expiry starts again from `now_ms`.

use std::fmt;

use ringkeeper_datatree::{DataTree, EphemeralType};
use ringkeeper_session::is_valid_session_id;

use crate::config::{ZkConfig, ZkConfigError};
use crate::server::ZkServer;

/// Why a server cannot be rebuilt from a snapshot's state.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum RestoreError {
    Config(ZkConfigError),
    /// The tree was loaded with another `zookeeper.extendedTypesEnabled`
    /// than the server runs with: its owners would mean other things.
    ExtendedTypesMismatch {
        config: bool,
        tree: bool,
    },
    /// A session id no server hands out (0, or the container marker).
    InvalidSessionId {
        session_id: i64,
    },
    /// A zxid below zero.
    InvalidZxid {
        zxid: i64,
    },
}

impl fmt::Display for RestoreError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            RestoreError::Config(error) => error.fmt(f),
            RestoreError::ExtendedTypesMismatch { config, tree } => write!(
                f,
                "the restored tree was built with extendedTypesEnabled={tree}, \
                 the server runs with {config}"
            ),
            RestoreError::InvalidSessionId { session_id } => {
                write!(
                    f,
                    "the restored state holds an invalid session id {session_id:#x}"
                )
            }
            RestoreError::InvalidZxid { zxid } => {
                write!(f, "the restored state ends at an invalid zxid {zxid:#x}")
            }
        }
    }
}

impl std::error::Error for RestoreError {}

impl ZkServer {
    /// A server whose tree (with its ACL cache), sessions and last zxid
    /// come from a snapshot (or an empty tree at zxid 0). Each session
    /// `(id, timeout ms)` starts a fresh expiry at `now_ms`. Then
    /// [`ZkServer::replay`] the logged txns after `last_zxid`.
    pub fn restore(
        config: ZkConfig,
        tree: DataTree,
        sessions: &[(i64, u32)],
        last_zxid: i64,
        now_ms: u64,
    ) -> Result<Self, RestoreError> {
        if last_zxid < 0 {
            return Err(RestoreError::InvalidZxid { zxid: last_zxid });
        }
        if tree.extended_types_enabled() != config.extended_types_enabled {
            return Err(RestoreError::ExtendedTypesMismatch {
                config: config.extended_types_enabled,
                tree: tree.extended_types_enabled(),
            });
        }
        let mut server = ZkServer::try_new(config, now_ms).map_err(RestoreError::Config)?;
        for &(session_id, timeout_ms) in sessions {
            if !is_valid_session_id(session_id) {
                return Err(RestoreError::InvalidSessionId { session_id });
            }
            server.sessions.add_session(session_id, timeout_ms, now_ms);
        }
        // ZooKeeper rebuilds its per-session ephemeral sets in the order
        // it reads the snapshot; ours is the tree's walk order.
        let extended = server.config.extended_types_enabled;
        let order = &mut server.ephemeral_order;
        tree.walk(|path, node| {
            let owner = node.stat().ephemeral_owner;
            if EphemeralType::get(owner, extended) == Ok(EphemeralType::Normal) {
                order.added(owner, path);
            }
        });
        server.tree = tree;
        server.last_prepped_zxid = last_zxid;
        server.last_processed_zxid = last_zxid;
        server.pipeline.restored_at(last_zxid);
        Ok(server)
    }

    /// The sessions a snapshot records, `(id, timeout ms)` by id: every
    /// session whose createSession is applied (one still waiting for the
    /// log is not durable yet; replay of the log brings it back).
    pub fn sessions_for_snapshot(&self) -> Vec<(i64, u32)> {
        let mut sessions: Vec<(i64, u32)> = self
            .sessions
            .iter()
            .filter(|info| !self.pipeline.is_uncommitted_session(info.session_id))
            .map(|info| (info.session_id, info.timeout_ms))
            .collect();
        sessions.sort_unstable();
        sessions
    }
}
