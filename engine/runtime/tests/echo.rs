//! Echo scenarios: many clients, a message far larger than a ring buffer, a peer reset.

mod common;

use common::*;
use ringkeeper_engine::{BackendChoice, CloseReason};
use std::thread;
use std::time::Duration;

const CLIENTS: usize = 500;
const CLIENT_THREADS: usize = 4;
const ROUNDS: usize = 5;

/// 500 concurrent clients, each exchanging 5 messages; every echo comes back intact.
fn echo_500_concurrent_clients(backend: BackendChoice) {
    let (engine, _closes) = start_echo(config(backend));
    let address = engine.local_addr();
    let workers: Vec<_> = (0..CLIENT_THREADS)
        .map(|thread_index| {
            thread::spawn(move || {
                let count = CLIENTS / CLIENT_THREADS;
                let mut streams: Vec<_> = (0..count).map(|_| connect(address)).collect();
                for round in 0..ROUNDS {
                    let messages: Vec<Vec<u8>> = (0..count)
                        .map(|i| {
                            pattern(
                                64 + i % 200,
                                (thread_index * 100_000 + i * 10 + round) as u64,
                            )
                        })
                        .collect();
                    for (stream, message) in streams.iter_mut().zip(&messages) {
                        send(stream, message);
                    }
                    for (stream, message) in streams.iter_mut().zip(&messages) {
                        assert_eq!(&read_exactly(stream, message.len()), message);
                    }
                }
            })
        })
        .collect();
    for worker in workers {
        worker.join().expect("client thread");
    }
    assert_eq!(engine.stats().connections_accepted, CLIENTS as u64);
    engine.shutdown().expect("clean shutdown");
}
on_both_backends!(echo_500_concurrent_clients);

/// A 1 MiB message (256 ring buffers of 4 KiB) arrives intact and in order.
fn one_mib_message_arrives_intact_in_order(backend: BackendChoice) {
    let (engine, _closes) = start_echo(config(backend));
    let mut stream = connect(engine.local_addr());
    let message = pattern(1 << 20, 7);
    let mut writer = stream.try_clone().unwrap();
    let sent = message.clone();
    let writing = thread::spawn(move || send(&mut writer, &sent));
    let echoed = read_exactly(&mut stream, message.len());
    writing.join().unwrap();
    assert!(echoed == message, "the echo differs from the message");
    engine.shutdown().expect("clean shutdown");
}
on_both_backends!(one_mib_message_arrives_intact_in_order);

/// A peer that resets its connection mid-session ends only that connection (reported as a
/// reset or a close); a neighbour keeps exchanging messages.
fn peer_reset_does_not_disturb_other_connections(backend: BackendChoice) {
    let (engine, closes) = start_echo(config(backend));
    let mut neighbour = connect(engine.local_addr());
    let mut victim = connect(engine.local_addr());
    send(&mut victim, b"before reset");
    assert_eq!(read_exactly(&mut victim, 12), b"before reset");
    send(&mut victim, b"unread echo");
    thread::sleep(Duration::from_millis(50));
    reset(victim);
    wait_until(
        "the reset connection is reported closed",
        CLIENT_TIMEOUT,
        || closes.lock().unwrap().len() == 1,
    );
    let reason = closes.lock().unwrap()[0].1;
    assert!(
        matches!(reason, CloseReason::Reset | CloseReason::PeerClosed),
        "unexpected close reason {reason:?}"
    );
    for round in 0..10u8 {
        let message = [round; 100];
        send(&mut neighbour, &message);
        assert_eq!(read_exactly(&mut neighbour, 100), message);
    }
    engine.shutdown().expect("clean shutdown");
}
on_both_backends!(peer_reset_does_not_disturb_other_connections);

/// A provided-buffer ring of 4 x 1 KiB runs dry under 8 clients sending 256 KiB each: the
/// kernel ends the multishot recvs with ENOBUFS and the engine re-arms them; nothing is lost.
fn recv_buffer_ring_running_dry_is_rearmed(backend: BackendChoice) {
    let mut config = config(backend);
    config.recv_buffer_count = 4;
    config.recv_buffer_bytes = 1024;
    let (engine, _closes) = start_echo(config);
    let address = engine.local_addr();
    let clients: Vec<_> = (0..8u64)
        .map(|seed| {
            thread::spawn(move || {
                let mut stream = connect(address);
                let message = pattern(256 * 1024, seed);
                let mut writer = stream.try_clone().unwrap();
                let sent = message.clone();
                let writing = thread::spawn(move || send(&mut writer, &sent));
                let echoed = read_exactly(&mut stream, message.len());
                writing.join().unwrap();
                assert!(echoed == message, "client {seed}: the echo differs");
            })
        })
        .collect();
    for client in clients {
        client.join().expect("client");
    }
    engine.shutdown().expect("clean shutdown");
}
on_both_backends!(recv_buffer_ring_running_dry_is_rearmed);
