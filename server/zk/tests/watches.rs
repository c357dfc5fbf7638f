//! Watches seen from the wire: which events a change sends to whom, in
//! which order relative to replies, and the watch requests. Checked
//! against Apache ZooKeeper 3.8.0 where the comment says so.

mod common;

use common::*;
use ringkeeper_jute::{
    AddWatchRequest, CheckWatchesRequest, DeleteRequest, ErrorCode, ExistsRequest,
    GetChildrenRequest, GetDataRequest, OpCode, RemoveWatchesRequest, SetDataRequest, SetWatches,
    SetWatches2, Xid,
};

const CREATED: i32 = 1;
const DELETED: i32 = 2;
const DATA_CHANGED: i32 = 3;
const CHILDREN_CHANGED: i32 = 4;

fn watch_data(h: &mut Harness, c: &Client, path: &str) -> i32 {
    h.call(
        c,
        800,
        OpCode::GetData,
        &GetDataRequest {
            path: path.into(),
            watch: true,
        },
    )
    .err()
}

fn watch_exists(h: &mut Harness, c: &Client, path: &str) -> i32 {
    h.call(
        c,
        801,
        OpCode::Exists,
        &ExistsRequest {
            path: path.into(),
            watch: true,
        },
    )
    .err()
}

fn watch_children(h: &mut Harness, c: &Client, path: &str) -> i32 {
    h.call(
        c,
        802,
        OpCode::GetChildren,
        &GetChildrenRequest {
            path: path.into(),
            watch: true,
        },
    )
    .err()
}

/// The event of a write reaches every watcher before the writer's reply
/// leaves (all go out in one outbox, in order), and a one-shot watch
/// fires once.
#[test]
fn a_data_watch_fires_once_before_the_writes_reply() {
    let mut h = Harness::default();
    let writer = h.connect();
    let watcher = h.connect();
    h.call(&writer, 1, OpCode::Create, &create_request("/a", b"", 0));
    assert_eq!(watch_data(&mut h, &watcher, "/a"), 0);
    h.call(
        &writer,
        2,
        OpCode::SetData,
        &SetDataRequest {
            path: "/a".into(),
            data: b"1".into(),
            version: -1,
        },
    );
    assert_eq!(
        h.events(watcher.conn),
        vec![(DATA_CHANGED, "/a".to_string())]
    );
    let order: Vec<_> = h.out.frames().map(|(conn, _)| conn).collect();
    assert_eq!(
        order,
        vec![watcher.conn, writer.conn],
        "event first, then the reply"
    );
    // The event frame: xid -1, zxid -1 (3.8), err 0, state SyncConnected.
    let (_, bytes) = h.out.frames().next().unwrap();
    assert_eq!(&bytes[4..8], &(-1i32).to_be_bytes());
    assert_eq!(&bytes[8..16], &(-1i64).to_be_bytes());
    h.call(
        &writer,
        3,
        OpCode::SetData,
        &SetDataRequest {
            path: "/a".into(),
            data: b"2".into(),
            version: -1,
        },
    );
    assert!(h.events(watcher.conn).is_empty(), "one-shot");
}

/// exists() on a missing node answers NoNode but leaves a watch that
/// fires NodeCreated; the parent's child watch fires NodeChildrenChanged.
#[test]
fn exists_on_a_missing_node_watches_for_its_creation() {
    let mut h = Harness::default();
    let writer = h.connect();
    let watcher = h.connect();
    assert_eq!(
        watch_exists(&mut h, &watcher, "/n"),
        ErrorCode::NoNode.as_i32()
    );
    assert_eq!(watch_children(&mut h, &watcher, "/"), 0);
    h.call(&writer, 1, OpCode::Create, &create_request("/n", b"", 0));
    assert_eq!(
        h.events(watcher.conn),
        vec![
            (CREATED, "/n".to_string()),
            (CHILDREN_CHANGED, "/".to_string())
        ]
    );
}

/// ZooKeeper 3.8: a connection with an exists, a data and a child watch
/// on /e1 and a child watch on "/" gets one NodeDeleted for /e1 and one
/// NodeChildrenChanged for "/" when /e1 is deleted.
#[test]
fn a_delete_notifies_each_watcher_once() {
    let mut h = Harness::default();
    let writer = h.connect();
    let watcher = h.connect();
    h.call(&writer, 1, OpCode::Create, &create_request("/e1", b"", 0));
    watch_exists(&mut h, &watcher, "/e1");
    watch_data(&mut h, &watcher, "/e1");
    watch_children(&mut h, &watcher, "/e1");
    watch_children(&mut h, &watcher, "/");
    h.call(
        &writer,
        2,
        OpCode::Delete,
        &DeleteRequest {
            path: "/e1".into(),
            version: -1,
        },
    );
    assert_eq!(
        h.events(watcher.conn),
        vec![
            (DELETED, "/e1".to_string()),
            (CHILDREN_CHANGED, "/".to_string())
        ]
    );
    assert_eq!(h.server.watch_count(), 0);
}

/// ZooKeeper 3.8: after addWatch /r PERSISTENT_RECURSIVE, creating /r
/// and /r/x sends NodeCreated /r and NodeCreated /r/x, and no
/// NodeChildrenChanged. addWatch answers with a 4-byte ErrorResponse(0);
/// an unknown mode is MarshallingError.
#[test]
fn persistent_recursive_watches_see_every_descendant_but_no_child_events() {
    let mut h = Harness::default();
    let writer = h.connect();
    let watcher = h.connect();
    let added = h.call(
        &watcher,
        1,
        OpCode::AddWatch,
        &AddWatchRequest {
            path: "/r".into(),
            mode: 1,
        },
    );
    assert_eq!(
        (added.err(), added.body.as_slice()),
        (0, &[0u8, 0, 0, 0][..])
    );
    let bad = h.call(
        &watcher,
        2,
        OpCode::AddWatch,
        &AddWatchRequest {
            path: "/r".into(),
            mode: 7,
        },
    );
    assert_eq!(bad.err(), ErrorCode::MarshallingError.as_i32());
    h.call(&writer, 1, OpCode::Create, &create_request("/r", b"", 0));
    assert_eq!(h.events(watcher.conn), vec![(CREATED, "/r".to_string())]);
    h.call(&writer, 2, OpCode::Create, &create_request("/r/x", b"", 0));
    assert_eq!(h.events(watcher.conn), vec![(CREATED, "/r/x".to_string())]);
    h.call(
        &writer,
        3,
        OpCode::SetData,
        &SetDataRequest {
            path: "/r/x".into(),
            data: Vec::new().into(),
            version: -1,
        },
    );
    assert_eq!(
        h.events(watcher.conn),
        vec![(DATA_CHANGED, "/r/x".to_string())]
    );
}

/// A persistent watch fires for the node's data and children, and stays.
#[test]
fn persistent_watches_stay_and_include_child_events() {
    let mut h = Harness::default();
    let writer = h.connect();
    let watcher = h.connect();
    h.call(&writer, 1, OpCode::Create, &create_request("/p", b"", 0));
    h.call(
        &watcher,
        1,
        OpCode::AddWatch,
        &AddWatchRequest {
            path: "/p".into(),
            mode: 0,
        },
    );
    for xid in 2..4 {
        h.call(
            &writer,
            xid,
            OpCode::Create,
            &create_request(&format!("/p/c{xid}"), b"", 0),
        );
        assert_eq!(
            h.events(watcher.conn),
            vec![(CHILDREN_CHANGED, "/p".to_string())]
        );
    }
}

/// ZooKeeper 3.8: setWatches with relativeZxid 1 for data [/mm, /gone],
/// exist [/mm, /notyet], child [/mm, /gone2], where /mm changed after
/// zxid 1, answers xid -8 after the events NodeDataChanged /mm,
/// NodeDeleted /gone, NodeCreated /mm, NodeChildrenChanged /mm,
/// NodeDeleted /gone2, and keeps the exist watch on /notyet.
#[test]
fn set_watches_replays_missed_events_before_its_reply() {
    let mut h = Harness::default();
    let writer = h.connect();
    h.call(&writer, 1, OpCode::Create, &create_request("/mm", b"", 0));
    h.call(&writer, 2, OpCode::Create, &create_request("/mm/c", b"", 0));
    let watcher = h.connect();
    let replay = SetWatches {
        relative_zxid: 1,
        data_watches: vec!["/mm".into(), "/gone".into()],
        exist_watches: vec!["/mm".into(), "/notyet".into()],
        child_watches: vec!["/mm".into(), "/gone2".into()],
    };
    let answer = h.call(&watcher, Xid::SET_WATCHES, OpCode::SetWatches, &replay);
    assert_eq!(
        (answer.err(), answer.header.zxid),
        (0, h.server.last_zxid())
    );
    let events: Vec<_> = answer
        .events_before
        .iter()
        .map(|e| (e.event_type, e.path.as_str()))
        .collect();
    assert_eq!(
        events,
        vec![
            (DATA_CHANGED, "/mm"),
            (DELETED, "/gone"),
            (CREATED, "/mm"),
            (CHILDREN_CHANGED, "/mm"),
            (DELETED, "/gone2")
        ]
    );
    h.call(
        &writer,
        3,
        OpCode::Create,
        &create_request("/notyet", b"", 0),
    );
    assert_eq!(
        h.events(watcher.conn),
        vec![(CREATED, "/notyet".to_string())]
    );

    // Up to date: the watches are set, nothing fires.
    let current = SetWatches2 {
        relative_zxid: h.server.last_zxid(),
        data_watches: vec!["/mm".into()],
        child_watches: vec!["/mm".into()],
        persistent_recursive_watches: vec!["/deep".into()],
        ..SetWatches2::default()
    };
    let answer = h.call(&watcher, Xid::SET_WATCHES, OpCode::SetWatches2, &current);
    assert!(answer.events_before.is_empty());
    h.call(
        &writer,
        4,
        OpCode::Delete,
        &DeleteRequest {
            path: "/mm/c".into(),
            version: -1,
        },
    );
    assert_eq!(
        h.events(watcher.conn),
        vec![(CHILDREN_CHANGED, "/mm".to_string())]
    );
}

/// checkWatches/removeWatches answer NoWatcher when nothing matches; an
/// unknown watcher type is MarshallingError; a closed connection's
/// watches are dropped.
#[test]
fn watch_removal_and_closed_connections() {
    let mut h = Harness::default();
    let writer = h.connect();
    let watcher = h.connect();
    h.call(&writer, 1, OpCode::Create, &create_request("/w", b"", 0));
    watch_data(&mut h, &watcher, "/w");
    let check = |path: &str, watcher_type: i32| CheckWatchesRequest {
        path: path.into(),
        watcher_type,
    };
    assert_eq!(
        h.call(&watcher, 1, OpCode::CheckWatches, &check("/w", 2))
            .err(),
        0
    );
    assert_eq!(
        h.call(&watcher, 2, OpCode::CheckWatches, &check("/w", 1))
            .err(),
        ErrorCode::NoWatcher.as_i32()
    );
    assert_eq!(
        h.call(&watcher, 3, OpCode::CheckWatches, &check("/w", 9))
            .err(),
        ErrorCode::MarshallingError.as_i32()
    );
    let remove = RemoveWatchesRequest {
        path: "/w".into(),
        watcher_type: 3,
    };
    assert_eq!(h.call(&watcher, 4, OpCode::RemoveWatches, &remove).err(), 0);
    assert_eq!(
        h.call(&watcher, 5, OpCode::RemoveWatches, &remove).err(),
        ErrorCode::NoWatcher.as_i32()
    );
    watch_data(&mut h, &watcher, "/w");
    assert_eq!(h.server.watch_count(), 1);
    h.server.connection_closed(watcher.conn);
    assert_eq!(h.server.watch_count(), 0);
    h.call(
        &writer,
        2,
        OpCode::SetData,
        &SetDataRequest {
            path: "/w".into(),
            data: Vec::new().into(),
            version: -1,
        },
    );
    assert_eq!(h.out.frames().count(), 1, "only the writer's reply");
}

/// watches_max bounds the server's watches: past it a watching read is
/// refused with ThrottledOp (not executed, the client may retry).
#[test]
fn watches_past_watches_max_are_refused_with_throttled_op() {
    let mut h = Harness::new(ringkeeper_zk::ZkConfig {
        watches_max: 2,
        ..config()
    });
    let c = h.connect();
    assert_eq!(watch_exists(&mut h, &c, "/1"), ErrorCode::NoNode.as_i32());
    assert_eq!(watch_exists(&mut h, &c, "/2"), ErrorCode::NoNode.as_i32());
    assert_eq!(
        watch_exists(&mut h, &c, "/3"),
        ErrorCode::ThrottledOp.as_i32()
    );
    assert_eq!(
        watch_data(&mut h, &c, "/zookeeper"),
        ErrorCode::ThrottledOp.as_i32()
    );
    assert_eq!(h.server.watch_count(), 2);
}
