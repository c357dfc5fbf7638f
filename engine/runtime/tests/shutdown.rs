//! Shutdown: every core is woken and joined, every connection hears on_closed(Shutdown), and
//! no file descriptor is left behind. Alone in its test binary, so no other test opens or
//! closes fds while they are counted.

mod common;

use common::*;
use ringkeeper_engine::{BackendChoice, CloseReason};

fn open_fds() -> usize {
    std::fs::read_dir("/proc/self/fd")
        .expect("/proc/self/fd")
        .count()
}

fn shutdown_closes_every_connection(backend: BackendChoice) {
    let (engine, closes) = start_echo(config(backend));
    let mut streams: Vec<_> = (0..20).map(|_| connect(engine.local_addr())).collect();
    for stream in &mut streams {
        send(stream, b"hi");
        assert_eq!(read_exactly(stream, 2), b"hi");
    }
    // One connection holds queued bytes the client never reads.
    send(&mut streams[0], &vec![1; 4 << 20]);
    engine.shutdown().expect("clean shutdown");
    let closes = closes.lock().unwrap().clone();
    assert_eq!(closes.len(), streams.len());
    assert!(closes
        .iter()
        .all(|&(_, reason)| reason == CloseReason::Shutdown));
    for stream in &mut streams[1..] {
        assert!(read_to_end(stream).is_empty(), "bytes after shutdown");
    }
}

/// Run both backends in one test so that the fd count is not disturbed by a parallel test.
#[test]
fn shutdown_joins_every_core_and_leaks_no_fds() {
    for backend in [BackendChoice::IoUring, BackendChoice::Epoll] {
        let before = open_fds();
        shutdown_closes_every_connection(backend);
        assert_eq!(open_fds(), before, "{backend:?}: fds leaked");
    }
}
