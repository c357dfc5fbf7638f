//! The deferred (durable) write path: a client hears "ok" only once its
//! txn is durable. In [`ApplyMode::Deferred`] a write is prepped at once
//! (prep sees every pending txn through the `ChangeLog` overlay, so two
//! creates of one path in flight fail the second with NodeExists, as in
//! ZooKeeper), its encoded txn waits for the caller to append it to the
//! txn log ([`ZkServer::take_prepped`]), and it is applied, its watches
//! fired and its client answered only when the log reports it durable
//! ([`ZkServer::commit_through`]).
//!
//! Ordering, as ZooKeeper 3.8 keeps it (`CommitProcessor`'s
//! "Multi-threading constraints", `Leader.processSync`):
//! - txns are applied in zxid order, each whole, events before replies;
//! - per-session FIFO: while a session has a txn in flight, its later
//!   requests (reads, pings, watch requests, sync) wait in the session's
//!   queue and run in order right after the txns ahead of them, so a
//!   read never misses the session's own earlier write and never sees a
//!   later one of its own;
//! - another session's read does not wait: it sees the committed tree;
//! - a sync waits for every txn prepped before it (any session's);
//! - auth and sasl are answered on arrival (ZooKeeper handles them before
//!   the request pipeline).
//!
//! Sessions: a new session's createSession txn goes through the log and
//! its ConnectResponse goes out at commit; the session's requests sent
//! before that wait behind it. A reconnect is not a txn and is answered at
//! once. closeSession (from the client, or expiry) marks the session
//! closing at prep, so its later requests are dropped as ZooKeeper drops
//! them; the ephemerals go, and the reply and close happen, at commit.
//!
//! Driving it (the shell, under the state lock):
//! 1. `set_apply_mode(Deferred)` once, before serving;
//! 2. after the calls of a turn (`connect`, `process`, `tick`,
//!    `close_session`): `take_prepped`, and append the records to the txn
//!    log in the order given before the lock is released, so the log sees
//!    zxid order across cores;
//! 3. when the log reports records durable through a zxid:
//!    `commit_through(zxid, now_ms, out)`, and route `out` as any outbox;
//! 4. `pending_through` says whether anything still waits for the log.

use ringkeeper_jute::{OpCode, RequestHeader};

use crate::apply::TxnResult;
use crate::outbox::{ConnKey, Outbox};
use crate::pipeline::{ApplyMode, Origin, PendingTxn, WaitingRequest, SESSION_QUEUED_REQUESTS_MAX};
use crate::server::ZkServer;
use crate::txn::Txn;

impl ZkServer {
    /// Chooses when txns are applied. Switch before the first request:
    /// txns pending when switching back to Immediate still wait for
    /// `commit_through`.
    pub fn set_apply_mode(&mut self, mode: ApplyMode) {
        self.pipeline.mode = mode;
    }

    pub fn apply_mode(&self) -> ApplyMode {
        self.pipeline.mode
    }

    /// Deferred: appends to `out` every txn prepped since the last call
    /// (createSession, closeSession from a client or expiry, every write,
    /// failed ones included as ZooKeeper logs them as error txns,
    /// container deletes), in zxid order, each as `(zxid, Txn::to_bytes)`,
    /// for the caller to append to the txn log in that order.
    pub fn take_prepped(&mut self, out: &mut Vec<(i64, Vec<u8>)>) {
        self.pipeline.take_prepped(out);
    }

    /// The log made every txn through `zxid` durable: apply them in zxid
    /// order (tree, watch events, then the reply; a new session's
    /// ConnectResponse; a closeSession's reply and close, or an expired
    /// session's close), then run the requests that waited behind them.
    /// Only txns already handed out by [`ZkServer::take_prepped`] commit;
    /// `now_ms` restarts a new session's expiry clock when its
    /// ConnectResponse goes out.
    pub fn commit_through(&mut self, zxid: i64, now_ms: u64, out: &mut Outbox) {
        self.now_ms = now_ms;
        while let Some(pending) = self.pipeline.pop_committable(zxid) {
            self.commit_one(pending, now_ms, out);
        }
    }

    /// The highest zxid prepped but not committed; None when nothing is
    /// pending.
    pub fn pending_through(&self) -> Option<i64> {
        self.pipeline.pending_through()
    }

    pub(crate) fn is_deferred(&self) -> bool {
        self.pipeline.mode == ApplyMode::Deferred
    }

    /// A prepped txn: deferred, it waits for the log (and is answered at
    /// its commit); immediate, it is applied and answered now.
    pub(crate) fn submit_txn(&mut self, txn: Txn, origin: Origin, now_ms: u64, out: &mut Outbox) {
        if self.is_deferred() {
            return self.defer_txn(txn, origin);
        }
        let result = self.apply(&txn, out);
        self.answer_txn(&txn, &result, origin, now_ms, out);
    }

    /// A prepped txn waits for the log.
    pub(crate) fn defer_txn(&mut self, txn: Txn, origin: Origin) {
        self.pipeline.push_txn(txn, origin);
    }

    /// Deferred: queues a request that is not a txn if it must wait (its
    /// session has requests queued, or it is a sync and txns are
    /// pending). Returns whether it was queued.
    pub(crate) fn defer_request(
        &mut self,
        conn: ConnKey,
        session_id: i64,
        header: &RequestHeader,
        op_code: OpCode,
        body: &[u8],
    ) -> bool {
        if !self.is_deferred() {
            return false;
        }
        let is_sync = op_code == OpCode::Sync;
        let behind_session = self.pipeline.queued(session_id) > 0;
        let behind_txns = is_sync && self.last_prepped_zxid > self.last_processed_zxid;
        if !behind_session && !behind_txns {
            return false;
        }
        let after_zxid = if is_sync {
            self.last_prepped_zxid
        } else {
            // Its place in the queue is all it waits for.
            self.last_processed_zxid
        };
        let request = WaitingRequest {
            conn,
            header: header.clone(),
            body: body.to_vec(),
            after_zxid,
        };
        self.pipeline.queue_request(session_id, request, is_sync);
        true
    }

    /// A session past [`SESSION_QUEUED_REQUESTS_MAX`] queued requests has
    /// its connection closed (its session survives). Returns whether it
    /// was.
    pub(crate) fn refuse_past_session_queue_limit(
        &mut self,
        conn: ConnKey,
        session_id: i64,
        out: &mut Outbox,
    ) -> bool {
        if self.pipeline.queued(session_id) < SESSION_QUEUED_REQUESTS_MAX {
            return false;
        }
        self.counters.session_queue_overflows += 1;
        self.close_connection(conn, out);
        true
    }

    fn commit_one(&mut self, pending: PendingTxn, now_ms: u64, out: &mut Outbox) {
        let PendingTxn { txn, origin } = pending;
        let result = self.apply(&txn, out);
        self.answer_txn(&txn, &result, origin, now_ms, out);
        let session_id = txn.session_id();
        if origin.is_queued() {
            self.pipeline.txn_answered(session_id, txn.zxid());
            self.run_ready_requests(session_id, out);
        }
        let mut due = Vec::new();
        self.pipeline.due_syncs(self.last_processed_zxid, &mut due);
        for session_id in due {
            self.run_ready_requests(session_id, out);
        }
    }

    /// What an applied txn owes besides its change: the reply, the
    /// ConnectResponse, the close, or a count.
    fn answer_txn(
        &mut self,
        txn: &Txn,
        result: &TxnResult,
        origin: Origin,
        now_ms: u64,
        out: &mut Outbox,
    ) {
        let session_id = txn.session_id();
        match origin {
            Origin::Reply { conn, xid, op_code } => {
                self.reply_to_write(conn, xid, op_code, txn, result, out);
                if op_code == OpCode::CloseSession && txn.op_code() == Some(OpCode::CloseSession) {
                    // The reply, then the connection closes (sendCloseSession).
                    self.close_connection(conn, out);
                }
            }
            Origin::Handshake {
                conn,
                timeout_ms,
                client_sent_read_only,
            } => {
                self.pipeline.session_committed(session_id);
                if self.session_of(conn) == Some(session_id) {
                    self.sessions.touch(session_id, now_ms);
                    self.send_session_accepted(
                        conn,
                        timeout_ms,
                        session_id,
                        client_sent_read_only,
                        out,
                    );
                }
            }
            Origin::SessionOp { conn } => self.send_session_op_response(conn, session_id, out),
            Origin::Expiry => {
                if let Some(&conn) = self.session_connections.get(&session_id) {
                    self.close_connection(conn, out);
                }
            }
            Origin::Container => {
                if result.err == 0 {
                    self.counters.containers_deleted += 1;
                }
            }
        }
    }

    /// Runs `session_id`'s waiting requests from the head of its queue
    /// until one still waits (a txn, or a sync whose txn is pending).
    fn run_ready_requests(&mut self, session_id: i64, out: &mut Outbox) {
        while let Some(request) = self
            .pipeline
            .pop_ready(session_id, self.last_processed_zxid)
        {
            let Some(op_code) = OpCode::from_i32(request.header.op_code) else {
                // Queued only after `process` accepted its op code.
                continue;
            };
            if !self.connections.contains_key(&request.conn) {
                continue;
            }
            self.process_read_frame(
                request.conn,
                session_id,
                &request.header,
                op_code,
                &request.body,
                out,
            );
        }
    }
}
