//! The txn log's I/O as zoo.cfg chooses it, on the real binary: each of
//! `ringkeeper.txnLog.ioEngine=io_uring|sync` x `ringkeeper.txnLog.directIO=yes|no`
//! keeps every acknowledged create across SIGKILL; a bad value of each
//! ringkeeper log key, and O_DIRECT on a dataLogDir that refuses it, stop
//! the server with a message naming the key (and the directory).

use std::path::Path;
use std::process::{Command, Output};

use ringkeeper_jute::CreateMode;
use ringkeeper_testkit::{
    open_acl, ringkeeper_binary, Client, ServerKind, ServerOptions, TestServer,
};

const CREATES: usize = 60;

/// What the server wrote to stdout and stderr so far.
fn server_output(server: &TestServer) -> String {
    std::fs::read_to_string(server.dir().join("stdout.log")).unwrap_or_default()
}

fn acknowledged_creates_survive_sigkill(engine: &str, direct_io: &str) {
    let temp = std::env::temp_dir();
    if direct_io == "yes" {
        if let Err(error) = ringkeeper_txnlog::probe_direct_io(&temp) {
            println!(
                "skipped: {} does not take O_DIRECT: {error}",
                temp.display()
            );
            return;
        }
    }
    let options = ServerOptions {
        force_sync: true,
        extra_cfg: vec![
            ("ringkeeper.txnLog.ioEngine".into(), engine.into()),
            ("ringkeeper.txnLog.directIO".into(), direct_io.into()),
            (
                "ringkeeper.groupCommit.batchMaxBytes".into(),
                "65536".into(),
            ),
            ("ringkeeper.groupCommit.waitMaxUs".into(), "200".into()),
            // Small segments, so that the creates roll several of them.
            ("preAllocSize".into(), "16".into()),
        ],
        ..ServerOptions::default()
    };
    let mut server = TestServer::start(ServerKind::Ringkeeper, &options).expect("starts");
    let started = server_output(&server);
    let mode = if direct_io == "yes" {
        "O_DIRECT"
    } else {
        "buffered"
    };
    assert!(
        started.contains(&format!("{engine} engine"))
            && started.contains(mode)
            && started.contains("batches up to 65536 bytes")
            && started.contains("waiting up to 200 us"),
        "the start-up line describes the log:\n{started}"
    );

    let mut client = Client::connect_new(server.addr()).unwrap();
    client
        .create("/engine", b"", &open_acl(), CreateMode::Persistent)
        .unwrap();
    let mut acknowledged = Vec::new();
    for i in 0..CREATES {
        let path = format!("/engine/n{i}");
        let data = vec![i as u8; 100 + i * 50];
        client
            .create(&path, &data, &open_acl(), CreateMode::Persistent)
            .unwrap();
        acknowledged.push((path, data));
    }
    server.kill();
    server
        .restart()
        .expect("restart after SIGKILL (the engine waits for the dead listener)");

    let mut check = Client::connect_new(server.addr()).unwrap();
    for (path, data) in &acknowledged {
        let (got, _) = check.get_data(path, false).unwrap_or_else(|e| {
            panic!(
                "{engine}/{direct_io}: acknowledged {path} lost: {e:?}\n{}",
                server.log_tail(40)
            )
        });
        assert_eq!(&got, data, "{path}");
    }
    let segments = std::fs::read_dir(server.data_dir())
        .unwrap()
        .filter_map(|entry| entry.ok())
        .filter(|entry| {
            let name = entry.file_name();
            let name = name.to_string_lossy();
            name.starts_with("log.") && !name.ends_with(".tmp")
        })
        .count();
    assert!(segments >= 2, "the creates rolled segments: {segments}");
}

#[test]
fn io_uring_with_o_direct_keeps_acknowledged_creates_across_sigkill() {
    acknowledged_creates_survive_sigkill("io_uring", "yes");
}

#[test]
fn io_uring_buffered_keeps_acknowledged_creates_across_sigkill() {
    acknowledged_creates_survive_sigkill("io_uring", "no");
}

#[test]
fn sync_with_o_direct_keeps_acknowledged_creates_across_sigkill() {
    acknowledged_creates_survive_sigkill("sync", "yes");
}

#[test]
fn sync_buffered_keeps_acknowledged_creates_across_sigkill() {
    acknowledged_creates_survive_sigkill("sync", "no");
}

/// Runs the binary on a zoo.cfg of `lines` (plus dataDir and a port) in
/// `dir`; the server is expected to refuse to start, so it exits by itself.
fn run_refused(dir: &Path, lines: &str) -> Output {
    let port = std::net::TcpListener::bind("127.0.0.1:0")
        .unwrap()
        .local_addr()
        .unwrap()
        .port();
    let cfg = dir.join("zoo.cfg");
    std::fs::write(
        &cfg,
        format!(
            "tickTime=2000\ndataDir={}\nclientPort={port}\nclientPortAddress=127.0.0.1\n{lines}",
            dir.join("data").display()
        ),
    )
    .unwrap();
    Command::new(ringkeeper_binary())
        .arg(&cfg)
        .output()
        .expect("the binary runs")
}

#[test]
fn a_bad_value_of_each_log_key_is_refused_naming_the_key() {
    let dir = tempfile_dir("bad-log-keys");
    for line in [
        "ringkeeper.txnLog.ioEngine=uring",
        "ringkeeper.txnLog.directIO=true",
        "ringkeeper.groupCommit.batchMaxBytes=0",
        "ringkeeper.groupCommit.waitMaxUs=forever",
    ] {
        let output = run_refused(&dir, &format!("{line}\n"));
        let stderr = String::from_utf8_lossy(&output.stderr);
        let key = line.split('=').next().unwrap();
        assert_eq!(output.status.code(), Some(2), "{line}: {stderr}");
        assert!(
            stderr.contains(&format!("line 5: {key}")),
            "{line}: the message names line and key: {stderr}"
        );
    }
    std::fs::remove_dir_all(&dir).unwrap();
}

#[test]
fn direct_io_on_a_data_log_dir_that_refuses_it_stops_the_server_naming_the_dir() {
    let shm = Path::new("/dev/shm");
    let dir = tempfile_dir("direct-io-refused");
    let log_dir = shm.join(format!("rk-direct-io-{}", std::process::id()));
    std::fs::create_dir_all(&log_dir).unwrap();
    if ringkeeper_txnlog::probe_direct_io(&log_dir).is_ok() {
        println!(
            "skipped: this kernel's tmpfs ({}) takes O_DIRECT, so no file system here refuses it",
            log_dir.display()
        );
        std::fs::remove_dir_all(&log_dir).unwrap();
        std::fs::remove_dir_all(&dir).unwrap();
        return;
    }
    let output = run_refused(
        &dir,
        &format!(
            "dataLogDir={}\nringkeeper.txnLog.directIO=yes\n",
            log_dir.display()
        ),
    );
    let stderr = String::from_utf8_lossy(&output.stderr);
    assert_eq!(output.status.code(), Some(1), "{stderr}");
    assert!(
        stderr.contains("ringkeeper.txnLog.directIO")
            && stderr.contains(&log_dir.display().to_string())
            && stderr.contains("O_DIRECT"),
        "the message names the key, the directory and the cause: {stderr}"
    );
    std::fs::remove_dir_all(&log_dir).unwrap();
    std::fs::remove_dir_all(&dir).unwrap();
}

fn tempfile_dir(label: &str) -> std::path::PathBuf {
    let dir = std::env::temp_dir().join(format!("rk-{label}-{}", std::process::id()));
    std::fs::create_dir_all(&dir).unwrap();
    dir
}
