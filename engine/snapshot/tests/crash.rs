//! Crashes while a snapshot is written never leave a half snapshot that
//! loads: at every step of the durability sequence, and whatever a reboot
//! keeps of the un-synced writes and names, the dataDir loads either the
//! previous snapshot or the whole new one.

mod common;

use std::path::Path;

use common::*;
use ringkeeper_snapshot::{
    load_newest, write_snapshot, CrashMode, SimFs, SnapshotFs, SnapshotWrite, SnapshotWriteError,
    TreeSnapshot, WriteStep,
};

const DIR: &str = "/data";

fn crash_modes() -> Vec<CrashMode> {
    let mut modes = vec![CrashMode::LoseUnsynced, CrashMode::KeepWritten];
    modes.extend((0..6).map(CrashMode::Random));
    modes
}

#[test]
fn a_crash_at_any_step_of_a_write_leaves_the_old_snapshot_or_the_whole_new_one() {
    let (old_tree, old_zxid) = sample_tree();
    let (mut new_tree, _) = sample_tree();
    let new_zxid = old_zxid + 1;
    new_tree
        .create_node("/newer", b"n", &[], 0, -1, new_zxid, 1)
        .expect("create");

    // How many operations a whole write takes, on a disk holding the old one.
    let setup = || {
        let fs = SimFs::new();
        write_snapshot(
            &fs,
            Path::new(DIR),
            &mut TreeSnapshot::new(&old_tree, old_zxid, sample_sessions()),
        )
        .expect("old written");
        fs
    };
    let probe = setup();
    let before = probe.ops_done();
    write_snapshot(
        &probe,
        Path::new(DIR),
        &mut TreeSnapshot::new(&new_tree, new_zxid, sample_sessions()),
    )
    .expect("new written");
    let write_ops = probe.ops_done() - before;
    assert!(
        write_ops >= 7,
        "create, writes, header, fsync, rename, dir fsync"
    );

    let mut outcomes = [0usize; 2];
    for crash_op in 0..=write_ops {
        for mode in crash_modes() {
            let fs = setup();
            fs.crash_at_op(fs.ops_done() + crash_op);
            let result = write_snapshot(
                &fs,
                Path::new(DIR),
                &mut TreeSnapshot::new(&new_tree, new_zxid, sample_sessions()),
            );
            assert_eq!(result.is_ok(), crash_op == write_ops, "op {crash_op}");
            fs.reboot(mode);
            let report = load_newest(&fs, Path::new(DIR), options()).expect("listed");
            let (file, loaded) = report
                .loaded
                .unwrap_or_else(|| panic!("op {crash_op} {mode:?}: nothing loads"));
            // Only a whole, checked file loads: the new one is never skipped
            // as damaged, because it is never visible before it is durable.
            assert!(
                report.skipped.is_empty(),
                "op {crash_op} {mode:?}: {:?}",
                report.skipped
            );
            if file.zxid == new_zxid {
                assert_eq!(listing(&loaded.tree), listing(&new_tree));
                outcomes[1] += 1;
            } else {
                assert_eq!(file.zxid, old_zxid, "op {crash_op} {mode:?}");
                assert_eq!(listing(&loaded.tree), listing(&old_tree));
                outcomes[0] += 1;
            }
            // A crash after the rename is durable keeps the new one always.
            if crash_op == write_ops {
                assert_eq!(file.zxid, new_zxid, "{mode:?}: a finished write survives");
            }
        }
    }
    assert!(outcomes[0] > 0 && outcomes[1] > 0, "{outcomes:?}");
}

#[test]
fn an_fsync_error_stops_the_write_before_the_rename() {
    let fs = SimFs::new();
    let (tree, zxid) = sample_tree();
    fs.fail_next_sync();
    let error = write_snapshot(
        &fs,
        Path::new(DIR),
        &mut TreeSnapshot::new(&tree, zxid, Vec::new()),
    )
    .expect_err("fsync failed");
    assert!(
        matches!(
            error,
            SnapshotWriteError::Io {
                step: WriteStep::SyncFile,
                ..
            }
        ),
        "{error}"
    );
    assert!(
        error.to_string().contains("fsync of the file failed"),
        "{error}"
    );
    assert!(error.is_fatal(), "a failed fsync stops the server");
    let names = fs.list_dir(Path::new(DIR)).expect("listed");
    assert_eq!(names, vec![format!("snapshot.{zxid:x}.tmp")]);
    let report = load_newest(&fs, Path::new(DIR), options()).expect("listed");
    assert!(report.loaded.is_none() && report.skipped.is_empty());
}

/// Calibration of the test above: a writer that renamed before its fsync
/// (the bug the order prevents) leaves, after some crashes, a damaged
/// file under the final name. The loader catches it; the crash test
/// would have caught the writer.
#[test]
fn a_snapshot_renamed_before_its_fsync_can_be_torn_and_is_then_refused() {
    let (tree, zxid) = sample_tree();
    let good = SimFs::new();
    let written = write_snapshot(
        &good,
        Path::new(DIR),
        &mut TreeSnapshot::new(&tree, zxid, Vec::new()),
    )
    .expect("written");
    let bytes = good.file_bytes(&written.path).expect("exists");

    let mut refused = 0;
    for seed in 0..20 {
        let fs = SimFs::new();
        let temp = Path::new("/data/snapshot.tmp-wrong-order");
        let mut file = fs.create_truncate(temp).expect("created");
        for chunk in bytes.chunks(100) {
            file.write_all(chunk).expect("written");
        }
        fs.rename(temp, &written.path).expect("renamed");
        fs.sync_dir(Path::new(DIR)).expect("dir synced");
        fs.reboot(CrashMode::Random(seed));
        let report = load_newest(&fs, Path::new(DIR), options()).expect("listed");
        if report.loaded.is_none() {
            assert_eq!(report.skipped.len(), 1);
            refused += 1;
        }
    }
    assert!(refused > 0, "some crash tore the unsynced file");
}

#[test]
fn only_errors_from_the_fsync_on_stop_the_server() {
    let io = |step| SnapshotWriteError::Io {
        step,
        path: Path::new(DIR).join("snapshot.1.tmp"),
        error: std::io::Error::from_raw_os_error(28), // ENOSPC
    };
    for step in [
        WriteStep::CreateTemp,
        WriteStep::WriteBody,
        WriteStep::WriteHeader,
    ] {
        assert!(!io(step).is_fatal(), "{step}: only a .tmp file is left");
    }
    for step in [WriteStep::SyncFile, WriteStep::Rename, WriteStep::SyncDir] {
        assert!(io(step).is_fatal(), "{step}");
    }
    assert!(!SnapshotWriteError::TooManyNodes.is_fatal());
    assert!(!SnapshotWriteError::ZxidWentBack {
        zxid: 2,
        digest_zxid: 1
    }
    .is_fatal());
}
