//! What the state machine takes from zoo.cfg: the session timeout bounds
//! a handshake negotiates against, and a server id that fits session ids.

mod common;

use std::net::{IpAddr, Ipv4Addr};

use common::*;
use ringkeeper_jute::ConnectRequest;
use ringkeeper_zk::{ConnectOutcome, ZkConfig, ZkServer};

fn negotiated_ms(h: &mut Harness, requested_ms: i32) -> (i64, u32) {
    let request = ConnectRequest {
        timeout_ms: requested_ms,
        ..ConnectRequest::default()
    };
    let (_, outcome) = h.handshake(IpAddr::V4(Ipv4Addr::LOCALHOST), &request);
    let ConnectOutcome::Accepted { session_id } = outcome else {
        panic!("handshake refused: {outcome:?}");
    };
    let timeout_ms = h
        .server
        .session_timeout_ms(session_id)
        .expect("a live session has a timeout");
    (session_id, timeout_ms)
}

/// Bug (reported by the shell's author): zoo.cfg's minSessionTimeout and
/// maxSessionTimeout had to reach the session tracker, as ZooKeeper's
/// processConnectRequest clamps every asked timeout into them (a
/// negative one becomes the minimum).
#[test]
fn min_and_max_session_timeout_bound_what_a_handshake_negotiates() {
    let mut h = Harness::new(ZkConfig {
        min_session_timeout_ms: 5_000,
        max_session_timeout_ms: 7_000,
        ..config()
    });
    assert_eq!(negotiated_ms(&mut h, 30_000).1, 7_000);
    assert_eq!(negotiated_ms(&mut h, 100).1, 5_000);
    assert_eq!(negotiated_ms(&mut h, 6_000).1, 6_000);
    assert_eq!(negotiated_ms(&mut h, -1).1, 5_000);

    // 0 means ZooKeeper's defaults: 2 and 20 ticks.
    let mut defaults = Harness::new(ZkConfig {
        tick_time_ms: 1_000,
        ..config()
    });
    assert_eq!(negotiated_ms(&mut defaults, 60_000).1, 20_000);
    assert_eq!(negotiated_ms(&mut defaults, 1).1, 2_000);
}

#[test]
fn session_timeout_of_an_unknown_session_is_none() {
    let mut h = Harness::default();
    let (session_id, _) = negotiated_ms(&mut h, 10_000);
    assert_eq!(h.server.session_timeout_ms(session_id + 1), None);
}

/// Bug: a server id above 254 (it would not fit the top byte of a
/// session id next to the TTL marker 0xff) could only be refused by a
/// panic deep in the session tracker; `try_new` says why.
#[test]
fn a_server_id_above_254_is_a_clear_error() {
    let error = ZkServer::try_new(
        ZkConfig {
            server_id: 255,
            ..config()
        },
        T0_MS,
    )
    .err()
    .expect("server id 255 is refused");
    assert!(error.to_string().contains("server id 255"), "{error}");
    assert!(ZkServer::try_new(
        ZkConfig {
            server_id: 254,
            ..config()
        },
        T0_MS
    )
    .is_ok());
    let inverted = ZkServer::try_new(
        ZkConfig {
            min_session_timeout_ms: 9_000,
            max_session_timeout_ms: 8_000,
            ..config()
        },
        T0_MS,
    );
    assert!(inverted.is_err());
}
