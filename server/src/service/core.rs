//! One core's service: its connections, its turn of work under the state
//! lock, and the delivery of what the state machine produced.

use std::net::SocketAddr;
use std::sync::atomic::Ordering;
use std::sync::Arc;

use ringkeeper_engine::{CloseReason, ConnId, Io, SendError, Service};
use ringkeeper_zk::{ConnKey, ConnectOutcome, Outbox};

use super::conn::Conn;
use super::{Counters, Locked, RemoteItem, Shared};
use crate::protocol::{Inbound, ProtocolError};

/// Reply bytes waiting on one connection beyond which it is no longer
/// read from, until they drain below [`SEND_QUEUE_RESUME_BYTES`].
pub const SEND_QUEUE_PAUSE_BYTES: usize = 1 << 20;
pub const SEND_QUEUE_RESUME_BYTES: usize = 256 << 10;

/// Wake-ups between cores: output for our connections waits in `remote`.
#[derive(Debug, Clone, Copy)]
pub enum Mail {
    RemoteOutput,
    /// More requests are buffered than one turn may handle.
    MoreWork,
    /// The txn log made more txns durable (sent to core 0): commit them.
    Durable,
}

pub struct CoreService {
    shared: Arc<Shared>,
    core: usize,
    /// Connections with undecoded input, in the order they became ready.
    ready: Vec<ConnKey>,
    /// `ready`'s other buffer: a turn works through one while the leftover
    /// and the next receives fill the other, so neither is reallocated.
    ready_spare: Vec<ConnKey>,
    /// Connections paused for backpressure.
    paused: Vec<ConnKey>,
    remote_pending: bool,
    commit_pending: bool,
    /// Txns prepped this turn, on their way to the log.
    prepped: Vec<(i64, Vec<u8>)>,
    outbox: Outbox,
    /// Connections to close once this turn's output is queued.
    closes: Vec<ConnKey>,
    /// Connections whose queued reply bytes passed the pause threshold.
    to_pause: Vec<ConnKey>,
    wake: Vec<bool>,
}

impl CoreService {
    pub fn new(shared: Arc<Shared>, core: usize) -> CoreService {
        let cores = shared.tables.len();
        CoreService {
            shared,
            core,
            ready: Vec::new(),
            ready_spare: Vec::new(),
            paused: Vec::new(),
            remote_pending: false,
            commit_pending: false,
            prepped: Vec::new(),
            outbox: Outbox::new(),
            closes: Vec::new(),
            to_pause: Vec::new(),
            wake: vec![false; cores],
        }
    }

    fn release_ip(&self, peer: SocketAddr) {
        let mut per_ip = self.shared.per_ip.lock().unwrap_or_else(|p| p.into_inner());
        if let Some(n) = per_ip.get_mut(&peer.ip()) {
            *n -= 1;
            if *n == 0 {
                per_ip.remove(&peer.ip());
            }
        }
    }

    /// Cuts every ready connection's input into handshakes and requests and
    /// hands them to the state machine. Returns whether input remains
    /// because the turn's request budget ran out.
    fn process_ready(&mut self, locked: &mut Locked, io: &mut Io<'_, Mail>, now_ms: u64) -> bool {
        let budget_max = self.shared.config.global_outstanding_limit.max(1) as usize;
        let mut handled = 0usize;
        let shared = self.shared.clone();
        let mut table = shared.table(self.core);
        let mut words: Vec<(ConnKey, [u8; 4])> = Vec::new();
        // What is left for the next turn goes back into `self.ready`.
        let mut ready = std::mem::take(&mut self.ready_spare);
        std::mem::swap(&mut ready, &mut self.ready);
        for key in ready.drain(..) {
            let Some(conn) = table.get_mut(&key) else {
                continue;
            };
            conn.ready = false;
            if conn.closing {
                continue;
            }
            loop {
                if handled >= budget_max {
                    conn.ready = true;
                    self.ready.push(key);
                    break;
                }
                let unit = match conn.decoder.next_unit() {
                    Ok(Some(unit)) => unit,
                    Ok(None) => break,
                    Err(e) => {
                        self.protocol_error(conn, key, &e);
                        break;
                    }
                };
                handled += 1;
                match unit {
                    Inbound::FourLetterWord(word) => {
                        // Answered once this core's table is unlocked: the
                        // answer may list every core's connections.
                        words.push((key, word));
                        conn.closing = true;
                        break;
                    }
                    Inbound::Connect {
                        request,
                        read_only_sent,
                    } => {
                        let outcome = locked.zk.connect(
                            key,
                            &request,
                            read_only_sent,
                            now_ms,
                            &mut self.outbox,
                        );
                        match outcome {
                            ConnectOutcome::Accepted { .. } => conn.decoder.handshake_done(),
                            ConnectOutcome::Refused | ConnectOutcome::Dropped => {
                                Counters::add(&self.shared.counters.unsuccessful_handshake, 1);
                                conn.decoder.finish();
                                conn.closing = true;
                                self.route(locked, io);
                                self.closes.push(key);
                                break;
                            }
                        }
                    }
                    Inbound::Request { header, body, .. } => {
                        locked
                            .zk
                            .process(key, &header, body, now_ms, &mut self.outbox);
                    }
                }
                self.route(locked, io);
            }
        }
        drop(table);
        self.ready_spare = ready;
        for (key, word) in words {
            let word = String::from_utf8_lossy(&word).into_owned();
            let text = super::facts::answer(&shared, locked, &word, now_ms);
            self.send_local(io, key, text.as_bytes());
            self.closes.push(key);
        }
        !self.ready.is_empty()
    }

    fn protocol_error(&mut self, conn: &mut Conn, key: ConnKey, e: &ProtocolError) {
        if matches!(e, ProtocolError::FrameLength(_)) {
            Counters::add(&self.shared.counters.large_requests_rejected, 1);
        }
        eprintln!("ringkeeper: closing connection from {}: {e}", conn.peer);
        conn.closing = true;
        self.closes.push(key);
    }

    /// Queues one frame on a connection of this core, in order.
    fn send_local(&mut self, io: &mut Io<'_, Mail>, key: ConnKey, bytes: &[u8]) {
        let id = ConnId::from_u64(key);
        match io.send(id, bytes) {
            Ok(()) => {
                if io.send_queued_bytes(id) > SEND_QUEUE_PAUSE_BYTES {
                    self.to_pause.push(key);
                }
            }
            Err(SendError::SendBufferFull) => {
                eprintln!(
                    "ringkeeper: closing connection {key:#x}: its client does not read its replies"
                );
                self.closes.push(key);
            }
            // Already closing or gone: nothing more can reach its client.
            Err(_) => {}
        }
    }

    /// Queues the outbox: frames for this core's connections go straight to
    /// the engine, those of other cores into their remote queues (under the
    /// lock, which is what orders them before later replies there).
    fn route(&mut self, locked: &mut Locked, io: &mut Io<'_, Mail>) {
        let outbox = std::mem::take(&mut self.outbox);
        for (key, frame) in outbox.frames() {
            let core = ConnId::from_u64(key).core();
            if core == self.core {
                self.send_local(io, key, frame);
            } else {
                locked.remote[core].push_frame(key, frame);
                self.wake[core] = true;
            }
        }
        for &key in outbox.closes() {
            let core = ConnId::from_u64(key).core();
            if core == self.core {
                self.closes.push(key);
            } else {
                locked.remote[core].push_close(key);
                self.wake[core] = true;
            }
        }
        self.outbox = outbox;
        self.outbox.clear();
    }

    /// Appends the txns this turn prepped to the log, under the state lock
    /// so appends from all cores reach the log in zxid order; starts a
    /// background snapshot every snapCount txns or so.
    fn log_prepped(&mut self, locked: &mut Locked) {
        locked.zk.take_prepped(&mut self.prepped);
        if self.prepped.is_empty() {
            return;
        }
        let Some(log) = locked.log.as_mut() else {
            self.prepped.clear();
            return;
        };
        locked.txns_since_snapshot += self.prepped.len() as u64;
        for (zxid, payload) in self.prepped.drain(..) {
            if let Err(e) = log.append(zxid, payload) {
                eprintln!("ringkeeper: fatal: cannot append txn {zxid:#x} to the log: {e}");
                std::process::exit(70);
            }
        }
        if locked.txns_since_snapshot >= crate::snapshots::snapshot_threshold(&self.shared) {
            locked.txns_since_snapshot = 0;
            crate::snapshots::start_snapshot(&self.shared);
        }
    }

    /// Output other cores made for our connections. Called right after the
    /// lock is taken: it was produced by writes applied before, so it goes
    /// out ahead of anything this turn produces.
    fn take_remote(&mut self, locked: &mut Locked, io: &mut Io<'_, Mail>) {
        if locked.remote[self.core].is_empty() {
            return;
        }
        let mut queue = std::mem::take(&mut locked.remote[self.core]);
        for (item, bytes) in queue.items() {
            match *item {
                RemoteItem::Frame(key, _) => self.send_local(io, key, bytes),
                RemoteItem::Close(key) => self.closes.push(key),
            }
        }
        // Hand the emptied buffers back, keeping their capacity.
        queue.clear();
        locked.remote[self.core] = queue;
    }

    /// After the lock is released: pauses and closes this turn decided,
    /// then wake-ups for the cores that have output waiting.
    fn finish_turn(&mut self, io: &mut Io<'_, Mail>) {
        if !self.to_pause.is_empty() || !self.closes.is_empty() {
            let mut table = self.shared.table(self.core);
            for key in self.to_pause.drain(..) {
                if let Some(conn) = table.get_mut(&key) {
                    if !conn.paused && !conn.closing {
                        conn.paused = true;
                        io.pause_recv(ConnId::from_u64(key));
                        self.paused.push(key);
                    }
                }
            }
            for key in self.closes.drain(..) {
                if let Some(conn) = table.get_mut(&key) {
                    conn.closing = true;
                }
                io.close(ConnId::from_u64(key));
            }
        }
        for (core, wake) in self.wake.iter_mut().enumerate() {
            if std::mem::take(wake) {
                // A full mailbox already holds a wake-up for that core.
                let _ = io.mailbox(core).try_send(Mail::RemoteOutput);
            }
        }
    }

    fn resume_drained(&mut self, io: &mut Io<'_, Mail>) {
        if self.paused.is_empty() {
            return;
        }
        let mut table = self.shared.table(self.core);
        self.paused.retain(|&key| {
            let id = ConnId::from_u64(key);
            let Some(conn) = table.get_mut(&key) else {
                return false;
            };
            if io.send_queued_bytes(id) <= SEND_QUEUE_RESUME_BYTES {
                conn.paused = false;
                io.resume_recv(id);
                return false;
            }
            true
        });
    }
}

impl Service for CoreService {
    type Mail = Mail;

    fn on_accept(&mut self, _io: &mut Io<'_, Mail>, conn: ConnId, peer: SocketAddr) -> bool {
        let max = self.shared.config.max_client_cnxns;
        {
            let mut per_ip = self.shared.per_ip.lock().unwrap_or_else(|p| p.into_inner());
            let n = per_ip.entry(peer.ip()).or_insert(0);
            if max > 0 && *n >= max {
                drop(per_ip);
                Counters::add(&self.shared.counters.connection_rejected, 1);
                eprintln!(
                    "ringkeeper: too many connections from {} - max is {max} (maxClientCnxns)",
                    peer.ip()
                );
                return false;
            }
            *n += 1;
        }
        let key = conn.to_u64();
        let max_frame = self.shared.config.jute_max_buffer_bytes as usize;
        self.shared
            .table(self.core)
            .insert(key, Conn::new(peer, max_frame));
        self.shared.lock().zk.open_connection(key, peer.ip());
        true
    }

    fn on_recv(&mut self, _io: &mut Io<'_, Mail>, conn: ConnId, bytes: &[u8]) {
        let key = conn.to_u64();
        Counters::add(&self.shared.counters.bytes_received, bytes.len() as u64);
        let mut table = self.shared.table(self.core);
        if let Some(c) = table.get_mut(&key) {
            if c.closing {
                return;
            }
            c.decoder.extend(bytes);
            if !c.ready {
                c.ready = true;
                self.ready.push(key);
            }
        }
    }

    fn on_closed(&mut self, _io: &mut Io<'_, Mail>, conn: ConnId, _reason: CloseReason) {
        let key = conn.to_u64();
        let removed = self.shared.table(self.core).remove(&key);
        if let Some(c) = removed {
            self.release_ip(c.peer);
            self.shared.lock().zk.connection_closed(key);
        }
    }

    fn on_mail(&mut self, _io: &mut Io<'_, Mail>, mail: Mail) {
        match mail {
            Mail::RemoteOutput => self.remote_pending = true,
            Mail::MoreWork => {}
            Mail::Durable => self.commit_pending = true,
        }
    }

    fn on_tick(&mut self, io: &mut Io<'_, Mail>) {
        self.resume_drained(io);
        if self.core != 0 {
            return;
        }
        let now_ms = self.shared.unix_ms_at(io.now());
        let shared = self.shared.clone();
        let mut locked = shared.lock();
        self.take_remote(&mut locked, io);
        locked.zk.tick(now_ms, &mut self.outbox);
        self.route(&mut locked, io);
        self.log_prepped(&mut locked);
        drop(locked);
        self.finish_turn(io);
    }

    fn on_turn_end(&mut self, io: &mut Io<'_, Mail>) {
        if self.ready.is_empty() && !self.remote_pending && !self.commit_pending {
            return;
        }
        self.remote_pending = false;
        let now_ms = self.shared.unix_ms_at(io.now());
        let shared = self.shared.clone();
        let mut locked = shared.lock();
        self.take_remote(&mut locked, io);
        if std::mem::take(&mut self.commit_pending) {
            let through = shared.durability.durable_through.load(Ordering::Acquire);
            locked.zk.commit_through(through, now_ms, &mut self.outbox);
            self.route(&mut locked, io);
        }
        let more = self.process_ready(&mut locked, io, now_ms);
        self.log_prepped(&mut locked);
        drop(locked);
        self.finish_turn(io);
        if more {
            let _ = io.mailbox(self.core).try_send(Mail::MoreWork);
        }
    }
}
