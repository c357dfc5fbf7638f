//! The network shell: the engine's per-core [`Service`] that turns client
//! bytes into calls on the ZooKeeper state machine and its output back
//! into bytes.
//!
//! ```text
//!  core k (one thread, one ring)                 shared
//!  ───────────────────────────────               ─────────────────────────────
//!  on_recv: bytes -> ConnectionDecoder           Mutex<Locked>
//!  on_turn_end:                                    ZkServer (tree, sessions, watches)
//!    lock ───────────────────────────────────────► remote[k]: frames other cores
//!      1. take remote[k] (events for our conns)      produced for k's connections
//!      2. every ready conn: handshake/request
//!         -> ZkServer -> Outbox
//!      3. frames for other cores -> remote[j]
//!    unlock
//!    send 1 then 2 in order; wake cores j
//! ```
//!
//! Ordering, by construction: a watch event is appended to its
//! connection's queue (here or in `remote[j]`) while the lock is held by
//! the write that fired it; a core reads the tree only under the same
//! lock, after it took `remote[k]`, so an event always precedes any reply
//! that shows its change. Requests of one connection are handled in
//! arrival order within a turn and across turns (per-session FIFO); writes
//! are applied one at a time under the lock (one zxid order).

mod conn;
pub mod core;
mod facts;

use std::collections::HashMap;
use std::hash::{BuildHasherDefault, Hasher};
use std::net::IpAddr;
use std::ops::Range;
use std::sync::atomic::{AtomicBool, AtomicU64, Ordering};
use std::sync::{Arc, Mutex, MutexGuard};
use std::time::{Instant, SystemTime, UNIX_EPOCH};

use ringkeeper_engine::{CoreContext, ServiceFactory};
use ringkeeper_txnlog::LogThread;
use ringkeeper_zk::{ConnKey, ZkServer};

use crate::config::ServerConfig;
use crate::durable::Durability;
pub use conn::Conn;
pub use core::CoreService;

/// Frames (and closes) that other cores produced for one core's
/// connections, in order: one byte buffer for all frames, so handing a
/// reply across cores allocates nothing once the buffer has grown.
#[derive(Debug, Default)]
pub struct RemoteQueue {
    bytes: Vec<u8>,
    items: Vec<RemoteItem>,
}

#[derive(Debug)]
pub enum RemoteItem {
    Frame(ConnKey, Range<usize>),
    Close(ConnKey),
}

impl RemoteQueue {
    pub fn push_frame(&mut self, conn: ConnKey, frame: &[u8]) {
        let start = self.bytes.len();
        self.bytes.extend_from_slice(frame);
        self.items
            .push(RemoteItem::Frame(conn, start..self.bytes.len()));
    }

    pub fn push_close(&mut self, conn: ConnKey) {
        self.items.push(RemoteItem::Close(conn));
    }

    pub fn is_empty(&self) -> bool {
        self.items.is_empty()
    }

    /// The queued frames and closes, in order, each frame as its bytes.
    pub fn items(&self) -> impl Iterator<Item = (&RemoteItem, &[u8])> {
        self.items.iter().map(|item| match item {
            RemoteItem::Frame(_, range) => (item, &self.bytes[range.clone()]),
            RemoteItem::Close(_) => (item, &[][..]),
        })
    }

    pub fn clear(&mut self) {
        self.bytes.clear();
        self.items.clear();
    }
}

/// What every core shares, behind one lock: the state machine and the
/// queues of output bound for each core's connections.
pub struct Locked {
    pub zk: ZkServer,
    pub remote: Vec<RemoteQueue>,
    /// The txn log every prepped txn is appended to, in zxid order (the
    /// lock is what orders appends from different cores). None only in
    /// tests that run the state machine without durability.
    pub log: Option<LogThread>,
    /// Txns appended since the last snapshot was started.
    pub txns_since_snapshot: u64,
}

/// One core's connections by key. Keys are engine connection ids (core,
/// slot, generation), already well spread, so one multiply hashes them.
pub type ConnTable = HashMap<ConnKey, Conn, BuildHasherDefault<ConnKeyHasher>>;

#[derive(Debug, Default, Clone, Copy)]
pub struct ConnKeyHasher(u64);

impl Hasher for ConnKeyHasher {
    fn write(&mut self, bytes: &[u8]) {
        for &b in bytes {
            self.0 = (self.0.rotate_left(8) ^ u64::from(b)).wrapping_mul(0x9e37_79b9_7f4a_7c15);
        }
    }

    fn write_u64(&mut self, n: u64) {
        self.0 = (n ^ (n >> 29)).wrapping_mul(0x9e37_79b9_7f4a_7c15);
    }

    fn finish(&self) -> u64 {
        self.0 ^ (self.0 >> 32)
    }
}

/// Server-wide counters for the four-letter words that only the shell
/// sees; packet counts are the state machine's (`ZkServer::counters`).
#[derive(Debug, Default)]
pub struct Counters {
    pub bytes_received: AtomicU64,
    pub connection_rejected: AtomicU64,
    pub large_requests_rejected: AtomicU64,
    pub unsuccessful_handshake: AtomicU64,
}

impl Counters {
    pub fn add(counter: &AtomicU64, n: u64) {
        counter.fetch_add(n, Ordering::Relaxed);
    }

    pub fn reset(&self) {
        for c in [
            &self.bytes_received,
            &self.connection_rejected,
            &self.large_requests_rejected,
            &self.unsuccessful_handshake,
        ] {
            c.store(0, Ordering::Relaxed);
        }
    }
}

/// Shared by every core for the life of the server.
pub struct Shared {
    pub locked: Mutex<Locked>,
    /// Each core's connections, locked by their core every turn and by a
    /// four-letter word that lists connections (`cons`, `stat`, `dump`).
    pub tables: Vec<Mutex<ConnTable>>,
    /// Open connections per client address, for maxClientCnxns.
    pub per_ip: Mutex<HashMap<IpAddr, u32>>,
    pub config: ServerConfig,
    pub durability: Arc<Durability>,
    /// A background snapshot is being written.
    pub snapshot_running: AtomicBool,
    pub counters: Counters,
    pub started: Instant,
    pub started_unix_ms: u64,
}

impl Shared {
    pub fn new(
        config: ServerConfig,
        cores: usize,
        zk: ZkServer,
        log: Option<LogThread>,
        durability: Arc<Durability>,
        started_unix_ms: u64,
    ) -> Arc<Shared> {
        Arc::new(Shared {
            locked: Mutex::new(Locked {
                zk,
                remote: (0..cores).map(|_| RemoteQueue::default()).collect(),
                log,
                txns_since_snapshot: 0,
            }),
            tables: (0..cores)
                .map(|_| Mutex::new(ConnTable::default()))
                .collect(),
            per_ip: Mutex::new(HashMap::new()),
            config,
            durability,
            snapshot_running: AtomicBool::new(false),
            counters: Counters::default(),
            started: Instant::now(),
            started_unix_ms,
        })
    }

    /// The state machine lock. A panic while holding it aborts the process
    /// (release profile), so a poisoned lock is never observed there; in
    /// tests the state is still used as-is.
    pub fn lock(&self) -> MutexGuard<'_, Locked> {
        self.locked.lock().unwrap_or_else(|p| p.into_inner())
    }

    pub fn table(&self, core: usize) -> MutexGuard<'_, ConnTable> {
        self.tables[core].lock().unwrap_or_else(|p| p.into_inner())
    }

    /// Wall-clock milliseconds, derived from the monotonic clock the
    /// engine hands out so time never runs backwards.
    pub fn unix_ms_at(&self, now: Instant) -> u64 {
        self.started_unix_ms + now.saturating_duration_since(self.started).as_millis() as u64
    }
}

pub fn unix_ms_now() -> u64 {
    SystemTime::now()
        .duration_since(UNIX_EPOCH)
        .map_or(0, |d| d.as_millis() as u64)
}

/// Builds one [`CoreService`] per engine core.
pub struct ZkServiceFactory {
    pub shared: Arc<Shared>,
}

impl ServiceFactory for ZkServiceFactory {
    type Service = CoreService;

    fn build(&self, core: &CoreContext<core::Mail>) -> CoreService {
        CoreService::new(self.shared.clone(), core.core_index)
    }
}
