//! Shared pieces of the engine's scenario tests: configs on 127.0.0.1:0, blocking clients,
//! bounded waiting, and the echo service.

#![allow(dead_code)]

use ringkeeper_engine::{
    BackendChoice, CloseReason, ConnId, CoreContext, Engine, EngineConfig, Io, Service,
    ServiceFactory,
};
use std::io::{Read, Write};
use std::net::{SocketAddr, TcpStream};
use std::os::fd::AsRawFd;
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

/// Every blocking client call gives up after this long, so a broken engine fails the test
/// instead of hanging it.
pub const CLIENT_TIMEOUT: Duration = Duration::from_secs(20);

/// Runs a scenario once per backend, as `<name>::io_uring` and `<name>::epoll`.
#[macro_export]
macro_rules! on_both_backends {
    ($name:ident) => {
        mod $name {
            #[test]
            fn io_uring() {
                super::$name(ringkeeper_engine::BackendChoice::IoUring)
            }

            #[test]
            fn epoll() {
                super::$name(ringkeeper_engine::BackendChoice::Epoll)
            }
        }
    };
}

/// A small engine on an ephemeral loopback port: 2 cores, small buffers.
pub fn config(backend: BackendChoice) -> EngineConfig {
    let mut config = EngineConfig::new("127.0.0.1:0".parse().unwrap());
    config.backend = backend;
    config.cores = 2;
    config.recv_buffer_count = 256;
    config.recv_buffer_bytes = 4096;
    config
}

pub fn connect(address: SocketAddr) -> TcpStream {
    let stream = TcpStream::connect(address).expect("connect to the engine");
    stream.set_read_timeout(Some(CLIENT_TIMEOUT)).unwrap();
    stream.set_write_timeout(Some(CLIENT_TIMEOUT)).unwrap();
    stream.set_nodelay(true).unwrap();
    stream
}

pub fn read_exactly(stream: &mut TcpStream, len: usize) -> Vec<u8> {
    let mut buffer = vec![0; len];
    stream
        .read_exact(&mut buffer)
        .expect("read from the engine");
    buffer
}

/// Reads until the engine closes the connection.
pub fn read_to_end(stream: &mut TcpStream) -> Vec<u8> {
    let mut buffer = Vec::new();
    stream.read_to_end(&mut buffer).expect("read until EOF");
    buffer
}

pub fn send(stream: &mut TcpStream, bytes: &[u8]) {
    stream.write_all(bytes).expect("write to the engine");
}

/// Closes with a reset (SO_LINGER 0) instead of a FIN.
pub fn reset(stream: TcpStream) {
    let linger = libc::linger {
        l_onoff: 1,
        l_linger: 0,
    };
    // SAFETY: setsockopt with a linger value of the right size on our socket.
    unsafe {
        libc::setsockopt(
            stream.as_raw_fd(),
            libc::SOL_SOCKET,
            libc::SO_LINGER,
            (&linger as *const libc::linger).cast(),
            std::mem::size_of::<libc::linger>() as libc::socklen_t,
        )
    };
    drop(stream);
}

/// Polls `condition` until it holds; panics naming `what` after `timeout`.
pub fn wait_until(what: &str, timeout: Duration, mut condition: impl FnMut() -> bool) {
    let deadline = Instant::now() + timeout;
    while !condition() {
        assert!(Instant::now() < deadline, "timed out waiting until {what}");
        std::thread::sleep(Duration::from_millis(5));
    }
}

/// Closes seen by a service, shared with the test.
pub type Closes = Arc<Mutex<Vec<(ConnId, CloseReason)>>>;

/// Sends every received byte back.
pub struct Echo {
    closes: Closes,
}

pub struct EchoFactory {
    pub closes: Closes,
}

impl EchoFactory {
    pub fn new() -> EchoFactory {
        EchoFactory {
            closes: Closes::default(),
        }
    }
}

impl ServiceFactory for EchoFactory {
    type Service = Echo;
    fn build(&self, _core: &CoreContext<()>) -> Echo {
        Echo {
            closes: Arc::clone(&self.closes),
        }
    }
}

impl Service for Echo {
    type Mail = ();
    fn on_accept(&mut self, _io: &mut Io<'_, ()>, _conn: ConnId, _peer: SocketAddr) -> bool {
        true
    }
    fn on_recv(&mut self, io: &mut Io<'_, ()>, conn: ConnId, bytes: &[u8]) {
        io.send(conn, bytes).expect("echo fits the send buffer");
    }
    fn on_closed(&mut self, _io: &mut Io<'_, ()>, conn: ConnId, reason: CloseReason) {
        self.closes.lock().unwrap().push((conn, reason));
    }
    fn on_mail(&mut self, _io: &mut Io<'_, ()>, _mail: ()) {}
    fn on_tick(&mut self, _io: &mut Io<'_, ()>) {}
    fn on_turn_end(&mut self, _io: &mut Io<'_, ()>) {}
}

pub fn start_echo(config: EngineConfig) -> (Engine, Closes) {
    let factory = EchoFactory::new();
    let closes = Arc::clone(&factory.closes);
    let engine = Engine::start(config, factory).expect("engine starts");
    (engine, closes)
}

/// A deterministic byte pattern, so reordering or loss shows.
pub fn pattern(len: usize, seed: u64) -> Vec<u8> {
    let mut state = seed.wrapping_mul(0x9E37_79B9_7F4A_7C15) | 1;
    (0..len)
        .map(|_| {
            state ^= state << 13;
            state ^= state >> 7;
            state ^= state << 17;
            state as u8
        })
        .collect()
}
