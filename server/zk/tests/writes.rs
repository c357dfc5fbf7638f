//! Scenarios of the write ops, each checked against what Apache ZooKeeper
//! 3.8.0 answered to the same requests (a raw client against Debian's
//! zookeeper 3.8.0 on 127.0.0.1; the values are in the comments).

mod common;

use common::*;
use ringkeeper_jute::{
    Create2Response, CreateResponse, CreateTtlRequest, DeleteRequest, ErrorCode, ExistsRequest,
    ExistsResponse, GetDataRequest, GetDataResponse, Jute, OpCode, SetAclRequest, SetAclResponse,
    SetDataRequest, SetDataResponse,
};

fn exists(h: &mut Harness, client: &Client, path: &str) -> Answer {
    h.call(
        client,
        900,
        OpCode::Exists,
        &ExistsRequest {
            path: path.into(),
            watch: false,
        },
    )
}

/// ZooKeeper 3.8: create /a -> zxid 2 (the session took 1); create2 /a/b
/// -> Stat{czxid 3, version 0, cversion 0}; /a then shows cversion 1,
/// numChildren 1, pzxid 3; after delete /a/b: cversion 2, numChildren 0,
/// pzxid 4 (the client-visible cversion counts deletes too).
#[test]
fn create_create2_and_delete_keep_every_stat_field_as_zookeeper() {
    let mut h = Harness::default();
    let c = h.connect();
    assert_eq!(
        h.server.last_zxid(),
        1,
        "a new session costs a createSession txn"
    );

    let a = h.call(&c, 1, OpCode::Create, &create_request("/a", b"x", 0));
    assert_eq!((a.header.zxid, a.err()), (2, 0));
    assert_eq!(a.decode::<CreateResponse>().path, "/a");

    let b = h.call(&c, 2, OpCode::Create2, &create_request("/a/b", b"", 0));
    assert_eq!((b.header.zxid, b.err()), (3, 0));
    let created = b.decode::<Create2Response>();
    assert_eq!(created.path, "/a/b");
    assert_eq!(
        (created.stat.czxid, created.stat.mzxid, created.stat.pzxid),
        (3, 3, 3)
    );
    assert_eq!(
        (created.stat.ctime, created.stat.mtime),
        (T0_MS as i64, T0_MS as i64)
    );
    assert_eq!(shape(&created.stat), (0, 0, 0, 0, 0, 0));

    let parent = exists(&mut h, &c, "/a").decode::<ExistsResponse>().stat;
    assert_eq!((parent.czxid, parent.mzxid, parent.pzxid), (2, 2, 3));
    assert_eq!(shape(&parent), (0, 1, 0, 0, 1, 1));

    let deleted = h.call(
        &c,
        3,
        OpCode::Delete,
        &DeleteRequest {
            path: "/a/b".into(),
            version: -1,
        },
    );
    assert_eq!(
        (deleted.header.zxid, deleted.err(), deleted.body.len()),
        (4, 0, 0)
    );
    let parent = exists(&mut h, &c, "/a").decode::<ExistsResponse>().stat;
    assert_eq!(parent.pzxid, 4);
    assert_eq!(shape(&parent), (0, 2, 0, 0, 1, 0));
    assert_eq!(h.server.tree().digest(), h.server.tree().recompute_digest());
}

/// ZooKeeper 3.8: a failed write still takes a zxid (an error txn is
/// logged), and its reply carries that zxid: create /a again -> (zxid 5,
/// NODEEXISTS); exists /zz -> (5, NONODE), reads take none.
#[test]
fn a_failed_write_takes_a_zxid_and_a_read_does_not() {
    let mut h = Harness::default();
    let c = h.connect();
    h.call(&c, 1, OpCode::Create, &create_request("/a", b"x", 0));
    let again = h.call(&c, 2, OpCode::Create, &create_request("/a", b"x", 0));
    assert_eq!(
        (again.header.zxid, again.err()),
        (3, ErrorCode::NodeExists.as_i32())
    );
    assert!(again.body.is_empty());
    let missing = exists(&mut h, &c, "/zz");
    assert_eq!(
        (missing.header.zxid, missing.err()),
        (3, ErrorCode::NoNode.as_i32())
    );
}

/// ZooKeeper 3.8 answered each of these requests with the code shown.
#[test]
fn bad_paths_and_flags_get_zookeepers_error_codes() {
    let mut h = Harness::default();
    let c = h.connect();
    h.call(&c, 1, OpCode::Create, &create_request("/a", b"", 0));
    let cases: Vec<(OpCode, Vec<u8>, ErrorCode)> = vec![
        (
            OpCode::Create,
            create_request("/bad", b"", 9).to_bytes(),
            ErrorCode::BadArguments,
        ),
        (
            OpCode::Create,
            create_request("/nop/x/", b"", 0).to_bytes(),
            ErrorCode::NoNode,
        ),
        (
            OpCode::Create,
            create_request("/a/", b"", 0).to_bytes(),
            ErrorCode::BadArguments,
        ),
        (
            OpCode::Create,
            create_request("/", b"", 0).to_bytes(),
            ErrorCode::NodeExists,
        ),
        (
            OpCode::Create,
            create_request("a", b"", 0).to_bytes(),
            ErrorCode::BadArguments,
        ),
        (
            OpCode::Create,
            create_request("/a\0b", b"", 0).to_bytes(),
            ErrorCode::BadArguments,
        ),
        (
            OpCode::Create,
            create_request("/a/./b", b"", 0).to_bytes(),
            ErrorCode::NoNode,
        ),
        (
            OpCode::Create,
            create_request("/a/.", b"", 0).to_bytes(),
            ErrorCode::BadArguments,
        ),
        (
            OpCode::Delete,
            DeleteRequest {
                path: "/zookeeper".into(),
                version: -1,
            }
            .to_bytes(),
            ErrorCode::BadArguments,
        ),
        (
            OpCode::Delete,
            DeleteRequest {
                path: "/".into(),
                version: -1,
            }
            .to_bytes(),
            ErrorCode::BadArguments,
        ),
        (
            OpCode::Delete,
            DeleteRequest {
                path: "/a/".into(),
                version: -1,
            }
            .to_bytes(),
            ErrorCode::NoNode,
        ),
        (
            OpCode::Delete,
            DeleteRequest {
                path: "/a".into(),
                version: 3,
            }
            .to_bytes(),
            ErrorCode::BadVersion,
        ),
        (
            OpCode::SetData,
            SetDataRequest {
                path: "/a/".into(),
                data: Vec::new().into(),
                version: -1,
            }
            .to_bytes(),
            ErrorCode::BadArguments,
        ),
        (
            OpCode::SetData,
            SetDataRequest {
                path: "/zookeeper/config".into(),
                data: vec![1].into(),
                version: -1,
            }
            .to_bytes(),
            ErrorCode::NoAuth,
        ),
        (
            OpCode::SetData,
            SetDataRequest {
                path: "/a".into(),
                data: Vec::new().into(),
                version: 7,
            }
            .to_bytes(),
            ErrorCode::BadVersion,
        ),
        (
            OpCode::GetData,
            GetDataRequest {
                path: "/a/".into(),
                watch: false,
            }
            .to_bytes(),
            ErrorCode::NoNode,
        ),
        (
            OpCode::Exists,
            ExistsRequest {
                path: "/a\0".into(),
                watch: false,
            }
            .to_bytes(),
            ErrorCode::BadArguments,
        ),
    ];
    for (i, (op, body, code)) in cases.into_iter().enumerate() {
        let xid = 10 + i as i32;
        h.send(c.conn, xid, op.as_i32(), &body);
        let answer = h.answer(c.conn, xid).expect("a reply");
        assert_eq!(
            answer.err(),
            code.as_i32(),
            "case {i}: {op} {:?}",
            String::from_utf8_lossy(&body)
        );
    }
    let created = h.call(
        &c,
        99,
        OpCode::Create,
        &create_request("/zookeeper/q1", b"x", 0),
    );
    assert_eq!(created.err(), 0, "creating under /zookeeper is allowed");
}

/// setData bumps version and mzxid/mtime; setACL bumps aversion; both
/// check their version (ZooKeeper's checkAndIncVersion, -1 matches any).
#[test]
fn set_data_and_set_acl_check_and_bump_their_versions() {
    let mut h = Harness::default();
    let c = h.connect();
    h.call(&c, 1, OpCode::Create, &create_request("/a", b"x", 0));
    h.now_ms += 1_000;
    let set = h.call(
        &c,
        2,
        OpCode::SetData,
        &SetDataRequest {
            path: "/a".into(),
            data: b"yy".into(),
            version: 0,
        },
    );
    let stat = set.decode::<SetDataResponse>().stat;
    assert_eq!(
        (stat.czxid, stat.mzxid, stat.mtime - stat.ctime),
        (2, 3, 1_000)
    );
    assert_eq!(shape(&stat), (1, 0, 0, 0, 2, 0));
    let stale = h.call(
        &c,
        3,
        OpCode::SetData,
        &SetDataRequest {
            path: "/a".into(),
            data: Vec::new().into(),
            version: 0,
        },
    );
    assert_eq!(stale.err(), ErrorCode::BadVersion.as_i32());

    let acl = vec![acl(ringkeeper_jute::Perms::READ, "world", "anyone")];
    let set_acl = h.call(
        &c,
        4,
        OpCode::SetAcl,
        &SetAclRequest {
            path: "/a".into(),
            acl,
            version: 0,
        },
    );
    let stat = set_acl.decode::<SetAclResponse>().stat;
    assert_eq!(shape(&stat), (1, 0, 1, 0, 2, 0));
    assert_eq!(stat.mzxid, 3, "setACL leaves mzxid");
    let denied = h.call(
        &c,
        5,
        OpCode::SetData,
        &SetDataRequest {
            path: "/a".into(),
            data: Vec::new().into(),
            version: -1,
        },
    );
    assert_eq!(denied.err(), ErrorCode::NoAuth.as_i32());
    let got = h.call(
        &c,
        6,
        OpCode::GetData,
        &GetDataRequest {
            path: "/a".into(),
            watch: false,
        },
    );
    assert_eq!(got.decode::<GetDataResponse>().data, b"yy");
}

/// ZooKeeper 3.8: /s- under "/" whose cversion is 1 became /s-0000000001;
/// sequential names count creations under the parent (%010d).
#[test]
fn sequential_nodes_take_the_parents_cversion_as_a_ten_digit_counter() {
    let mut h = Harness::default();
    let c = h.connect();
    h.call(&c, 1, OpCode::Create, &create_request("/q", b"", 0));
    let names: Vec<String> = (0..3)
        .map(|i| {
            h.call(&c, 10 + i, OpCode::Create, &create_request("/q/n-", b"", 2))
                .decode::<CreateResponse>()
                .path
        })
        .collect();
    assert_eq!(
        names,
        ["/q/n-0000000000", "/q/n-0000000001", "/q/n-0000000002"]
    );
    h.call(
        &c,
        20,
        OpCode::Delete,
        &DeleteRequest {
            path: "/q/n-0000000002".into(),
            version: -1,
        },
    );
    let next = h
        .call(&c, 21, OpCode::Create, &create_request("/q/", b"", 2))
        .decode::<CreateResponse>()
        .path;
    assert_eq!(
        next, "/q/0000000003",
        "deletes do not reuse numbers; a bare '/' suffix is allowed"
    );
}

/// ZooKeeper 3.8: a child of an ephemeral (ephemeral or not) is refused
/// with NOCHILDRENFOREPHEMERALS; the ephemeral's owner is the session.
#[test]
fn ephemerals_are_owned_by_the_session_and_have_no_children() {
    let mut h = Harness::default();
    let c = h.connect();
    let e = h
        .call(&c, 1, OpCode::Create2, &create_request("/e", b"", 1))
        .decode::<Create2Response>();
    assert_eq!(e.stat.ephemeral_owner, c.session_id);
    for (xid, flags) in [(2, 0), (3, 1)] {
        let child = h.call(&c, xid, OpCode::Create, &create_request("/e/x", b"", flags));
        assert_eq!(child.err(), ErrorCode::NoChildrenForEphemerals.as_i32());
    }
}

/// ZooKeeper 3.8 with extendedTypesEnabled: createTTL with a TTL mode
/// works (owner shows 0); mode 0 with a ttl, ttl 0, or a TTL mode on a
/// plain create are BADARGUMENTS; without extended types, UNIMPLEMENTED.
#[test]
fn ttl_creates_are_checked_as_zookeeper_checks_them() {
    let mut h = Harness::default();
    let c = h.connect();
    let ttl = |path: &str, flags: i32, ttl: i64| CreateTtlRequest {
        path: path.into(),
        data: Vec::new().into(),
        acl: open_acl(),
        flags,
        ttl,
    };
    let ok = h.call(&c, 1, OpCode::CreateTtl, &ttl("/t", 5, 100));
    assert_eq!(ok.err(), 0);
    assert_eq!(ok.decode::<Create2Response>().stat.ephemeral_owner, 0);
    for (xid, request) in [
        (2, ttl("/t2", 0, 100)),
        (3, ttl("/t3", 5, 0)),
        (4, ttl("/t4", 0, -1)),
    ] {
        assert_eq!(
            h.call(&c, xid, OpCode::CreateTtl, &request).err(),
            ErrorCode::BadArguments.as_i32()
        );
    }
    let plain = h.call(&c, 5, OpCode::Create, &create_request("/t5", b"", 5));
    assert_eq!(plain.err(), ErrorCode::BadArguments.as_i32());

    let mut h = Harness::new(ringkeeper_zk::ZkConfig {
        extended_types_enabled: false,
        ..config()
    });
    let c = h.connect();
    assert_eq!(
        h.call(&c, 1, OpCode::CreateTtl, &ttl("/t", 5, 100)).err(),
        ErrorCode::Unimplemented.as_i32()
    );
}
