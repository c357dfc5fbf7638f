//! Connection lifecycle: ticks, close after send, the close flush timeout, the per-core
//! connection limit, refusal in on_accept, stale ids.

mod common;

use common::*;
use ringkeeper_engine::{
    BackendChoice, CloseReason, ConnId, CoreContext, Engine, EngineConfig, Io, SendError, Service,
    ServiceFactory,
};
use std::io::Read;
use std::net::SocketAddr;
use std::sync::atomic::{AtomicBool, AtomicU64, Ordering};
use std::sync::{Arc, Mutex};
use std::time::Duration;

const BYE_BYTES: usize = 512 * 1024;
const HUGE_BYTES: usize = 16 << 20;

#[derive(Default)]
struct Shared {
    ticks: AtomicU64,
    refuse: AtomicBool,
    closes: Mutex<Vec<(ConnId, CloseReason)>>,
    accepted: Mutex<Vec<ConnId>>,
    stale_send: Mutex<Option<Result<(), SendError>>>,
}

/// Echoes, except: "bye" sends BYE_BYTES then closes; "huge" sends HUGE_BYTES then closes.
struct Scripted {
    shared: Arc<Shared>,
}

struct ScriptedFactory {
    shared: Arc<Shared>,
}

impl ServiceFactory for ScriptedFactory {
    type Service = Scripted;
    fn build(&self, _core: &CoreContext<()>) -> Scripted {
        Scripted {
            shared: Arc::clone(&self.shared),
        }
    }
}

impl Service for Scripted {
    type Mail = ();
    fn on_accept(&mut self, _io: &mut Io<'_, ()>, conn: ConnId, _peer: SocketAddr) -> bool {
        self.shared.accepted.lock().unwrap().push(conn);
        !self.shared.refuse.load(Ordering::SeqCst)
    }
    fn on_recv(&mut self, io: &mut Io<'_, ()>, conn: ConnId, bytes: &[u8]) {
        let reply = match bytes {
            b"boom" => panic!("the service panics on request"),
            b"bye" => pattern(BYE_BYTES, 5),
            b"huge" => vec![7; HUGE_BYTES],
            _ => {
                io.send(conn, bytes).unwrap();
                return;
            }
        };
        io.send(conn, &reply).unwrap();
        io.close(conn);
        assert_eq!(io.send(conn, b"late"), Err(SendError::Closing));
    }
    fn on_closed(&mut self, io: &mut Io<'_, ()>, conn: ConnId, reason: CloseReason) {
        *self.shared.stale_send.lock().unwrap() = Some(io.send(conn, b"after close"));
        self.shared.closes.lock().unwrap().push((conn, reason));
    }
    fn on_mail(&mut self, _io: &mut Io<'_, ()>, _mail: ()) {}
    fn on_tick(&mut self, _io: &mut Io<'_, ()>) {
        self.shared.ticks.fetch_add(1, Ordering::SeqCst);
    }
    fn on_turn_end(&mut self, _io: &mut Io<'_, ()>) {}
}

fn start_scripted(config: EngineConfig) -> (Engine, Arc<Shared>) {
    let shared = Arc::new(Shared::default());
    let factory = ScriptedFactory {
        shared: Arc::clone(&shared),
    };
    (
        Engine::start(config, factory).expect("engine starts"),
        shared,
    )
}

fn closes(shared: &Shared) -> Vec<CloseReason> {
    shared.closes.lock().unwrap().iter().map(|c| c.1).collect()
}

fn ticks_arrive(backend: BackendChoice) {
    let mut config = config(backend);
    config.tick_interval_ms = 5;
    let (engine, shared) = start_scripted(config);
    wait_until("20 ticks arrived", CLIENT_TIMEOUT, || {
        shared.ticks.load(Ordering::SeqCst) >= 20
    });
    engine.shutdown().expect("clean shutdown");
}
on_both_backends!(ticks_arrive);

/// 512 KiB queued then close: the peer reads every byte, then EOF; the service hears
/// ClosedByService, and the closed id no longer accepts sends.
fn close_after_send_delivers_the_bytes_then_closes(backend: BackendChoice) {
    let (engine, shared) = start_scripted(config(backend));
    let mut stream = connect(engine.local_addr());
    send(&mut stream, b"bye");
    let received = read_to_end(&mut stream);
    assert!(
        received == pattern(BYE_BYTES, 5),
        "got {} bytes, altered or short",
        received.len()
    );
    wait_until("on_closed was called", CLIENT_TIMEOUT, || {
        closes(&shared).len() == 1
    });
    assert_eq!(closes(&shared), vec![CloseReason::ClosedByService]);
    assert_eq!(
        *shared.stale_send.lock().unwrap(),
        Some(Err(SendError::NotConnected))
    );
    engine.shutdown().expect("clean shutdown");
}
on_both_backends!(close_after_send_delivers_the_bytes_then_closes);

/// A peer that never reads cannot hold a closing connection forever: after
/// close_flush_timeout_ms it is reset and the service hears FlushTimedOut.
fn peer_that_never_reads_is_reset_after_the_flush_timeout(backend: BackendChoice) {
    let mut config = config(backend);
    config.send_buffer_bytes_max = HUGE_BYTES;
    config.close_flush_timeout_ms = 300;
    let (engine, shared) = start_scripted(config);
    let mut stream = connect(engine.local_addr());
    send(&mut stream, b"huge");
    wait_until("the flush timed out", CLIENT_TIMEOUT, || {
        closes(&shared).len() == 1
    });
    assert_eq!(closes(&shared), vec![CloseReason::FlushTimedOut]);
    // The client finds a reset behind whatever its buffers held.
    let mut sink = Vec::new();
    let result = stream.read_to_end(&mut sink);
    assert!(
        sink.len() < HUGE_BYTES,
        "all bytes arrived despite the reset"
    );
    assert!(
        result.is_err(),
        "expected a reset, read {} bytes then EOF",
        sink.len()
    );
    engine.shutdown().expect("clean shutdown");
}
on_both_backends!(peer_that_never_reads_is_reset_after_the_flush_timeout);

/// With connections_per_core_max = 3 on one core, connections 4 and 5 are closed at once and
/// counted; after one of the three leaves, a newcomer is served under a fresh id.
fn connections_beyond_the_per_core_limit_are_closed_and_counted(backend: BackendChoice) {
    let mut config = config(backend);
    config.cores = 1;
    config.connections_per_core_max = 3;
    let (engine, shared) = start_scripted(config);
    let address = engine.local_addr();
    let mut admitted: Vec<_> = (0..3).map(|_| connect(address)).collect();
    for stream in &mut admitted {
        send(stream, b"ping");
        assert_eq!(read_exactly(stream, 4), b"ping");
    }
    for _ in 0..2 {
        let mut excess = connect(address);
        let mut buffer = [0u8; 1];
        // EOF (or a reset): the engine closed it without a word.
        assert!(matches!(excess.read(&mut buffer), Ok(0) | Err(_)));
    }
    wait_until("two rejections were counted", CLIENT_TIMEOUT, || {
        engine.stats().connections_rejected == 2
    });
    assert_eq!(engine.stats().connections_accepted, 3);

    drop(admitted.pop());
    wait_until("the departed connection was closed", CLIENT_TIMEOUT, || {
        closes(&shared) == vec![CloseReason::PeerClosed]
    });
    let mut newcomer = connect(address);
    send(&mut newcomer, b"hello");
    assert_eq!(read_exactly(&mut newcomer, 5), b"hello");
    let accepted = shared.accepted.lock().unwrap().clone();
    assert_eq!(accepted.len(), 4);
    let mut unique = accepted.clone();
    unique.sort();
    unique.dedup();
    assert_eq!(unique.len(), 4, "a ConnId was reused: {accepted:?}");
    engine.shutdown().expect("clean shutdown");
}
on_both_backends!(connections_beyond_the_per_core_limit_are_closed_and_counted);

/// on_accept returning false closes the connection at once, without on_closed.
fn refused_in_on_accept_is_closed_at_once(backend: BackendChoice) {
    let (engine, shared) = start_scripted(config(backend));
    shared.refuse.store(true, Ordering::SeqCst);
    let mut stream = connect(engine.local_addr());
    let mut buffer = [0u8; 1];
    assert!(matches!(stream.read(&mut buffer), Ok(0) | Err(_)));
    wait_until("the refusal was counted closed", CLIENT_TIMEOUT, || {
        engine.stats().connections_closed == 1
    });
    std::thread::sleep(Duration::from_millis(20));
    assert!(
        closes(&shared).is_empty(),
        "on_closed was called for a refused connection"
    );
    engine.shutdown().expect("clean shutdown");
}
on_both_backends!(refused_in_on_accept_is_closed_at_once);

/// A service that panics takes its core down; the other core keeps serving and shutdown
/// reports the panic.
fn service_panic_is_reported_by_shutdown(backend: BackendChoice) {
    let (engine, _shared) = start_scripted(config(backend));
    let mut doomed = connect(engine.local_addr());
    send(&mut doomed, b"boom");
    let mut buffer = [0u8; 1];
    assert!(matches!(doomed.read(&mut buffer), Ok(0) | Err(_)));
    assert!(engine.shutdown().is_err(), "the core's panic was lost");
}
on_both_backends!(service_panic_is_reported_by_shutdown);
