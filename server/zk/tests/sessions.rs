//! Sessions and connections: the handshake, closeSession, expiry, and the
//! requests answered outside the pipeline (ping, auth, unknown ops).
//! Each rule was observed on Apache ZooKeeper 3.8.0.

mod common;

use std::net::{IpAddr, Ipv4Addr};

use common::*;
use ringkeeper_jute::{
    AuthPacket, CheckVersionRequest, ConnectRequest, ConnectResponse, ErrorCode, ExistsRequest,
    GetChildrenRequest, GetDataRequest, GetDataResponse, GetEphemeralsRequest,
    GetEphemeralsResponse, Jute, OpCode, ReconfigRequest, Xid,
};
use ringkeeper_zk::ConnectOutcome;

const LOCALHOST: IpAddr = IpAddr::V4(Ipv4Addr::LOCALHOST);

fn resume(
    h: &mut Harness,
    client: &Client,
    password: [u8; 16],
) -> (u64, ConnectOutcome, ConnectResponse) {
    let request = ConnectRequest {
        timeout_ms: 10_000,
        session_id: client.session_id,
        password: password.to_vec(),
        ..ConnectRequest::default()
    };
    let (conn, outcome) = h.handshake(LOCALHOST, &request);
    let frame = h
        .out
        .frames()
        .find(|(to, _)| *to == conn)
        .map(|(_, bytes)| bytes.to_vec())
        .expect("a response");
    (
        conn,
        outcome,
        ConnectResponse::from_bytes(&frame[4..]).unwrap(),
    )
}

/// ZooKeeper 3.8: resuming a session closes the connection that held it;
/// a wrong password is answered (timeout 0, session 0, 16 zero bytes) and
/// closed, and it still closes the holder first.
#[test]
fn resuming_a_session_moves_it_and_a_wrong_password_is_refused() {
    let mut h = Harness::default();
    let first = h.connect();
    let (second, outcome, response) = resume(&mut h, &first, first.password);
    assert_eq!(
        outcome,
        ConnectOutcome::Accepted {
            session_id: first.session_id
        }
    );
    assert_eq!(
        (response.session_id, response.timeout_ms),
        (first.session_id, 10_000)
    );
    assert_eq!(response.password, first.password);
    assert!(h.closed(first.conn), "the old connection is closed");
    assert!(!h.closed(second));

    let (third, outcome, response) = resume(&mut h, &first, [7; 16]);
    assert_eq!(outcome, ConnectOutcome::Refused);
    assert_eq!(
        (response.timeout_ms, response.session_id, response.password),
        (0, 0, vec![0; 16])
    );
    assert!(h.closed(third));
    assert!(
        h.closed(second),
        "ZooKeeper closes the holder before checking the password"
    );

    let unknown = Client {
        session_id: first.session_id + 999,
        ..first
    };
    let (_, outcome, _) = resume(&mut h, &unknown, first.password);
    assert_eq!(outcome, ConnectOutcome::Refused);
}

/// ZooKeeper 3.8: a client that has seen a later zxid is closed without
/// a reply; the read-only byte is echoed only when the client sent it;
/// the timeout is clamped to [2, 20] ticks.
#[test]
fn handshake_edges() {
    let mut h = Harness::default();
    let ahead = ConnectRequest {
        last_zxid_seen: 1 << 40,
        ..ConnectRequest::default()
    };
    let (conn, outcome) = h.handshake(LOCALHOST, &ahead);
    assert_eq!(outcome, ConnectOutcome::Dropped);
    assert_eq!((h.out.frames().count(), h.closed(conn)), (0, true));

    let conn = h.open(LOCALHOST);
    h.out.clear();
    let old_client = ConnectRequest {
        timeout_ms: 100_000,
        ..ConnectRequest::default()
    };
    h.server
        .connect(conn, &old_client, false, h.now_ms, &mut h.out);
    let (_, bytes) = h.out.frames().next().unwrap();
    assert_eq!(bytes.len(), 4 + 4 + 4 + 8 + 4 + 16, "no read-only byte");
    let response = ConnectResponse::from_bytes(&bytes[4..]).unwrap();
    assert_eq!(response.timeout_ms, 40_000, "20 ticks of 2 s at most");
}

/// closeSession: the session's ephemerals are deleted (other sessions'
/// watches fire), the reply comes, then the connection closes. ZooKeeper
/// 3.8 deleted /s-0000000001 before /e1 (its HashSet order).
#[test]
fn close_session_deletes_ephemerals_fires_watches_then_closes() {
    let mut h = Harness::default();
    let owner = h.connect();
    let watcher = h.connect();
    h.call(&owner, 1, OpCode::Create, &create_request("/e1", b"", 1));
    h.call(&owner, 2, OpCode::Create, &create_request("/s-", b"", 3));
    let listed = h.call(
        &owner,
        3,
        OpCode::GetEphemerals,
        &GetEphemeralsRequest {
            prefix_path: "/".into(),
        },
    );
    assert_eq!(
        listed.decode::<GetEphemeralsResponse>().ephemerals,
        ["/s-0000000001", "/e1"]
    );
    let prefixed = h.call(
        &owner,
        4,
        OpCode::GetEphemerals,
        &GetEphemeralsRequest {
            prefix_path: "/s".into(),
        },
    );
    assert_eq!(
        prefixed.decode::<GetEphemeralsResponse>().ephemerals,
        ["/s-0000000001"]
    );
    h.call(
        &watcher,
        1,
        OpCode::Exists,
        &ExistsRequest {
            path: "/e1".into(),
            watch: true,
        },
    );
    h.call(
        &watcher,
        2,
        OpCode::GetChildren,
        &GetChildrenRequest {
            path: "/".into(),
            watch: true,
        },
    );

    h.send(owner.conn, 5, OpCode::CloseSession.as_i32(), &[]);
    let reply = h.answer(owner.conn, 5).expect("closeSession is answered");
    assert_eq!(reply.err(), 0);
    assert!(h.closed(owner.conn));
    assert_eq!(
        h.events(watcher.conn),
        vec![(4, "/".to_string()), (2, "/e1".to_string())]
    );
    assert_eq!(h.server.ephemeral_count(), 0);
    assert_eq!(h.server.session_count(), 1);
    let (_, outcome, _) = resume(&mut h, &owner, owner.password);
    assert_eq!(
        outcome,
        ConnectOutcome::Refused,
        "a closed session cannot be resumed"
    );
}

/// A session not heard from expires at its tick bucket: a closeSession
/// txn deletes its ephemerals (watches fire) and its connection is
/// closed without a reply; pings keep a session alive.
#[test]
fn an_idle_session_expires_and_a_pinging_one_does_not() {
    let mut h = Harness::default();
    let idle = h.connect();
    let live = h.connect();
    h.call(&idle, 1, OpCode::Create, &create_request("/lock", b"", 1));
    h.call(
        &live,
        1,
        OpCode::Exists,
        &ExistsRequest {
            path: "/lock".into(),
            watch: true,
        },
    );
    for step in 1..=20 {
        let now = T0_MS + step * 2_000;
        h.now_ms = now;
        h.send(live.conn, Xid::PING, OpCode::Ping.as_i32(), &[]);
        let ping = h.answer(live.conn, Xid::PING).expect("ping answered");
        assert_eq!((ping.err(), ping.body.len()), (0, 0));
        h.tick(now);
        if h.closed(idle.conn) {
            assert!(now >= T0_MS + 30_000, "not before its timeout");
            assert_eq!(h.events(live.conn), vec![(2, "/lock".to_string())]);
            assert!(
                h.frames(idle.conn).is_empty(),
                "no reply to an expired session"
            );
            assert_eq!(h.server.session_count(), 1);
            assert!(!h.closed(live.conn));
            return;
        }
    }
    panic!("the idle session never expired");
}

/// ZooKeeper 3.8: a ping is answered with xid -2 whatever its xid; an
/// unknown op with UNIMPLEMENTED and zxid -1, then the connection closes;
/// auth is answered with zxid 0, a bad scheme with AUTHFAILED and a close.
#[test]
fn pings_unknown_ops_and_auth_are_answered_as_zookeeper_does() {
    let mut h = Harness::default();
    let c = h.connect();
    h.send(c.conn, 77, OpCode::Ping.as_i32(), &[]);
    assert_eq!(
        h.answer(c.conn, Xid::PING).unwrap().header.zxid,
        h.server.last_zxid()
    );

    let auth = AuthPacket {
        auth_type: 0,
        scheme: "digest".into(),
        auth: b"u:p".to_vec(),
    };
    let ok = h.call(&c, Xid::AUTH, OpCode::Auth, &auth);
    assert_eq!((ok.err(), ok.header.zxid), (0, 0));
    assert!(!h.closed(c.conn));
    let bogus = AuthPacket {
        scheme: "bogus".into(),
        ..auth
    };
    let failed = h.call(&c, Xid::AUTH, OpCode::Auth, &bogus);
    assert_eq!(
        (failed.err(), failed.header.zxid),
        (ErrorCode::AuthFailed.as_i32(), 0)
    );
    assert!(h.closed(c.conn));

    let c = h.connect();
    h.send(c.conn, 21, 555, &[]);
    let unknown = h.answer(c.conn, 21).unwrap();
    assert_eq!(
        (unknown.err(), unknown.header.zxid),
        (ErrorCode::Unimplemented.as_i32(), -1)
    );
    assert!(h.closed(c.conn));
}

/// ZooKeeper 3.8 standalone: reconfig is RECONFIGDISABLED (a zxid taken);
/// a standalone check that passes is applied and never answered; one that
/// fails is answered; /zookeeper/config is empty, READ-only, aversion -1.
#[test]
fn reconfig_check_and_get_config_in_standalone() {
    let mut h = Harness::default();
    let c = h.connect();
    let reconfig = h.call(
        &c,
        1,
        OpCode::Reconfig,
        &ReconfigRequest {
            cur_config_id: -1,
            ..ReconfigRequest::default()
        },
    );
    assert_eq!(
        (reconfig.err(), reconfig.header.zxid),
        (ErrorCode::ReconfigDisabled.as_i32(), 2)
    );

    h.call(&c, 2, OpCode::Create, &create_request("/a", b"", 0));
    h.send(
        c.conn,
        3,
        OpCode::Check.as_i32(),
        &CheckVersionRequest {
            path: "/a".into(),
            version: 0,
        }
        .to_bytes(),
    );
    assert!(h.answer(c.conn, 3).is_none());
    assert_eq!(h.server.last_zxid(), 4, "the check was applied");
    let stale = h.call(
        &c,
        4,
        OpCode::Check,
        &CheckVersionRequest {
            path: "/a".into(),
            version: 5,
        },
    );
    assert_eq!(
        (stale.err(), stale.header.zxid),
        (ErrorCode::BadVersion.as_i32(), 5)
    );

    let config = h.call(
        &c,
        5,
        OpCode::GetData,
        &GetDataRequest {
            path: "/zookeeper/config".into(),
            watch: false,
        },
    );
    let config = config.decode::<GetDataResponse>();
    assert_eq!(
        (config.data.len(), config.stat.aversion, config.stat.version),
        (0, -1, 0)
    );
    let root = h.call(
        &c,
        6,
        OpCode::GetData,
        &GetDataRequest {
            path: "".into(),
            watch: false,
        },
    );
    assert_eq!(root.err(), 0, "\"\" names the root in ZooKeeper's node map");
}

/// sessions_max bounds the sessions: a handshake past it is closed without
/// a reply, so the client tries another server (or later).
#[test]
fn handshakes_past_sessions_max_are_dropped() {
    let mut h = Harness::new(ringkeeper_zk::ZkConfig {
        sessions_max: 1,
        ..config()
    });
    h.connect();
    let (conn, outcome) = h.handshake(LOCALHOST, &ConnectRequest::default());
    assert_eq!(outcome, ConnectOutcome::Dropped);
    assert!(h.closed(conn));
    assert_eq!(h.out.frames().count(), 0);
}
