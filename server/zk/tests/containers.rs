//! ZooKeeper's ContainerManager on tick: empty containers that once had a
//! child, and TTL nodes unmodified past their TTL, are deleted by
//! deleteContainer txns; others stay.

mod common;

use common::*;
use ringkeeper_jute::{CreateTtlRequest, DeleteRequest, ErrorCode, ExistsRequest, OpCode};
use ringkeeper_zk::ZkConfig;

fn exists(h: &mut Harness, c: &Client, path: &str) -> bool {
    h.call(
        c,
        70,
        OpCode::Exists,
        &ExistsRequest {
            path: path.into(),
            watch: false,
        },
    )
    .err()
        == 0
}

fn harness() -> Harness {
    Harness::new(ZkConfig {
        container_check_interval_ms: 1_000,
        ..config()
    })
}

#[test]
fn an_emptied_container_is_deleted_and_a_never_used_one_stays() {
    let mut h = harness();
    let c = h.connect();
    h.call(
        &c,
        1,
        OpCode::CreateContainer,
        &create_request("/box", b"", 4),
    );
    h.call(
        &c,
        2,
        OpCode::CreateContainer,
        &create_request("/unused", b"", 4),
    );
    h.call(&c, 3, OpCode::Create, &create_request("/box/item", b"", 0));
    h.tick(T0_MS + 1_500);
    assert!(exists(&mut h, &c, "/box"), "it has a child");
    h.call(
        &c,
        4,
        OpCode::Delete,
        &DeleteRequest {
            path: "/box/item".into(),
            version: -1,
        },
    );
    let zxid_before = h.server.last_zxid();
    h.tick(T0_MS + 2_600);
    assert!(!exists(&mut h, &c, "/box"));
    assert!(exists(&mut h, &c, "/unused"), "cversion 0: never used");
    assert_eq!(
        h.server.last_zxid(),
        zxid_before + 1,
        "one deleteContainer txn"
    );
    assert_eq!(h.server.counters().containers_deleted, 1);
}

#[test]
fn a_ttl_node_goes_once_unmodified_for_its_ttl_unless_it_has_children() {
    let mut h = harness();
    let c = h.connect();
    let ttl = |path: &str| CreateTtlRequest {
        path: path.into(),
        data: Vec::new().into(),
        acl: open_acl(),
        flags: 5,
        ttl: 5_000,
    };
    assert_eq!(h.call(&c, 1, OpCode::CreateTtl, &ttl("/t")).err(), 0);
    assert_eq!(h.call(&c, 2, OpCode::CreateTtl, &ttl("/parent")).err(), 0);
    h.call(
        &c,
        3,
        OpCode::Create,
        &create_request("/parent/child", b"", 0),
    );
    h.tick(T0_MS + 4_000);
    assert!(exists(&mut h, &c, "/t"));
    h.tick(T0_MS + 6_000);
    assert!(!exists(&mut h, &c, "/t"));
    assert!(exists(&mut h, &c, "/parent"));
    assert_eq!(
        h.call(
            &c,
            4,
            OpCode::Delete,
            &DeleteRequest {
                path: "/parent".into(),
                version: -1
            }
        )
        .err(),
        ErrorCode::NotEmpty.as_i32()
    );
}
