//! The bookkeeping of the deferred (durable) write path: ZooKeeper's
//! `SyncRequestProcessor` queue and `CommitProcessor` per-session queues,
//! as plain data. [`Pipeline`] holds
//!
//! - the txns prepped but not yet committed, in zxid order, each with what
//!   its commit must answer ([`Origin`]);
//! - their encoded bytes, until the caller takes them for the log;
//! - per session, the requests that wait behind the session's own txns
//!   ([`Queued`]): a session with a txn in flight answers nothing out of
//!   order, so its later requests (reads, pings, watch requests) wait;
//! - syncs waiting for every txn prepped before them (ZooKeeper's
//!   `Leader.processSync`: a sync is answered once the last proposed txn
//!   is committed);
//! - the sessions whose createSession is not yet durable (they are not
//!   written into snapshots).
//!
//! It decides nothing about ZooKeeper semantics: `deferred.rs` drives it.

use std::collections::{HashMap, HashSet, VecDeque};

use ringkeeper_jute::{OpCode, RequestHeader};

use crate::outbox::ConnKey;
use crate::txn::Txn;

/// Requests (txns and waiting requests together) one session may have
/// queued in the deferred path. A session past it has its connection
/// closed (the session survives; the client reconnects): ZooKeeper has no
/// such bound, but a client that pipelines this much behind a pending
/// fsync is misbehaving, and the queue must not grow without bound.
pub const SESSION_QUEUED_REQUESTS_MAX: usize = 10_000;

/// Emptied session queues kept for reuse: a session's queue lives only
/// while its write is in flight, and allocating and freeing it per write
/// showed in profiles. Past this many the emptied queue is freed.
pub const SPARE_SESSION_QUEUES_MAX: usize = 1_024;
/// An emptied queue that grew beyond this many entries is freed rather
/// than kept (spares stay small).
pub const SPARE_SESSION_QUEUE_CAPACITY_MAX: usize = 64;

/// When a write's txn reaches the tree, and so when its client hears back.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub enum ApplyMode {
    /// prep, apply and reply inside the call that brought the request (no
    /// txn log: what tests and the differential runs use).
    #[default]
    Immediate,
    /// prep at once; the txn waits for the log to make it durable
    /// ([`crate::ZkServer::take_prepped`], then
    /// [`crate::ZkServer::commit_through`] applies it and replies).
    Deferred,
}

/// What the commit of a txn owes, besides applying it.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Origin {
    /// A client's write (closeSession included): the reply
    /// `FinalRequestProcessor` builds; after a closeSession the
    /// connection closes.
    Reply {
        conn: ConnKey,
        xid: i32,
        op_code: OpCode,
    },
    /// A handshake's createSession: the ConnectResponse.
    Handshake {
        conn: ConnKey,
        timeout_ms: i32,
        client_sent_read_only: bool,
    },
    /// A createSession op sent after the handshake: a ConnectResponse too.
    SessionOp { conn: ConnKey },
    /// The server closed the session (expiry): its connection closes, no
    /// reply.
    Expiry,
    /// The container manager's delete: counted when it succeeds.
    Container,
}

impl Origin {
    /// Whether the txn stands in its session's queue (a client waits for it).
    pub(crate) fn is_queued(self) -> bool {
        matches!(
            self,
            Origin::Reply { .. } | Origin::Handshake { .. } | Origin::SessionOp { .. }
        )
    }
}

#[derive(Debug)]
pub(crate) struct PendingTxn {
    pub txn: Txn,
    pub origin: Origin,
}

/// One entry of a session's queue.
#[derive(Debug)]
pub(crate) enum Queued {
    /// The session's txn with this zxid: answered by its commit.
    Txn { zxid: i64 },
    /// A request that runs once everything ahead of it is answered and
    /// the txn `after_zxid` is applied.
    Request(WaitingRequest),
}

#[derive(Debug)]
pub(crate) struct WaitingRequest {
    pub conn: ConnKey,
    pub header: RequestHeader,
    pub body: Vec<u8>,
    pub after_zxid: i64,
}

#[derive(Debug)]
pub(crate) struct Pipeline {
    pub mode: ApplyMode,
    /// Prepped, not committed, in zxid order.
    pending: VecDeque<PendingTxn>,
    /// Encoded txns not yet taken for the log, in zxid order.
    prepped: Vec<(i64, Vec<u8>)>,
    /// Where each txn is encoded before it is copied out at its exact
    /// size: encoding straight into a fresh vector grew it several times.
    encode_scratch: Vec<u8>,
    /// The last zxid handed to the log: nothing after it may commit.
    taken_through_zxid: i64,
    /// Per session, its non-empty queue (an emptied one leaves the map).
    queues: HashMap<i64, VecDeque<Queued>>,
    /// Emptied queues, their capacity kept for the next session's.
    spare_queues: Vec<VecDeque<Queued>>,
    /// (zxid, session): a sync of `session` waits for `zxid` to apply.
    sync_wakeups: VecDeque<(i64, i64)>,
    uncommitted_sessions: HashSet<i64>,
}

impl Default for Pipeline {
    fn default() -> Self {
        Pipeline {
            mode: ApplyMode::Immediate,
            pending: VecDeque::new(),
            prepped: Vec::new(),
            encode_scratch: Vec::new(),
            taken_through_zxid: i64::MIN,
            queues: HashMap::new(),
            spare_queues: Vec::new(),
            sync_wakeups: VecDeque::new(),
            uncommitted_sessions: HashSet::new(),
        }
    }
}

impl Pipeline {
    /// A prepped txn enters the pipeline: its bytes wait to be taken, and
    /// a client's txn takes its place in its session's queue.
    pub fn push_txn(&mut self, txn: Txn, origin: Origin) {
        let zxid = txn.zxid();
        if let Some(last) = self.pending.back() {
            assert!(
                last.txn.zxid() < zxid,
                "txns enter the pipeline in zxid order"
            );
        }
        self.encode_scratch.clear();
        txn.encode(&mut self.encode_scratch);
        self.prepped.push((zxid, self.encode_scratch.to_vec()));
        if origin.is_queued() {
            self.queue_of(txn.session_id())
                .push_back(Queued::Txn { zxid });
        }
        if matches!(origin, Origin::Handshake { .. }) {
            self.uncommitted_sessions.insert(txn.session_id());
        }
        self.pending.push_back(PendingTxn { txn, origin });
    }

    /// Hands the untaken txns to the log, in zxid order.
    pub fn take_prepped(&mut self, out: &mut Vec<(i64, Vec<u8>)>) {
        if let Some(&(zxid, _)) = self.prepped.last() {
            self.taken_through_zxid = zxid;
        }
        out.append(&mut self.prepped);
    }

    /// The oldest pending txn, if it is at or before `zxid` and was taken
    /// for the log (a txn the log never saw cannot be durable).
    pub fn pop_committable(&mut self, zxid: i64) -> Option<PendingTxn> {
        let through = zxid.min(self.taken_through_zxid);
        if self.pending.front()?.txn.zxid() > through {
            return None;
        }
        self.pending.pop_front()
    }

    pub fn pending_through(&self) -> Option<i64> {
        self.pending.back().map(|pending| pending.txn.zxid())
    }

    /// Entries waiting in `session_id`'s queue.
    pub fn queued(&self, session_id: i64) -> usize {
        self.queues.get(&session_id).map_or(0, VecDeque::len)
    }

    /// A request of `session_id` must wait: behind its session's queue,
    /// and a sync also behind `sync_after_zxid` (the last txn prepped).
    pub fn queue_request(&mut self, session_id: i64, request: WaitingRequest, is_sync: bool) {
        if is_sync {
            self.sync_wakeups
                .push_back((request.after_zxid, session_id));
        }
        self.queue_of(session_id)
            .push_back(Queued::Request(request));
    }

    /// `session_id`'s queue, a spare one when it has none.
    fn queue_of(&mut self, session_id: i64) -> &mut VecDeque<Queued> {
        let spare_queues = &mut self.spare_queues;
        self.queues
            .entry(session_id)
            .or_insert_with(|| spare_queues.pop().unwrap_or_default())
    }

    /// Takes `session_id`'s emptied queue out of the map, keeping it for
    /// reuse. Callers check emptiness on the queue they already hold, so
    /// a session whose queue still has entries costs no second lookup.
    fn release_emptied(&mut self, session_id: i64) {
        let Some(queue) = self.queues.remove(&session_id) else {
            return;
        };
        debug_assert!(queue.is_empty(), "only an emptied queue is released");
        if self.spare_queues.len() < SPARE_SESSION_QUEUES_MAX
            && queue.capacity() <= SPARE_SESSION_QUEUE_CAPACITY_MAX
        {
            self.spare_queues.push(queue);
        }
    }

    /// The session's txn `zxid` was answered: it leaves the queue. It is at
    /// the head unless a bug reordered things; found anywhere, it goes.
    pub fn txn_answered(&mut self, session_id: i64, zxid: i64) {
        let Some(queue) = self.queues.get_mut(&session_id) else {
            return;
        };
        let is_it = |entry: &Queued| matches!(entry, Queued::Txn { zxid: z } if *z == zxid);
        match queue.front() {
            Some(front) if is_it(front) => {
                queue.pop_front();
            }
            _ => {
                debug_assert!(
                    false,
                    "session {session_id:#x}: txn {zxid:#x} not at the head"
                );
                queue.retain(|entry| !is_it(entry));
            }
        }
        if queue.is_empty() {
            self.release_emptied(session_id);
        }
    }

    /// The session's createSession is durable and applied.
    pub fn session_committed(&mut self, session_id: i64) {
        self.uncommitted_sessions.remove(&session_id);
    }

    /// The head request of `session_id`'s queue, if nothing it waits for
    /// is still pending (`applied_zxid`: the last txn applied).
    pub fn pop_ready(&mut self, session_id: i64, applied_zxid: i64) -> Option<WaitingRequest> {
        let queue = self.queues.get_mut(&session_id)?;
        let ready = matches!(
            queue.front(),
            Some(Queued::Request(request)) if request.after_zxid <= applied_zxid
        );
        let request = if ready {
            match queue.pop_front() {
                Some(Queued::Request(request)) => Some(request),
                _ => None,
            }
        } else {
            None
        };
        if queue.is_empty() {
            self.release_emptied(session_id);
        }
        request
    }

    /// Sessions whose waiting syncs may now run.
    pub fn due_syncs(&mut self, applied_zxid: i64, out: &mut Vec<i64>) {
        while let Some(&(zxid, session_id)) = self.sync_wakeups.front() {
            if zxid > applied_zxid {
                break;
            }
            self.sync_wakeups.pop_front();
            out.push(session_id);
        }
    }

    /// `conn` is gone: its waiting requests will never be answered (and
    /// must not run: a read would set watches for a dead connection).
    pub fn connection_closed(&mut self, session_id: i64, conn: ConnKey) {
        let Some(queue) = self.queues.get_mut(&session_id) else {
            return;
        };
        queue.retain(|entry| !matches!(entry, Queued::Request(request) if request.conn == conn));
        if queue.is_empty() {
            self.release_emptied(session_id);
        }
    }

    /// Whether `session_id`'s createSession is prepped but not committed.
    pub fn is_uncommitted_session(&self, session_id: i64) -> bool {
        self.uncommitted_sessions.contains(&session_id)
    }

    /// Recovery starts after `zxid`: only later txns can be taken.
    pub fn restored_at(&mut self, zxid: i64) {
        self.taken_through_zxid = zxid;
    }
}

#[cfg(test)]
mod tests {
    use ringkeeper_jute::{CreateSessionTxn, DeleteTxn, TxnHeader};

    use super::*;
    use crate::txn::TxnRecord;

    fn txn(zxid: i64, session_id: i64, op_code: OpCode) -> Txn {
        let record = match op_code {
            OpCode::CreateSession => TxnRecord::CreateSession(CreateSessionTxn { time_out: 4_000 }),
            _ => TxnRecord::Delete(DeleteTxn { path: "/a".into() }),
        };
        Txn {
            header: TxnHeader {
                client_id: session_id,
                cxid: 1,
                zxid,
                time: 0,
                txn_type: op_code.as_i32(),
            },
            record,
        }
    }

    fn reply(conn: ConnKey) -> Origin {
        Origin::Reply {
            conn,
            xid: 1,
            op_code: OpCode::Delete,
        }
    }

    fn waiting(conn: ConnKey, after_zxid: i64) -> WaitingRequest {
        WaitingRequest {
            conn,
            header: RequestHeader {
                xid: 2,
                op_code: OpCode::GetData.as_i32(),
            },
            body: Vec::new(),
            after_zxid,
        }
    }

    #[test]
    fn nothing_commits_before_the_log_has_taken_it() {
        let mut pipeline = Pipeline::default();
        pipeline.push_txn(txn(1, 7, OpCode::Delete), reply(1));
        pipeline.push_txn(txn(2, 7, OpCode::Delete), reply(1));
        assert!(pipeline.pop_committable(2).is_none(), "not taken yet");
        let mut taken = Vec::new();
        pipeline.take_prepped(&mut taken);
        assert_eq!(taken.iter().map(|(z, _)| *z).collect::<Vec<_>>(), [1, 2]);
        assert_eq!(Txn::decode(&taken[0].1), Ok(txn(1, 7, OpCode::Delete)));
        pipeline.push_txn(txn(3, 8, OpCode::Delete), Origin::Expiry);
        assert_eq!(pipeline.pending_through(), Some(3));
        assert_eq!(pipeline.pop_committable(9).map(|p| p.txn.zxid()), Some(1));
        assert_eq!(pipeline.pop_committable(9).map(|p| p.txn.zxid()), Some(2));
        assert!(pipeline.pop_committable(9).is_none(), "3 is not taken");
    }

    #[test]
    fn a_waiting_request_runs_only_after_the_txns_ahead_of_it() {
        let mut pipeline = Pipeline::default();
        pipeline.push_txn(txn(1, 7, OpCode::Delete), reply(1));
        pipeline.queue_request(7, waiting(1, 1), false);
        assert_eq!(pipeline.queued(7), 2);
        assert!(pipeline.pop_ready(7, 1).is_none(), "the txn is still ahead");
        pipeline.txn_answered(7, 1);
        assert_eq!(pipeline.pop_ready(7, 1).map(|r| r.header.xid), Some(2));
        assert_eq!(pipeline.queued(7), 0);
    }

    #[test]
    fn an_emptied_session_queue_leaves_the_map_and_serves_the_next_write() {
        let mut pipeline = Pipeline::default();
        pipeline.push_txn(txn(1, 7, OpCode::Delete), reply(1));
        pipeline.txn_answered(7, 1);
        assert_eq!(pipeline.queued(7), 0);
        assert!(pipeline.queues.is_empty());
        assert_eq!(pipeline.spare_queues.len(), 1, "kept for reuse");
        pipeline.push_txn(txn(2, 8, OpCode::Delete), reply(2));
        assert_eq!(pipeline.spare_queues.len(), 0, "session 8 took it");
        assert_eq!(pipeline.queued(8), 1);
    }

    #[test]
    fn a_sync_waits_for_the_txn_it_names_and_is_woken_by_it() {
        let mut pipeline = Pipeline::default();
        pipeline.push_txn(txn(1, 8, OpCode::Delete), reply(2));
        pipeline.queue_request(7, waiting(1, 1), true);
        assert!(pipeline.pop_ready(7, 0).is_none());
        let mut due = Vec::new();
        pipeline.due_syncs(0, &mut due);
        assert!(due.is_empty());
        pipeline.due_syncs(1, &mut due);
        assert_eq!(due, [7]);
        assert!(pipeline.pop_ready(7, 1).is_some());
    }

    #[test]
    fn a_closed_connection_loses_its_waiting_requests_but_not_its_txns() {
        let mut pipeline = Pipeline::default();
        pipeline.push_txn(
            txn(1, 7, OpCode::CreateSession),
            Origin::Handshake {
                conn: 1,
                timeout_ms: 4_000,
                client_sent_read_only: false,
            },
        );
        assert!(pipeline.is_uncommitted_session(7));
        pipeline.queue_request(7, waiting(1, 1), false);
        pipeline.connection_closed(7, 1);
        assert_eq!(pipeline.queued(7), 1, "the createSession stays");
        pipeline.txn_answered(7, 1);
        pipeline.session_committed(7);
        assert!(!pipeline.is_uncommitted_session(7));
        assert_eq!(pipeline.queued(7), 0);
    }
}
