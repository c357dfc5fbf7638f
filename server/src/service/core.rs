//! One core's service: its connections, its turn of work under the state
//! lock, and the delivery of what the state machine produced.

use std::net::SocketAddr;
use std::sync::Arc;

use ringkeeper_engine::{CloseReason, ConnId, Io, Service};
use ringkeeper_zk::{ConnKey, ConnectOutcome, Outbox};

use super::conn::{op_abbreviation, Conn};
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
}

pub struct CoreService {
    shared: Arc<Shared>,
    core: usize,
    /// Connections with undecoded input, in the order they became ready.
    ready: Vec<ConnKey>,
    /// Connections paused for backpressure.
    paused: Vec<ConnKey>,
    remote_pending: bool,
    outbox: Outbox,
    local: Vec<RemoteItem>,
    wake: Vec<bool>,
}

impl CoreService {
    pub fn new(shared: Arc<Shared>, core: usize) -> CoreService {
        let cores = shared.tables.len();
        CoreService {
            shared,
            core,
            ready: Vec::new(),
            paused: Vec::new(),
            remote_pending: false,
            outbox: Outbox::new(),
            local: Vec::new(),
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
    fn process_ready(&mut self, locked: &mut Locked, now_ms: u64) -> bool {
        let budget_max = self.shared.config.global_outstanding_limit.max(1) as usize;
        let mut handled = 0usize;
        let shared = self.shared.clone();
        let mut table = shared.table(self.core);
        let mut words: Vec<(ConnKey, [u8; 4])> = Vec::new();
        let mut leftover = Vec::new();
        for key in std::mem::take(&mut self.ready) {
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
                    leftover.push(key);
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
                Counters::add(&self.shared.counters.packets_received, 1);
                conn.packets_received += 1;
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
                            ConnectOutcome::Accepted { session_id } => {
                                conn.decoder.handshake_done();
                                conn.session_id = Some(session_id);
                                conn.established_unix_ms = now_ms;
                            }
                            ConnectOutcome::Refused | ConnectOutcome::Dropped => {
                                Counters::add(&self.shared.counters.unsuccessful_handshake, 1);
                                conn.decoder.finish();
                                conn.closing = true;
                                self.route(locked);
                                self.local.push(RemoteItem::Close(key));
                                break;
                            }
                        }
                    }
                    Inbound::Request { header, body, .. } => {
                        conn.last_op = op_abbreviation(header.op_code);
                        conn.last_cxid = header.xid;
                        locked
                            .zk
                            .process(key, &header, body, now_ms, &mut self.outbox);
                        conn.last_zxid = locked.zk.last_zxid();
                        conn.last_response_unix_ms = now_ms;
                    }
                }
                self.route(locked);
            }
        }
        drop(table);
        for (key, word) in words {
            let word = String::from_utf8_lossy(&word).into_owned();
            let text = super::facts::answer(&shared, locked, &word, now_ms);
            self.local.push(RemoteItem::Frame(key, text.into_bytes()));
            self.local.push(RemoteItem::Close(key));
        }
        let more = !leftover.is_empty();
        self.ready = leftover;
        more
    }

    fn protocol_error(&mut self, conn: &mut Conn, key: ConnKey, e: &ProtocolError) {
        if matches!(e, ProtocolError::FrameLength(_)) {
            Counters::add(&self.shared.counters.large_requests_rejected, 1);
        }
        eprintln!("ringkeeper: closing connection from {}: {e}", conn.peer);
        conn.closing = true;
        self.local.push(RemoteItem::Close(key));
    }

    /// Moves the outbox into this core's delivery list or, for connections
    /// of other cores, into their remote queues (under the lock).
    fn route(&mut self, locked: &mut Locked) {
        for (key, frame) in self.outbox.frames() {
            let core = ConnId::from_u64(key).core();
            if core == self.core {
                self.local.push(RemoteItem::Frame(key, frame.to_vec()));
            } else {
                locked.remote[core].push(RemoteItem::Frame(key, frame.to_vec()));
                self.wake[core] = true;
            }
        }
        for &key in self.outbox.closes() {
            let core = ConnId::from_u64(key).core();
            if core == self.core {
                self.local.push(RemoteItem::Close(key));
            } else {
                locked.remote[core].push(RemoteItem::Close(key));
                self.wake[core] = true;
            }
        }
        self.outbox.clear();
    }

    /// Sends what this turn produced, in order, then wakes other cores.
    fn deliver(&mut self, io: &mut Io<'_, Mail>) {
        let mut table = self.shared.table(self.core);
        for item in self.local.drain(..) {
            match item {
                RemoteItem::Frame(key, bytes) => {
                    let id = ConnId::from_u64(key);
                    if let Some(conn) = table.get_mut(&key) {
                        conn.packets_sent += 1;
                    }
                    Counters::add(&self.shared.counters.packets_sent, 1);
                    if io.send(id, &bytes).is_err() {
                        eprintln!(
                            "ringkeeper: closing connection {key:#x}: its client does not read its replies"
                        );
                        io.close(id);
                        continue;
                    }
                    if io.send_queued_bytes(id) > SEND_QUEUE_PAUSE_BYTES {
                        if let Some(conn) = table.get_mut(&key) {
                            if !conn.paused {
                                conn.paused = true;
                                io.pause_recv(id);
                                self.paused.push(key);
                            }
                        }
                    }
                }
                RemoteItem::Close(key) => {
                    if let Some(conn) = table.get_mut(&key) {
                        conn.closing = true;
                    }
                    io.close(ConnId::from_u64(key));
                }
            }
        }
        drop(table);
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
        self.local
            .extend(std::mem::take(&mut locked.remote[self.core]));
        locked.zk.tick(now_ms, &mut self.outbox);
        self.route(&mut locked);
        drop(locked);
        self.deliver(io);
    }

    fn on_turn_end(&mut self, io: &mut Io<'_, Mail>) {
        if self.ready.is_empty() && !self.remote_pending {
            return;
        }
        self.remote_pending = false;
        let now_ms = self.shared.unix_ms_at(io.now());
        let shared = self.shared.clone();
        let mut locked = shared.lock();
        // Output other cores made for our connections first: it was
        // produced by writes applied before this lock was taken.
        self.local
            .extend(std::mem::take(&mut locked.remote[self.core]));
        let more = self.process_ready(&mut locked, now_ms);
        drop(locked);
        self.deliver(io);
        if more {
            let _ = io.mailbox(self.core).try_send(Mail::MoreWork);
        }
    }
}
