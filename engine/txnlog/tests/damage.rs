//! Damage to a log whose every record was synced: a single bit flip at
//! every byte of the file, and random overwrites. Recovery never panics,
//! never returns a record that was not written, and refuses whenever the
//! damage is before the last record. A flip inside the last record is cut
//! like a torn write (docs/storage.md: within the last batch, bit rot and
//! a tear look the same).

mod common;

use common::{log_dir, record_offsets, records, replay_all, segment_bytes, segment_path, Rng};
use ringkeeper_txnlog::{recover, scan_segment, RecoveryError, SimDisk};

const Z: i64 = 1 << 32;
const SEGMENT_BYTES: usize = 4096;

#[test]
fn a_bit_flip_anywhere_is_refused_before_the_last_record_and_never_returns_a_bad_record() {
    let written = records(Z + 1, 20);
    let clean = segment_bytes(Z + 1, &written, SEGMENT_BYTES);
    let last_start = *record_offsets(&written).last().unwrap();
    let end = 32 + written.iter().map(|(_, p)| 16 + p.len()).sum::<usize>();
    let mut rng = Rng::new(7);
    for offset in 0..SEGMENT_BYTES {
        let disk = SimDisk::new();
        let path = segment_path(&log_dir(), Z + 1);
        disk.install_file(&path, &clean);
        disk.flip_bit(&path, offset, rng.range(0, 7) as u8);
        match recover(&disk, &log_dir()) {
            Err(RecoveryError::Refused(verdict)) => {
                assert!(offset < last_start, "flip at {offset} refused: {verdict}");
            }
            Err(other) => panic!("flip at {offset}: {other}"),
            Ok(recovered) => {
                assert!(
                    offset >= last_start,
                    "flip at {offset} (before the last record) was accepted: {:?}",
                    recovered.report
                );
                let replayed = replay_all(&disk, &log_dir());
                let kept = if offset < end { 19 } else { 20 };
                assert_eq!(replayed, written[..kept], "flip at {offset}");
            }
        }
    }
}

#[test]
fn random_overwrites_never_panic_and_never_yield_a_record_that_was_not_written() {
    let written = records(Z + 1, 30);
    let clean = segment_bytes(Z + 1, &written, 8192);
    let mut rng = Rng::new(0xdead);
    for round in 0..2000 {
        let mut bytes = clean.clone();
        for _ in 0..rng.range(1, 4) {
            let at = rng.range(0, bytes.len() as u64 - 1) as usize;
            let len = rng.range(1, 64) as usize;
            for byte in bytes.iter_mut().skip(at).take(len) {
                *byte = rng.next_u64() as u8;
            }
        }
        if round % 3 == 0 {
            bytes.truncate(rng.range(0, bytes.len() as u64) as usize);
        }
        // The pure scan of any bytes returns; recovery refuses or keeps a prefix.
        let _ = scan_segment(&bytes);
        let disk = SimDisk::new();
        disk.install_file(&segment_path(&log_dir(), Z + 1), &bytes);
        if recover(&disk, &log_dir()).is_ok() {
            let replayed = replay_all(&disk, &log_dir());
            assert_eq!(replayed, written[..replayed.len()], "round {round}");
        }
    }
}
