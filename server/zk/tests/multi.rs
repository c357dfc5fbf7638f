//! multi (op 14) and multiRead (op 22), against what Apache ZooKeeper
//! 3.8.0 answered to the same bytes.

mod common;

use common::*;
use ringkeeper_jute::{
    CheckVersionRequest, DeleteRequest, ErrorCode, ExistsRequest, GetChildrenRequest,
    GetDataRequest, MultiOp, MultiRequest, MultiResponse, MultiResult, OpCode, SetDataRequest,
};

fn multi(
    h: &mut Harness,
    client: &Client,
    xid: i32,
    ops: Vec<MultiOp>,
) -> (Answer, Vec<MultiResult>) {
    let answer = h.call(client, xid, OpCode::Multi, &MultiRequest { ops });
    let results = if answer.err() == 0 {
        answer.decode::<MultiResponse>().results
    } else {
        vec![]
    };
    (answer, results)
}

fn exists(h: &mut Harness, client: &Client, path: &str) -> i32 {
    h.call(
        client,
        900,
        OpCode::Exists,
        &ExistsRequest {
            path: path.into(),
            watch: false,
        },
    )
    .err()
}

/// ZooKeeper 3.8: [create /m1, create /a (exists), delete /nonex] answers
/// with header err 0 and results [ERR 0, ERR -110, ERR -2]; nothing of it
/// is applied, and it took a zxid.
#[test]
fn a_failed_multi_applies_nothing_and_reports_ok_failure_then_runtime_inconsistency() {
    let mut h = Harness::default();
    let c = h.connect();
    h.call(&c, 1, OpCode::Create, &create_request("/a", b"", 0));
    let zxid_before = h.server.last_zxid();
    let digest_before = h.server.digest();
    let (answer, results) = multi(
        &mut h,
        &c,
        2,
        vec![
            MultiOp::Create(create_request("/m1", b"", 0)),
            MultiOp::Create(create_request("/a", b"", 0)),
            MultiOp::Delete(DeleteRequest {
                path: "/nonex".into(),
                version: -1,
            }),
        ],
    );
    assert_eq!((answer.err(), answer.header.zxid), (0, zxid_before + 1));
    assert_eq!(
        results,
        vec![
            MultiResult::Error { err: 0 },
            MultiResult::Error {
                err: ErrorCode::NodeExists.as_i32()
            },
            MultiResult::Error {
                err: ErrorCode::RuntimeInconsistency.as_i32()
            },
        ]
    );
    assert_eq!(exists(&mut h, &c, "/m1"), ErrorCode::NoNode.as_i32());
    assert_eq!(h.server.digest(), digest_before);
    assert_eq!(
        h.server.outstanding_changes(),
        0,
        "rolled-back records are gone"
    );
}

/// ZooKeeper 3.8: [create2 /mm, check /mm v0, setData /mm v0, create
/// /mm/c sequential, delete /mm/c0000000000, createContainer /box, createTTL
/// /plain mode 0] all succeed; later ops see
/// earlier ones; the create2 answers with a path only (a multi reads
/// every create as Op.create), setData with the Stat.
#[test]
fn a_multi_sees_its_own_earlier_ops_and_answers_per_op() {
    let mut h = Harness::default();
    let c = h.connect();
    let (answer, results) = multi(
        &mut h,
        &c,
        1,
        vec![
            MultiOp::Create2(create_request("/mm", b"", 0)),
            MultiOp::Check(CheckVersionRequest {
                path: "/mm".into(),
                version: 0,
            }),
            MultiOp::SetData(SetDataRequest {
                path: "/mm".into(),
                data: b"zz".into(),
                version: 0,
            }),
            MultiOp::Create(create_request("/mm/c", b"", 2)),
            MultiOp::Delete(DeleteRequest {
                path: "/mm/c0000000000".into(),
                version: -1,
            }),
            MultiOp::CreateContainer(create_request("/box", b"", 4)),
        ],
    );
    assert_eq!(answer.err(), 0);
    assert_eq!(results[0], MultiResult::Create { path: "/mm".into() });
    assert_eq!(results[1], MultiResult::Check);
    let MultiResult::SetData { stat } = &results[2] else {
        panic!("{:?}", results[2])
    };
    assert_eq!(
        (stat.version, stat.data_length, stat.czxid, stat.mzxid),
        (1, 2, 2, 2)
    );
    assert_eq!(
        results[3],
        MultiResult::Create {
            path: "/mm/c0000000000".into()
        }
    );
    assert_eq!(results[4], MultiResult::Delete);
    let MultiResult::Create2 { path, .. } = &results[5] else {
        panic!("{:?}", results[5])
    };
    assert_eq!(
        path, "/box",
        "container mode in a multi answers with a Stat"
    );
    assert_eq!(h.server.last_zxid(), 2, "one zxid for the whole multi");
    assert_eq!(h.server.tree().recompute_digest(), h.server.digest());
}

/// ZooKeeper 3.8: an empty multi takes a zxid and answers an empty list.
/// A multi mixing reads and writes, or holding a deleteContainer, does not
/// decode there: MarshallingError for the whole request (zxid taken).
#[test]
fn empty_and_malformed_multis() {
    let mut h = Harness::default();
    let c = h.connect();
    let (answer, results) = multi(&mut h, &c, 1, vec![]);
    assert_eq!((answer.err(), answer.header.zxid, results.len()), (0, 2, 0));
    let (mixed, _) = multi(
        &mut h,
        &c,
        2,
        vec![
            MultiOp::Create(create_request("/x", b"", 0)),
            MultiOp::GetData(GetDataRequest {
                path: "/".into(),
                watch: false,
            }),
        ],
    );
    assert_eq!(
        (mixed.err(), mixed.header.zxid),
        (ErrorCode::MarshallingError.as_i32(), 3)
    );
    let (container, _) = multi(
        &mut h,
        &c,
        3,
        vec![MultiOp::DeleteContainer(DeleteRequest {
            path: "/x".into(),
            version: -1,
        })],
    );
    assert_eq!(container.err(), ErrorCode::MarshallingError.as_i32());
    assert_eq!(exists(&mut h, &c, "/x"), ErrorCode::NoNode.as_i32());
}

/// ZooKeeper 3.8: multiRead [getData /m, getData /nope, getChildren /]
/// answers header err 0 with [data+stat, ERR -101, children]: failures
/// are per op. It sets no watch even when asked.
#[test]
fn multi_read_fails_per_op_and_sets_no_watches() {
    let mut h = Harness::default();
    let c = h.connect();
    h.call(&c, 1, OpCode::Create, &create_request("/m", b"d", 0));
    let answer = h.call(
        &c,
        2,
        OpCode::MultiRead,
        &MultiRequest {
            ops: vec![
                MultiOp::GetData(GetDataRequest {
                    path: "/m".into(),
                    watch: true,
                }),
                MultiOp::GetData(GetDataRequest {
                    path: "/nope".into(),
                    watch: false,
                }),
                MultiOp::GetChildren(GetChildrenRequest {
                    path: "/".into(),
                    watch: true,
                }),
            ],
        },
    );
    assert_eq!(answer.err(), 0);
    let results = answer.decode::<MultiResponse>().results;
    let MultiResult::GetData { data, stat } = &results[0] else {
        panic!("{:?}", results[0])
    };
    assert_eq!((data.as_bytes(), stat.version), (&b"d"[..], 0));
    assert_eq!(
        results[1],
        MultiResult::Error {
            err: ErrorCode::NoNode.as_i32()
        }
    );
    let MultiResult::GetChildren { children } = &results[2] else {
        panic!("{:?}", results[2])
    };
    let mut children = children.clone();
    children.sort();
    assert_eq!(children, ["m", "zookeeper"]);
    assert_eq!(h.server.watch_count(), 0);
    assert_eq!(h.server.last_zxid(), 2, "reads take no zxid");
}
