//! The writer against an unreliable simulated disk: I/O errors are fatal
//! and never retried, forceSync=no skips fdatasync, slow fsyncs warn, and
//! segments roll over and replay in order.

mod common;

use std::io::ErrorKind;

use common::{fresh_writer, log_dir, payload, replay_all, small_segments};
use ringkeeper_txnlog::{
    for_each_record, list_segments, recover, AppendError, IoOp, LogConfig, RecoveryError,
    ReplayError, TailCase,
};

const Z: i64 = 1 << 32;

#[test]
fn an_fdatasync_error_is_fatal_and_never_retried() {
    let (disk, mut writer) = fresh_writer(small_segments());
    writer.append(Z + 1, b"acknowledged").unwrap();
    assert_eq!(writer.flush().unwrap(), Some(Z + 1));
    disk.fail_fdatasync_after(0, ErrorKind::Other);
    writer.append(Z + 2, b"its fsync fails").unwrap();
    let error = writer.flush().unwrap_err();
    assert_eq!(error.op, IoOp::AppendAndSync);
    assert!(error.to_string().contains("fatal"), "{error}");
    let syncs = disk.fdatasync_count();
    assert_eq!(
        writer.append(Z + 3, b"refused"),
        Err(AppendError::Fatal(error.clone()))
    );
    assert_eq!(writer.flush(), Err(error));
    assert_eq!(disk.fdatasync_count(), syncs, "no fsync is retried");
    assert_eq!(writer.last_durable_zxid(), Some(Z + 1));
}

#[test]
fn a_write_error_is_fatal() {
    let (disk, mut writer) = fresh_writer(small_segments());
    writer.append(Z + 1, b"creates the segment").unwrap();
    writer.flush().unwrap();
    disk.fail_pwrite_after(0, ErrorKind::StorageFull);
    writer.append(Z + 2, b"no space").unwrap();
    let error = writer.flush().unwrap_err();
    assert_eq!(error.kind, ErrorKind::StorageFull);
    assert_eq!(error.offset, Some(32 + 16 + 19));
    assert!(matches!(
        writer.append(Z + 3, b"x"),
        Err(AppendError::Fatal(_))
    ));
}

#[test]
fn a_failed_directory_fsync_while_creating_a_segment_is_fatal() {
    let (disk, mut writer) = fresh_writer(small_segments());
    disk.fail_sync_dir_after(0, ErrorKind::Other);
    writer.append(Z + 1, b"needs a segment").unwrap();
    let error = writer.flush().unwrap_err();
    assert_eq!(error.op, IoOp::SyncDir);
    assert_eq!(writer.last_durable_zxid(), None);
}

#[test]
fn force_sync_off_writes_batches_without_fdatasync() {
    let (disk, mut writer) = fresh_writer(LogConfig {
        force_sync: false,
        segment_bytes: 64 * 1024,
        ..LogConfig::default()
    });
    for zxid in Z + 1..=Z + 50 {
        writer.append(zxid, &payload(zxid, 30)).unwrap();
        writer.step().unwrap();
    }
    writer.flush().unwrap();
    // Only the segment's creation synced; no batch did.
    assert_eq!(list_segments(&disk, &log_dir()).unwrap().len(), 1);
    assert_eq!(disk.fdatasync_count(), 1);
    assert_eq!(replay_all(&disk, &log_dir()).len(), 50);
}

#[test]
fn a_slow_fsync_warns_through_the_writer() {
    let (disk, mut writer) = fresh_writer(small_segments());
    writer.set_thread_name("SyncThread:0");
    writer.append(Z + 1, b"fast").unwrap();
    writer.flush().unwrap();
    assert!(writer.take_warnings().is_empty());
    disk.set_fdatasync_latency_us(2_500_000);
    writer.append(Z + 2, b"slow").unwrap();
    writer.flush().unwrap();
    let warnings = writer.take_warnings();
    assert_eq!(warnings.len(), 1);
    assert!(
        warnings[0].starts_with(
            "fsync-ing the write ahead log in SyncThread:0 took 2500ms which will adversely effect operation latency."
        ),
        "{}",
        warnings[0]
    );
}

#[test]
fn segments_roll_over_and_replay_in_order() {
    let (disk, mut writer) = fresh_writer(small_segments());
    let records: Vec<(i64, Vec<u8>)> = (Z + 1..=Z + 300)
        .map(|zxid| (zxid, payload(zxid, 100)))
        .collect();
    for (zxid, payload) in &records {
        writer.append(*zxid, payload).unwrap();
        if zxid % 7 == 0 {
            writer.step().unwrap();
        }
    }
    writer.flush().unwrap();
    let segments = list_segments(&disk, &log_dir()).unwrap();
    assert!(segments.len() >= 8, "{} segments", segments.len());
    let recovered = recover(&disk, &log_dir()).unwrap();
    // Every segment ends in padding; a prepared spare, if any, is removed.
    assert!(recovered
        .report
        .cases()
        .iter()
        .all(|case| matches!(case, TailCase::ZeroPadding | TailCase::LeftoverTempFile)));
    assert_eq!(replay_all(&disk, &log_dir()), records);

    let mut after = Vec::new();
    let last = for_each_record(&disk, &log_dir(), Some(Z + 250), |zxid, _| {
        after.push(zxid);
        Ok::<(), String>(())
    })
    .unwrap();
    assert_eq!(after, (Z + 251..=Z + 300).collect::<Vec<_>>());
    assert_eq!(last, Some(Z + 300));
}

#[test]
fn replay_after_a_zxid_the_log_does_not_reach_reports_a_gap() {
    let (disk, mut writer) = fresh_writer(small_segments());
    for zxid in Z + 10..=Z + 20 {
        writer.append(zxid, b"txn").unwrap();
    }
    writer.flush().unwrap();
    let result = for_each_record(&disk, &log_dir(), Some(Z + 5), |_, _| Ok::<(), String>(()));
    assert!(matches!(result, Err(ReplayError::Gap { zxid, .. }) if zxid == Z + 10));
}

#[test]
fn a_bit_flip_in_an_acknowledged_record_is_refused_not_dropped() {
    let (disk, mut writer) = fresh_writer(small_segments());
    for zxid in Z + 1..=Z + 20 {
        writer.append(zxid, &payload(zxid, 50)).unwrap();
        writer.step().unwrap();
    }
    writer.flush().unwrap();
    let segment = list_segments(&disk, &log_dir()).unwrap()[0].path.clone();
    disk.flip_bit(&segment, 32 + 3 * 66 + 40, 5);
    match recover(&disk, &log_dir()) {
        Err(RecoveryError::Refused(verdict)) => {
            assert_eq!(verdict.case, TailCase::ChecksumFailureMidLog);
            assert_eq!(verdict.offset, 32 + 3 * 66);
        }
        other => panic!("expected a refusal, got {other:?}"),
    }
}
