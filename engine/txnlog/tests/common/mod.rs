//! Helpers shared by the txn log's tests: a seeded generator, payloads,
//! and segments built by hand.
#![allow(dead_code)]

use std::path::{Path, PathBuf};

use ringkeeper_txnlog::format::{encode_record, SegmentHeader};
use ringkeeper_txnlog::segment_name::segment_file_name;
use ringkeeper_txnlog::{recover, LogConfig, LogWriter, SimDisk, Storage};

/// splitmix64: a tiny seeded generator, so every run is reproducible.
pub struct Rng(u64);

impl Rng {
    pub fn new(seed: u64) -> Rng {
        Rng(seed)
    }

    pub fn next_u64(&mut self) -> u64 {
        self.0 = self.0.wrapping_add(0x9e37_79b9_7f4a_7c15);
        let mut z = self.0;
        z = (z ^ (z >> 30)).wrapping_mul(0xbf58_476d_1ce4_e5b9);
        z = (z ^ (z >> 27)).wrapping_mul(0x94d0_49bb_1331_11eb);
        z ^ (z >> 31)
    }

    /// A value in `low..=high`.
    pub fn range(&mut self, low: u64, high: u64) -> u64 {
        low + self.next_u64() % (high - low + 1)
    }
}

/// A payload for `zxid` of `len` bytes whose content depends on both, so a
/// record found in the wrong place is noticed.
pub fn payload(zxid: i64, len: usize) -> Vec<u8> {
    let mut rng = Rng::new(zxid as u64 ^ (len as u64) << 40);
    (0..len).map(|_| (rng.next_u64() & 0xff) as u8).collect()
}

pub fn log_dir() -> PathBuf {
    PathBuf::from("/data/log")
}

pub fn segment_path(dir: &Path, first_zxid: i64) -> PathBuf {
    dir.join(segment_file_name(first_zxid))
}

/// A segment's bytes: header, the records, then zeros up to `size_bytes`.
pub fn segment_bytes(first_zxid: i64, records: &[(i64, Vec<u8>)], size_bytes: usize) -> Vec<u8> {
    let mut bytes = SegmentHeader { first_zxid }.encode().to_vec();
    for (zxid, payload) in records {
        encode_record(*zxid, payload, &mut bytes);
    }
    assert!(bytes.len() <= size_bytes, "records overflow the segment");
    bytes.resize(size_bytes, 0);
    bytes
}

/// Records `first..first+count` with payloads of 20..120 bytes.
pub fn records(first_zxid: i64, count: i64) -> Vec<(i64, Vec<u8>)> {
    (first_zxid..first_zxid + count)
        .map(|zxid| (zxid, payload(zxid, 20 + (zxid as usize * 37) % 100)))
        .collect()
}

/// The offsets at which each record of a hand-built segment starts.
pub fn record_offsets(records: &[(i64, Vec<u8>)]) -> Vec<usize> {
    let mut offset = 32;
    records
        .iter()
        .map(|(_, payload)| {
            let at = offset;
            offset += 16 + payload.len();
            at
        })
        .collect()
}

/// Every record of the log in `dir` as (zxid, payload), through replay.
pub fn replay_all<S: Storage>(storage: &S, dir: &Path) -> Vec<(i64, Vec<u8>)> {
    let mut found = Vec::new();
    ringkeeper_txnlog::for_each_record(storage, dir, None, |zxid, payload| {
        found.push((zxid, payload.to_vec()));
        Ok::<(), String>(())
    })
    .expect("replay of a recovered log");
    found
}

/// A simulated disk with an empty log directory and a writer on it.
pub fn fresh_writer(config: LogConfig) -> (SimDisk, LogWriter<SimDisk>) {
    let disk = SimDisk::new();
    let recovered = recover(&disk, &log_dir()).expect("an empty dir recovers");
    let writer = LogWriter::open(disk.clone(), &recovered, config).expect("writer opens");
    (disk, writer)
}

/// Small segments, so tests roll over several.
pub fn small_segments() -> LogConfig {
    LogConfig {
        segment_bytes: 4096,
        ..LogConfig::default()
    }
}
