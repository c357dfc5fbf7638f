//! Backpressure: a client that does not read fills its send queue up to the limit, the
//! service pauses the connection's input, nothing grows past the limit, and once the client
//! reads, everything (both ways) arrives in order.

mod common;

use common::*;
use ringkeeper_engine::{
    BackendChoice, CloseReason, ConnId, CoreContext, Engine, Io, SendError, Service, ServiceFactory,
};
use std::collections::HashMap;
use std::net::SocketAddr;
use std::sync::atomic::{AtomicBool, AtomicU64, AtomicUsize, Ordering};
use std::sync::{Arc, Mutex};
use std::thread;
use std::time::Duration;

const SEND_BUFFER_BYTES_MAX: usize = 256 * 1024;
/// Well beyond what loopback socket buffers absorb (several MiB each way), so the queue
/// stays full while the client does not read.
const FLOOD_BYTES: usize = 32 << 20;
const CHUNK_BYTES: usize = 16 * 1024;

#[derive(Default)]
struct Observed {
    full_hits: AtomicU64,
    paused: AtomicBool,
    pause_changes: AtomicU64,
    queued_bytes_max: AtomicUsize,
    received: Mutex<Vec<u8>>,
}

/// On its connection's first bytes, sends `FLOOD_BYTES` of pattern as fast as the send
/// queue allows; pauses input while the queue is full, resumes below half.
struct Flood {
    observed: Arc<Observed>,
    flooding: HashMap<ConnId, usize>,
    pattern: Arc<Vec<u8>>,
}

impl Flood {
    fn pump(&mut self, io: &mut Io<'_, ()>) {
        for (&conn, sent) in self.flooding.iter_mut() {
            while *sent < FLOOD_BYTES {
                let end = (*sent + CHUNK_BYTES).min(FLOOD_BYTES);
                match io.send(conn, &self.pattern[*sent..end]) {
                    Ok(()) => *sent = end,
                    Err(SendError::SendBufferFull) => {
                        self.observed.full_hits.fetch_add(1, Ordering::SeqCst);
                        if !io.is_recv_paused(conn) {
                            io.pause_recv(conn);
                            self.observed.paused.store(true, Ordering::SeqCst);
                            self.observed.pause_changes.fetch_add(1, Ordering::SeqCst);
                        }
                        break;
                    }
                    Err(other) => panic!("unexpected send error {other}"),
                }
            }
            let queued = io.send_queued_bytes(conn);
            assert!(
                queued <= io.send_buffer_bytes_max(),
                "queue grew to {queued}"
            );
            self.observed
                .queued_bytes_max
                .fetch_max(queued, Ordering::SeqCst);
            let drained = queued < io.send_buffer_bytes_max() / 2;
            if io.is_recv_paused(conn) && (drained || *sent == FLOOD_BYTES) {
                io.resume_recv(conn);
                self.observed.paused.store(false, Ordering::SeqCst);
                self.observed.pause_changes.fetch_add(1, Ordering::SeqCst);
            }
        }
    }
}

struct FloodFactory {
    observed: Arc<Observed>,
    pattern: Arc<Vec<u8>>,
}

impl ServiceFactory for FloodFactory {
    type Service = Flood;
    fn build(&self, _core: &CoreContext<()>) -> Flood {
        Flood {
            observed: Arc::clone(&self.observed),
            flooding: HashMap::new(),
            pattern: Arc::clone(&self.pattern),
        }
    }
}

impl Service for Flood {
    type Mail = ();
    fn on_accept(&mut self, _io: &mut Io<'_, ()>, _conn: ConnId, _peer: SocketAddr) -> bool {
        true
    }
    fn on_recv(&mut self, io: &mut Io<'_, ()>, conn: ConnId, bytes: &[u8]) {
        assert!(!io.is_recv_paused(conn), "on_recv while paused");
        self.observed
            .received
            .lock()
            .unwrap()
            .extend_from_slice(bytes);
        self.flooding.entry(conn).or_insert(0);
    }
    fn on_closed(&mut self, _io: &mut Io<'_, ()>, conn: ConnId, _reason: CloseReason) {
        self.flooding.remove(&conn);
    }
    fn on_mail(&mut self, _io: &mut Io<'_, ()>, _mail: ()) {}
    fn on_tick(&mut self, _io: &mut Io<'_, ()>) {}
    fn on_turn_end(&mut self, io: &mut Io<'_, ()>) {
        self.pump(io);
    }
}

fn client_that_does_not_read_is_paused_and_bounded(backend: BackendChoice) {
    let observed = Arc::new(Observed::default());
    let pattern = Arc::new(pattern(FLOOD_BYTES, 3));
    let mut config = config(backend);
    config.send_buffer_bytes_max = SEND_BUFFER_BYTES_MAX;
    let factory = FloodFactory {
        observed: Arc::clone(&observed),
        pattern: Arc::clone(&pattern),
    };
    let engine = Engine::start(config, factory).expect("engine starts");
    let mut stream = connect(engine.local_addr());
    send(&mut stream, b"go");
    // Until the kernel's socket buffers fill, the queue drains each turn and the service
    // resumes; then the pause holds.
    wait_until(
        "the service hits SendBufferFull and stays paused",
        CLIENT_TIMEOUT,
        || {
            let changes = observed.pause_changes.load(Ordering::SeqCst);
            if !observed.paused.load(Ordering::SeqCst) {
                return false;
            }
            thread::sleep(Duration::from_millis(200));
            observed.pause_changes.load(Ordering::SeqCst) == changes
        },
    );
    // While paused, the client's further bytes must not reach the service.
    let later = pattern_bytes(64 * 1024);
    send(&mut stream, &later);
    thread::sleep(Duration::from_millis(100));
    assert!(
        observed.paused.load(Ordering::SeqCst),
        "resumed without the client reading"
    );
    assert_eq!(observed.received.lock().unwrap().as_slice(), b"go");
    assert!(observed.queued_bytes_max.load(Ordering::SeqCst) <= SEND_BUFFER_BYTES_MAX);

    // The client reads: the flood completes intact, and its paused bytes arrive in order.
    let flood = read_exactly(&mut stream, FLOOD_BYTES);
    assert!(flood == *pattern, "the flood arrived altered");
    let mut expected = b"go".to_vec();
    expected.extend_from_slice(&later);
    wait_until(
        "the bytes sent while paused are delivered",
        CLIENT_TIMEOUT,
        || observed.received.lock().unwrap().len() == expected.len(),
    );
    assert!(*observed.received.lock().unwrap() == expected);
    assert!(observed.full_hits.load(Ordering::SeqCst) > 0);
    engine.shutdown().expect("clean shutdown");
}
on_both_backends!(client_that_does_not_read_is_paused_and_bounded);

fn pattern_bytes(len: usize) -> Vec<u8> {
    common::pattern(len, 11)
}

/// Pauses its connection inside every on_recv and resumes it on the next tick: bytes the
/// kernel already received when the pause came are held and delivered after the resume, in
/// order, and never while paused.
struct Stutter {
    received: Arc<Mutex<Vec<u8>>>,
    paused: Vec<ConnId>,
}

struct StutterFactory {
    received: Arc<Mutex<Vec<u8>>>,
}

impl ServiceFactory for StutterFactory {
    type Service = Stutter;
    fn build(&self, _core: &CoreContext<()>) -> Stutter {
        Stutter {
            received: Arc::clone(&self.received),
            paused: Vec::new(),
        }
    }
}

impl Service for Stutter {
    type Mail = ();
    fn on_accept(&mut self, _io: &mut Io<'_, ()>, _conn: ConnId, _peer: SocketAddr) -> bool {
        true
    }
    fn on_recv(&mut self, io: &mut Io<'_, ()>, conn: ConnId, bytes: &[u8]) {
        assert!(!io.is_recv_paused(conn), "on_recv while paused");
        self.received.lock().unwrap().extend_from_slice(bytes);
        io.pause_recv(conn);
        self.paused.push(conn);
    }
    fn on_closed(&mut self, _io: &mut Io<'_, ()>, _conn: ConnId, _reason: CloseReason) {}
    fn on_mail(&mut self, _io: &mut Io<'_, ()>, _mail: ()) {}
    fn on_tick(&mut self, io: &mut Io<'_, ()>) {
        for conn in self.paused.drain(..) {
            io.resume_recv(conn);
        }
    }
    fn on_turn_end(&mut self, _io: &mut Io<'_, ()>) {}
}

fn pause_inside_on_recv_holds_bytes_until_resume(backend: BackendChoice) {
    let received = Arc::new(Mutex::new(Vec::new()));
    let mut config = config(backend);
    config.tick_interval_ms = 2;
    let factory = StutterFactory {
        received: Arc::clone(&received),
    };
    let engine = Engine::start(config, factory).expect("engine starts");
    let mut stream = connect(engine.local_addr());
    let message = pattern_bytes(1 << 20);
    send(&mut stream, &message);
    wait_until("the whole message was delivered", CLIENT_TIMEOUT, || {
        received.lock().unwrap().len() >= message.len()
    });
    assert!(
        *received.lock().unwrap() == message,
        "bytes reordered or altered"
    );
    engine.shutdown().expect("clean shutdown");
}
on_both_backends!(pause_inside_on_recv_holds_bytes_until_resume);
