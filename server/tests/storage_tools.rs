//! The storage tools of the `ringkeeper` binary on real files: dump-log,
//! dump-snapshot and purge (the rule autopurge uses too).

use std::path::Path;
use std::process::Command;

use ringkeeper_datatree::DataTree;
use ringkeeper_snapshot::{write_snapshot, RealFs, TreeSnapshot};
use ringkeeper_testkit::ringkeeper_binary;
use ringkeeper_txnlog::{list_segments, recover, FsStorage, LogConfig, LogWriter};

const EPOCH: i64 = 1 << 32;

fn ringkeeper(args: &[&str]) -> (bool, String, String) {
    let out = Command::new(ringkeeper_binary())
        .args(args)
        .output()
        .unwrap();
    (
        out.status.success(),
        String::from_utf8_lossy(&out.stdout).into_owned(),
        String::from_utf8_lossy(&out.stderr).into_owned(),
    )
}

/// Writes records `from..=to` into the log in `dir`, in small segments.
fn write_log(dir: &Path, from: i64, to: i64) {
    let storage = FsStorage::buffered();
    let recovered = recover(&storage, dir).unwrap();
    let config = LogConfig::default().with_prealloc_size_kib(64);
    let mut writer = LogWriter::open(storage, &recovered, config).unwrap();
    for zxid in from..=to {
        writer.append(zxid, &[b'p'; 300]).unwrap();
        writer.step().unwrap();
    }
    writer.flush().unwrap();
}

fn temp_dir(name: &str) -> std::path::PathBuf {
    let dir = std::env::temp_dir().join(format!("rk-tools-{name}-{}", std::process::id()));
    let _ = std::fs::remove_dir_all(&dir);
    std::fs::create_dir_all(&dir).unwrap();
    dir
}

#[test]
fn dump_log_lists_every_record_with_its_zxid() {
    let dir = temp_dir("dumplog");
    write_log(&dir, EPOCH + 1, EPOCH + 5);
    let segment = &list_segments(&FsStorage::buffered(), &dir).unwrap()[0];
    let (ok, out, err) = ringkeeper(&["dump-log", segment.path.to_str().unwrap()]);
    assert!(ok, "{err}");
    for zxid in EPOCH + 1..=EPOCH + 5 {
        assert!(
            out.contains(&format!("{zxid:x}")),
            "zxid {zxid:x} in:\n{out}"
        );
    }
    let (ok, _, err) = ringkeeper(&["dump-log", dir.join("missing").to_str().unwrap()]);
    assert!(!ok && err.contains("cannot read"), "{err}");
    std::fs::remove_dir_all(&dir).unwrap();
}

#[test]
fn dump_snapshot_prints_the_nodes() {
    let dir = temp_dir("dumpsnap");
    let tree = DataTree::new();
    let written = write_snapshot(
        &RealFs,
        &dir,
        &mut TreeSnapshot::new(&tree, EPOCH + 7, vec![]),
    )
    .unwrap();
    let (ok, out, err) = ringkeeper(&["dump-snapshot", written.path.to_str().unwrap()]);
    assert!(ok, "{err}");
    assert!(out.contains("/zookeeper/quota"), "{out}");
    std::fs::remove_dir_all(&dir).unwrap();
}

#[test]
fn purge_keeps_the_newest_snapshots_and_the_log_they_need() {
    let dir = temp_dir("purge");
    let data = dir.join("data");
    let log = dir.join("log");
    std::fs::create_dir_all(&data).unwrap();
    let tree = DataTree::new();
    // Five snapshots, at zxids 100, 200, ... 500, and a log from 1 to 600.
    write_log(&log, EPOCH + 1, EPOCH + 600);
    for n in 1..=5 {
        write_snapshot(
            &RealFs,
            &data,
            &mut TreeSnapshot::new(&tree, EPOCH + n * 100, vec![]),
        )
        .unwrap();
    }
    let segments_before = list_segments(&FsStorage::buffered(), &log).unwrap();
    assert!(
        segments_before.len() >= 3,
        "small segments: {}",
        segments_before.len()
    );
    let cfg = dir.join("zoo.cfg");
    std::fs::write(
        &cfg,
        format!(
            "dataDir={}\ndataLogDir={}\nclientPort=2181\n",
            data.display(),
            log.display()
        ),
    )
    .unwrap();

    let (ok, out, err) = ringkeeper(&["purge", "-n", "3", "--dry-run", cfg.to_str().unwrap()]);
    assert!(ok, "{err}");
    assert!(out.starts_with("kept 3 snapshot(s); would delete"), "{out}");
    assert_eq!(
        std::fs::read_dir(&data).unwrap().count(),
        5,
        "dry run deletes nothing"
    );

    let (ok, out, err) = ringkeeper(&["purge", "-n", "3", cfg.to_str().unwrap()]);
    assert!(ok, "{err}");
    let snapshots: Vec<String> = std::fs::read_dir(&data)
        .unwrap()
        .map(|e| e.unwrap().file_name().into_string().unwrap())
        .collect();
    assert_eq!(snapshots.len(), 3, "{snapshots:?}\n{out}");
    for kept in [300, 400, 500] {
        let name = format!("snapshot.{:x}", EPOCH + kept);
        assert!(snapshots.contains(&name), "{name} kept: {snapshots:?}");
    }
    // Every txn after the oldest kept snapshot is still in the log.
    let segments = list_segments(&FsStorage::buffered(), &log).unwrap();
    assert!(
        segments.len() < segments_before.len(),
        "old segments deleted"
    );
    assert!(segments[0].first_zxid <= EPOCH + 301, "{segments:?}");

    let (ok, _, err) = ringkeeper(&["purge", "-n", "2", cfg.to_str().unwrap()]);
    assert!(
        !ok && err.contains('3'),
        "a count below 3 is refused: {err}"
    );
    std::fs::remove_dir_all(&dir).unwrap();
}
