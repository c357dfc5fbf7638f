//! ZooKeeper session tracking: session ids (server id in the top byte),
//! passwords derived from the id and the ensemble's secret, timeout
//! negotiation against min/maxSessionTimeout, expiry in tickTime buckets
//! (ZooKeeper's `SessionTrackerImpl` and `ExpiryQueue`), the closing mark
//! and the owner check (SessionMoved).
//!
//! This crate is a pure core: it owns no sockets, files, clocks or
//! threads. Time comes in as milliseconds (`now_ms`) and expiry goes out as
//! a list of session ids; the caller commits the closeSession txns, drops
//! ephemerals and connections. It does not persist sessions: the txn log
//! and snapshots do, and replay them with `add_session`.

mod config;
mod error;
mod expiry;
mod password;
mod session_id;
mod tracker;

pub use config::{
    SessionConfig, MAX_SESSION_TIMEOUT_TICKS, MIN_SESSION_TIMEOUT_TICKS, SERVER_ID_MAX,
    SESSIONS_MAX_DEFAULT,
};
pub use error::{SessionCheckError, SessionError};
pub use expiry::ExpiryQueue;
pub use password::{check_session_password, session_password};
pub use session_id::{initial_session_id, is_valid_session_id, CONTAINER_EPHEMERAL_OWNER};
pub use tracker::{SessionInfo, SessionOwner, SessionTracker};
