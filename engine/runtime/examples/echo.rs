//! A tiny echo server on the engine: `cargo run -p ringkeeper-engine --example echo -- 127.0.0.1:9000 [epoll|io_uring]`.
//! Prints the chosen backend and the address, then serves until stdin closes.

use ringkeeper_engine::{
    BackendChoice, CloseReason, ConnId, CoreContext, Engine, EngineConfig, Io, Service,
    ServiceFactory,
};
use std::net::SocketAddr;

struct Echo;

impl Service for Echo {
    type Mail = ();
    fn on_accept(&mut self, _io: &mut Io<'_, ()>, _conn: ConnId, _peer: SocketAddr) -> bool {
        true
    }
    fn on_recv(&mut self, io: &mut Io<'_, ()>, conn: ConnId, bytes: &[u8]) {
        if io.send(conn, bytes).is_err() {
            io.close(conn);
        }
    }
    fn on_closed(&mut self, _io: &mut Io<'_, ()>, _conn: ConnId, _reason: CloseReason) {}
    fn on_mail(&mut self, _io: &mut Io<'_, ()>, _mail: ()) {}
    fn on_tick(&mut self, _io: &mut Io<'_, ()>) {}
    fn on_turn_end(&mut self, _io: &mut Io<'_, ()>) {}
}

struct EchoFactory;

impl ServiceFactory for EchoFactory {
    type Service = Echo;
    fn build(&self, _core: &CoreContext<()>) -> Echo {
        Echo
    }
}

fn main() -> std::io::Result<()> {
    let mut args = std::env::args().skip(1);
    let listen = args
        .next()
        .unwrap_or_else(|| "127.0.0.1:9000".into())
        .parse()
        .map_err(|error| std::io::Error::new(std::io::ErrorKind::InvalidInput, error))?;
    let mut config = EngineConfig::new(listen);
    config.backend = match args.next().as_deref() {
        Some("epoll") => BackendChoice::Epoll,
        Some("io_uring") => BackendChoice::IoUring,
        _ => BackendChoice::Auto,
    };
    let engine = Engine::start(config, EchoFactory)?;
    println!("{:?} on {}", engine.backend(), engine.local_addr());
    let mut line = String::new();
    while std::io::stdin().read_line(&mut line)? > 0 {
        line.clear();
    }
    engine
        .shutdown()
        .map_err(|_| std::io::Error::other("a core panicked"))
}
