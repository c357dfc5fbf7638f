//! Hostile input: whatever bytes a snapshot or log file holds, reading it
//! returns a result (never a panic) and allocates no more than the bytes
//! could hold. Damage to a valid file is either cut at a tail or refused;
//! a txn that does not fail its checksum is never made up.

#[path = "common/zkfiles.rs"]
mod zkfiles;

use std::path::Path;

use proptest::prelude::*;
use ringkeeper_jute::OpCode;
use ringkeeper_zkimport::{decode_txn_body, parse_log, parse_snapshot};
use zkfiles::{DigestSection, LogFile, SnapshotFile};

fn valid_log() -> Vec<u8> {
    LogFile::new()
        .create(1)
        .create(2)
        .create(3)
        .padding(64)
        .bytes
}

fn valid_snapshot() -> Vec<u8> {
    let mut snapshot = SnapshotFile::small();
    snapshot.digest = Some(DigestSection::Long {
        zxid: 6,
        tree_digest: 5,
    });
    snapshot.bytes()
}

proptest! {
    #[test]
    fn any_bytes_read_as_a_log_or_snapshot_give_a_result(bytes in proptest::collection::vec(any::<u8>(), 0..512)) {
        let _ = parse_log(Path::new("log.1"), &bytes);
        let _ = parse_snapshot(Path::new("snapshot.1"), &bytes, 1);
        for op in OpCode::ALL {
            let _ = decode_txn_body(op.as_i32(), &bytes);
        }
    }

    #[test]
    fn a_damaged_log_is_cut_or_refused_and_keeps_only_untouched_txns(
        flips in proptest::collection::vec((any::<prop::sample::Index>(), 1u8..=255), 1..4),
        cut in any::<prop::sample::Index>(),
        truncate in any::<bool>(),
    ) {
        let clean = valid_log();
        let originals = parse_log(Path::new("log.1"), &clean).unwrap().txns;
        let mut bytes = clean.clone();
        for (index, mask) in &flips {
            let at = index.index(bytes.len());
            bytes[at] ^= mask;
        }
        if truncate {
            bytes.truncate(cut.index(bytes.len() + 1));
        }
        if let Ok(read) = parse_log(Path::new("log.1"), &bytes) {
            // Every txn read back is one that was written, at its place.
            prop_assert!(read.txns.len() <= originals.len());
            for (read, original) in read.txns.iter().zip(&originals) {
                prop_assert_eq!(read, original);
            }
        }
    }

    #[test]
    fn a_damaged_snapshot_is_refused_or_reads_as_written(
        index in any::<prop::sample::Index>(),
        mask in 1u8..=255,
    ) {
        let clean = valid_snapshot();
        let original = parse_snapshot(Path::new("snapshot.5"), &clean, 5).unwrap();
        let mut bytes = clean;
        let at = index.index(bytes.len());
        bytes[at] ^= mask;
        if let Ok(read) = parse_snapshot(Path::new("snapshot.5"), &bytes, 5) {
            // Every byte is under a checksum or is the checksum: a flip
            // that reads at all must not have changed anything read.
            prop_assert_eq!(read, original, "flip at {} went unnoticed", at);
        }
    }
}
