//! [`ZkServer`]: the state machine the network shell drives. One call per
//! event (a connection opened, a handshake, a request frame, a closed
//! connection, a clock tick); each call appends what to send and whom to
//! close to an [`Outbox`].
//!
//! Ordering guarantees kept here, by construction:
//! - per-session FIFO: requests are answered in the order they arrive,
//!   each completely (prep, apply, reply) before the next; in the
//!   deferred mode a session's later requests wait behind its txns that
//!   the log has not made durable (`deferred.rs`);
//! - writes reach the tree in zxid order (prep assigns; apply follows at
//!   once, or, deferred, once the txn log made them durable, in order);
//! - a watch event caused by a write is written to the outbox before that
//!   write's reply, so it reaches every connection before any reply that
//!   shows the change;
//! - a connection that is told to close gets nothing afterwards.

use std::collections::HashMap;
use std::net::IpAddr;

use ringkeeper_datatree::{DataTree, TreeOptions};
use ringkeeper_jute::{Acl, ErrorCode, Jute, OpCode, Perms, Reader, ReplyHeader, RequestHeader};
use ringkeeper_session::{SessionConfig, SessionError, SessionTracker};
use ringkeeper_watch::{FiredWatch, WatchManager};

use crate::acl::check_acl;
use crate::changes::ChangeLog;
use crate::config::{ZkConfig, ZkConfigError};
use crate::connection::{last_op_name, Connection};
use crate::ephemeral_order::EphemeralOrder;
use crate::outbox::{Body, ConnKey, Outbox};
use crate::pipeline::Pipeline;
use crate::request::{decode_read, decode_write};

/// Standalone ZooKeeper gives every request the same owner
/// (`ServerCnxn.me`), so SessionMoved never happens on one server.
pub(crate) const STANDALONE_OWNER: u64 = 0;

/// Server-wide counters for `srvr`/`mntr`.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct ServerCounters {
    pub packets_received: u64,
    pub packets_sent: u64,
    pub txns_applied: u64,
    pub sessions_expired: u64,
    pub containers_deleted: u64,
    /// Connections closed for queueing more than
    /// `SESSION_QUEUED_REQUESTS_MAX` requests behind pending txns.
    pub session_queue_overflows: u64,
}

pub struct ZkServer {
    pub(crate) config: ZkConfig,
    pub(crate) tree: DataTree,
    pub(crate) watches: WatchManager,
    pub(crate) sessions: SessionTracker,
    pub(crate) changes: ChangeLog,
    pub(crate) ephemeral_order: EphemeralOrder,
    pub(crate) connections: HashMap<ConnKey, Connection>,
    pub(crate) session_connections: HashMap<i64, ConnKey>,
    /// The zxid the next txn gets (minus one): ZooKeeper's `hzxid`.
    pub(crate) last_prepped_zxid: i64,
    /// The zxid of the last txn applied: `lastProcessedZxid`.
    pub(crate) last_processed_zxid: i64,
    pub(crate) next_container_check_ms: u64,
    pub(crate) counters: ServerCounters,
    /// Scratch for fired watches.
    pub(crate) fired: Vec<FiredWatch>,
    /// Every txn applied, when recording (the log step's stand-in).
    pub(crate) recorded_txns: Option<Vec<crate::txn::Txn>>,
    /// The deferred write path's queues (`deferred.rs`).
    pub(crate) pipeline: Pipeline,
    /// The time passed in by the latest call (connect, process, commit,
    /// tick): what `cons` shows as `est` and `lresp`.
    pub(crate) now_ms: u64,
}

impl ZkServer {
    /// A server with an empty tree (as ZooKeeper starts one) at zxid 0.
    ///
    /// # Panics
    /// On a config [`ZkServer::try_new`] refuses (a server id above 254,
    /// minSessionTimeout above maxSessionTimeout, tickTime 0): a config
    /// read from a file goes through `try_new`.
    pub fn new(config: ZkConfig, now_ms: u64) -> Self {
        match ZkServer::try_new(config, now_ms) {
            Ok(server) => server,
            Err(error) => panic!("{error}"),
        }
    }

    /// A server with an empty tree at zxid 0, or why `config` cannot work.
    /// zoo.cfg's minSessionTimeout and maxSessionTimeout (0: 2 and 20
    /// ticks) bound the timeouts handshakes negotiate.
    pub fn try_new(config: ZkConfig, now_ms: u64) -> Result<Self, ZkConfigError> {
        let tree = DataTree::with_options(TreeOptions {
            extended_types_enabled: config.extended_types_enabled,
            ..TreeOptions::default()
        });
        let mut session_config =
            SessionConfig::new(config.tick_time_ms, config.server_id, config.session_secret);
        session_config.min_session_timeout_ms = config.min_session_timeout_ms();
        session_config.max_session_timeout_ms = config.max_session_timeout_ms();
        session_config.sessions_max = config.sessions_max;
        let sessions =
            SessionTracker::try_new(session_config, now_ms).map_err(|error| ZkConfigError {
                reason: match error {
                    SessionError::InvalidConfig { reason } => reason,
                    other => other.to_string(),
                },
            })?;
        Ok(ZkServer {
            watches: WatchManager::new(config.watches_max),
            sessions,
            tree,
            changes: ChangeLog::default(),
            ephemeral_order: EphemeralOrder::default(),
            connections: HashMap::new(),
            session_connections: HashMap::new(),
            last_prepped_zxid: 0,
            last_processed_zxid: 0,
            next_container_check_ms: now_ms.saturating_add(config.container_check_interval_ms),
            counters: ServerCounters::default(),
            fired: Vec::new(),
            recorded_txns: None,
            pipeline: Pipeline::default(),
            now_ms,
            config,
        })
    }

    /// The timeout negotiated for a live session (what its handshake
    /// answered), or None for a session the server does not hold.
    pub fn session_timeout_ms(&self, session_id: i64) -> Option<u32> {
        self.sessions.timeout_ms(session_id)
    }

    pub fn config(&self) -> &ZkConfig {
        &self.config
    }

    /// The zxid of the last txn applied (what replies carry).
    pub fn last_zxid(&self) -> i64 {
        self.last_processed_zxid
    }

    /// Keep a copy of every txn applied from now on (for tests, and for
    /// replaying a server's history into another until the txn log exists).
    pub fn record_txns(&mut self) {
        self.recorded_txns.get_or_insert_with(Vec::new);
    }

    /// The txns recorded since the last call.
    pub fn take_recorded_txns(&mut self) -> Vec<crate::txn::Txn> {
        self.recorded_txns
            .as_mut()
            .map(std::mem::take)
            .unwrap_or_default()
    }

    /// A client connected from `peer`; its handshake comes next.
    pub fn open_connection(&mut self, conn: ConnKey, peer: IpAddr) {
        self.connections.insert(conn, Connection::new(peer));
    }

    /// The connection is gone: its watches go with it; its session stays
    /// until it expires or is resumed on another connection.
    pub fn connection_closed(&mut self, conn: ConnKey) {
        self.watches.remove_watcher(conn);
        if let Some(connection) = self.connections.remove(&conn) {
            if let Some(session_id) = connection.session_id {
                self.pipeline.connection_closed(session_id, conn);
                if self.session_connections.get(&session_id) == Some(&conn) {
                    self.session_connections.remove(&session_id);
                }
            }
        }
    }

    /// One request frame after the handshake: `header` already split off,
    /// `body` the rest of the frame.
    pub fn process(
        &mut self,
        conn: ConnKey,
        header: &RequestHeader,
        body: &[u8],
        now_ms: u64,
        out: &mut Outbox,
    ) {
        self.now_ms = now_ms;
        let Some(connection) = self.connections.get_mut(&conn) else {
            return;
        };
        connection.stats.packets_received += 1;
        self.counters.packets_received += 1;
        let Some(session_id) = connection.session_id else {
            // No handshake yet: nothing to answer with.
            self.close_connection(conn, out);
            return;
        };
        match OpCode::from_i32(header.op_code) {
            Some(OpCode::Auth) => return self.process_auth(conn, header, body, out),
            Some(OpCode::Sasl) => return self.process_sasl(conn, header, out),
            _ => {}
        }
        // ZooKeeperServer.touch: every submitted request renews the session.
        if !self.sessions.touch(session_id, now_ms) {
            // ZooKeeper drops the request (MissingSessionException); the
            // session is closing and its connection about to be closed.
            return;
        }
        let Some(op_code) = OpCode::from_i32(header.op_code).filter(|op| is_client_op(*op)) else {
            // Request.isValid false: Unimplemented (zxid -1), then close.
            let reply = ReplyHeader {
                xid: header.xid,
                zxid: -1,
                err: ErrorCode::Unimplemented.as_i32(),
            };
            self.send_reply(conn, &reply, None, out);
            self.close_connection(conn, out);
            return;
        };
        if self.refuse_past_session_queue_limit(conn, session_id, out) {
            return;
        }
        if op_code == OpCode::CreateSession {
            return self.process_client_create_session(conn, session_id, header, body, now_ms, out);
        }
        if let Some(request) = decode_write(op_code, body) {
            return self.process_write(conn, session_id, header, op_code, request, now_ms, out);
        }
        if self.defer_request(conn, session_id, header, op_code, body) {
            return;
        }
        self.process_read_frame(conn, session_id, header, op_code, body, out);
    }

    /// A request that is not a txn (a read, ping, sync, watch request),
    /// answered from the committed tree.
    pub(crate) fn process_read_frame(
        &mut self,
        conn: ConnKey,
        session_id: i64,
        header: &RequestHeader,
        op_code: OpCode,
        body: &[u8],
        out: &mut Outbox,
    ) {
        match decode_read(op_code, body) {
            Some(Ok(request)) => self.process_read(conn, session_id, header, op_code, request, out),
            Some(Err(())) => {
                let reply = self.reply_header(header.xid, ErrorCode::MarshallingError);
                self.finish_request(conn, op_code, &reply, None, out);
            }
            None => {
                let reply = self.reply_header(header.xid, ErrorCode::Unimplemented);
                self.finish_request(conn, op_code, &reply, None, out);
            }
        }
    }

    /// addAuth: answered at once with zxid 0 (ZooKeeper does not queue it);
    /// a failure closes the connection.
    fn process_auth(
        &mut self,
        conn: ConnKey,
        header: &RequestHeader,
        body: &[u8],
        out: &mut Outbox,
    ) {
        let super_digest = self.config.super_digest.clone();
        let result = match ringkeeper_jute::AuthPacket::decode(&mut Reader::new(body)) {
            Ok(packet) => match self.connections.get_mut(&conn) {
                Some(connection) => connection.auth.authenticate(
                    &packet.scheme,
                    &packet.auth,
                    super_digest.as_deref(),
                ),
                None => return,
            },
            Err(_) => Err(ErrorCode::AuthFailed),
        };
        let err = match result {
            Ok(()) => ErrorCode::Ok,
            Err(code) => code,
        };
        let reply = ReplyHeader {
            xid: header.xid,
            zxid: 0,
            err: err.as_i32(),
        };
        self.send_reply(conn, &reply, None, out);
        if err != ErrorCode::Ok {
            self.close_connection(conn, out);
        }
    }

    /// SASL is not configured: ZooKeeper 3.8 answers OK with a null token
    /// (its SASL server is absent and the NullPointerException is ignored).
    fn process_sasl(&mut self, conn: ConnKey, header: &RequestHeader, out: &mut Outbox) {
        let reply = ReplyHeader {
            xid: header.xid,
            zxid: 0,
            err: 0,
        };
        self.send_reply(conn, &reply, Some(&NullBuffer), out);
    }

    /// The header of a reply carrying `err` and the last applied zxid.
    pub(crate) fn reply_header(&self, xid: i32, err: ErrorCode) -> ReplyHeader {
        ReplyHeader {
            xid,
            zxid: self.last_processed_zxid,
            err: err.as_i32(),
        }
    }

    /// Writes a reply and counts it.
    pub(crate) fn send_reply(
        &mut self,
        conn: ConnKey,
        reply: &ReplyHeader,
        body: Option<&dyn Body>,
        out: &mut Outbox,
    ) {
        let Some(connection) = self.connections.get_mut(&conn) else {
            return;
        };
        connection.stats.packets_sent += 1;
        self.counters.packets_sent += 1;
        out.push_reply(conn, reply, body);
    }

    /// Writes the reply of an op and records it as the connection's last.
    pub(crate) fn finish_request(
        &mut self,
        conn: ConnKey,
        op_code: OpCode,
        reply: &ReplyHeader,
        body: Option<&dyn Body>,
        out: &mut Outbox,
    ) {
        if self.note_reply(conn, op_code, reply) {
            out.push_reply(conn, reply, body);
        }
    }

    /// Counts the reply of an op about to be written to `conn` and records
    /// it as the connection's last. False when `conn` is gone: nothing may
    /// be written to it.
    pub(crate) fn note_reply(
        &mut self,
        conn: ConnKey,
        op_code: OpCode,
        reply: &ReplyHeader,
    ) -> bool {
        let Some(connection) = self.connections.get_mut(&conn) else {
            return false;
        };
        let stats = &mut connection.stats;
        stats.last_cxid = reply.xid;
        stats.last_zxid = reply.zxid;
        stats.last_op = last_op_name(op_code);
        stats.last_response_ms = self.now_ms;
        stats.packets_sent += 1;
        self.counters.packets_sent += 1;
        true
    }

    /// Sends every fired watch's event to its connection, in order, if
    /// the connection may READ a node with `node_acl` (see `fire`).
    pub(crate) fn deliver_fired(&mut self, node_acl: &[Acl], out: &mut Outbox) {
        for fired in self.fired.drain(..) {
            let Some(connection) = self.connections.get_mut(&fired.watcher) else {
                continue;
            };
            if check_acl(node_acl, Perms::READ, &connection.auth).is_err() {
                continue;
            }
            connection.stats.packets_sent += 1;
            self.counters.packets_sent += 1;
            out.push_event(fired.watcher, &fired.to_watcher_event());
        }
    }

    /// Closes `conn`: nothing more is written to it; its watches go now.
    pub(crate) fn close_connection(&mut self, conn: ConnKey, out: &mut Outbox) {
        if self.connections.contains_key(&conn) {
            out.push_close(conn);
            self.connection_closed(conn);
        }
    }

    /// Binds `conn` to `session_id` (a handshake accepted it).
    pub(crate) fn bind_session(&mut self, conn: ConnKey, session_id: i64, timeout_ms: u32) {
        if let Some(connection) = self.connections.get_mut(&conn) {
            connection.session_id = Some(session_id);
            connection.timeout_ms = timeout_ms;
            connection.stats.established_ms = self.now_ms;
        }
        self.session_connections.insert(session_id, conn);
    }
}

/// `Request.isValid`: the op codes a client may send after the handshake
/// (auth and sasl are handled before this check).
fn is_client_op(op: OpCode) -> bool {
    !matches!(
        op,
        OpCode::Notification | OpCode::Error | OpCode::Auth | OpCode::Sasl
    )
}

/// A jute buffer that is null (length -1).
pub(crate) struct NullBuffer;

impl Body for NullBuffer {
    fn encode_body(&self, out: &mut Vec<u8>) {
        ringkeeper_jute::wire::put_int(out, -1);
    }
}
