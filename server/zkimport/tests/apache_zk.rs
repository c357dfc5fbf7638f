//! Reading what Debian's Apache ZooKeeper 3.8 really wrote. One workload
//! (persistent, sequential, ephemeral, container and TTL nodes, setData,
//! deletes, multi that succeed and fail, setACL with digest and ip ACLs,
//! sessions left open and closed) runs against a real ZooKeeper with
//! snapCount 20, so it rolls many snapshots and logs; then a client reads
//! the whole tree, and ZooKeeper is killed (SIGKILL). Each test below
//! copies the files it left into its own dir and checks one thing: the
//! tree rebuilt from snapshot + txns is the tree the client read, and
//! damaged files are handled as ZooKeeper would.

#[path = "common/model.rs"]
mod model;

use std::collections::BTreeMap;
use std::fs;
use std::path::{Path, PathBuf};
use std::sync::OnceLock;
use std::thread;
use std::time::{Duration, Instant};

use model::{ClientView, Model};
use ringkeeper_jute::{
    Acl, CheckVersionRequest, CreateMode, CreateRequest, CreateTtlRequest, DeleteRequest,
    ErrorCode, Id, MultiOp, NodeData, Perms, SetDataRequest,
};
use ringkeeper_testkit::{open_acl, Client, ConnectOptions, ServerKind, ServerOptions, TestServer};
use ringkeeper_zkimport::{
    dump, read_data_dir, read_log, read_log_file, read_snapshot, ImportErrorKind, LogTail,
    TornReason, ZkDataDir, ZkTxnRecord, VERSION_DIR,
};

/// What ZooKeeper left behind and what a client saw just before the kill.
struct ZkRun {
    /// The files of dataDir/version-2, by name.
    files: Vec<(String, Vec<u8>)>,
    /// Every node as the client read it.
    tree: BTreeMap<String, ClientView>,
    /// Sessions open at the kill (session id -> negotiated timeout).
    open_sessions: BTreeMap<i64, i32>,
    closed_session: i64,
    /// `srvr`'s Zxid at the kill.
    last_zxid: i64,
}

impl ZkRun {
    /// A fresh copy of the data dir (dataDir with version-2 inside).
    fn copy(&self) -> tempfile::TempDir {
        let dir = tempfile::tempdir().unwrap();
        let files = dir.path().join(VERSION_DIR);
        fs::create_dir(&files).unwrap();
        for (name, bytes) in &self.files {
            fs::write(files.join(name), bytes).unwrap();
        }
        dir
    }

    fn names(&self, prefix: &str) -> Vec<String> {
        let mut names: Vec<(i64, String)> = self
            .files
            .iter()
            .filter_map(|(name, _)| {
                let hex = name.strip_prefix(prefix)?.strip_prefix('.')?;
                Some((i64::from_str_radix(hex, 16).ok()?, name.clone()))
            })
            .collect();
        names.sort();
        names.into_iter().map(|(_, name)| name).collect()
    }
}

fn zk_run() -> &'static ZkRun {
    static RUN: OnceLock<ZkRun> = OnceLock::new();
    RUN.get_or_init(run_workload)
}

fn connect(server: &TestServer) -> Client {
    let options = ConnectOptions {
        session_timeout_ms: 40_000,
        ..ConnectOptions::default()
    };
    Client::connect(server.addr(), &options).unwrap()
}

fn acl(perms: i32, scheme: &str, id: &str) -> Acl {
    Acl {
        perms,
        id: Id {
            scheme: scheme.into(),
            id: id.into(),
        },
    }
}

fn create_request(path: &str, data: &[u8], mode: CreateMode) -> CreateRequest {
    CreateRequest {
        path: path.into(),
        data: data.into(),
        acl: open_acl(),
        flags: mode.as_i32(),
    }
}

fn run_workload() -> ZkRun {
    let options = ServerOptions {
        extra_cfg: vec![
            // Unknown zoo.cfg keys become zookeeper.* system properties.
            ("snapCount".into(), "20".into()),
            ("preAllocSize".into(), "64".into()),
        ],
        system_properties: vec![("znode.container.checkIntervalMs".into(), "200".into())],
        ..ServerOptions::default()
    };
    let mut server = TestServer::start(ServerKind::ApacheZk, &options).unwrap();
    let open = open_acl();
    let persistent = CreateMode::Persistent;

    let mut a = connect(&server);
    a.add_auth("digest", b"alice:secret").unwrap();
    a.create("/app", b"the app", &open, persistent).unwrap();
    a.create("/app/config", b"v0", &open, persistent).unwrap();
    for version in 1..=5 {
        let data = format!("v{version}");
        a.set_data("/app/config", data.as_bytes(), -1).unwrap();
    }
    // A failed write is logged as an error txn.
    let failed = a.set_data("/app/config", b"stale", 999).unwrap_err();
    assert_eq!(failed.code(), Some(ErrorCode::BadVersion));

    a.create("/app/seq", b"", &open, persistent).unwrap();
    // Null data (a -1 buffer): ZooKeeper writes it as -1 in its txn log
    // and snapshots, and import must keep it null, apart from empty.
    a.create("/app/null-early", &NodeData::NULL, &open, persistent)
        .unwrap();
    a.create("/app/empty-early", b"", &open, persistent)
        .unwrap();
    for _ in 0..5 {
        a.create(
            "/app/seq/item-",
            b"queued",
            &open,
            CreateMode::PersistentSequential,
        )
        .unwrap();
    }

    // A container that is used and emptied is deleted by ZooKeeper
    // (deleteContainer); one with a child stays.
    a.create_container("/app/jobs", b"", &open).unwrap();
    a.create("/app/jobs/j1", b"", &open, persistent).unwrap();
    a.delete("/app/jobs/j1", -1).unwrap();
    a.create_container("/app/queue", b"q", &open).unwrap();
    a.create(
        "/app/queue/item-",
        b"",
        &open,
        CreateMode::PersistentSequential,
    )
    .unwrap();
    // A TTL node that expires at once, and one that stays.
    a.create_ttl(
        "/app/ttl-short",
        b"gone soon",
        &open,
        CreateMode::PersistentWithTtl,
        1,
    )
    .unwrap();
    a.create_ttl(
        "/app/ttl-long",
        b"stays",
        &open,
        CreateMode::PersistentWithTtl,
        3_600_000,
    )
    .unwrap();

    // Session b keeps its ephemerals until the kill; c closes.
    a.create("/app/live", b"", &open, persistent).unwrap();
    let mut b = connect(&server);
    b.create("/app/live/b-eph", b"b", &open, CreateMode::Ephemeral)
        .unwrap();
    b.create(
        "/app/live/b-seq-",
        b"b",
        &open,
        CreateMode::EphemeralSequential,
    )
    .unwrap();
    let mut c = connect(&server);
    c.create("/app/live/c-eph", b"c", &open, CreateMode::Ephemeral)
        .unwrap();
    c.create(
        "/app/live/c-seq-",
        b"c",
        &open,
        CreateMode::EphemeralSequential,
    )
    .unwrap();
    let closed_session = c.session_id();
    c.close().unwrap();

    // ACLs: "auth" becomes alice's digest id; an ip ACL; setACL twice
    // (once with a stale version, which fails).
    let auth = acl(Perms::ALL, "auth", "");
    a.create("/app/secure", b"secret", &[auth], persistent)
        .unwrap();
    let (alice, _) = a.get_acl("/app/secure").unwrap();
    assert_eq!(alice[0].id.scheme, "digest");
    let local = acl(Perms::ALL, "ip", "127.0.0.1");
    a.create("/app/ip-only", b"local", &[local], persistent)
        .unwrap();
    let mut secure = alice.clone();
    secure.push(acl(Perms::READ, "ip", "127.0.0.1"));
    a.set_acl("/app/secure", &secure, 0).unwrap();
    let stale = a.set_acl("/app/secure", &secure, 0).unwrap_err();
    assert_eq!(stale.code(), Some(ErrorCode::BadVersion));
    let mut config_acl = vec![acl(Perms::READ | Perms::WRITE, "world", "anyone")];
    config_acl.extend(alice.iter().cloned());
    a.set_acl("/app/config", &config_acl, -1).unwrap();

    // multi: one that succeeds (create, setData, check, delete, container,
    // TTL), one that fails (and is logged as a multi of errors).
    let ok = a
        .multi(vec![
            MultiOp::Create(create_request("/app/m1", b"m1", persistent)),
            MultiOp::SetData(SetDataRequest {
                path: "/app/config".into(),
                data: b"from multi".into(),
                version: -1,
            }),
            MultiOp::Check(CheckVersionRequest {
                path: "/app/seq".into(),
                version: 0,
            }),
            MultiOp::Delete(DeleteRequest {
                path: "/app/seq/item-0000000000".into(),
                version: -1,
            }),
            MultiOp::CreateContainer(create_request("/app/mc", b"", CreateMode::Container)),
            MultiOp::CreateTtl(CreateTtlRequest {
                path: "/app/mt".into(),
                data: b"ttl in multi".into(),
                acl: open.clone(),
                flags: CreateMode::PersistentWithTtl.as_i32(),
                ttl: 3_600_000,
            }),
        ])
        .unwrap();
    assert_eq!(ok.len(), 6);
    a.multi(vec![
        MultiOp::Create(create_request("/app/m2", b"never", persistent)),
        MultiOp::Delete(DeleteRequest {
            path: "/app/does-not-exist".into(),
            version: -1,
        }),
    ])
    .unwrap();
    assert!(a.exists("/app/m2", false).unwrap().is_none());

    // Enough txns for many snapshots and log rolls; a large node; a
    // subtree made and removed.
    a.create("/app/bulk", b"", &open, persistent).unwrap();
    a.create("/app/counter", b"0", &open, persistent).unwrap();
    for i in 0..120 {
        let path = format!("/app/bulk/n{i:03}");
        let data = format!("node {i} {}", "x".repeat(i % 40));
        a.create(&path, data.as_bytes(), &open, persistent).unwrap();
        if i % 3 == 2 {
            a.delete(&format!("/app/bulk/n{:03}", i - 1), -1).unwrap();
        }
        if i % 5 == 0 {
            a.set_data("/app/counter", i.to_string().as_bytes(), -1)
                .unwrap();
        }
        if i % 30 == 0 {
            b.ping().unwrap();
        }
    }
    let large: Vec<u8> = (0..300_000u32).map(|i| (i % 251) as u8).collect();
    a.create("/app/large", &large, &open, persistent).unwrap();
    a.create("/app/tmp", b"", &open, persistent).unwrap();
    a.create("/app/tmp/x1", b"1", &open, persistent).unwrap();
    a.create("/app/tmp/x2", b"2", &open, persistent).unwrap();
    a.delete("/app/tmp/x1", -1).unwrap();
    a.delete("/app/tmp/x2", -1).unwrap();
    a.delete("/app/tmp", -1).unwrap();
    a.set_data("/", b"root data", -1).unwrap();
    a.create("/app/null-late", &NodeData::NULL, &open, persistent)
        .unwrap();
    a.set_data("/app/empty-early", &NodeData::NULL, -1).unwrap();

    // ZooKeeper's container manager removes the emptied container and
    // the expired TTL node.
    let deadline = Instant::now() + Duration::from_secs(30);
    while a.exists("/app/jobs", false).unwrap().is_some()
        || a.exists("/app/ttl-short", false).unwrap().is_some()
    {
        assert!(Instant::now() < deadline, "container manager did not run");
        b.ping().unwrap();
        thread::sleep(Duration::from_millis(100));
    }

    // Read the tree once nothing changes any more, then kill ZooKeeper.
    let (tree, last_zxid) = loop {
        let before = srvr_zxid(&server);
        let tree = read_tree(&mut a);
        b.ping().unwrap();
        if srvr_zxid(&server) == before {
            break (tree, before);
        }
    };
    // ZooKeeper answers null data with a -1 buffer, empty with 0 bytes.
    for (path, null) in [
        ("/app/null-early", true),
        ("/app/null-late", true),
        ("/app/empty-early", true),
        ("/app/seq", false),
    ] {
        assert_eq!(tree[path].data.is_null(), null, "{path}");
    }
    let open_sessions = BTreeMap::from([
        (a.session_id(), a.connect_response().timeout_ms),
        (b.session_id(), b.connect_response().timeout_ms),
    ]);
    server.kill();
    let files_dir = server.data_dir().join(VERSION_DIR);
    let mut files = Vec::new();
    for entry in fs::read_dir(&files_dir).unwrap() {
        let entry = entry.unwrap();
        let name = entry.file_name().to_string_lossy().into_owned();
        files.push((name, fs::read(entry.path()).unwrap()));
    }
    files.sort();
    drop(server);
    ZkRun {
        files,
        tree,
        open_sessions,
        closed_session,
        last_zxid,
    }
}

fn srvr_zxid(server: &TestServer) -> i64 {
    let srvr = server.four_letter("srvr").unwrap();
    let hex = srvr
        .lines()
        .find_map(|line| line.strip_prefix("Zxid: 0x"))
        .unwrap_or_else(|| panic!("no Zxid in srvr: {srvr}"));
    i64::from_str_radix(hex.trim(), 16).unwrap()
}

/// Every node, depth first from "/", as the client reads it.
fn read_tree(client: &mut Client) -> BTreeMap<String, ClientView> {
    let mut tree = BTreeMap::new();
    let mut pending = vec!["/".to_string()];
    while let Some(path) = pending.pop() {
        let (data, stat) = client.get_node_data(&path, false).unwrap();
        let (acl, _) = client.get_acl(&path).unwrap();
        for child in client.get_children(&path, false).unwrap() {
            pending.push(if path == "/" {
                format!("/{child}")
            } else {
                format!("{path}/{child}")
            });
        }
        tree.insert(path, ClientView { data, stat, acl });
    }
    tree
}

/// Loads the snapshot and replays the txns, checking the model's digest
/// against the digest ZooKeeper logged after each txn, from the snapshot's
/// digest zxid on (before it the tree is fuzzy).
///
/// The snapshot's own digest is not compared: ZooKeeper records a txn's
/// digest only after applying it, so a snapshot written while txn T+1 was
/// being applied holds part of T+1 beside the digest of T (ZooKeeper's own
/// restore then reports a mismatch, and goes on). The digests logged after
/// later txns settle it.
/// Returns the model and how many digests were compared.
fn replay(data_dir: &ZkDataDir) -> (Model, usize) {
    let snapshot = &data_dir.snapshot;
    let mut model = Model::from_snapshot(snapshot);
    // ZooKeeper ignores a snapshot digest older than the snapshot.
    let fuzzy_until = snapshot
        .digest
        .map(|digest| digest.zxid)
        .filter(|zxid| *zxid >= snapshot.zxid)
        .unwrap_or(snapshot.zxid);
    let mut checked = 0;
    for txn in &data_dir.txns {
        model.apply(txn);
        if txn.zxid() <= fuzzy_until {
            continue;
        }
        if let Some(logged) = &txn.digest {
            assert_eq!(
                model.digest(),
                logged.tree_digest,
                "digest after txn 0x{:x} ({:?})",
                txn.zxid(),
                txn.record
            );
            checked += 1;
        }
    }
    (model, checked)
}

fn assert_same_tree(model: &Model, run: &ZkRun) {
    let rebuilt = model.client_views();
    let rebuilt_paths: Vec<&String> = rebuilt.keys().collect();
    let read_paths: Vec<&String> = run.tree.keys().collect();
    assert_eq!(rebuilt_paths, read_paths, "the paths differ");
    for (path, view) in &run.tree {
        assert_eq!(&rebuilt[path], view, "node {path} differs");
    }
}

#[test]
fn import_rebuilds_the_tree_sessions_and_last_zxid_zookeeper_served() {
    let run = zk_run();
    let dir = run.copy();
    let data_dir = read_data_dir(dir.path()).unwrap();
    assert!(
        data_dir.skipped.is_empty(),
        "skipped: {:?}",
        data_dir.skipped
    );
    let newest = run.names("snapshot").pop().unwrap();
    assert_eq!(
        data_dir
            .snapshot_file
            .file_name()
            .unwrap()
            .to_string_lossy(),
        newest
    );
    let (model, _) = replay(&data_dir);
    assert_same_tree(&model, run);
    assert_eq!(model.sessions, run.open_sessions);
    assert!(!model.sessions.contains_key(&run.closed_session));
    assert_eq!(data_dir.last_zxid, run.last_zxid);
}

#[test]
fn replay_from_every_snapshot_zookeeper_wrote_reaches_the_same_tree() {
    let run = zk_run();
    let snapshots = run.names("snapshot");
    assert!(snapshots.len() >= 5, "only {} snapshots", snapshots.len());
    assert!(
        run.names("log").len() >= 5,
        "only {:?} logs",
        run.names("log")
    );
    let mut digests_compared = 0;
    for keep in &snapshots {
        let dir = run.copy();
        let files = dir.path().join(VERSION_DIR);
        for other in snapshots.iter().filter(|name| *name != keep) {
            fs::remove_file(files.join(other)).unwrap();
        }
        let data_dir = read_data_dir(dir.path()).unwrap();
        assert_eq!(data_dir.snapshot_file, files.join(keep));
        let (model, checked) = replay(&data_dir);
        digests_compared += checked;
        assert_same_tree(&model, run);
        assert_eq!(model.sessions, run.open_sessions, "from {keep}");
        assert_eq!(data_dir.last_zxid, run.last_zxid, "from {keep}");
    }
    // From the oldest snapshot alone, nearly every txn's digest is checked.
    assert!(
        digests_compared > 150,
        "{digests_compared} digests compared"
    );
}

#[test]
fn every_log_file_reads_and_together_they_hold_every_kind_of_txn_the_workload_made() {
    let run = zk_run();
    let dir = run.copy();
    let files = dir.path().join(VERSION_DIR);
    let mut kinds = std::collections::BTreeSet::new();
    let mut failed_multi = false;
    let mut succeeded_multi = false;
    let mut ephemeral_create = false;
    let mut previous: Option<i64> = None;
    for name in run.names("log") {
        let log = read_log_file(&files.join(&name)).unwrap();
        // Zero padding, or a clean end when a record outgrew the
        // preallocated space (the 300 KB node) and was the file's last.
        assert!(
            matches!(
                log.tail,
                LogTail::ZeroPadding { .. } | LogTail::CleanEnd { .. }
            ),
            "{name} ends in {:?}",
            log.tail
        );
        for txn in &log.txns {
            if let Some(previous) = previous {
                assert_eq!(txn.zxid(), previous + 1, "zxids run on across {name}");
            }
            previous = Some(txn.zxid());
            // ZooKeeper 3.8 logs a digest with every txn but a failed one.
            assert_eq!(
                txn.digest.is_some(),
                !matches!(txn.record, ZkTxnRecord::Error(_)),
                "digest of {txn:?}"
            );
            kinds.insert(txn.op_code().unwrap().zk_name());
            match &txn.record {
                ZkTxnRecord::Multi(_) if txn.record.applies() => succeeded_multi = true,
                ZkTxnRecord::Multi(_) => failed_multi = true,
                ZkTxnRecord::Create(create) if create.ephemeral => ephemeral_create = true,
                _ => {}
            }
        }
    }
    for kind in [
        "createSession",
        "closeSession",
        "create",
        "createContainer",
        "createTTL",
        "delete",
        "deleteContainer",
        "setData",
        "setACL",
        "multi",
        "error",
    ] {
        assert!(kinds.contains(kind), "no {kind} txn among {kinds:?}");
    }
    assert!(succeeded_multi && failed_multi && ephemeral_create);
    assert_eq!(previous, Some(run.last_zxid));
}

#[test]
fn a_snapshot_with_a_flipped_bit_is_passed_over_for_the_older_one() {
    let run = zk_run();
    let dir = run.copy();
    let files = dir.path().join(VERSION_DIR);
    let snapshots = run.names("snapshot");
    let newest = files.join(&snapshots[snapshots.len() - 1]);
    let older = files.join(&snapshots[snapshots.len() - 2]);
    let mut bytes = fs::read(&newest).unwrap();
    let middle = bytes.len() / 2;
    bytes[middle] ^= 0x10;
    fs::write(&newest, &bytes).unwrap();

    let error = read_snapshot(&newest).unwrap_err();
    assert_eq!(error.file, newest);
    let data_dir = read_data_dir(dir.path()).unwrap();
    assert_eq!(data_dir.snapshot_file, older);
    assert_eq!(data_dir.skipped.len(), 1, "{:?}", data_dir.skipped);
    assert!(data_dir.skipped[0].contains(&newest.display().to_string()));
    let (model, _) = replay(&data_dir);
    assert_same_tree(&model, run);
    assert_eq!(data_dir.last_zxid, run.last_zxid);
}

/// The newest log and the offset of its last record. Every snapshot but
/// the oldest (ZooKeeper's empty one at start-up) is removed from `dir`:
/// at snapCount 20 ZooKeeper may start a fuzzy snapshot after that record
/// was logged, and such a snapshot holds it whatever the log says. From the
/// oldest, the import replays every log, so damaging the record costs it
/// exactly that txn, whatever ZooKeeper's timing was.
fn last_record(dir: &Path, run: &ZkRun) -> (PathBuf, u64, usize) {
    let files = dir.join(VERSION_DIR);
    for snapshot in run.names("snapshot").iter().skip(1) {
        fs::remove_file(files.join(snapshot)).unwrap();
    }
    for name in run.names("log").iter().rev() {
        let path = files.join(name);
        let txns = read_log(&path).unwrap();
        if let Some(last) = txns.last() {
            assert_eq!(
                last.zxid(),
                run.last_zxid,
                "the newest log ends with the last txn"
            );
            return (path, last.offset, txns.len());
        }
    }
    panic!("no log holds a txn");
}

#[test]
fn a_last_record_torn_in_preallocated_space_is_cut_and_the_rest_imported() {
    let run = zk_run();
    let dir = run.copy();
    let (log, offset, count) = last_record(dir.path(), run);
    let mut bytes = fs::read(&log).unwrap();
    let at = offset as usize;
    let len = i32::from_be_bytes(bytes[at + 8..at + 12].try_into().unwrap()) as usize;
    // The crash kept the first half of the record; the rest is still the
    // preallocated zeros.
    bytes[at + 12 + len / 2..at + 12 + len + 1].fill(0);
    fs::write(&log, &bytes).unwrap();

    let read = read_log_file(&log).unwrap();
    assert_eq!(read.txns.len(), count - 1);
    assert_eq!(
        read.tail,
        LogTail::TornRecord {
            offset,
            reason: TornReason::MarkerMissing { found: 0 }
        }
    );
    let data_dir = read_data_dir(dir.path()).unwrap();
    assert_eq!(data_dir.last_zxid, run.last_zxid - 1);
    assert_eq!(data_dir.skipped.len(), 1, "{:?}", data_dir.skipped);
    assert!(data_dir.skipped[0].contains(&format!("{}: ", log.display())));
    assert!(data_dir.skipped[0].contains(&format!("offset {offset}")));
}

#[test]
fn a_log_truncated_inside_its_last_record_is_cut_and_the_rest_imported() {
    let run = zk_run();
    let dir = run.copy();
    let (log, offset, count) = last_record(dir.path(), run);
    let mut bytes = fs::read(&log).unwrap();
    bytes.truncate(offset as usize + 20);
    fs::write(&log, &bytes).unwrap();

    let read = read_log_file(&log).unwrap();
    assert_eq!(read.txns.len(), count - 1);
    assert_eq!(
        read.tail,
        LogTail::TornRecord {
            offset,
            reason: TornReason::PayloadCut
        }
    );
    assert_eq!(
        read_data_dir(dir.path()).unwrap().last_zxid,
        run.last_zxid - 1
    );
}

#[test]
fn a_checksum_failure_mid_log_is_refused_naming_the_file_and_offset() {
    let run = zk_run();
    let dir = run.copy();
    let files = dir.path().join(VERSION_DIR);
    let (log, txns) = run
        .names("log")
        .iter()
        .rev()
        .map(|name| files.join(name))
        .map(|path| {
            let txns = read_log(&path).unwrap();
            (path, txns)
        })
        .find(|(_, txns)| txns.len() >= 3)
        .expect("a log with three txns");
    let victim = &txns[txns.len() / 2];
    let mut bytes = fs::read(&log).unwrap();
    // A bit flip in the txn header's cxid, inside the checksummed bytes.
    bytes[victim.offset as usize + 12 + 9] ^= 0x01;
    fs::write(&log, &bytes).unwrap();

    let error = read_log(&log).unwrap_err();
    assert_eq!(error.file, log);
    assert_eq!(error.offset, Some(victim.offset));
    assert!(matches!(
        error.kind,
        ImportErrorKind::ChecksumMismatch { .. }
    ));
    let error = read_data_dir(dir.path()).unwrap_err();
    assert_eq!(
        (error.file.as_path(), error.offset),
        (log.as_path(), Some(victim.offset))
    );
    let message = error.to_string();
    assert!(message.contains(&format!("{} at offset {}", log.display(), victim.offset)));
}

#[test]
fn dump_describes_the_snapshot_its_nodes_every_txn_after_it_and_the_last_zxid() {
    let run = zk_run();
    let dir = run.copy();
    // Keep the first snapshot only, so every txn is listed.
    let files = dir.path().join(VERSION_DIR);
    let snapshots = run.names("snapshot");
    for name in &snapshots[1..] {
        fs::remove_file(files.join(name)).unwrap();
    }
    let text = dump(dir.path()).unwrap();
    assert!(text.starts_with("snapshot "), "{text}");
    assert!(text.contains("node /zookeeper "), "{text}");
    for (session_id, timeout_ms) in &run.open_sessions {
        assert!(
            text.contains(&format!("session 0x{session_id:x} cxid 0 ")),
            "{text}"
        );
        assert!(text.contains(&format!("createSession timeout {timeout_ms} ms")));
    }
    for expected in [
        "create /app/live/b-eph (ephemeral)",
        "createContainer /app/queue",
        "createTTL /app/ttl-long ttl 3600000 ms",
        "setACL /app/secure version 1 acl [digest:alice:",
        "multi [create /app/m1",
        "multi [create /app/m2 acl [world:anyone:cdrwa] parent cversion",
        "\"never\"; error NONODE]",
        "closeSession deleting [",
        "error BADVERSION",
        "setData / version 1 data \"root data\"",
        "create /app/large acl [world:anyone:cdrwa] parent cversion",
    ] {
        assert!(
            text.contains(expected),
            "no {expected:?} in the dump:\n{text}"
        );
    }
    assert!(
        text.contains(&format!("last zxid 0x{:x}", run.last_zxid)),
        "{text}"
    );
}
