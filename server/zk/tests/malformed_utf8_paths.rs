//! A path whose bytes are not UTF-8: ZooKeeper decodes jute strings with
//! Java's decoder, which turns each malformed sequence into U+FFFD, and
//! then treats the path as any other. validatePath refuses U+FFFD, so ops
//! that validate answer BadArguments; ops that only look the path up
//! answer NoNode; sync, addWatch and setWatches take it as it is. The
//! connection is kept. ringkeeper used to answer MarshallingError to all
//! of them. Each expected answer is what Debian's ZooKeeper 3.8.0 sent
//! back to the same raw request (path "/a" then byte 0xff).

mod common;

use common::*;
use ringkeeper_jute::wire::{put_boolean, put_buffer, put_int, put_long};
use ringkeeper_jute::{
    ErrorCode, GetEphemeralsResponse, Jute, MultiHeader, MultiResponse, MultiResult, OpCode,
    SyncResponse,
};

const BAD_PATH: &[u8] = b"/a\xff";
/// How ZooKeeper (and now ringkeeper) reads it.
const BAD_PATH_READ: &str = "/a\u{FFFD}";

fn body(parts: impl FnOnce(&mut Vec<u8>)) -> Vec<u8> {
    let mut out = Vec::new();
    parts(&mut out);
    out
}

fn path(out: &mut Vec<u8>) {
    put_buffer(out, BAD_PATH);
}

fn open_acl_bytes(out: &mut Vec<u8>) {
    put_int(out, 1);
    open_acl()[0].encode(out);
}

/// A multi (or multiRead) body holding one op.
fn multi(op: OpCode, write: impl Fn(&mut Vec<u8>)) -> Vec<u8> {
    body(|out| {
        MultiHeader {
            op_code: op.as_i32(),
            done: false,
            err: -1,
        }
        .encode(out);
        write(out);
        MultiHeader {
            op_code: -1,
            done: true,
            err: -1,
        }
        .encode(out);
    })
}

#[test]
fn each_op_answers_a_malformed_utf8_path_as_zookeeper_does_and_keeps_the_connection() {
    let create = body(|out| {
        path(out);
        put_buffer(out, b"");
        open_acl_bytes(out);
        put_int(out, 0);
    });
    let create_ttl = body(|out| {
        path(out);
        put_buffer(out, b"");
        open_acl_bytes(out);
        put_int(out, 5);
        put_long(out, 10_000);
    });
    let path_watch = body(|out| {
        path(out);
        put_boolean(out, true);
    });
    let path_version = body(|out| {
        path(out);
        put_int(out, -1);
    });
    let set_data = body(|out| {
        path(out);
        put_buffer(out, b"x");
        put_int(out, -1);
    });
    let set_acl = body(|out| {
        path(out);
        open_acl_bytes(out);
        put_int(out, -1);
    });
    let path_only = body(path);
    use ErrorCode::{BadArguments, NoNode};
    let cases: Vec<(OpCode, &[u8], ErrorCode)> = vec![
        (OpCode::Create, &create, BadArguments),
        (OpCode::Create2, &create, BadArguments),
        (OpCode::CreateTtl, &create_ttl, BadArguments),
        (OpCode::GetData, &path_watch, NoNode),
        (OpCode::Exists, &path_watch, NoNode),
        (OpCode::Delete, &path_version, NoNode),
        (OpCode::SetData, &set_data, BadArguments),
        (OpCode::GetChildren, &path_watch, NoNode),
        (OpCode::GetChildren2, &path_watch, NoNode),
        (OpCode::GetAcl, &path_only, NoNode),
        (OpCode::SetAcl, &set_acl, BadArguments),
        (OpCode::GetAllChildrenNumber, &path_only, NoNode),
    ];
    let mut h = Harness::default();
    let c = h.connect();
    for (xid, (op, request, expected)) in (1..).zip(cases) {
        h.send(c.conn, xid, op.as_i32(), request);
        let answer = h
            .answer(c.conn, xid)
            .unwrap_or_else(|| panic!("{op}: no reply"));
        assert_eq!(answer.err(), expected.as_i32(), "{op}");
        assert!(!h.closed(c.conn), "{op} closed the connection");
    }

    // sync echoes the path as ZooKeeper read it.
    h.send(c.conn, 100, OpCode::Sync.as_i32(), &path_only);
    let sync = h.answer(c.conn, 100).expect("sync reply");
    assert_eq!(sync.err(), 0);
    assert_eq!(sync.decode::<SyncResponse>().path, BAD_PATH_READ);
    h.send(c.conn, 101, OpCode::GetEphemerals.as_i32(), &path_only);
    let ephemerals = h.answer(c.conn, 101).expect("getEphemerals reply");
    assert_eq!(
        ephemerals.decode::<GetEphemeralsResponse>().ephemerals,
        Vec::<String>::new()
    );
}

#[test]
fn a_watch_on_a_malformed_utf8_path_is_a_watch_on_its_u_fffd_reading() {
    let mut h = Harness::default();
    let c = h.connect();
    // addWatch (persistent) is set; checkWatches and removeWatches find it
    // under the same bytes.
    let add_watch = body(|out| {
        path(out);
        put_int(out, 0);
    });
    let any_watch = body(|out| {
        path(out);
        put_int(out, 1);
    });
    for (xid, op, request) in [
        (1, OpCode::AddWatch, &add_watch),
        (2, OpCode::CheckWatches, &any_watch),
        (3, OpCode::RemoveWatches, &any_watch),
    ] {
        h.send(c.conn, xid, op.as_i32(), request);
        assert_eq!(h.answer(c.conn, xid).expect("reply").err(), 0, "{op}");
    }
    // setWatches with a data watch on it: the node does not exist, so
    // NodeDeleted fires at once, for the path as ZooKeeper read it.
    let set_watches = body(|out| {
        put_long(out, 0);
        put_int(out, 1);
        path(out);
        put_int(out, 0);
        put_int(out, 0);
    });
    h.send(c.conn, -8, OpCode::SetWatches.as_i32(), &set_watches);
    assert_eq!(h.answer(c.conn, -8).expect("reply").err(), 0);
    assert_eq!(h.events(c.conn), [(2, BAD_PATH_READ.to_string())]);
}

#[test]
fn a_multi_op_with_a_malformed_utf8_path_fails_alone_as_in_zookeeper() {
    let mut h = Harness::default();
    let c = h.connect();
    let create = |out: &mut Vec<u8>| {
        path(out);
        put_buffer(out, b"");
        open_acl_bytes(out);
        put_int(out, 0);
    };
    let check = |out: &mut Vec<u8>| {
        path(out);
        put_int(out, -1);
    };
    let get = |out: &mut Vec<u8>| {
        path(out);
        put_boolean(out, false);
    };
    let bad_arguments = ErrorCode::BadArguments.as_i32();
    let no_node = ErrorCode::NoNode.as_i32();
    let cases: [(OpCode, Vec<u8>, i32); 4] = [
        (OpCode::Multi, multi(OpCode::Create, create), bad_arguments),
        (OpCode::Multi, multi(OpCode::Check, check), bad_arguments),
        (OpCode::Multi, multi(OpCode::Delete, check), no_node),
        (OpCode::MultiRead, multi(OpCode::GetData, get), no_node),
    ];
    for (xid, (op, request, expected)) in (1..).zip(cases) {
        h.send(c.conn, xid, op.as_i32(), &request);
        let answer = h.answer(c.conn, xid).expect("reply");
        assert_eq!(answer.err(), 0);
        assert_eq!(
            answer.decode::<MultiResponse>().results,
            [MultiResult::Error { err: expected }],
            "{op} #{xid}"
        );
    }
}
