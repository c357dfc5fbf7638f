//! The ZooKeeper server state machine: Apache ZooKeeper 3.8's
//! PrepRequestProcessor, FinalRequestProcessor, `DataTree.processTxn` and
//! the session, auth and ACL rules around them, as a pure core. It owns
//! what a request means: decoded requests in, reply frames, watch-event
//! frames and connections to close out (an [`Outbox`]). Writes go
//! prep -> txn log -> apply, with [`ZkServer::prep`] and
//! [`ZkServer::apply`] as the seam; apply takes only a [`Txn`]. In
//! [`ApplyMode::Deferred`] the caller appends the prepped txns to the log
//! ([`ZkServer::take_prepped`]) and reports what is durable
//! ([`ZkServer::commit_through`]); recovery is [`ZkServer::restore`] from
//! a snapshot's state plus [`ZkServer::replay`] of the log.
//!
//! It must not touch sockets, files, clocks or threads: the network shell
//! (`server/`) owns connections, framing, the handshake bytes and the
//! four-letter words' text, and passes the time in (`now_ms`, wall-clock
//! milliseconds, which become ctime/mtime and drive session expiry).

mod acl;
mod apply;
mod auth;
mod auth_order;
mod changes;
mod config;
mod connect;
mod connection;
mod deferred;
mod digest;
mod ephemeral_order;
mod outbox;
mod pipeline;
mod prep;
mod read;
mod replay;
mod request;
mod restore;
mod server;
mod tick;
mod txn;
mod views;
mod write;

pub use acl::{check_acl, fixup_acl, open_acl_unsafe};
pub use apply::TxnResult;
pub use auth::{AuthInfo, AUTH_IDS_PER_CONNECTION_MAX};
pub use config::{
    ZkConfig, ZkConfigError, CONTAINER_CHECK_INTERVAL_MS_DEFAULT,
    CONTAINER_DELETES_PER_MINUTE_DEFAULT, MULTI_OPS_MAX, SESSIONS_MAX_DEFAULT, WATCHES_MAX_DEFAULT,
};
pub use connect::ConnectOutcome;
pub use connection::ConnectionStats;
pub use digest::generate_digest;
pub use outbox::{ConnKey, Outbox};
pub use pipeline::{ApplyMode, SESSION_QUEUED_REQUESTS_MAX};
pub use replay::ReplayError;
pub use request::{NullPathRequest, ReadRequest, WatchLists, WriteRequest};
pub use restore::RestoreError;
pub use server::{ServerCounters, ZkServer};
pub use txn::{SubTxn, Txn, TxnRecord};
pub use views::{ConnectionView, SessionView};
