//! Crash tests: a real workload of records goes through group commit onto
//! the simulated disk, and the disk crashes after every possible number of
//! written bytes (so the write in progress is torn at every byte: the
//! segment's header and zero fill, and every batch). After each crash,
//! both with every issued write kept and with every un-synced write lost,
//! recovery must accept the log, and replay must give a prefix of the
//! workload that holds every record acknowledged by a completed sync, each
//! record byte for byte (so never one whose checksum fails).

mod common;

use common::{log_dir, payload, replay_all, Rng};
use std::collections::BTreeSet;

use ringkeeper_txnlog::{recover, CrashMode, LogConfig, LogWriter, SimDisk, Storage, TailCase};

const EPOCH: i64 = 1 << 32;

/// The workload: zxids with payloads of 1..=300 bytes, an epoch change in
/// the middle, appended a few at a time between batches.
fn workload(count: usize) -> Vec<(i64, Vec<u8>)> {
    let mut rng = Rng::new(0x7a11);
    let mut zxid = EPOCH;
    (0..count)
        .map(|index| {
            zxid = if index == count / 2 {
                2 * EPOCH + 1
            } else {
                zxid + 1
            };
            (zxid, payload(zxid, rng.range(1, 300) as usize))
        })
        .collect()
}

fn config() -> LogConfig {
    LogConfig {
        segment_bytes: 4096,
        batch_bytes_max: 700,
        ..LogConfig::default()
    }
}

/// Runs the workload until it ends or the disk crashes; returns the last
/// zxid a completed sync acknowledged.
fn run(disk: &SimDisk, records: &[(i64, Vec<u8>)]) -> Option<i64> {
    let recovered = recover(disk, &log_dir()).expect("the empty log recovers");
    let mut writer = LogWriter::open(disk.clone(), &recovered, config()).expect("writer opens");
    let mut rng = Rng::new(0xc0ffee);
    let mut acknowledged = None;
    let mut next = 0;
    while next < records.len() {
        let burst = rng.range(1, 6) as usize;
        for (zxid, payload) in records.iter().skip(next).take(burst) {
            if writer.append(*zxid, payload).is_err() {
                return acknowledged;
            }
        }
        next += burst;
        for _ in 0..rng.range(1, 2) {
            match writer.step() {
                Ok(Some(completion)) => acknowledged = Some(completion.durable_through_zxid),
                Ok(None) => {}
                Err(_) => return acknowledged,
            }
        }
    }
    match writer.flush() {
        Ok(durable) => durable,
        Err(_) => acknowledged,
    }
}

/// Recovers the crashed disk and checks the log against the workload.
fn check_after_crash(
    disk: &SimDisk,
    mode: CrashMode,
    crash_at: u64,
    records: &[(i64, Vec<u8>)],
    acknowledged: Option<i64>,
) -> (SimDisk, Vec<TailCase>) {
    let after = disk.crash(mode);
    let recovered = recover(&after, &log_dir()).unwrap_or_else(|error| {
        panic!("crash after {crash_at} bytes ({mode:?}): recovery refused: {error}")
    });
    let replayed = replay_all(&after, &log_dir());
    assert_eq!(
        replayed,
        records[..replayed.len()],
        "crash after {crash_at} bytes ({mode:?}): the log is not a prefix of the workload"
    );
    if let Some(acknowledged) = acknowledged {
        let last = replayed.last().map(|(zxid, _)| *zxid);
        assert!(
            last >= Some(acknowledged),
            "crash after {crash_at} bytes ({mode:?}): acknowledged {acknowledged:#x} but the log ends at {last:?}"
        );
    }
    assert_eq!(recovered.last_zxid, replayed.last().map(|(zxid, _)| *zxid));
    (after, recovered.report.cases())
}

/// After recovery the log takes the next record and recovers again.
fn continue_after_recovery(disk: &SimDisk, records: &[(i64, Vec<u8>)]) {
    let recovered = recover(disk, &log_dir()).expect("recovers");
    let kept = replay_all(disk, &log_dir()).len();
    let Some((zxid, payload)) = records.get(kept) else {
        return;
    };
    let mut writer = LogWriter::open(disk.clone(), &recovered, config()).expect("reopens");
    writer
        .append(*zxid, payload)
        .expect("appends the next record");
    assert_eq!(writer.flush().expect("flushes"), Some(*zxid));
    assert_eq!(replay_all(disk, &log_dir()), records[..=kept]);
}

fn crash_at_every_byte(alignment: usize, stride: u64) {
    let records = workload(48);
    let clean = SimDisk::new();
    clean.set_write_alignment_bytes(alignment);
    assert_eq!(run(&clean, &records), Some(records.last().unwrap().0));
    let total = clean.written_bytes();
    assert!(replay_all(&clean, &log_dir()) == records);
    let mut seen = BTreeSet::new();
    let mut crash_at = 0;
    while crash_at < total {
        for mode in [CrashMode::KeepWritten, CrashMode::LoseUnsynced] {
            let disk = SimDisk::new();
            disk.set_write_alignment_bytes(alignment);
            disk.crash_after_written_bytes(crash_at);
            let acknowledged = run(&disk, &records);
            assert!(disk.has_crashed(), "the crash point {crash_at} is reached");
            let (after, cases) = check_after_crash(&disk, mode, crash_at, &records, acknowledged);
            seen.extend(cases.into_iter().map(|case| format!("{case}")));
            if crash_at % 97 == 0 {
                continue_after_recovery(&after, &records);
            }
        }
        crash_at += stride;
    }
    // The crashes reached every tail state a prefix tear can leave. (In a
    // zero-filled segment a torn record reads as a whole frame with a bad
    // checksum; TornLastRecord needs a file cut short or pages landing out
    // of order, which recovery_table.rs builds by hand.)
    for case in [
        TailCase::NoSegments,
        TailCase::ZeroPadding,
        TailCase::ChecksumFailureInLastRecord,
        TailCase::EmptyLastSegment,
        TailCase::LeftoverTempFile,
    ] {
        assert!(
            seen.contains(&format!("{case}")),
            "no crash left {case}; saw {seen:?}"
        );
    }
}

#[test]
fn crash_tearing_any_byte_of_any_write_keeps_every_acknowledged_record() {
    crash_at_every_byte(1, 1);
}

#[test]
fn crash_with_o_direct_aligned_writes_keeps_every_acknowledged_record() {
    // Each batch rewrites the block it starts in: a tear of that rewrite
    // must not hurt the acknowledged records already in the block.
    crash_at_every_byte(4096, 29);
}

#[test]
fn crash_between_syncs_loses_only_unacknowledged_records() {
    // A crash with no write in progress: everything synced survives,
    // whatever was appended but not yet written is gone.
    let records = workload(40);
    let disk = SimDisk::new();
    let recovered = recover(&disk, &log_dir()).unwrap();
    let mut writer = LogWriter::open(disk.clone(), &recovered, config()).unwrap();
    for (zxid, payload) in &records[..30] {
        writer.append(*zxid, payload).unwrap();
    }
    let acknowledged = writer.flush().unwrap();
    for (zxid, payload) in &records[30..] {
        writer.append(*zxid, payload).unwrap();
    }
    let after = disk.crash(CrashMode::LoseUnsynced);
    recover(&after, &log_dir()).unwrap();
    let replayed = replay_all(&after, &log_dir());
    assert_eq!(replayed, records[..30]);
    assert_eq!(replayed.last().map(|(zxid, _)| *zxid), acknowledged);
    assert!(
        after.list_dir(&log_dir()).unwrap().len() >= 2,
        "several segments were written"
    );
}
