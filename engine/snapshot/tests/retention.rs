//! Autopurge and `ringkeeper purge`: keep the newest snapRetainCount
//! valid snapshots, delete snapshot and temp files named below the oldest
//! one kept, never anything newer.

mod common;

use std::path::{Path, PathBuf};

use common::*;
use ringkeeper_datatree::DataTree;
use ringkeeper_snapshot::{
    execute_purge, list_snapshots, plan_purge, write_snapshot, PurgeError, SimFs, SnapshotFs,
    TreeSnapshot, SNAP_RETAIN_COUNT_MIN,
};

const DIR: &str = "/data";

fn path(name: &str) -> PathBuf {
    Path::new(DIR).join(name)
}

/// Valid snapshots at zxids 0x10, 0x20, ..., 0x50.
fn five_snapshots() -> SimFs {
    let fs = SimFs::new();
    let tree = DataTree::with_options(options());
    for zxid in [0x10, 0x20, 0x30, 0x40, 0x50] {
        write_snapshot(
            &fs,
            Path::new(DIR),
            &mut TreeSnapshot::new(&tree, zxid, Vec::new()),
        )
        .expect("written");
    }
    fs
}

#[test]
fn the_newest_three_are_kept_and_older_snapshots_and_temp_files_go() {
    let fs = five_snapshots();
    fs.put_durable(&path("snapshot.15.tmp"), b"left by a crash");
    fs.put_durable(&path("snapshot.60.tmp"), b"being written now");
    fs.put_durable(&path("log.10"), b"the txn log's business");
    let plan = plan_purge(&fs, Path::new(DIR), 3).expect("planned");
    let retained: Vec<i64> = plan.retained.iter().map(|file| file.zxid).collect();
    assert_eq!(retained, vec![0x50, 0x40, 0x30]);
    assert_eq!(plan.least_retained_zxid, Some(0x30));
    assert_eq!(
        plan.delete,
        vec![
            path("snapshot.10"),
            path("snapshot.15.tmp"),
            path("snapshot.20")
        ]
    );
    assert!(execute_purge(&fs, &plan).is_empty());
    let mut left = fs.list_dir(Path::new(DIR)).expect("listed");
    left.sort();
    assert_eq!(
        left,
        vec![
            "log.10",
            "snapshot.30",
            "snapshot.40",
            "snapshot.50",
            "snapshot.60.tmp"
        ]
    );
}

#[test]
fn a_damaged_snapshot_does_not_count_as_one_of_the_kept() {
    let fs = five_snapshots();
    fs.flip_bit(&path("snapshot.50"), 200);
    let plan = plan_purge(&fs, Path::new(DIR), 3).expect("planned");
    let retained: Vec<i64> = plan.retained.iter().map(|file| file.zxid).collect();
    assert_eq!(retained, vec![0x40, 0x30, 0x20]);
    // The damaged one is newer than the oldest kept: left for an operator.
    assert_eq!(plan.delete, vec![path("snapshot.10")]);
}

#[test]
fn with_fewer_valid_snapshots_than_the_count_nothing_valid_is_deleted() {
    let fs = five_snapshots();
    let plan = plan_purge(&fs, Path::new(DIR), 10).expect("planned");
    assert_eq!(plan.retained.len(), 5);
    assert!(plan.delete.is_empty());

    let empty = SimFs::new();
    empty.put_durable(&path("snapshot.5"), b"garbage");
    let plan = plan_purge(&empty, Path::new(DIR), 3).expect("planned");
    assert_eq!(plan.least_retained_zxid, None);
    assert!(plan.delete.is_empty(), "no valid snapshot: keep everything");
}

#[test]
fn a_retain_count_below_three_is_refused_as_zookeeper_does() {
    let fs = five_snapshots();
    let error = plan_purge(&fs, Path::new(DIR), 2).expect_err("too small");
    assert!(matches!(error, PurgeError::RetainCountTooSmall(2)));
    assert!(error.to_string().contains("at least 3"), "{error}");
    assert_eq!(SNAP_RETAIN_COUNT_MIN, 3);
    assert_eq!(
        list_snapshots(&fs, Path::new(DIR)).expect("listed").len(),
        5
    );
}
