//! The deferred write path: a client hears back only once its txn is
//! durable (the log reports it through `commit_through`), in ZooKeeper
//! 3.8's order: per-session FIFO, other sessions' reads not held up,
//! prep seeing every pending txn, watch events at commit.

mod durable;

use durable::*;
use ringkeeper_jute::{
    AuthPacket, ConnectResponse, CreateResponse, DeleteRequest, ErrorCode, EventType,
    GetDataRequest, GetDataResponse, Jute, MultiOp, MultiRequest, MultiResponse, MultiResult,
    OpCode, SetDataRequest, SyncRequest, SyncResponse, Xid,
};
use ringkeeper_zk::{ConnectOutcome, Txn, SESSION_QUEUED_REQUESTS_MAX};

fn get_data(path: &str, watch: bool) -> GetDataRequest {
    GetDataRequest {
        path: path.into(),
        watch,
    }
}

fn set_data(path: &str, data: &[u8]) -> SetDataRequest {
    SetDataRequest {
        path: path.into(),
        data: data.into(),
        version: -1,
    }
}

fn data_of(body: &[u8]) -> Vec<u8> {
    GetDataResponse::from_bytes(body)
        .expect("getData")
        .data
        .as_bytes()
        .to_vec()
}

#[test]
fn a_write_is_answered_only_when_the_log_reports_it_durable() {
    let mut d = Durable::default();
    let a = d.connect();
    let before = d.server.last_zxid();
    d.send(&a, 1, OpCode::Create, &create_request("/a", b"x", 0));
    assert!(d.frames(a.conn).is_empty(), "no reply before the log");
    assert!(
        d.server.tree().get("/a").is_none(),
        "not applied before the log"
    );
    assert_eq!(d.server.pending_through(), Some(before + 1));

    let taken = d.take();
    assert_eq!(taken.len(), 1);
    let txn = Txn::decode(&taken[0].1).expect("the taken bytes are a txn");
    assert_eq!(
        (txn.zxid(), txn.op_code()),
        (before + 1, Some(OpCode::Create))
    );
    assert!(d.frames(a.conn).is_empty(), "appended is not durable");

    d.commit_through(before + 1);
    let (header, body) = d.reply(a.conn, 1).expect("answered at commit");
    assert_eq!((header.err, header.zxid), (0, before + 1));
    assert_eq!(
        CreateResponse::from_bytes(&body).map(|r| r.path),
        Ok("/a".to_string())
    );
    assert!(d.server.tree().get("/a").is_some());
    assert_eq!(d.server.pending_through(), None);
}

#[test]
fn a_txn_the_log_never_took_is_not_committed() {
    let mut d = Durable::default();
    let a = d.connect();
    d.send(&a, 1, OpCode::Create, &create_request("/a", b"", 0));
    d.commit_through(i64::MAX);
    assert!(d.frames(a.conn).is_empty());
    assert!(d.server.tree().get("/a").is_none());
    d.commit();
    assert_eq!(d.reply_xids(a.conn), [1]);
}

#[test]
fn a_read_behind_its_sessions_pending_write_waits_and_then_sees_it() {
    let mut d = Durable::default();
    let a = d.connect();
    d.send(&a, 1, OpCode::Create, &create_request("/a", b"old", 0));
    d.commit();
    d.clear();

    d.send(&a, 2, OpCode::SetData, &set_data("/a", b"new"));
    d.send(&a, 3, OpCode::GetData, &get_data("/a", false));
    d.send_raw(a.conn, Xid::PING, OpCode::Ping.as_i32(), &[]);
    assert!(d.frames(a.conn).is_empty(), "the read and the ping wait");
    d.commit();
    assert_eq!(d.reply_xids(a.conn), [2, 3, Xid::PING], "in the order sent");
    let (_, body) = d.reply(a.conn, 3).expect("the read");
    assert_eq!(data_of(&body), b"new");
}

#[test]
fn a_read_between_two_pending_writes_of_its_session_sees_the_first_only() {
    let mut d = Durable::default();
    let a = d.connect();
    d.send(&a, 1, OpCode::Create, &create_request("/a", b"0", 0));
    d.commit();
    d.clear();
    d.send(&a, 2, OpCode::SetData, &set_data("/a", b"1"));
    d.send(&a, 3, OpCode::GetData, &get_data("/a", false));
    d.send(&a, 4, OpCode::SetData, &set_data("/a", b"2"));
    d.commit();
    assert_eq!(d.reply_xids(a.conn), [2, 3, 4]);
    let (_, body) = d.reply(a.conn, 3).expect("the read");
    assert_eq!(data_of(&body), b"1");
}

#[test]
fn another_sessions_read_does_not_wait_and_sees_the_committed_value() {
    let mut d = Durable::default();
    let a = d.connect();
    let b = d.connect();
    d.send(&a, 1, OpCode::Create, &create_request("/a", b"old", 0));
    d.commit();
    d.clear();

    d.send(&a, 2, OpCode::SetData, &set_data("/a", b"new"));
    d.send(&b, 1, OpCode::GetData, &get_data("/a", true));
    let (_, body) = d.reply(b.conn, 1).expect("answered at once");
    assert_eq!(data_of(&body), b"old");
    d.clear();

    d.commit();
    assert_eq!(
        d.events(b.conn),
        [(EventType::NodeDataChanged.as_i32(), "/a".to_string())],
        "b's watch fires when the write is applied"
    );
    assert_eq!(d.reply_xids(a.conn), [2]);
}

#[test]
fn two_pending_creates_of_one_path_fail_the_second_with_node_exists() {
    let mut d = Durable::default();
    let a = d.connect();
    let b = d.connect();
    d.send(&a, 1, OpCode::Create, &create_request("/lock", b"", 0));
    d.send(&b, 1, OpCode::Create, &create_request("/lock", b"", 0));
    let taken = d.take();
    assert_eq!(taken.len(), 2, "the failed create is logged too");
    let second = Txn::decode(&taken[1].1).expect("a txn");
    assert_eq!(second.op_code(), Some(OpCode::Error), "an error txn");
    d.commit_through(taken[1].0);
    assert_eq!(d.reply(a.conn, 1).map(|(h, _)| h.err), Some(0));
    assert_eq!(
        d.reply(b.conn, 1).map(|(h, _)| h.err),
        Some(ErrorCode::NodeExists.as_i32())
    );
}

#[test]
fn pipelined_sequential_creates_get_distinct_names_and_answers_in_order() {
    let mut d = Durable::default();
    let a = d.connect();
    for xid in 1..=3 {
        d.send(&a, xid, OpCode::Create, &create_request("/q-", b"", 2));
    }
    let taken = d.take();
    d.commit_through(taken[0].0);
    assert_eq!(d.reply_xids(a.conn), [1], "one durable, one answered");
    d.commit_through(taken[2].0);
    assert_eq!(d.reply_xids(a.conn), [1, 2, 3]);
    let names: Vec<String> = (1..=3)
        .map(|xid| {
            let (_, body) = d.reply(a.conn, xid).expect("a reply");
            CreateResponse::from_bytes(&body).expect("a path").path
        })
        .collect();
    assert_eq!(names, ["/q-0000000000", "/q-0000000001", "/q-0000000002"]);
}

#[test]
fn a_multi_is_one_txn_and_a_failed_one_changes_nothing_at_commit() {
    let mut d = Durable::default();
    let a = d.connect();
    let ok = MultiRequest {
        ops: vec![
            MultiOp::Create(create_request("/m", b"", 0)),
            MultiOp::Create(create_request("/m/x", b"", 0)),
        ],
    };
    d.send(&a, 1, OpCode::Multi, &ok);
    // Prepped against the pending multi: /m exists, so this one fails.
    let failing = MultiRequest {
        ops: vec![
            MultiOp::Create(create_request("/m/y", b"", 0)),
            MultiOp::Create(create_request("/m", b"", 0)),
        ],
    };
    d.send(&a, 2, OpCode::Multi, &failing);
    let taken = d.take();
    assert_eq!(taken.len(), 2);
    assert!(d.frames(a.conn).is_empty());
    d.commit_through(taken[1].0);
    let (_, body) = d.reply(a.conn, 1).expect("the first multi");
    assert_eq!(
        MultiResponse::from_bytes(&body).map(|r| r.results.len()),
        Ok(2)
    );
    let (_, body) = d.reply(a.conn, 2).expect("the second multi");
    let results = MultiResponse::from_bytes(&body).expect("results").results;
    assert_eq!(
        results[1],
        MultiResult::Error {
            err: ErrorCode::NodeExists.as_i32()
        }
    );
    assert!(d.server.tree().get("/m/x").is_some());
    assert!(d.server.tree().get("/m/y").is_none());
}

#[test]
fn a_new_session_is_answered_once_its_create_session_is_durable() {
    let mut d = Durable::default();
    let (conn, outcome) = d.handshake();
    let ConnectOutcome::Accepted { session_id } = outcome else {
        panic!("{outcome:?}");
    };
    assert!(d.frames(conn).is_empty(), "no ConnectResponse yet");
    assert!(
        !d.server
            .sessions_for_snapshot()
            .iter()
            .any(|(id, _)| *id == session_id),
        "not durable: not in a snapshot"
    );
    // A client that pipelines behind its handshake waits for it.
    let a = Client {
        conn,
        session_id,
        password: [0; 16],
    };
    d.send(&a, 1, OpCode::Create, &create_request("/e", b"", 1));
    d.send(&a, 2, OpCode::GetData, &get_data("/e", false));
    let taken = d.take();
    assert_eq!(
        Txn::decode(&taken[0].1).map(|txn| txn.op_code()),
        Ok(Some(OpCode::CreateSession))
    );
    d.commit_through(taken[0].0);
    let response: ConnectResponse = d.connect_response(conn).expect("answered at commit");
    assert_eq!(
        (response.session_id, response.timeout_ms),
        (session_id, 30_000)
    );
    assert!(
        d.reply_xids(conn).len() == 1,
        "only the ConnectResponse so far"
    );
    d.commit_through(taken[1].0);
    let replies = d.frames(conn).len();
    assert_eq!(replies, 3, "ConnectResponse, create, then the read");
    assert_eq!(d.reply(conn, 2).map(|(h, _)| h.err), Some(0));
    assert!(d
        .server
        .sessions_for_snapshot()
        .iter()
        .any(|(id, timeout)| (*id, *timeout) == (session_id, 30_000)));
}

#[test]
fn a_reconnect_is_not_a_txn_and_is_answered_at_once() {
    let mut d = Durable::default();
    let a = d.connect();
    d.send(&a, 1, OpCode::Create, &create_request("/a", b"", 0));
    let (conn, outcome) = d.handshake_as(a.session_id, &a.password);
    assert_eq!(
        outcome,
        ConnectOutcome::Accepted {
            session_id: a.session_id
        }
    );
    assert!(
        d.connect_response(conn).is_some(),
        "answered in the same call"
    );
    assert!(d.closed(a.conn), "the old connection goes");
    assert_eq!(
        d.server.pending_through(),
        Some(d.server.last_zxid() + 1),
        "only the create"
    );
    d.commit();
    assert!(
        d.reply(conn, 1).is_none(),
        "the create's reply was the old connection's"
    );
}

#[test]
fn a_client_close_answers_and_deletes_its_ephemerals_at_commit() {
    let mut d = Durable::default();
    let a = d.connect();
    let b = d.connect();
    d.send(&a, 1, OpCode::Create, &create_request("/e", b"", 1));
    d.commit();
    d.send(
        &b,
        1,
        OpCode::Exists,
        &ringkeeper_jute::ExistsRequest {
            path: "/e".into(),
            watch: true,
        },
    );
    d.clear();

    d.send_raw(a.conn, 2, OpCode::CloseSession.as_i32(), &[]);
    d.send(&a, 3, OpCode::GetData, &get_data("/e", false));
    assert!(d.frames(a.conn).is_empty());
    assert!(!d.closed(a.conn), "open until the close is durable");
    assert!(
        d.server.tree().get("/e").is_some(),
        "ephemerals stay until commit"
    );
    d.commit();
    assert_eq!(
        d.reply_xids(a.conn),
        [2],
        "the close's reply; the later read is dropped"
    );
    assert!(d.closed(a.conn));
    assert!(d.server.tree().get("/e").is_none());
    assert_eq!(
        d.events(b.conn),
        [(EventType::NodeDeleted.as_i32(), "/e".to_string())]
    );
    assert_eq!(d.server.session_count(), 1);
}

#[test]
fn an_expired_session_is_closed_through_the_log() {
    let mut d = Durable::default();
    let a = d.connect();
    d.send(&a, 1, OpCode::Create, &create_request("/e", b"", 1));
    d.commit();
    d.clear();
    d.tick(T0_MS + 60_000);
    assert!(!d.closed(a.conn), "closed when the closeSession is durable");
    let taken = d.take();
    let close = Txn::decode(&taken[0].1).expect("a txn");
    assert_eq!(
        (close.op_code(), close.session_id()),
        (Some(OpCode::CloseSession), a.session_id)
    );
    assert!(d.server.tree().get("/e").is_some());
    // Its requests meanwhile are dropped, as ZooKeeper drops them.
    d.send(&a, 2, OpCode::GetData, &get_data("/e", false));
    d.commit_through(close.zxid());
    assert!(d.closed(a.conn));
    assert!(d.reply_xids(a.conn).is_empty(), "no reply to an expiry");
    assert!(d.server.tree().get("/e").is_none());
    assert_eq!(d.server.counters().sessions_expired, 1);
}

#[test]
fn auth_is_answered_at_once_even_behind_a_pending_write() {
    let mut d = Durable::default();
    let a = d.connect();
    d.send(&a, 1, OpCode::Create, &create_request("/a", b"", 0));
    let auth = AuthPacket {
        auth_type: 0,
        scheme: "digest".into(),
        auth: b"u:p".to_vec(),
    };
    d.send_raw(a.conn, -4, OpCode::Auth.as_i32(), &auth.to_bytes());
    assert_eq!(d.reply_xids(a.conn), [-4]);
    d.commit();
    assert_eq!(d.reply_xids(a.conn), [-4, 1]);
}

#[test]
fn a_sync_waits_for_every_txn_prepped_before_it() {
    let mut d = Durable::default();
    let a = d.connect();
    let b = d.connect();
    d.send(&a, 1, OpCode::Create, &create_request("/a", b"", 0));
    let sync = SyncRequest { path: "/a".into() };
    d.send(&b, 1, OpCode::Sync, &sync);
    d.send(&b, 2, OpCode::GetData, &get_data("/a", false));
    assert!(d.frames(b.conn).is_empty(), "b's sync waits for a's write");
    d.commit();
    assert_eq!(d.reply_xids(b.conn), [1, 2]);
    let (_, body) = d.reply(b.conn, 1).expect("sync");
    assert_eq!(
        SyncResponse::from_bytes(&body).map(|r| r.path),
        Ok("/a".into())
    );
    assert_eq!(
        d.reply(b.conn, 2).map(|(h, _)| h.err),
        Some(0),
        "sees a's node"
    );
    d.clear();
    d.send(&b, 3, OpCode::Sync, &sync);
    assert_eq!(d.reply_xids(b.conn), [3], "nothing pending: at once");
}

#[test]
fn the_watch_event_goes_out_before_the_reply_that_shows_the_change() {
    let mut d = Durable::default();
    let a = d.connect();
    d.send(&a, 1, OpCode::Create, &create_request("/a", b"", 0));
    d.commit();
    d.send(&a, 2, OpCode::GetData, &get_data("/a", true));
    d.clear();
    d.send(&a, 3, OpCode::SetData, &set_data("/a", b"v"));
    d.commit();
    let frames = d.frames(a.conn);
    assert!(matches!(&frames[0], Frame::Event(event) if event.path == "/a"));
    assert!(matches!(&frames[1], Frame::Reply { header, .. } if header.xid == 3));
}

#[test]
fn a_closed_connections_waiting_reads_never_run() {
    let mut d = Durable::default();
    let a = d.connect();
    d.send(&a, 1, OpCode::Create, &create_request("/a", b"", 0));
    d.send(&a, 2, OpCode::GetData, &get_data("/a", true));
    d.server.connection_closed(a.conn);
    d.commit();
    assert!(d.server.tree().get("/a").is_some(), "the write stands");
    assert_eq!(d.server.watch_count(), 0, "the waiting read set no watch");
    assert!(d.frames(a.conn).is_empty());
}

#[test]
fn a_session_past_the_queue_limit_has_its_connection_closed() {
    let mut d = Durable::default();
    let a = d.connect();
    d.send(&a, 1, OpCode::Create, &create_request("/a", b"", 0));
    for xid in 2..=SESSION_QUEUED_REQUESTS_MAX as i32 {
        d.send(&a, xid, OpCode::GetData, &get_data("/a", false));
    }
    assert!(!d.closed(a.conn));
    d.send(&a, -7, OpCode::GetData, &get_data("/a", false));
    assert!(d.closed(a.conn));
    assert_eq!(d.server.counters().session_queue_overflows, 1);
    d.commit();
    assert!(d.server.tree().get("/a").is_some());
}

#[test]
fn a_delete_and_a_later_create_in_flight_see_each_other() {
    let mut d = Durable::default();
    let a = d.connect();
    let b = d.connect();
    d.send(&a, 1, OpCode::Create, &create_request("/a", b"1", 0));
    d.commit();
    d.clear();
    d.send(
        &a,
        2,
        OpCode::Delete,
        &DeleteRequest {
            path: "/a".into(),
            version: -1,
        },
    );
    d.send(&b, 1, OpCode::Create, &create_request("/a", b"2", 0));
    d.commit();
    assert_eq!(d.reply(a.conn, 2).map(|(h, _)| h.err), Some(0));
    assert_eq!(d.reply(b.conn, 1).map(|(h, _)| h.err), Some(0));
    assert_eq!(
        d.server.tree().get("/a").map(|n| n.data().to_vec()),
        Some(b"2".to_vec())
    );
}

#[test]
fn a_create_session_op_after_the_handshake_is_answered_at_commit() {
    let mut d = Durable::default();
    let a = d.connect();
    d.send_raw(
        a.conn,
        5,
        OpCode::CreateSession.as_i32(),
        &20_000i32.to_be_bytes(),
    );
    assert!(d.frames(a.conn).is_empty());
    d.commit();
    let response = d.connect_response(a.conn).expect("a ConnectResponse");
    assert_eq!(
        (response.session_id, response.timeout_ms),
        (a.session_id, 30_000)
    );
}

#[test]
fn the_immediate_mode_answers_at_once_and_leaves_nothing_for_the_log() {
    let mut d = Durable::default();
    d.server.set_apply_mode(ringkeeper_zk::ApplyMode::Immediate);
    let (conn, _) = d.handshake();
    assert!(d.connect_response(conn).is_some());
    assert!(d.take().is_empty());
    assert_eq!(d.server.pending_through(), None);
}
