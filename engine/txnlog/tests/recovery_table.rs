//! Recovery's decision table, one test per case: each builds the state on
//! the simulated disk, recovers, and checks the case found, the decision
//! taken and what the log holds after it.

mod common;

use std::path::PathBuf;

use common::{
    log_dir, record_offsets, records, replay_all, segment_bytes, segment_path, small_segments,
};
use ringkeeper_txnlog::format::SegmentHeader;
use ringkeeper_txnlog::{
    recover, Decision, LogWriter, RecoveryError, SimDisk, Storage, TailCase, DECISION_TABLE,
};

const EPOCH: i64 = 1 << 32;
const SEGMENT_BYTES: usize = 8192;

fn zxid(counter: i64) -> i64 {
    EPOCH + counter
}

fn refused(disk: &SimDisk) -> ringkeeper_txnlog::Verdict {
    match recover(disk, &log_dir()) {
        Err(RecoveryError::Refused(verdict)) => verdict,
        other => panic!("expected a refusal, got {other:?}"),
    }
}

/// Puts segment `log.<first_zxid>` on `disk`, holding `records` and
/// zero-padded to SEGMENT_BYTES, as a writer left it; returns its path.
fn install_segment(disk: &SimDisk, first_zxid: i64, records: &[(i64, Vec<u8>)]) -> PathBuf {
    let path = segment_path(&log_dir(), first_zxid);
    disk.install_file(&path, &segment_bytes(first_zxid, records, SEGMENT_BYTES));
    path
}

#[test]
fn decision_table_has_one_row_per_case() {
    let mut seen = std::collections::HashSet::new();
    for (case, decision, reason) in DECISION_TABLE {
        assert!(seen.insert(*case), "{case} appears twice");
        assert_eq!(case.decision(), *decision);
        assert!(!reason.is_empty(), "{case} says why");
    }
    assert_eq!(seen.len(), 14);
}

#[test]
fn no_segments_is_a_new_log() {
    let disk = SimDisk::new();
    let recovered = recover(&disk, &log_dir()).unwrap();
    assert_eq!(recovered.report.cases(), vec![TailCase::NoSegments]);
    assert_eq!(recovered.last_zxid, None);
    assert!(recovered.tail.is_none());
}

#[test]
fn clean_end_continues_into_a_new_segment() {
    let disk = SimDisk::new();
    let written = records(zxid(1), 5);
    let exact = 32 + written.iter().map(|(_, p)| 16 + p.len()).sum::<usize>();
    disk.install_file(
        &segment_path(&log_dir(), zxid(1)),
        &segment_bytes(zxid(1), &written, exact),
    );
    let recovered = recover(&disk, &log_dir()).unwrap();
    assert_eq!(recovered.report.cases(), vec![TailCase::CleanEnd]);
    assert_eq!(recovered.last_zxid, Some(zxid(5)));

    let mut writer = LogWriter::open(disk.clone(), &recovered, small_segments()).unwrap();
    writer.append(zxid(6), b"after a full segment").unwrap();
    assert_eq!(writer.flush().unwrap(), Some(zxid(6)));
    assert!(disk
        .file_bytes(&segment_path(&log_dir(), zxid(6)))
        .is_some());
    assert_eq!(replay_all(&disk, &log_dir()).len(), 6);
}

#[test]
fn zero_padding_is_the_end_of_the_log() {
    let disk = SimDisk::new();
    let written = records(zxid(1), 10);
    install_segment(&disk, zxid(1), &written);
    let recovered = recover(&disk, &log_dir()).unwrap();
    assert_eq!(recovered.report.cases(), vec![TailCase::ZeroPadding]);
    let tail = recovered.tail.clone().unwrap();
    let end = 32 + written.iter().map(|(_, p)| 16 + p.len()).sum::<usize>();
    assert_eq!(tail.end_offset, end as u64);
    assert_eq!(tail.last_zxid, zxid(10));
    assert_eq!(replay_all(&disk, &log_dir()), written);
}

#[test]
fn torn_last_record_running_past_the_end_of_the_file_is_cut() {
    let disk = SimDisk::new();
    let written = records(zxid(1), 6);
    let full = segment_bytes(zxid(1), &written, SEGMENT_BYTES);
    let last_start = record_offsets(&written)[5];
    // The file ends 10 bytes into the last record's payload.
    disk.install_file(&segment_path(&log_dir(), zxid(1)), &full[..last_start + 26]);
    let recovered = recover(&disk, &log_dir()).unwrap();
    assert_eq!(recovered.report.cases(), vec![TailCase::TornLastRecord]);
    assert_eq!(recovered.report.verdicts[0].offset, last_start as u64);
    assert_eq!(recovered.last_zxid, Some(zxid(5)));
    assert_eq!(replay_all(&disk, &log_dir()), written[..5]);
}

#[test]
fn torn_last_record_with_a_zero_length_and_stray_bytes_is_cut() {
    let disk = SimDisk::new();
    let written = records(zxid(1), 4);
    let mut bytes = segment_bytes(zxid(1), &written, SEGMENT_BYTES);
    let end = 32 + written.iter().map(|(_, p)| 16 + p.len()).sum::<usize>();
    // A later page of the torn batch landed, the page with its start did not.
    bytes[end + 700..end + 720].fill(0xab);
    let path = segment_path(&log_dir(), zxid(1));
    disk.install_file(&path, &bytes);
    let recovered = recover(&disk, &log_dir()).unwrap();
    assert_eq!(recovered.report.cases(), vec![TailCase::TornLastRecord]);
    assert_eq!(recovered.tail.as_ref().unwrap().end_offset, end as u64);
    let after = disk.file_bytes(&path).unwrap();
    assert!(
        after[end..].iter().all(|&byte| byte == 0),
        "the stray bytes are zeroed"
    );
    assert_eq!(replay_all(&disk, &log_dir()), written);
}

#[test]
fn checksum_failure_in_the_last_record_is_cut_and_the_log_continues_there() {
    let disk = SimDisk::new();
    let written = records(zxid(1), 8);
    let mut bytes = segment_bytes(zxid(1), &written, SEGMENT_BYTES);
    let last_start = record_offsets(&written)[7];
    // The header of the last record landed, its payload did not.
    bytes[last_start + 16..last_start + 16 + written[7].1.len()].fill(0);
    disk.install_file(&segment_path(&log_dir(), zxid(1)), &bytes);
    let recovered = recover(&disk, &log_dir()).unwrap();
    assert_eq!(
        recovered.report.cases(),
        vec![TailCase::ChecksumFailureInLastRecord]
    );
    assert_eq!(recovered.report.verdicts[0].decision, Decision::CutTail);

    let mut writer = LogWriter::open(disk.clone(), &recovered, small_segments()).unwrap();
    writer.append(zxid(8), b"written again").unwrap();
    writer.flush().unwrap();
    let replayed = replay_all(&disk, &log_dir());
    assert_eq!(replayed[..7], written[..7]);
    assert_eq!(replayed[7], (zxid(8), b"written again".to_vec()));
    let again = recover(&disk, &log_dir()).unwrap();
    assert_eq!(again.report.cases(), vec![TailCase::ZeroPadding]);
}

#[test]
fn checksum_failure_mid_log_refuses_naming_file_and_offset_and_changes_nothing() {
    let disk = SimDisk::new();
    let written = records(zxid(1), 10);
    let path = install_segment(&disk, zxid(1), &written);
    let bad_offset = record_offsets(&written)[4];
    disk.flip_bit(&path, bad_offset + 20, 3);
    let before = disk.file_bytes(&path).unwrap();

    let verdict = refused(&disk);
    assert_eq!(verdict.case, TailCase::ChecksumFailureMidLog);
    assert_eq!(verdict.file, path);
    assert_eq!(verdict.offset, bad_offset as u64);
    let message = RecoveryError::Refused(verdict).to_string();
    assert!(message.contains("log.100000001"), "{message}");
    assert!(
        message.contains(&format!("offset {bad_offset}")),
        "{message}"
    );
    assert_eq!(disk.file_bytes(&path).unwrap(), before);
}

#[test]
fn bad_frame_mid_log_refuses_when_a_valid_record_follows() {
    let disk = SimDisk::new();
    let written = records(zxid(1), 10);
    let path = segment_path(&log_dir(), zxid(1));
    let mut bytes = segment_bytes(zxid(1), &written, SEGMENT_BYTES);
    let offsets = record_offsets(&written);
    // Record 3's length field becomes huge: it can no longer be skipped.
    bytes[offsets[2] + 3] = 0x7f;
    disk.install_file(&path, &bytes);
    let verdict = refused(&disk);
    assert_eq!(verdict.case, TailCase::BadFrameMidLog);
    assert_eq!(verdict.offset, offsets[2] as u64);
    assert!(
        verdict.detail.contains(&format!("offset {}", offsets[3])),
        "{}",
        verdict.detail
    );
}

#[test]
fn a_torn_record_in_a_segment_before_the_last_refuses() {
    let disk = SimDisk::new();
    let first = records(zxid(1), 5);
    let mut bytes = segment_bytes(zxid(1), &first, SEGMENT_BYTES);
    bytes[record_offsets(&first)[4] + 30] ^= 0x10;
    disk.install_file(&segment_path(&log_dir(), zxid(1)), &bytes);
    let second = records(zxid(6), 3);
    install_segment(&disk, zxid(6), &second);
    let verdict = refused(&disk);
    assert_eq!(verdict.case, TailCase::ChecksumFailureMidLog);
    assert_eq!(verdict.file, segment_path(&log_dir(), zxid(1)));
}

#[test]
fn zxid_gap_within_a_segment_refuses() {
    let disk = SimDisk::new();
    let mut written = records(zxid(1), 3);
    written.push((zxid(5), b"skipped zxid 4".to_vec()));
    install_segment(&disk, zxid(1), &written);
    let verdict = refused(&disk);
    assert_eq!(verdict.case, TailCase::ZxidGap);
    assert_eq!(verdict.offset, record_offsets(&written)[3] as u64);
}

#[test]
fn zxid_gap_between_segments_refuses() {
    let disk = SimDisk::new();
    install_segment(&disk, zxid(1), &records(zxid(1), 3));
    install_segment(&disk, zxid(5), &records(zxid(5), 3));
    let verdict = refused(&disk);
    assert_eq!(verdict.case, TailCase::ZxidGap);
    assert_eq!(verdict.file, segment_path(&log_dir(), zxid(5)));
    assert_eq!(verdict.offset, 0);
}

#[test]
fn a_new_epoch_is_not_a_gap() {
    let disk = SimDisk::new();
    let mut written = records(zxid(1), 3);
    written.push((2 * EPOCH + 1, b"first txn of epoch 2".to_vec()));
    install_segment(&disk, zxid(1), &written);
    let recovered = recover(&disk, &log_dir()).unwrap();
    assert_eq!(recovered.report.cases(), vec![TailCase::ZeroPadding]);
    assert_eq!(recovered.last_zxid, Some(2 * EPOCH + 1));
}

#[test]
fn zxid_not_increasing_refuses() {
    let disk = SimDisk::new();
    let mut written = records(zxid(1), 3);
    written.push((zxid(3), b"zxid 3 again".to_vec()));
    install_segment(&disk, zxid(1), &written);
    let verdict = refused(&disk);
    assert_eq!(verdict.case, TailCase::ZxidNotIncreasing);
    assert_eq!(verdict.offset, record_offsets(&written)[3] as u64);
}

#[test]
fn empty_last_segment_is_removed_and_the_log_continues_in_the_one_before() {
    let disk = SimDisk::new();
    let written = records(zxid(1), 5);
    install_segment(&disk, zxid(1), &written);
    let empty = install_segment(&disk, zxid(6), &[]);
    let recovered = recover(&disk, &log_dir()).unwrap();
    assert_eq!(
        recovered.report.cases(),
        vec![TailCase::ZeroPadding, TailCase::EmptyLastSegment]
    );
    assert!(
        disk.file_bytes(&empty).is_none(),
        "the empty segment is gone"
    );
    assert_eq!(recovered.tail.as_ref().unwrap().segment_first_zxid, zxid(1));
    assert_eq!(recovered.last_zxid, Some(zxid(5)));
}

#[test]
fn empty_segment_mid_log_refuses() {
    let disk = SimDisk::new();
    install_segment(&disk, zxid(1), &records(zxid(1), 5));
    install_segment(&disk, zxid(6), &[]);
    install_segment(&disk, zxid(7), &records(zxid(7), 2));
    let verdict = refused(&disk);
    assert_eq!(verdict.case, TailCase::EmptySegmentMidLog);
    assert_eq!(verdict.file, segment_path(&log_dir(), zxid(6)));
}

#[test]
fn segment_header_corrupt_refuses() {
    let disk = SimDisk::new();
    let path = install_segment(&disk, zxid(1), &records(zxid(1), 5));
    disk.flip_bit(&path, 14, 0);
    let verdict = refused(&disk);
    assert_eq!(verdict.case, TailCase::SegmentHeaderCorrupt);
    assert_eq!(verdict.offset, 0);
    assert!(verdict.detail.contains("checksum"), "{}", verdict.detail);
}

#[test]
fn segment_shorter_than_a_header_refuses() {
    let disk = SimDisk::new();
    disk.install_file(
        &segment_path(&log_dir(), zxid(1)),
        &SegmentHeader {
            first_zxid: zxid(1),
        }
        .encode()[..10],
    );
    assert_eq!(refused(&disk).case, TailCase::SegmentHeaderCorrupt);
}

#[test]
fn first_zxid_mismatch_between_name_and_header_refuses() {
    let disk = SimDisk::new();
    // Named log.<zxid 1>, but the header and records start at zxid 2.
    disk.install_file(
        &segment_path(&log_dir(), zxid(1)),
        &segment_bytes(zxid(2), &records(zxid(2), 3), SEGMENT_BYTES),
    );
    assert_eq!(refused(&disk).case, TailCase::FirstZxidMismatch);
}

#[test]
fn first_zxid_mismatch_between_header_and_first_record_refuses() {
    let disk = SimDisk::new();
    install_segment(&disk, zxid(1), &records(zxid(2), 3));
    let verdict = refused(&disk);
    assert_eq!(verdict.case, TailCase::FirstZxidMismatch);
    assert_eq!(verdict.offset, 32);
}

#[test]
fn leftover_temp_file_is_removed() {
    let disk = SimDisk::new();
    install_segment(&disk, zxid(1), &records(zxid(1), 3));
    let temp = log_dir().join("log.100000004.tmp");
    disk.install_file(&temp, &[0u8; 100]);
    let recovered = recover(&disk, &log_dir()).unwrap();
    assert_eq!(
        recovered.report.cases(),
        vec![TailCase::LeftoverTempFile, TailCase::ZeroPadding]
    );
    assert!(disk.file_bytes(&temp).is_none());
    assert!(!disk
        .list_dir(&log_dir())
        .unwrap()
        .iter()
        .any(|name| name.ends_with(".tmp")));
}
