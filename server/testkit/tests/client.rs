//! The raw client against Apache ZooKeeper 3.8: every helper once, the
//! shapes of its answers, and the bad-input paths (raw bytes, wrong
//! passwords) tests of our server will need.

use std::time::Duration;

use ringkeeper_jute::{
    Acl, AddWatchMode, CreateMode, CreateRequest, DeleteRequest, ErrorCode, EventType,
    GetDataRequest, Id, KeeperState, MultiOp, MultiResult, Perms, SetDataRequest, SetWatches,
    WatcherType,
};
use ringkeeper_testkit::{
    open_acl, Client, ClientError, ConnectOptions, ServerKind, ServerOptions, TestServer,
};

const EVENT_WAIT: Duration = Duration::from_secs(5);

fn start_zk() -> TestServer {
    TestServer::start(ServerKind::ApacheZk, &ServerOptions::default()).unwrap()
}

fn digest_acl(id: &str, perms: i32) -> Vec<Acl> {
    vec![Acl {
        perms,
        id: Id {
            scheme: "digest".into(),
            id: id.into(),
        },
    }]
}

#[test]
fn znode_lifecycle_create_read_update_delete_with_versions() {
    let server = start_zk();
    let mut client = Client::connect_new(server.addr()).unwrap();
    assert_ne!(client.session_id(), 0);
    assert_eq!(client.password().len(), 16);

    assert_eq!(
        client
            .create("/a", b"one", &open_acl(), CreateMode::Persistent)
            .unwrap(),
        "/a"
    );
    let (path, stat) = client
        .create2("/a/b", b"", &open_acl(), CreateMode::Persistent)
        .unwrap();
    assert_eq!(path, "/a/b");
    assert_eq!(stat.version, 0);
    assert_eq!(stat.czxid, stat.mzxid);
    let error = client
        .create("/a", b"", &open_acl(), CreateMode::Persistent)
        .unwrap_err();
    assert_eq!(error.code(), Some(ErrorCode::NodeExists));

    let (data, stat) = client.get_data("/a", false).unwrap();
    assert_eq!(data, b"one");
    assert_eq!((stat.num_children, stat.data_length), (1, 3));
    let error = client.set_data("/a", b"two", 5).unwrap_err();
    assert_eq!(error.code(), Some(ErrorCode::BadVersion));
    let stat = client.set_data("/a", b"two", 0).unwrap();
    assert_eq!(stat.version, 1);
    assert!(stat.mzxid > stat.czxid);
    assert_eq!(client.exists("/a", false).unwrap().unwrap().version, 1);
    assert_eq!(client.exists("/nothing", false).unwrap(), None);

    let seq = client
        .create("/a/s-", b"", &open_acl(), CreateMode::PersistentSequential)
        .unwrap();
    assert_eq!(seq, "/a/s-0000000001");
    let mut children = client.get_children("/a", false).unwrap();
    children.sort();
    assert_eq!(children, ["b", "s-0000000001"]);
    let (children, stat) = client.get_children2("/a", false).unwrap();
    assert_eq!(
        (children.len(), stat.num_children, stat.cversion),
        (2, 2, 2)
    );
    assert_eq!(client.get_all_children_number("/a").unwrap(), 2);

    let error = client.delete("/a", -1).unwrap_err();
    assert_eq!(error.code(), Some(ErrorCode::NotEmpty));
    client.delete("/a/b", 0).unwrap();
    let error = client.delete("/a/b", -1).unwrap_err();
    assert_eq!(error.code(), Some(ErrorCode::NoNode));
    assert_eq!(client.sync("/a").unwrap(), "/a");
    client.close().unwrap();
}

#[test]
fn special_nodes_ephemeral_container_and_ttl() {
    let server = start_zk();
    let mut owner = Client::connect_new(server.addr()).unwrap();
    let mut other = Client::connect_new(server.addr()).unwrap();
    let (_, stat) = owner
        .create2("/e", b"", &open_acl(), CreateMode::Ephemeral)
        .unwrap();
    assert_eq!(stat.ephemeral_owner, owner.session_id());
    let error = owner
        .create("/e/child", b"", &open_acl(), CreateMode::Persistent)
        .unwrap_err();
    assert_eq!(error.code(), Some(ErrorCode::NoChildrenForEphemerals));
    assert_eq!(owner.get_ephemerals("/").unwrap(), ["/e"]);
    assert!(other.get_ephemerals("/").unwrap().is_empty());

    // Containers and TTL nodes carry markers in ephemeralOwner on the
    // server; clients are shown 0 (DataNode.getClientEphemeralOwner).
    let (path, stat) = owner.create_container("/c", b"", &open_acl()).unwrap();
    assert_eq!((path.as_str(), stat.ephemeral_owner), ("/c", 0));
    let (path, stat) = owner
        .create_ttl(
            "/t",
            b"",
            &open_acl(),
            CreateMode::PersistentWithTtl,
            60_000,
        )
        .unwrap();
    assert_eq!((path.as_str(), stat.ephemeral_owner), ("/t", 0));
    let error = owner
        .create_ttl("/t0", b"", &open_acl(), CreateMode::PersistentWithTtl, 0)
        .unwrap_err();
    assert_eq!(error.code(), Some(ErrorCode::BadArguments));

    assert!(other.exists("/e", true).unwrap().is_some());
    owner.close().unwrap();
    let event = other.next_event(EVENT_WAIT).unwrap().unwrap();
    assert_eq!(event.event_type, EventType::NodeDeleted.as_i32());
    assert_eq!(event.path, "/e");
    assert_eq!(other.exists("/e", false).unwrap(), None);
}

#[test]
fn watches_one_shot_persistent_and_removed() {
    let server = start_zk();
    let mut writer = Client::connect_new(server.addr()).unwrap();
    let mut watcher = Client::connect_new(server.addr()).unwrap();
    writer
        .create("/w", b"", &open_acl(), CreateMode::Persistent)
        .unwrap();

    watcher.get_data("/w", true).unwrap();
    watcher.get_children("/w", true).unwrap();
    watcher
        .add_watch("/w", AddWatchMode::PersistentRecursive)
        .unwrap();
    writer.set_data("/w", b"x", -1).unwrap();
    writer
        .create("/w/k", b"", &open_acl(), CreateMode::Persistent)
        .unwrap();
    writer.set_data("/w", b"y", -1).unwrap();
    watcher.ping().unwrap();
    // ZooKeeper 3.8 keeps one watch mode per (session, path) in each of
    // its data and child watch tables: the persistent-recursive watch
    // replaced the one-shot child watch on /w, and recursive watches get
    // no NodeChildrenChanged. The data watch on /w fired once, then the
    // recursive one took over.
    let events: Vec<(i32, i32, String)> = watcher
        .take_events()
        .into_iter()
        .map(|e| (e.event_type, e.state, e.path))
        .collect();
    let connected = KeeperState::SyncConnected.as_i32();
    assert_eq!(
        events,
        [
            (
                EventType::NodeDataChanged.as_i32(),
                connected,
                "/w".to_string()
            ),
            (
                EventType::NodeCreated.as_i32(),
                connected,
                "/w/k".to_string()
            ),
            (
                EventType::NodeDataChanged.as_i32(),
                connected,
                "/w".to_string()
            ),
        ]
    );

    // 3.8 knows watcher types 1-3 only (Persistent and PersistentRecursive
    // came in 3.9); Any removes the session's watches on /w of every mode.
    let error = watcher
        .remove_watches("/w", WatcherType::PersistentRecursive)
        .unwrap_err();
    assert_eq!(error.code(), Some(ErrorCode::MarshallingError));
    watcher.remove_watches("/w", WatcherType::Any).unwrap();
    let error = watcher.remove_watches("/w", WatcherType::Data).unwrap_err();
    assert_eq!(error.code(), Some(ErrorCode::NoWatcher));
    let error = watcher.check_watches("/w", WatcherType::Any).unwrap_err();
    assert_eq!(error.code(), Some(ErrorCode::NoWatcher));
    writer.delete("/w/k", -1).unwrap();
    assert_eq!(
        watcher.next_event(Duration::from_millis(300)).unwrap(),
        None
    );

    // setWatches re-registers an exists watch on a node that does not exist.
    watcher
        .set_watches(&SetWatches {
            relative_zxid: watcher.last_zxid_seen(),
            data_watches: vec![],
            exist_watches: vec!["/later".into()],
            child_watches: vec![],
        })
        .unwrap();
    writer
        .create("/later", b"", &open_acl(), CreateMode::Persistent)
        .unwrap();
    let event = watcher.next_event(EVENT_WAIT).unwrap().unwrap();
    assert_eq!(
        (event.event_type, event.path.as_str()),
        (EventType::NodeCreated.as_i32(), "/later")
    );
}

#[test]
fn multi_is_atomic_and_multi_read_answers_each_op() {
    let server = start_zk();
    let mut client = Client::connect_new(server.addr()).unwrap();
    let create = |path: &str| {
        MultiOp::Create(CreateRequest {
            path: path.into(),
            data: Vec::new().into(),
            acl: open_acl(),
            flags: CreateMode::Persistent.as_i32(),
        })
    };
    let results = client
        .multi(vec![
            create("/m"),
            MultiOp::SetData(SetDataRequest {
                path: "/m".into(),
                data: b"d".into(),
                version: 7,
            }),
            create("/m2"),
        ])
        .unwrap();
    assert_eq!(
        results,
        [
            MultiResult::Error { err: 0 },
            MultiResult::Error {
                err: ErrorCode::BadVersion.as_i32()
            },
            MultiResult::Error {
                err: ErrorCode::RuntimeInconsistency.as_i32()
            },
        ]
    );
    assert_eq!(client.exists("/m", false).unwrap(), None);

    let results = client
        .multi(vec![
            create("/m"),
            MultiOp::Delete(DeleteRequest {
                path: "/m".into(),
                version: 0,
            }),
        ])
        .unwrap();
    assert_eq!(
        results,
        [
            MultiResult::Create { path: "/m".into() },
            MultiResult::Delete
        ]
    );

    client
        .create("/r", b"rd", &open_acl(), CreateMode::Persistent)
        .unwrap();
    let results = client
        .multi_read(vec![
            MultiOp::GetData(GetDataRequest {
                path: "/r".into(),
                watch: false,
            }),
            MultiOp::GetData(GetDataRequest {
                path: "/missing".into(),
                watch: false,
            }),
        ])
        .unwrap();
    assert!(matches!(&results[0], MultiResult::GetData { data, .. } if data == b"rd"));
    assert_eq!(
        results[1],
        MultiResult::Error {
            err: ErrorCode::NoNode.as_i32()
        }
    );
}

#[test]
fn digest_acl_admits_only_the_authenticated_user() {
    let server = start_zk();
    let mut alice = Client::connect_new(server.addr()).unwrap();
    let mut stranger = Client::connect_new(server.addr()).unwrap();
    alice.add_auth("digest", b"alice:secret").unwrap();
    let acl = digest_acl("alice:aYXlLOpEooaV1cRAvUL1fp9Qt7E=", Perms::ALL);
    alice
        .create("/private", b"p", &acl, CreateMode::Persistent)
        .unwrap();
    assert_eq!(alice.get_data("/private", false).unwrap().0, b"p");
    let error = stranger.get_data("/private", false).unwrap_err();
    assert_eq!(error.code(), Some(ErrorCode::NoAuth));
    // Since ZOOKEEPER-1392, getACL needs READ or ADMIN too.
    let error = stranger.get_acl("/private").unwrap_err();
    assert_eq!(error.code(), Some(ErrorCode::NoAuth));
    assert_eq!(alice.get_acl("/private").unwrap().0, acl);
    let stat = alice.set_acl("/private", &open_acl(), 0).unwrap();
    assert_eq!(stat.aversion, 1);
    assert_eq!(stranger.get_data("/private", false).unwrap().0, b"p");
    let error = alice.set_acl("/private", &[], -1).unwrap_err();
    assert_eq!(error.code(), Some(ErrorCode::InvalidAcl));
}

#[test]
fn sessions_resume_with_their_password_and_refuse_a_wrong_one() {
    let server = start_zk();
    let first = Client::connect_new(server.addr()).unwrap();
    let mut resumed = Client::connect(server.addr(), &ConnectOptions::resume(&first)).unwrap();
    assert_eq!(resumed.session_id(), first.session_id());
    drop(first);
    resumed.ping().unwrap();

    let mut wrong = ConnectOptions::resume(&resumed);
    wrong.password = vec![7; 16];
    match Client::connect(server.addr(), &wrong) {
        Err(ClientError::SessionRefused(response)) => assert_eq!(response.timeout_ms, 0),
        other => panic!("a wrong password was not refused: {other:?}"),
    }
    // ZooKeeper closes the session's current connection on any attempt
    // to resume it, before it checks the password; the session lives on.
    assert!(matches!(resumed.ping(), Err(ClientError::Closed)));
    let resumed = Client::connect(server.addr(), &ConnectOptions::resume(&resumed)).unwrap();
    let id = resumed.session_id();
    resumed.close().unwrap();
    let gone = ConnectOptions {
        session_id: id,
        ..ConnectOptions::default()
    };
    assert!(matches!(
        Client::connect(server.addr(), &gone),
        Err(ClientError::SessionRefused(_))
    ));
}

#[test]
fn raw_bytes_an_oversized_frame_closes_the_connection() {
    let server = start_zk();
    let mut client = Client::connect_new(server.addr()).unwrap();
    // A length prefix over jute.maxbuffer (0xfffff): ZooKeeper drops the connection.
    client.send_raw(&0x7fff_0000_i32.to_be_bytes()).unwrap();
    let error = client.read_any_reply(Duration::from_secs(5)).unwrap_err();
    assert!(matches!(error, ClientError::Closed), "{error}");
}

#[test]
fn raw_bytes_an_unknown_op_code_is_answered_unimplemented_then_closed() {
    let server = start_zk();
    let mut client = Client::connect_new(server.addr()).unwrap();
    client.send_with_xid(1, 999, None).unwrap();
    let reply = client.read_reply(1).unwrap();
    assert_eq!(reply.err, ErrorCode::Unimplemented.as_i32());
    // ...and then ZooKeeper closes the connection.
    let error = client.read_any_reply(Duration::from_secs(5)).unwrap_err();
    assert!(matches!(error, ClientError::Closed), "{error}");
}
