//! Durability of the ringkeeper binary on real files with real fsync:
//! acknowledged writes survive SIGKILL, sessions and their ephemerals
//! survive a restart, snapshots are taken and used, and an Apache
//! ZooKeeper data directory imports into ringkeeper.

use std::collections::BTreeMap;
use std::time::{Duration, Instant};

use ringkeeper_jute::{Acl, CreateMode, Id, Perms};
use ringkeeper_testkit::{
    open_acl, Client, ClientError, ConnectOptions, ServerKind, ServerOptions, TestServer,
};

fn ringkeeper(extra: &[(&str, &str)]) -> TestServer {
    let options = ServerOptions {
        force_sync: true,
        extra_cfg: extra
            .iter()
            .map(|(k, v)| (k.to_string(), v.to_string()))
            .collect(),
        ..ServerOptions::default()
    };
    TestServer::start(ServerKind::Ringkeeper, &options).expect("ringkeeper starts")
}

/// Sequence number of a sequential node's name.
fn sequence_of(name: &str) -> i64 {
    name[name.len() - 10..].parse().expect("10-digit suffix")
}

#[test]
fn acknowledged_writes_survive_sigkill_and_sequential_counters_never_repeat() {
    let mut server = ringkeeper(&[]);
    let mut acked: BTreeMap<String, Vec<u8>> = BTreeMap::new();
    let mut last_sequence = -1;
    for cycle in 0..5 {
        let mut c = Client::connect_new(server.addr()).unwrap();
        if cycle == 0 {
            c.create("/k", b"", &open_acl(), CreateMode::Persistent)
                .unwrap();
        }
        for i in 0..40 {
            let path = format!("/k/c{cycle}-{i}");
            let data = format!("v{cycle}-{i}").into_bytes();
            c.create(&path, &data, &open_acl(), CreateMode::Persistent)
                .unwrap();
            acked.insert(path, data);
            let seq = c
                .create("/k/s-", b"", &open_acl(), CreateMode::PersistentSequential)
                .unwrap();
            let n = sequence_of(&seq);
            assert!(
                n > last_sequence,
                "sequence {n} after {last_sequence}: repeated"
            );
            last_sequence = n;
        }
        server.kill();
        server.restart().expect("restart after SIGKILL");
        let mut check = Client::connect_new(server.addr()).unwrap();
        for (path, data) in &acked {
            let (got, _) = check
                .get_data(path, false)
                .unwrap_or_else(|e| panic!("cycle {cycle}: acknowledged {path} lost: {e:?}"));
            assert_eq!(&got, data, "{path}");
        }
    }
}

#[test]
fn sessions_and_their_ephemerals_survive_a_restart_and_expire_afresh() {
    let mut server = ringkeeper(&[]);
    let mut owner = Client::connect(
        server.addr(),
        &ConnectOptions {
            session_timeout_ms: 6_000,
            ..ConnectOptions::default()
        },
    )
    .unwrap();
    owner
        .create("/eph", b"mine", &open_acl(), CreateMode::Ephemeral)
        .unwrap();
    let resume = ConnectOptions::resume(&owner);
    let session_id = owner.session_id();
    server.kill();
    server.restart().unwrap();

    // Right after the restart the ephemeral is there, owned by the session,
    // and the session can be resumed with its id and password.
    let mut observer = Client::connect_new(server.addr()).unwrap();
    let stat = observer
        .exists("/eph", false)
        .unwrap()
        .expect("ephemeral survives");
    assert_eq!(stat.ephemeral_owner, session_id);
    let mut resumed = Client::connect(server.addr(), &resume).expect("session resumes");
    assert_eq!(resumed.session_id(), session_id);
    resumed.ping().unwrap();
    drop(resumed);

    // Left alone, it expires with a fresh timeout and takes the node along.
    observer.exists("/eph", true).unwrap();
    let deadline = Instant::now() + Duration::from_secs(30);
    loop {
        if observer.exists("/eph", false).unwrap().is_none() {
            break;
        }
        assert!(Instant::now() < deadline, "the session never expired");
        std::thread::sleep(Duration::from_millis(200));
    }
    let stale = Client::connect(server.addr(), &resume);
    assert!(
        matches!(stale, Err(ClientError::SessionRefused(_))),
        "an expired session is refused: {stale:?}"
    );
}

#[test]
fn snapshots_are_taken_every_snap_count_txns_and_a_restart_uses_them() {
    // 1 KiB per node: the later snapshots (>= 100 KiB) are written back in
    // 64 KiB steps (`sync_file_range`) before their fsync.
    let mut server = ringkeeper(&[
        ("snapCount", "100"),
        ("ringkeeper.snapshot.writebackChunkBytes", "65536"),
    ]);
    let mut c = Client::connect_new(server.addr()).unwrap();
    c.create("/s", b"", &open_acl(), CreateMode::Persistent)
        .unwrap();
    let data = |i: usize| vec![b'a' + (i % 26) as u8; 1024];
    for i in 0..400 {
        c.create(
            &format!("/s/n{i}"),
            &data(i),
            &open_acl(),
            CreateMode::Persistent,
        )
        .unwrap();
    }
    let deadline = Instant::now() + Duration::from_secs(20);
    let snapshots = loop {
        let names: Vec<String> = std::fs::read_dir(server.data_dir())
            .unwrap()
            .map(|e| e.unwrap().file_name().into_string().unwrap())
            .filter(|n| n.starts_with("snapshot.") && !n.ends_with(".tmp"))
            .collect();
        if names.len() >= 2 || Instant::now() > deadline {
            break names;
        }
        std::thread::sleep(Duration::from_millis(100));
    };
    assert!(snapshots.len() >= 2, "snapshots: {snapshots:?}");
    // A graceful restart recovers from the newest snapshot plus the log.
    server.restart().expect("restart");
    let mut c = Client::connect_new(server.addr()).unwrap();
    assert_eq!(c.get_children("/s", false).unwrap().len(), 400);
    for i in [0, 199, 399] {
        assert_eq!(c.get_data(&format!("/s/n{i}"), false).unwrap().0, data(i));
    }
    assert!(
        server
            .log_tail(400)
            .contains("write-back every 65536 bytes"),
        "{}",
        server.log_tail(50)
    );
    assert!(
        server.log_tail(200).contains("recovered snapshot"),
        "the restart used a snapshot:\n{}",
        server.log_tail(50)
    );
}

#[test]
fn an_apache_zookeeper_data_directory_imports_with_its_tree_acls_and_sessions() {
    let zk_options = ServerOptions {
        force_sync: true,
        extra_cfg: vec![("snapCount".into(), "50".into())],
        ..ServerOptions::default()
    };
    let mut zk = TestServer::start(ServerKind::ApacheZk, &zk_options).unwrap();
    let mut c = Client::connect_new(zk.addr()).unwrap();
    c.create("/app", b"root", &open_acl(), CreateMode::Persistent)
        .unwrap();
    for i in 0..120 {
        c.create(
            &format!("/app/n{i}"),
            format!("d{i}").as_bytes(),
            &open_acl(),
            CreateMode::Persistent,
        )
        .unwrap();
    }
    c.create(
        "/app/seq-",
        b"",
        &open_acl(),
        CreateMode::PersistentSequential,
    )
    .unwrap();
    c.create("/app/eph", b"e", &open_acl(), CreateMode::Ephemeral)
        .unwrap();
    c.set_data("/app/n7", b"changed", -1).unwrap();
    c.delete("/app/n8", -1).unwrap();
    c.add_auth("digest", b"alice:secret").unwrap();
    let acl = vec![Acl {
        perms: Perms::ALL,
        id: Id {
            scheme: "auth".into(),
            id: "".into(),
        },
    }];
    c.create("/app/private", b"p", &acl, CreateMode::Persistent)
        .unwrap();
    let session_id = c.session_id();
    // What ZooKeeper serves, to compare with after the import.
    let mut want = BTreeMap::new();
    for child in c.get_children("/app", false).unwrap() {
        let path = format!("/app/{child}");
        want.insert(path.clone(), c.get_data(&path, false).unwrap());
    }
    let want_acl = c.get_acl("/app/private").unwrap().0;
    let zk_data = zk.data_dir();
    zk.kill();

    let rk = import_into_fresh_ringkeeper(&zk_data);

    let mut check = Client::connect_new(rk.addr()).unwrap();
    check.add_auth("digest", b"alice:secret").unwrap();
    for (path, (data, stat)) in &want {
        let (got, got_stat) = check
            .get_data(path, false)
            .unwrap_or_else(|e| panic!("{path} after import: {e:?}"));
        assert_eq!(&got, data, "{path}");
        assert_eq!(got_stat.czxid, stat.czxid, "{path} czxid");
        assert_eq!(got_stat.mzxid, stat.mzxid, "{path} mzxid");
        assert_eq!(got_stat.version, stat.version, "{path} version");
        assert_eq!(
            got_stat.ephemeral_owner, stat.ephemeral_owner,
            "{path} owner"
        );
    }
    assert_eq!(check.get_children("/app", false).unwrap().len(), want.len());
    assert_eq!(check.get_acl("/app/private").unwrap().0, want_acl);
    let eph = check
        .exists("/app/eph", false)
        .unwrap()
        .expect("ephemeral imported");
    assert_eq!(eph.ephemeral_owner, session_id, "its session came along");
}

/// A fresh ringkeeper, stopped, its data dir emptied, `import-zk` run on
/// `zk_data`, then started again on the imported state.
fn import_into_fresh_ringkeeper(zk_data: &std::path::Path) -> TestServer {
    let mut rk = ringkeeper(&[]);
    rk.kill();
    for entry in std::fs::read_dir(rk.data_dir()).unwrap() {
        let path = entry.unwrap().path();
        if path.is_dir() {
            std::fs::remove_dir_all(path).unwrap();
        } else {
            std::fs::remove_file(path).unwrap();
        }
    }
    let cfg = rk.dir().join("import.cfg");
    std::fs::write(
        &cfg,
        format!("dataDir={}\nclientPort=1\n", rk.data_dir().display()),
    )
    .unwrap();
    let out = std::process::Command::new(ringkeeper_testkit::ringkeeper_binary())
        .arg("import-zk")
        .arg(zk_data)
        .arg(&cfg)
        .output()
        .unwrap();
    let stdout = String::from_utf8_lossy(&out.stdout);
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert!(out.status.success(), "import failed: {stdout}{stderr}");
    assert!(stdout.contains("imported"), "{stdout}");
    rk.restart().unwrap();
    rk
}

/// Regression: import-zk re-encoded every txn for ringkeeper's strict
/// decoder, which refuses a closeSession txn without its paths, as
/// ZooKeeper 3.5 (and 3.6+ with closeSessionTxn.enabled=false) writes it:
/// the import stopped with "cannot be replayed".
#[test]
fn an_apache_zookeeper_log_with_bodiless_close_session_txns_imports() {
    let zk_options = ServerOptions {
        force_sync: true,
        system_properties: vec![("zookeeper.closeSessionTxn.enabled".into(), "false".into())],
        ..ServerOptions::default()
    };
    let mut zk = TestServer::start(ServerKind::ApacheZk, &zk_options).unwrap();
    let mut keeper = Client::connect_new(zk.addr()).unwrap();
    keeper
        .create("/kept", b"k", &open_acl(), CreateMode::Persistent)
        .unwrap();
    let mut closing = Client::connect_new(zk.addr()).unwrap();
    closing
        .create("/gone", b"g", &open_acl(), CreateMode::Ephemeral)
        .unwrap();
    closing.close().unwrap();
    assert!(keeper.exists("/gone", false).unwrap().is_none());
    let zk_data = zk.data_dir();
    zk.kill();

    let rk = import_into_fresh_ringkeeper(&zk_data);
    let mut check = Client::connect_new(rk.addr()).unwrap();
    assert_eq!(check.get_data("/kept", false).unwrap().0, b"k");
    assert!(
        check.exists("/gone", false).unwrap().is_none(),
        "closed session's ephemeral stays gone"
    );
}
