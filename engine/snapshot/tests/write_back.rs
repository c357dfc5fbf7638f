//! Paced write-back while a snapshot is written: the writer starts the
//! write-back of each chunk as it fills and waits for the chunk before,
//! so at most about two chunks are ever dirty or in flight; pacing never
//! stands in for the fsync, and a crash at a write-back step is as safe as
//! a crash anywhere else.

mod common;

use std::path::Path;

use common::*;
use ringkeeper_datatree::DataTree;
use ringkeeper_jute::Perms;
use ringkeeper_snapshot::{
    load_newest, write_snapshot_paced, CrashMode, RealFs, SimFs, TreeSnapshot,
};

const DIR: &str = "/data";
const CHUNK_BYTES: u64 = 64 << 10;

/// About 700 KB of snapshot: several writer steps of at most 1024 nodes.
fn tree_of_several_steps() -> (DataTree, i64) {
    let mut tree = DataTree::with_options(options());
    let open = acl(Perms::ALL, "world", "anyone");
    let mut zxid = 0;
    for parent in 0..5 {
        zxid += 1;
        let parent_path = format!("/p{parent}");
        tree.create_node(&parent_path, b"", &open, 0, -1, zxid, 1)
            .expect("create parent");
        for child in 0..1000 {
            zxid += 1;
            let data = [b'a' + (child % 26) as u8; 100];
            tree.create_node(
                &format!("{parent_path}/n{child:04}"),
                &data,
                &open,
                0,
                -1,
                zxid,
                1,
            )
            .expect("create child");
        }
    }
    (tree, zxid)
}

fn write(fs: &SimFs, tree: &DataTree, zxid: i64, chunk_bytes: u64) -> u64 {
    write_snapshot_paced(
        fs,
        Path::new(DIR),
        &mut TreeSnapshot::new(tree, zxid, sample_sessions()),
        chunk_bytes,
    )
    .expect("written")
    .file_bytes
}

#[test]
fn each_chunk_is_started_as_it_fills_and_waited_for_once_the_next_one_starts() {
    let (tree, zxid) = tree_of_several_steps();
    let fs = SimFs::new();
    let file_bytes = write(&fs, &tree, zxid, CHUNK_BYTES);
    let calls = fs.write_backs();
    let starts: Vec<(u64, u64)> = calls.iter().filter(|c| !c.2).map(|c| (c.0, c.1)).collect();
    let waits: Vec<(u64, u64)> = calls.iter().filter(|c| c.2).map(|c| (c.0, c.1)).collect();
    assert!(starts.len() >= 3, "{file_bytes} bytes, {calls:?}");
    // The starts tile the file from offset 0, each at least a chunk long.
    let mut next = 0;
    for &(offset, len) in &starts {
        assert_eq!(offset, next, "{calls:?}");
        assert!(len >= CHUNK_BYTES, "{calls:?}");
        next = offset + len;
    }
    assert!(next <= file_bytes, "{next} > {file_bytes}");
    // Every start but the last is waited for, right after the next start.
    assert_eq!(waits, starts[..starts.len() - 1].to_vec(), "{calls:?}");
    for (i, call) in calls.iter().enumerate().skip(1) {
        if call.2 {
            assert!(!calls[i - 1].2, "a wait follows a start: {calls:?}");
        }
    }
}

#[test]
fn a_chunk_of_zero_asks_for_no_write_back_and_writes_the_same_file() {
    let (tree, zxid) = tree_of_several_steps();
    let unpaced = SimFs::new();
    let paced = SimFs::new();
    write(&unpaced, &tree, zxid, 0);
    write(&paced, &tree, zxid, CHUNK_BYTES);
    assert!(unpaced.write_backs().is_empty());
    assert!(!paced.write_backs().is_empty());
    let name = Path::new(DIR).join(format!("snapshot.{zxid:x}"));
    assert_eq!(unpaced.file_bytes(&name), paced.file_bytes(&name));
}

#[test]
fn a_crash_at_a_write_back_step_leaves_no_snapshot_that_loads_half_written() {
    let (tree, zxid) = tree_of_several_steps();
    let probe = SimFs::new();
    write(&probe, &tree, zxid, CHUNK_BYTES);
    let write_ops = probe.ops_done();
    let mut crashes = 0;
    for crash_op in 0..write_ops {
        for mode in [CrashMode::LoseUnsynced, CrashMode::KeepWritten] {
            let fs = SimFs::new();
            fs.crash_at_op(crash_op);
            let result = write_snapshot_paced(
                &fs,
                Path::new(DIR),
                &mut TreeSnapshot::new(&tree, zxid, sample_sessions()),
                CHUNK_BYTES,
            );
            assert!(result.is_err(), "op {crash_op} of {write_ops}");
            fs.reboot(mode);
            let report = load_newest(&fs, Path::new(DIR), options()).expect("listed");
            assert!(report.skipped.is_empty(), "op {crash_op} {mode:?}");
            if let Some((_, loaded)) = report.loaded {
                // Only once renamed (after its fsync) does the file load.
                assert_eq!(listing(&loaded.tree), listing(&tree), "op {crash_op}");
            }
            crashes += 1;
        }
    }
    // The write-back steps were among the crash points.
    let write_back_calls = probe.write_backs().len() as u64;
    assert!(write_back_calls >= 3 && crashes as u64 == 2 * write_ops);
}

#[test]
fn a_paced_snapshot_on_a_real_disk_loads_back_the_same_tree() {
    let dir = tempfile::tempdir().expect("tempdir");
    let (tree, zxid) = tree_of_several_steps();
    let written = write_snapshot_paced(
        &RealFs,
        dir.path(),
        &mut TreeSnapshot::new(&tree, zxid, sample_sessions()),
        CHUNK_BYTES,
    )
    .expect("written");
    assert!(written.file_bytes > 4 * CHUNK_BYTES, "{written:?}");
    let report = load_newest(&RealFs, dir.path(), options()).expect("listed");
    let (file, loaded) = report.loaded.expect("loads");
    assert_eq!(file.zxid, zxid);
    assert_eq!(listing(&loaded.tree), listing(&tree));
}
