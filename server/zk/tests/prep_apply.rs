//! The seam the txn log will sit in: every txn prep builds round-trips
//! through jute, and replaying the decoded txns on a fresh server (apply
//! only, no requests) rebuilds the same tree, digest and zxid.

mod common;

use common::*;
use ringkeeper_jute::{
    CreateTtlRequest, DeleteRequest, MultiOp, MultiRequest, OpCode, SetAclRequest, SetDataRequest,
};
use ringkeeper_zk::{Outbox, Txn, WriteRequest, ZkServer};

#[test]
fn txns_round_trip_and_replaying_them_rebuilds_the_same_tree() {
    let mut h = Harness::default();
    h.server.record_txns();
    let a = h.connect();
    let b = h.connect();
    h.call(&a, 1, OpCode::Create, &create_request("/app", b"cfg", 0));
    h.call(&a, 2, OpCode::Create, &create_request("/app/lock-", b"", 3));
    h.call(&b, 1, OpCode::Create, &create_request("/app/eph", b"", 1));
    h.call(
        &b,
        2,
        OpCode::CreateContainer,
        &create_request("/box", b"", 4),
    );
    h.call(
        &b,
        3,
        OpCode::CreateTtl,
        &CreateTtlRequest {
            path: "/ttl".into(),
            data: Vec::new().into(),
            acl: open_acl(),
            flags: 5,
            ttl: 60_000,
        },
    );
    h.call(
        &a,
        3,
        OpCode::SetData,
        &SetDataRequest {
            path: "/app".into(),
            data: b"v2".into(),
            version: 0,
        },
    );
    h.call(
        &a,
        4,
        OpCode::SetAcl,
        &SetAclRequest {
            path: "/app".into(),
            acl: open_acl(),
            version: -1,
        },
    );
    h.call(
        &a,
        5,
        OpCode::Multi,
        &MultiRequest {
            ops: vec![
                MultiOp::Create(create_request("/box/x", b"", 0)),
                MultiOp::Delete(DeleteRequest {
                    path: "/box/x".into(),
                    version: -1,
                }),
            ],
        },
    );
    h.call(
        &a,
        6,
        OpCode::Multi,
        &MultiRequest {
            ops: vec![MultiOp::Create(create_request("/nope/x", b"", 0))],
        },
    );
    h.call(&a, 7, OpCode::Create, &create_request("/app", b"", 0));
    h.send(b.conn, 4, OpCode::CloseSession.as_i32(), &[]);

    let txns = h.server.take_recorded_txns();
    assert_eq!(
        txns.len() as i64,
        h.server.last_zxid(),
        "one txn per zxid, errors included"
    );
    let mut replica = ZkServer::new(config(), T0_MS);
    let mut out = Outbox::new();
    for txn in &txns {
        let decoded = Txn::decode(&txn.to_bytes()).expect("a txn decodes");
        assert_eq!(&decoded, txn);
        replica.apply(&decoded, &mut out);
    }
    assert_eq!(replica.last_zxid(), h.server.last_zxid());
    assert_eq!(replica.digest(), h.server.digest());
    assert_eq!(replica.tree().recompute_digest(), replica.digest());
    assert_eq!(replica.node_count(), h.server.node_count());
    assert_eq!(replica.session_count(), h.server.session_count());
    assert_eq!(
        replica.ephemeral_count(),
        1,
        "a's lock stays, b's ephemeral went with b"
    );
    assert!(replica.tree().get("/app/eph").is_none());
}

/// prep alone changes nothing in the tree; its change records are what
/// the next prep sees; apply then makes them real.
#[test]
fn prep_then_apply_through_the_public_seam() {
    let mut h = Harness::default();
    let c = h.connect();
    let digest = h.server.digest();
    let create = WriteRequest::Create {
        op_code: OpCode::Create,
        request: create_request("/p", b"", 0),
        path_is_null: false,
    };
    let first = h.server.prep(c.conn, 1, &create, h.now_ms);
    assert_eq!(h.server.digest(), digest, "prep does not touch the tree");
    assert_eq!(
        h.server.outstanding_changes(),
        2,
        "the parent's and the node's records"
    );
    let second = h.server.prep(c.conn, 2, &create, h.now_ms);
    assert_eq!(
        second.op_code(),
        Some(OpCode::Error),
        "the pending create is seen: NodeExists"
    );
    let mut out = Outbox::new();
    let result = h.server.apply(&first, &mut out);
    assert_eq!((result.err, result.path.as_str()), (0, "/p"));
    h.server.apply(&second, &mut out);
    assert_eq!(h.server.outstanding_changes(), 0);
    assert_eq!(h.server.last_zxid(), second.zxid());
}
