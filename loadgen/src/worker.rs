//! One worker thread: an io_uring and its share of the sessions.
//!
//! Each loop turn: advance the phase, do timed upkeep (paced connects,
//! pings, timeouts), schedule open-loop ops, hand every queued send to the
//! ring, then one `submit_and_wait` and a pass over the completions. A
//! session has at most one connect, one send and one recv in flight, so
//! the completion queue (sized 3 x sessions) can never overflow.
//!
//! Receives are multishot, into the worker's provided-buffer ring: one
//! armed recv per connection serves every reply, and its bytes are copied
//! into the session's reassembly buffer and the ring buffer recycled at
//! once. Send buffers stay put until their completion arrives, and a
//! dropped connection is `shutdown()` and its fd closed only once its
//! last ring op has completed (`SessionState::Draining`).

mod connection;
mod reply;
mod ring;

use crate::ack_log::{AckLog, AckLogFile};
use crate::session::{OpTarget, Session, SessionState};
use crate::stats::{new_histogram, Interval, Stats};
use crate::workload::Rng;
use crate::LoadConfig;
use io_uring::IoUring;
use ringkeeper_engine::BufferRing;
use std::collections::VecDeque;
use std::io;
use std::sync::atomic::{AtomicBool, AtomicU32, AtomicU64, Ordering};
use std::sync::mpsc::Sender;
use std::sync::Arc;
use std::time::Instant;

/// Sessions one worker may own: keeps 3 ring ops per session within the
/// kernel's completion-queue maximum (65,536 entries).
pub const SESSIONS_PER_WORKER_MAX: u32 = 20_000;
/// Tries to establish a session before it is counted as failed.
pub const CONNECT_ATTEMPTS_MAX: u32 = 5;
/// Open-loop ops waiting for a free session, at most; beyond it ops are
/// dropped and counted (`backlog_dropped`).
pub const BACKLOG_MAX: usize = 1_000_000;
const SUBMISSION_QUEUE_ENTRIES: u32 = 4096;
/// Provided receive buffers per worker, and their size: replies of the
/// default workload are ~200 bytes; larger frames span several buffers.
const RECV_BUFFERS: u16 = 4096;
const RECV_BUFFER_BYTES: usize = 4096;
const RECV_BUFFER_GROUP: u16 = 0;
const UPKEEP_INTERVAL_NS: u64 = 10_000_000;
/// Each upkeep visits this fraction of the sessions, so each session is
/// looked at once every `UPKEEP_SLICES * UPKEEP_INTERVAL_NS` (1 s): soon
/// enough for pings due at a third of even a 4 s session timeout, and
/// cheap: a session visit is a cache miss, and visiting 10,000 sessions
/// every 10 ms cost several us per op.
const UPKEEP_SLICES: usize = 100;
const INTERVAL_NS: u64 = 1_000_000_000;
const RECONNECT_BACKOFF_NS: u64 = 100_000_000;
/// After the measured phase: time for cleanup deletes and closeSession.
const DRAIN_TIMEOUT_NS: u64 = 10_000_000_000;
const CLOSE_TIMEOUT_NS: u64 = 5_000_000_000;
const REPLY_HEADER_BYTES: usize = 16;
/// Batched waits: once the first completion is in, wait at most this
/// share of the recent mean latency for more (so the wait can bias a
/// latency by at most 1%), and never longer than `BATCH_WAIT_MAX_NS`.
const BATCH_WAIT_LATENCY_DIVISOR: u64 = 100;
const BATCH_WAIT_MAX_NS: u64 = 50_000;
/// Completions a batched wait asks for: this share of the ops in flight.
const BATCH_WANT_DIVISOR: usize = 8;
const BATCH_WANT_MAX: usize = 1024;

const TAG_CONNECT: u64 = 1;
const TAG_SEND: u64 = 2;
const TAG_RECV: u64 = 3;

/// What every worker shares with the main thread.
pub struct Shared {
    pub config: LoadConfig,
    pub epoch: Instant,
    /// Key `i` is `{key_prefix}{i}`, for `i` in `0..keys`.
    pub key_prefix: String,
    pub keys: u32,
    pub dir_path: String,
    pub sequence_prefix: String,
    pub value: Vec<u8>,
    /// Sessions established right now, all workers.
    pub sessions_ready: AtomicU64,
    /// Workers done establishing their sessions.
    pub workers_connected: AtomicU32,
    /// When load starts, ns since `epoch`; 0 until the main thread decides.
    pub load_start_ns: AtomicU64,
    /// The main thread gave up: close everything.
    pub abort: AtomicBool,
    /// `--ack-log`: where acknowledged writes go.
    pub ack_log: Option<Arc<AckLogFile>>,
}

impl Shared {
    pub fn now_ns(&self) -> u64 {
        self.epoch.elapsed().as_nanos() as u64
    }
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Phase {
    Connecting,
    AwaitingStart,
    Load,
    Drain { deadline_ns: u64 },
    Close { deadline_ns: u64 },
    Done,
}

pub struct Worker {
    shared: Arc<Shared>,
    // Field order matters: the ring drops (and releases the buffer ring's
    // registration) before the buffer ring is unmapped.
    ring: IoUring,
    recv_ring: BufferRing,
    sessions: Vec<Session>,
    /// One address per server; the kernel reads these during connects.
    addresses: Box<[libc::sockaddr_in]>,
    stats: Stats,
    interval: Interval,
    intervals: Sender<Interval>,
    rng: Rng,
    phase: Phase,
    connect_deadline_ns: u64,
    measure_start_ns: u64,
    measure_end_ns: u64,
    /// Sessions with queued bytes to hand to the ring this turn.
    dirty: Vec<u32>,
    is_dirty: Vec<bool>,
    /// Open loop: one token per free op slot, and ops due with no free slot.
    free_slots: Vec<u32>,
    backlog: VecDeque<u64>,
    open_loop_interval_ns: Option<u64>,
    next_intended_ns: u64,
    completions: Vec<(u64, i32, u32)>,
    /// Scratch for received bytes while no partial frame waits in the
    /// session: replies are parsed here, in cache, and only a trailing
    /// partial frame is copied to the session.
    received: Vec<u8>,
    next_upkeep_ns: u64,
    /// Next session due for its first, paced connect.
    connect_cursor: usize,
    /// Next session the rolling upkeep looks at.
    upkeep_cursor: usize,
    /// Phase conditions that need a scan of every session are checked at
    /// most once per upkeep interval.
    next_phase_scan_ns: u64,
    /// The kernel can end a wait early once any completion is in
    /// (IORING_FEAT_MIN_TIMEOUT, Linux 6.12+): batched waits are possible.
    min_wait_supported: bool,
    /// Running mean of measured latencies (1/64 weight per op), ns.
    latency_mean_ns: u64,
    /// Ops in flight across all sessions.
    ops_in_flight: usize,
    /// `--ack-log`: this worker's writes in flight and unwritten lines.
    ack_log: Option<AckLog>,
}

impl Worker {
    /// `session_servers` gives each of this worker's sessions its server;
    /// `first_connect_ns`/`connect_gap_ns` pace the first connects.
    pub fn new(
        shared: Arc<Shared>,
        worker_index: u32,
        session_servers: Vec<usize>,
        connect_gap_ns: u64,
        intervals: Sender<Interval>,
    ) -> io::Result<Worker> {
        let session_count = session_servers.len() as u32;
        assert!(session_count <= SESSIONS_PER_WORKER_MAX);
        let completion_entries = (3 * session_count + 64)
            .next_power_of_two()
            .max(2 * SUBMISSION_QUEUE_ENTRIES);
        // Completion work runs only when this thread enters the ring to wait
        // (batched, no task_work interrupting the loop): the ring must be
        // built and used on the worker's own thread.
        let ring = IoUring::builder()
            .setup_cqsize(completion_entries)
            .setup_single_issuer()
            .setup_defer_taskrun()
            .build(SUBMISSION_QUEUE_ENTRIES)
            .map_err(|error| {
                io::Error::new(
                    error.kind(),
                    format!("creating an io_uring with DEFER_TASKRUN (Linux 6.1+): {error}"),
                )
            })?;
        // SAFETY: `Worker` declares `ring` before `recv_ring`, so the ring drops first.
        let recv_ring = unsafe {
            BufferRing::register(
                &ring.submitter(),
                RECV_BUFFERS,
                RECV_BUFFER_BYTES,
                RECV_BUFFER_GROUP,
            )?
        };
        // Sockets are registered files (slot = session index): ring ops
        // skip the per-op fd lookup.
        ring.submitter()
            .register_files_sparse(session_count.max(1))
            .map_err(|error| {
                io::Error::new(
                    error.kind(),
                    format!("registering files (Linux 5.19+): {error}"),
                )
            })?;
        let now_ns = shared.now_ns();
        let sessions = session_servers
            .into_iter()
            .enumerate()
            .map(|(i, server)| Session::new(server, now_ns + i as u64 * connect_gap_ns))
            .collect::<Vec<_>>();
        let addresses = shared
            .config
            .servers
            .iter()
            .map(connection::sockaddr_in)
            .collect();
        let open_loop_interval_ns = shared.config.rate_ops_per_s.map(|rate| {
            let per_worker = rate / shared.config.threads as f64;
            (1e9 / per_worker).max(1.0) as u64
        });
        let connect_deadline_ns = now_ns + shared.config.connect_timeout.as_nanos() as u64;
        let min_wait_supported = ring.params().is_feature_min_timeout();
        let ack_log = shared
            .ack_log
            .clone()
            .map(|file| AckLog::new(file, sessions.len()));
        Ok(Worker {
            is_dirty: vec![false; sessions.len()],
            sessions,
            addresses,
            ring,
            recv_ring,
            stats: Stats::default(),
            interval: Interval {
                start_ns: 0,
                end_ns: 0,
                ops: 0,
                latency_ns: new_histogram(),
            },
            intervals,
            rng: Rng::new(
                shared.config.seed
                    ^ (u64::from(worker_index) + 1).wrapping_mul(0x9E37_79B9_7F4A_7C15),
            ),
            phase: Phase::Connecting,
            connect_deadline_ns,
            measure_start_ns: u64::MAX,
            measure_end_ns: u64::MAX,
            dirty: Vec::new(),
            free_slots: Vec::new(),
            backlog: VecDeque::new(),
            open_loop_interval_ns,
            next_intended_ns: 0,
            completions: Vec::with_capacity(completion_entries as usize),
            received: Vec::with_capacity(RECV_BUFFER_BYTES),
            next_upkeep_ns: 0,
            connect_cursor: 0,
            upkeep_cursor: 0,
            next_phase_scan_ns: 0,
            min_wait_supported,
            latency_mean_ns: 0,
            ops_in_flight: 0,
            ack_log,
            shared,
        })
    }

    /// Runs every phase to the end and returns what was measured.
    pub fn run(mut self) -> io::Result<Stats> {
        loop {
            let now_ns = self.shared.now_ns();
            self.advance_phase(now_ns);
            if self.phase == Phase::Done {
                break;
            }
            if now_ns >= self.next_upkeep_ns {
                self.upkeep(now_ns);
                self.next_upkeep_ns = now_ns + UPKEEP_INTERVAL_NS;
                if let Some(log) = &mut self.ack_log {
                    log.flush_when_due(now_ns)?;
                }
            }
            if self.phase == Phase::Load && self.open_loop_interval_ns.is_some() {
                self.schedule_open_loop(now_ns);
            }
            self.flush_sends(now_ns);
            self.submit_and_wait(now_ns)?;
            self.reap();
        }
        if let Some(log) = &mut self.ack_log {
            log.flush()?;
        }
        Ok(self.stats)
    }

    // ----- phases -------------------------------------------------------

    fn advance_phase(&mut self, now_ns: u64) {
        let scan = now_ns >= self.next_phase_scan_ns;
        if scan {
            self.next_phase_scan_ns = now_ns + UPKEEP_INTERVAL_NS;
        }
        match self.phase {
            Phase::Connecting if scan => {
                let settled = self
                    .sessions
                    .iter()
                    .all(|s| matches!(s.state, SessionState::Ready | SessionState::Finished));
                if settled || now_ns >= self.connect_deadline_ns {
                    for index in 0..self.sessions.len() {
                        if !matches!(
                            self.sessions[index].state,
                            SessionState::Ready | SessionState::Finished
                        ) {
                            self.fail_session(
                                index,
                                "not established within --connect-timeout",
                                now_ns,
                            );
                        }
                    }
                    self.shared.workers_connected.fetch_add(1, Ordering::AcqRel);
                    self.phase = Phase::AwaitingStart;
                }
            }
            Phase::AwaitingStart => {
                if self.shared.abort.load(Ordering::Acquire) {
                    self.enter_drain(now_ns);
                    return;
                }
                let load_start_ns = self.shared.load_start_ns.load(Ordering::Acquire);
                if load_start_ns != 0 && now_ns >= load_start_ns {
                    self.enter_load(load_start_ns);
                }
            }
            Phase::Load => {
                if now_ns >= self.measure_end_ns {
                    self.flush_interval(now_ns);
                    self.enter_drain(now_ns);
                } else if now_ns >= self.interval.end_ns {
                    self.flush_interval(now_ns);
                    // Every session gave up (the server went away): the
                    // load is over. Checked once a second: a full scan.
                    if self
                        .sessions
                        .iter()
                        .all(|s| s.state == SessionState::Finished)
                    {
                        self.enter_drain(now_ns);
                    }
                }
            }
            Phase::Drain { deadline_ns } if scan => {
                let all_closing = self
                    .sessions
                    .iter()
                    .all(|s| !matches!(s.state, SessionState::Ready));
                if all_closing || now_ns >= deadline_ns {
                    for index in 0..self.sessions.len() {
                        if self.sessions[index].state == SessionState::Ready {
                            self.sessions[index].queue_close(now_ns);
                            self.mark_dirty(index);
                        }
                    }
                    self.phase = Phase::Close {
                        deadline_ns: now_ns + CLOSE_TIMEOUT_NS,
                    };
                }
            }
            Phase::Close { deadline_ns } if scan => {
                let all_finished = self
                    .sessions
                    .iter()
                    .all(|s| s.state == SessionState::Finished);
                if all_finished {
                    self.phase = Phase::Done;
                } else if now_ns >= deadline_ns {
                    for index in 0..self.sessions.len() {
                        if !matches!(
                            self.sessions[index].state,
                            SessionState::Finished | SessionState::Draining
                        ) {
                            self.drop_connection(index, "CLOSE_TIMEOUT", now_ns);
                        }
                    }
                    // Ops still in the ring after shutdown() complete at
                    // once; give them a moment, then stop regardless.
                    if now_ns >= deadline_ns + 2_000_000_000 {
                        self.phase = Phase::Done;
                    }
                }
            }
            Phase::Connecting | Phase::Drain { .. } | Phase::Close { .. } | Phase::Done => {}
        }
    }

    fn enter_load(&mut self, load_start_ns: u64) {
        let config = &self.shared.config;
        self.measure_start_ns = load_start_ns + config.warmup.as_nanos() as u64;
        self.measure_end_ns = self.measure_start_ns + config.duration.as_nanos() as u64;
        self.next_intended_ns = load_start_ns;
        self.interval.start_ns = load_start_ns;
        self.interval.end_ns = load_start_ns + INTERVAL_NS;
        self.phase = Phase::Load;
        for index in 0..self.sessions.len() {
            self.on_slots_free(index, load_start_ns);
        }
    }

    fn enter_drain(&mut self, now_ns: u64) {
        self.phase = Phase::Drain {
            deadline_ns: now_ns + DRAIN_TIMEOUT_NS,
        };
        for index in 0..self.sessions.len() {
            match self.sessions[index].state {
                SessionState::Ready => self.drain_step(index, now_ns),
                SessionState::Waiting => self.finish(index),
                SessionState::Connecting | SessionState::Handshaking => {
                    self.drop_connection(index, "", now_ns)
                }
                _ => {}
            }
        }
    }

    /// After the measured phase, a session with nothing in flight deletes
    /// one persistent node it created, or closes when none is left.
    fn drain_step(&mut self, index: usize, now_ns: u64) {
        let session = &mut self.sessions[index];
        if session.state != SessionState::Ready || !session.in_flight.is_empty() {
            return;
        }
        match session.created.iter().position(|(_, ephemeral)| !ephemeral) {
            Some(position) => {
                let (path, _) = session.created.swap_remove(position);
                let queued_before = session.queued.len();
                session.queue_cleanup_delete(&path, now_ns);
                if let Some(log) = &mut self.ack_log {
                    log.on_request(index, &session.queued[queued_before..]);
                }
            }
            None => session.queue_close(now_ns),
        }
        self.mark_dirty(index);
    }

    fn flush_interval(&mut self, now_ns: u64) {
        let next = Interval {
            start_ns: now_ns,
            end_ns: now_ns + INTERVAL_NS,
            ops: 0,
            latency_ns: new_histogram(),
        };
        let mut done = std::mem::replace(&mut self.interval, next);
        done.end_ns = now_ns;
        // The main thread may have stopped listening; that is fine.
        let _ = self.intervals.send(done);
    }

    // ----- ops ----------------------------------------------------------

    /// A session gained free op slots (just established, or a reply came).
    fn on_slots_free(&mut self, index: usize, now_ns: u64) {
        let outstanding = self.shared.config.outstanding;
        match self.phase {
            Phase::Load if self.open_loop_interval_ns.is_some() => {
                while self.sessions[index].has_free_slot(outstanding) {
                    match self.backlog.pop_front() {
                        Some(intended_ns) => self.issue(index, intended_ns),
                        None => {
                            let free = outstanding as usize - self.sessions[index].in_flight.len();
                            self.free_slots
                                .extend(std::iter::repeat_n(index as u32, free));
                            break;
                        }
                    }
                }
            }
            Phase::Load => {
                while self.sessions[index].has_free_slot(outstanding) {
                    self.issue(index, now_ns);
                }
            }
            Phase::Drain { .. } => self.drain_step(index, now_ns),
            _ => {}
        }
    }

    fn schedule_open_loop(&mut self, now_ns: u64) {
        let Some(gap_ns) = self.open_loop_interval_ns else {
            return;
        };
        let outstanding = self.shared.config.outstanding;
        while self.next_intended_ns <= now_ns && self.next_intended_ns < self.measure_end_ns {
            let intended_ns = self.next_intended_ns;
            self.next_intended_ns += gap_ns;
            let slot = loop {
                match self.free_slots.pop() {
                    Some(index) if self.sessions[index as usize].has_free_slot(outstanding) => {
                        break Some(index as usize)
                    }
                    Some(_) => continue,
                    None => break None,
                }
            };
            match slot {
                Some(index) => self.issue(index, intended_ns),
                None if self.backlog.len() < BACKLOG_MAX => self.backlog.push_back(intended_ns),
                None => self.stats.backlog_dropped += 1,
            }
        }
    }

    fn issue(&mut self, index: usize, start_ns: u64) {
        let shared = &*self.shared;
        let keys = u64::from(shared.keys);
        let kind = shared.config.mix.choose(self.rng.next_f64());
        // below(keys) < keys, a u32.
        let key = self.rng.below(keys) as u32;
        let other_key = self.rng.below(keys) as u32;
        let target = OpTarget {
            key_prefix: &shared.key_prefix,
            key,
            other_key,
            dir_path: &shared.dir_path,
            sequence_prefix: &shared.sequence_prefix,
            value: &shared.value,
            pick: self.rng.next_u64(),
        };
        let session = &mut self.sessions[index];
        let queued_before = session.queued.len();
        session.queue_op(kind, &target, start_ns);
        if let Some(log) = &mut self.ack_log {
            log.on_request(index, &session.queued[queued_before..]);
        }
        self.ops_in_flight += 1;
        self.mark_dirty(index);
    }

    fn mark_dirty(&mut self, index: usize) {
        if !self.is_dirty[index] {
            self.is_dirty[index] = true;
            self.dirty.push(index as u32);
        }
    }

    // ----- upkeep -------------------------------------------------------

    fn upkeep(&mut self, now_ns: u64) {
        let connecting_allowed = matches!(
            self.phase,
            Phase::Connecting | Phase::AwaitingStart | Phase::Load
        );
        let handshake_timeout_ns =
            u64::from(self.shared.config.session_timeout_ms.max(2000)) * 1_000_000;
        // First connects, in their paced order.
        while let Some(session) = self.sessions.get(self.connect_cursor) {
            if session.connect_due_ns > now_ns {
                break;
            }
            if connecting_allowed && session.state == SessionState::Waiting {
                self.start_connect(self.connect_cursor, now_ns);
            }
            self.connect_cursor += 1;
        }
        // Pings, timeouts and reconnects: a rolling slice of the sessions.
        let count = self.sessions.len();
        for _ in 0..count.div_ceil(UPKEEP_SLICES) {
            let index = self.upkeep_cursor;
            self.upkeep_cursor = (index + 1) % count;
            let session = &self.sessions[index];
            match session.state {
                SessionState::Waiting if connecting_allowed && session.connect_due_ns <= now_ns => {
                    self.start_connect(index, now_ns)
                }
                SessionState::Connecting | SessionState::Handshaking
                    if now_ns.saturating_sub(session.connect_started_ns) > handshake_timeout_ns =>
                {
                    self.stats.count_error("HANDSHAKE_TIMEOUT");
                    self.drop_connection(index, "", now_ns)
                }
                SessionState::Ready | SessionState::Closing => {
                    let timeout_ns = u64::from(session.negotiated_timeout_ms) * 1_000_000;
                    let silent_ns = now_ns.saturating_sub(session.last_recv_ns);
                    if !session.in_flight.is_empty() && silent_ns > timeout_ns * 2 / 3 {
                        // As ZooKeeper clients do: no answer within the
                        // read timeout means the connection is lost.
                        self.drop_connection(index, "READ_TIMEOUT", now_ns);
                    } else if session.state == SessionState::Ready
                        && now_ns.saturating_sub(session.last_send_ns) >= timeout_ns / 3
                    {
                        self.sessions[index].queue_ping();
                        self.mark_dirty(index);
                    }
                }
                _ => {}
            }
        }
    }
}

/// A completion's user data: the session index and what the op was.
fn user_data(index: usize, tag: u64) -> u64 {
    ((index as u64) << 8) | tag
}
