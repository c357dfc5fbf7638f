//! Rules of Apache ZooKeeper 3.8 (as Debian ships it, the reference the
//! differential tester runs against) that ringkeeper once got wrong. Each
//! test opens with the bug it pins down; each was found by the
//! differential tester and checked against the real server.

mod common;

use common::*;
use ringkeeper_jute::{
    AddWatchRequest, CheckWatchesRequest, CreateMode, CreateRequest, ErrorCode, ExistsRequest,
    GetAllChildrenNumberRequest, GetAllChildrenNumberResponse, GetDataRequest, MultiOp,
    MultiRequest, MultiResponse, MultiResult, OpCode, Perms, RemoveWatchesRequest, SetDataRequest,
    Xid,
};

const CREATED: i32 = 1;
const DATA_CHANGED: i32 = 3;

fn add_auth(h: &mut Harness, client: &Client, user_password: &str) {
    let packet = ringkeeper_jute::AuthPacket {
        auth_type: 0,
        scheme: "digest".into(),
        auth: user_password.as_bytes().to_vec(),
    };
    assert_eq!(h.call(client, Xid::AUTH, OpCode::Auth, &packet).err(), 0);
}

fn add_watch(h: &mut Harness, client: &Client, path: &str, mode: i32) {
    let request = AddWatchRequest {
        path: path.into(),
        mode,
    };
    assert_eq!(h.call(client, 900, OpCode::AddWatch, &request).err(), 0);
}

fn set_data(h: &mut Harness, client: &Client, path: &str) {
    let request = SetDataRequest {
        path: path.into(),
        data: b"x".into(),
        version: -1,
    };
    assert_eq!(h.call(client, 901, OpCode::SetData, &request).err(), 0);
}

/// Bug: ringkeeper delivered every fired watch's event, but ZooKeeper
/// 3.8.0 with the CVE-2024-23944 fix (ZOOKEEPER-4799, in Debian's
/// package) sends an event only to a connection that may READ the node:
/// a recursive watch on /a did not hide the creation of /a/secret, owned
/// by another digest identity, from a connection without it.
#[test]
fn watch_events_go_only_to_connections_that_may_read_the_node() {
    let mut h = Harness::default();
    let owner = h.connect();
    let outsider = h.connect();
    h.call(&owner, 1, OpCode::Create, &create_request("/a", b"", 0));
    add_watch(&mut h, &owner, "/a", 1);
    add_watch(&mut h, &outsider, "/a", 1);
    add_auth(&mut h, &owner, "alice:secret");

    let secret = CreateRequest {
        path: "/a/secret".into(),
        data: Vec::new().into(),
        acl: vec![acl(Perms::ALL, "auth", "")],
        flags: CreateMode::Persistent.as_i32(),
    };
    assert_eq!(h.call(&owner, 2, OpCode::Create, &secret).err(), 0);
    assert_eq!(h.events(owner.conn), [(CREATED, "/a/secret".to_string())]);
    assert_eq!(h.events(outsider.conn), [], "no READ on /a/secret");

    // A one-shot watch whose event is dropped is used up all the same.
    assert_eq!(
        h.call(
            &outsider,
            3,
            OpCode::Exists,
            &ExistsRequest {
                path: "/a/secret".into(),
                watch: true
            }
        )
        .err(),
        0
    );
    set_data(&mut h, &owner, "/a/secret");
    assert_eq!(h.events(outsider.conn), []);
    add_auth(&mut h, &outsider, "alice:secret");
    set_data(&mut h, &owner, "/a/secret");
    assert_eq!(
        h.events(outsider.conn),
        [(DATA_CHANGED, "/a/secret".to_string())],
        "the recursive watch, now allowed; the exists watch is gone"
    );
}

/// Bug: ringkeeper let a getData watch and a persistent-recursive watch
/// of one connection on one path coexist (3.9's fix of ZOOKEEPER-4466);
/// 3.8 keeps one mode per (path, connection) and watch manager, so the
/// getData watch turns the recursive watch's data half one-shot: after
/// it fires, a create below the path is not seen.
#[test]
fn a_get_data_watch_makes_a_recursive_watch_on_the_same_path_one_shot() {
    let mut h = Harness::default();
    let c = h.connect();
    h.call(&c, 1, OpCode::Create, &create_request("/a", b"", 0));
    add_watch(&mut h, &c, "/a", 1);
    let get = GetDataRequest {
        path: "/a".into(),
        watch: true,
    };
    assert_eq!(h.call(&c, 2, OpCode::GetData, &get).err(), 0);
    h.call(&c, 3, OpCode::Create, &create_request("/a/b", b"", 0));
    assert_eq!(h.events(c.conn), [], "no recursive data watch on /a now");
    set_data(&mut h, &c, "/a");
    assert_eq!(h.events(c.conn), [(DATA_CHANGED, "/a".to_string())]);
    set_data(&mut h, &c, "/a");
    assert_eq!(h.events(c.conn), [], "the one-shot watch fired");
}

/// Bug: ringkeeper answered removeWatches/checkWatches of types 4 and 5
/// (3.9's Persistent, PersistentRecursive); 3.8's WatcherType.fromInt
/// throws on them and the request fails with MarshallingError.
#[test]
fn remove_and_check_watches_of_types_4_and_5_are_marshalling_errors() {
    let mut h = Harness::default();
    let c = h.connect();
    add_watch(&mut h, &c, "/", 0);
    for watcher_type in [4, 5] {
        let remove = RemoveWatchesRequest {
            path: "/".into(),
            watcher_type,
        };
        let check = CheckWatchesRequest {
            path: "/".into(),
            watcher_type,
        };
        assert_eq!(
            h.call(&c, 1, OpCode::RemoveWatches, &remove).err(),
            ErrorCode::MarshallingError.as_i32()
        );
        assert_eq!(
            h.call(&c, 2, OpCode::CheckWatches, &check).err(),
            ErrorCode::MarshallingError.as_i32()
        );
    }
}

/// Bug: ringkeeper's checkWatches asked whether THIS connection watches
/// the path; 3.8 answers whether ANY connection does (in the manager the
/// type names), and throws (MarshallingError) on a path with no '/'.
/// An exists watch on a relative path is kept, as ZooKeeper keeps it.
#[test]
fn check_watches_sees_other_connections_watches_and_fails_on_a_relative_path() {
    let mut h = Harness::default();
    let watcher = h.connect();
    let other = h.connect();
    let exists = |path: &str| ExistsRequest {
        path: path.into(),
        watch: true,
    };
    h.call(&watcher, 1, OpCode::Exists, &exists("/missing"));
    h.call(&watcher, 2, OpCode::Exists, &exists("a"));
    let check = |path: &str, watcher_type: i32| CheckWatchesRequest {
        path: path.into(),
        watcher_type,
    };
    assert_eq!(
        h.call(&other, 3, OpCode::CheckWatches, &check("/missing", 2))
            .err(),
        0
    );
    assert_eq!(
        h.call(&other, 4, OpCode::CheckWatches, &check("a", 3))
            .err(),
        ErrorCode::MarshallingError.as_i32()
    );
    let remove = RemoveWatchesRequest {
        path: "a".into(),
        watcher_type: 2,
    };
    assert_eq!(
        h.call(&other, 5, OpCode::RemoveWatches, &remove).err(),
        ErrorCode::NoWatcher.as_i32()
    );
    assert_eq!(h.call(&watcher, 6, OpCode::RemoveWatches, &remove).err(), 0);
}

/// Bug: ringkeeper refused a whole multi holding a create with a TTL mode
/// (MarshallingError) even when an earlier op had failed; ZooKeeper fails
/// such an op only when it preps it, and after a failed op it preps
/// nothing: the answer is the failed op's error, then
/// RuntimeInconsistency for the rest.
#[test]
fn a_create_with_a_ttl_mode_in_a_multi_fails_only_when_reached() {
    let mut h = Harness::default();
    let c = h.connect();
    let ttl_create = MultiOp::Create(CreateRequest {
        path: "/t".into(),
        data: Vec::new().into(),
        acl: open_acl(),
        flags: CreateMode::PersistentWithTtl.as_i32(),
    });
    let failing_check = MultiOp::Check(ringkeeper_jute::CheckVersionRequest {
        path: "/missing".into(),
        version: 0,
    });
    let multi = MultiRequest {
        ops: vec![failing_check, ttl_create.clone()],
    };
    let answer = h.call(&c, 1, OpCode::Multi, &multi);
    assert_eq!(answer.err(), 0);
    let results = answer.decode::<MultiResponse>().results;
    assert_eq!(
        results,
        [
            MultiResult::Error {
                err: ErrorCode::NoNode.as_i32()
            },
            MultiResult::Error {
                err: ErrorCode::RuntimeInconsistency.as_i32()
            }
        ]
    );
    let reached = MultiRequest {
        ops: vec![ttl_create],
    };
    assert_eq!(
        h.call(&c, 2, OpCode::Multi, &reached).err(),
        ErrorCode::MarshallingError.as_i32()
    );
}

/// Bug: ringkeeper answered getAllChildrenNumber("") as for "/";
/// ZooKeeper counts the node keys starting with path + "/", and for ""
/// that includes "/" itself: one more.
#[test]
fn get_all_children_number_of_the_empty_path_counts_the_root_too() {
    let mut h = Harness::default();
    let c = h.connect();
    h.call(&c, 1, OpCode::Create, &create_request("/a", b"", 0));
    let count = |h: &mut Harness, path: &str| {
        h.call(
            &c,
            2,
            OpCode::GetAllChildrenNumber,
            &GetAllChildrenNumberRequest { path: path.into() },
        )
        .decode::<GetAllChildrenNumberResponse>()
        .total_number
    };
    let under_root = count(&mut h, "/");
    assert_eq!(count(&mut h, ""), under_root + 1);
}
