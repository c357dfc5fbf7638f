//! A path sent as jute's null (length -1): Java's jute keeps it as `null`
//! and ZooKeeper 3.8 fails where it first uses it, so the answer depends on
//! the op. ringkeeper used to read it as "" (BadArguments, or the root for
//! the reads). Each expected answer is what Debian's ZooKeeper 3.8.0 sent
//! back to the same raw request; it kept the connection every time.

mod common;

use common::*;
use ringkeeper_jute::wire::{put_boolean, put_buffer, put_int, put_long};
use ringkeeper_jute::{
    ErrorCode, GetEphemeralsResponse, Jute, MultiHeader, MultiResponse, MultiResult, OpCode,
};

fn body(parts: impl FnOnce(&mut Vec<u8>)) -> Vec<u8> {
    let mut out = Vec::new();
    parts(&mut out);
    out
}

fn null(out: &mut Vec<u8>) {
    put_int(out, -1);
}

fn create_body(path: impl Fn(&mut Vec<u8>), flags: i32) -> Vec<u8> {
    body(|out| {
        path(out);
        put_buffer(out, b"");
        put_int(out, 1);
        open_acl()[0].encode(out);
        put_int(out, flags);
    })
}

/// A path and then one int (version, mode or watcher type).
fn path_int(path: impl Fn(&mut Vec<u8>), value: i32) -> Vec<u8> {
    body(|out| {
        path(out);
        put_int(out, value);
    })
}

fn null_watch() -> Vec<u8> {
    body(|out| {
        null(out);
        put_boolean(out, true);
    })
}

/// A multi (or multiRead) body of `ops`, each an op code and its record.
fn multi(ops: &[(OpCode, Vec<u8>)]) -> Vec<u8> {
    body(|out| {
        for (op, record) in ops {
            MultiHeader {
                op_code: op.as_i32(),
                done: false,
                err: -1,
            }
            .encode(out);
            out.extend_from_slice(record);
        }
        MultiHeader {
            op_code: -1,
            done: true,
            err: -1,
        }
        .encode(out);
    })
}

fn path_of(path: &'static str) -> impl Fn(&mut Vec<u8>) {
    move |out| put_buffer(out, path.as_bytes())
}

/// Sends `body` as `op` and returns (err, header zxid), checking that the
/// connection stays open.
fn send(h: &mut Harness, c: &Client, xid: i32, op: OpCode, body: &[u8]) -> (i32, i64) {
    h.send(c.conn, xid, op.as_i32(), body);
    let answer = h
        .answer(c.conn, xid)
        .unwrap_or_else(|| panic!("{op}: no reply"));
    assert!(!h.closed(c.conn), "{op} closed the connection");
    (answer.err(), answer.header.zxid)
}

/// Creates `path` with `flags`, which must succeed.
fn create_node(h: &mut Harness, c: &Client, xid: i32, path: &'static str, flags: i32) {
    let (err, _) = send(
        h,
        c,
        xid,
        OpCode::Create,
        &create_body(path_of(path), flags),
    );
    assert_eq!(err, 0, "create {path}");
}

#[test]
fn creates_and_deletes_of_a_null_path_fail_marshalling_as_error_txns_after_their_flag_checks() {
    use ErrorCode::{BadArguments, MarshallingError};
    let create_ttl = |ttl_ms: i64| {
        body(|out| {
            out.extend_from_slice(&create_body(null, 5));
            put_long(out, ttl_ms);
        })
    };
    let cases: Vec<(OpCode, Vec<u8>, ErrorCode)> = vec![
        (OpCode::Create, create_body(null, 0), MarshallingError),
        (OpCode::Create2, create_body(null, 0), MarshallingError),
        (OpCode::Create, create_body(null, 2), MarshallingError),
        (OpCode::Create, create_body(null, 1), MarshallingError),
        (
            OpCode::CreateContainer,
            create_body(null, 4),
            MarshallingError,
        ),
        (OpCode::CreateTtl, create_ttl(3_600_000), MarshallingError),
        // The flags and the TTL are checked before the path is used.
        (OpCode::Create, create_body(null, 99), BadArguments),
        (OpCode::CreateTtl, create_ttl(0), BadArguments),
        (OpCode::Delete, path_int(null, -1), MarshallingError),
        // validatePath runs first and refuses null as it refuses "".
        (
            OpCode::SetData,
            body(|out| {
                null(out);
                put_buffer(out, b"x");
                put_int(out, -1);
            }),
            BadArguments,
        ),
        (OpCode::Check, path_int(null, -1), BadArguments),
        (
            OpCode::SetAcl,
            body(|out| {
                null(out);
                put_int(out, 1);
                open_acl()[0].encode(out);
                put_int(out, -1);
            }),
            BadArguments,
        ),
    ];
    let mut h = Harness::default();
    let c = h.connect();
    let mut last_zxid = h.server.last_zxid();
    for (xid, (op, request, expected)) in (1..).zip(cases) {
        let (err, zxid) = send(&mut h, &c, xid, op, &request);
        assert_eq!(err, expected.as_i32(), "{op} #{xid}");
        // Each is an error txn: it takes the next zxid.
        assert_eq!(zxid, last_zxid + 1, "{op} #{xid}");
        last_zxid = zxid;
    }
}

#[test]
fn reads_of_a_null_path_fail_marshalling_and_set_no_watch() {
    let mut h = Harness::default();
    let c = h.connect();
    let zxid_before = h.server.last_zxid();
    let cases: Vec<(OpCode, Vec<u8>)> = vec![
        (OpCode::Exists, null_watch()),
        (OpCode::GetData, null_watch()),
        (OpCode::GetChildren, null_watch()),
        (OpCode::GetChildren2, null_watch()),
        (OpCode::GetAcl, body(null)),
        (OpCode::GetAllChildrenNumber, body(null)),
        (OpCode::CheckWatches, path_int(null, 3)),
        // A body cut short after the null path fails the same way.
        (OpCode::Exists, body(null)),
    ];
    for (xid, (op, request)) in (1..).zip(cases) {
        assert_eq!(
            send(&mut h, &c, xid, op, &request),
            (ErrorCode::MarshallingError.as_i32(), zxid_before),
            "{op}"
        );
    }
    // No watch was set on the root, which "" would have named.
    let writer = h.connect();
    let set_root = body(|out| {
        put_buffer(out, b"/");
        put_buffer(out, b"x");
        put_int(out, -1);
    });
    send(&mut h, &writer, 1, OpCode::SetData, &set_root);
    assert_eq!(h.events(c.conn), []);
}

#[test]
fn sync_echoes_a_null_path_and_get_ephemerals_lists_every_ephemeral() {
    let mut h = Harness::default();
    let c = h.connect();
    create_node(&mut h, &c, 1, "/e", 1);
    h.send(c.conn, 2, OpCode::Sync.as_i32(), &body(null));
    let sync = h.answer(c.conn, 2).expect("sync reply");
    assert_eq!((sync.err(), sync.body.as_slice()), (0, &[0xff; 4][..]));
    h.send(c.conn, 3, OpCode::GetEphemerals.as_i32(), &body(null));
    let ephemerals = h.answer(c.conn, 3).expect("getEphemerals reply");
    assert_eq!(
        ephemerals.decode::<GetEphemeralsResponse>().ephemerals,
        ["/e"]
    );
}

#[test]
fn a_connection_holds_one_null_path_watch_and_a_second_fails_marshalling() {
    use ErrorCode::{MarshallingError, NoWatcher, Ok};
    let mut h = Harness::default();
    let c = h.connect();
    let steps = [
        (OpCode::RemoveWatches, path_int(null, 3), NoWatcher),
        (OpCode::AddWatch, path_int(null, 7), MarshallingError),
        (OpCode::AddWatch, path_int(null, 0), Ok),
        (OpCode::AddWatch, path_int(null, 1), MarshallingError),
        (OpCode::CheckWatches, path_int(null, 1), MarshallingError),
        (OpCode::RemoveWatches, path_int(null, 2), MarshallingError),
    ];
    for (xid, (op, request, expected)) in (1..).zip(steps) {
        let (err, _) = send(&mut h, &c, xid, op, &request);
        assert_eq!(err, expected.as_i32(), "{op} #{xid}");
    }
    // The held watch never fires, and another connection holds none yet.
    let other = h.connect();
    create_node(&mut h, &other, 1, "/w", 0);
    assert_eq!(h.events(c.conn), []);
    let (err, _) = send(&mut h, &other, 2, OpCode::AddWatch, &path_int(null, 1));
    assert_eq!(err, 0);
}

#[test]
fn a_multi_with_a_null_path_takes_no_txn_and_answers_an_empty_multi_response() {
    let mut h = Harness::default();
    let c = h.connect();
    let zxid_before = h.server.last_zxid();
    let request = multi(&[
        (OpCode::Create, create_body(path_of("/m"), 0)),
        (
            OpCode::SetData,
            body(|out| {
                null(out);
                put_buffer(out, b"x");
                put_int(out, -1);
            }),
        ),
    ]);
    h.send(c.conn, 1, OpCode::Multi.as_i32(), &request);
    let answer = h.answer(c.conn, 1).expect("multi reply");
    assert_eq!(answer.err(), ErrorCode::MarshallingError.as_i32());
    assert_eq!(answer.header.zxid, zxid_before);
    assert_eq!(answer.decode::<MultiResponse>().results, []);
    assert!(!h.closed(c.conn));
    let (err, zxid) = send(
        &mut h,
        &c,
        2,
        OpCode::Exists,
        &body(|out| {
            put_buffer(out, b"/m");
            put_boolean(out, false);
        }),
    );
    assert_eq!((err, zxid), (ErrorCode::NoNode.as_i32(), zxid_before));
}

#[test]
fn a_multi_read_stops_at_a_null_path_with_the_results_so_far() {
    let mut h = Harness::default();
    let c = h.connect();
    let get = |path: &'static str| {
        body(|out| {
            put_buffer(out, path.as_bytes());
            put_boolean(out, false);
        })
    };
    let no_node = MultiResult::Error {
        err: ErrorCode::NoNode.as_i32(),
    };
    let stopped_by_null = multi(&[
        (OpCode::GetData, get("/missing")),
        (OpCode::GetChildren, null_watch()),
        (OpCode::GetData, get("/missing")),
    ]);
    h.send(c.conn, 1, OpCode::MultiRead.as_i32(), &stopped_by_null);
    let answer = h.answer(c.conn, 1).expect("multiRead reply");
    assert_eq!(answer.err(), ErrorCode::MarshallingError.as_i32());
    assert_eq!(answer.decode::<MultiResponse>().results, [no_node]);
    // A write op next to it fails the decoding first: no body at all.
    let mixed = multi(&[
        (OpCode::GetData, null_watch()),
        (OpCode::Create, create_body(path_of("/r"), 0)),
    ]);
    h.send(c.conn, 2, OpCode::MultiRead.as_i32(), &mixed);
    let answer = h.answer(c.conn, 2).expect("multiRead reply");
    assert_eq!(answer.err(), ErrorCode::MarshallingError.as_i32());
    assert_eq!(answer.body, []);
}

#[test]
fn set_watches_stops_at_a_null_path_after_handling_the_paths_before_it() {
    let mut h = Harness::default();
    let c = h.connect();
    let list = |out: &mut Vec<u8>, paths: &[Option<&str>]| {
        put_int(out, paths.len() as i32);
        for path in paths {
            match path {
                Some(path) => put_buffer(out, path.as_bytes()),
                None => null(out),
            }
        }
    };
    // data [/gone, null]: NodeDeleted for /gone, then MarshallingError;
    // the child watch on "/" after it is never set.
    let request = body(|out| {
        put_long(out, 0);
        list(out, &[Some("/gone"), None]);
        list(out, &[]);
        list(out, &[Some("/")]);
    });
    h.send(c.conn, -8, OpCode::SetWatches.as_i32(), &request);
    let answer = h.answer(c.conn, -8).expect("setWatches reply");
    assert_eq!(answer.err(), ErrorCode::MarshallingError.as_i32());
    let gone: Vec<_> = answer
        .events_before
        .iter()
        .map(|event| (event.event_type, event.path.as_str()))
        .collect();
    assert_eq!(gone, [(2, "/gone")]);
    // exist [/later, null]: the watch on /later is set.
    let request = body(|out| {
        put_long(out, 0);
        list(out, &[]);
        list(out, &[Some("/later"), None]);
        list(out, &[]);
    });
    let (err, _) = send(&mut h, &c, -8, OpCode::SetWatches, &request);
    assert_eq!(err, ErrorCode::MarshallingError.as_i32());
    let writer = h.connect();
    create_node(&mut h, &writer, 1, "/later", 0);
    assert_eq!(h.events(c.conn), [(1, "/later".to_string())]);

    // setWatches2's persistent lists: one null path is held, a second fails.
    let set_watches2 = |persistent: &[Option<&str>], recursive: &[Option<&str>]| {
        body(|out| {
            put_long(out, 0);
            list(out, &[]);
            list(out, &[]);
            list(out, &[]);
            list(out, persistent);
            list(out, recursive);
        })
    };
    let fresh = h.connect();
    let (err, _) = send(
        &mut h,
        &fresh,
        -8,
        OpCode::SetWatches2,
        &set_watches2(&[None], &[]),
    );
    assert_eq!(err, 0);
    let fresh = h.connect();
    let request = set_watches2(&[None], &[None]);
    let (err, _) = send(&mut h, &fresh, -8, OpCode::SetWatches2, &request);
    assert_eq!(err, ErrorCode::MarshallingError.as_i32());
}
