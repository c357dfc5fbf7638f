//! The txn log's hot paths on real files: one group-commit batch (100
//! records of 200 bytes, one write, then one fdatasync or none), and the
//! recovery scan of a full 64 MiB segment.
//!
//! Ids are `txnlog/<op>`. For the append benchmarks one element is one
//! batch; segments roll over as they fill (preAllocSize 64 MiB, so one
//! batch in about 3,000 also pays for zero-filling the next segment), and
//! full segments are deleted outside the measured time. The files live in
//! the system temp dir: the fdatasync figure is that disk's.

use std::hint::black_box;
use std::path::Path;
use std::time::{Duration, Instant};

use criterion::{criterion_group, criterion_main, Criterion, Throughput};
use ringkeeper_txnlog::format::{encode_record, SegmentHeader};
use ringkeeper_txnlog::{
    list_segments, recover, scan_segment, FsStorage, LogConfig, LogWriter, ScanStop,
};

const RECORDS_PER_BATCH: i64 = 100;
const PAYLOAD_BYTES: usize = 200;
const SCAN_SEGMENT_BYTES: usize = 64 * 1024 * 1024;

/// Deletes every segment but the newest.
fn drop_full_segments(storage: &FsStorage, dir: &Path) {
    let segments = list_segments(storage, dir).expect("list segments");
    for segment in segments.iter().rev().skip(1) {
        std::fs::remove_file(&segment.path).expect("remove a full segment");
    }
}

fn bench_append(c: &mut Criterion, id: &str, force_sync: bool) {
    let dir = tempfile::tempdir().expect("bench dir");
    let storage = FsStorage::buffered();
    let recovered = recover(&storage, dir.path()).expect("recover an empty dir");
    let config = LogConfig {
        force_sync,
        ..LogConfig::default()
    };
    let mut writer = LogWriter::open(storage.clone(), &recovered, config).expect("open");
    let payload = [0x5au8; PAYLOAD_BYTES];
    let mut zxid: i64 = 1 << 32;
    let mut group = c.benchmark_group("txnlog");
    group.throughput(Throughput::Elements(1));
    group.bench_function(id, |b| {
        b.iter_custom(|batches| {
            let mut measured = Duration::ZERO;
            for _ in 0..batches {
                let start = Instant::now();
                for _ in 0..RECORDS_PER_BATCH {
                    zxid += 1;
                    writer.append(zxid, black_box(&payload)).expect("append");
                }
                let durable = writer.flush().expect("batch written");
                measured += start.elapsed();
                debug_assert_eq!(durable, Some(zxid));
                if writer
                    .machine()
                    .current_segment()
                    .is_some_and(|(first_zxid, _, _)| first_zxid > (1 << 32) + 1)
                {
                    drop_full_segments(&storage, dir.path());
                }
            }
            measured
        })
    });
    group.finish();
}

/// A 64 MiB segment full of 200-byte records.
fn full_segment() -> Vec<u8> {
    let first_zxid: i64 = (1 << 32) + 1;
    let mut bytes = SegmentHeader { first_zxid }.encode().to_vec();
    let payload = [0xa5u8; PAYLOAD_BYTES];
    let mut zxid = first_zxid;
    while bytes.len() + 16 + PAYLOAD_BYTES <= SCAN_SEGMENT_BYTES {
        encode_record(zxid, &payload, &mut bytes);
        zxid += 1;
    }
    bytes.resize(SCAN_SEGMENT_BYTES, 0);
    bytes
}

fn bench_recovery(c: &mut Criterion) {
    let bytes = full_segment();
    let mut group = c.benchmark_group("txnlog");
    group.throughput(Throughput::Bytes(SCAN_SEGMENT_BYTES as u64));
    group.sample_size(10);
    group.bench_function("scan_segment_64mib_in_memory", |b| {
        b.iter(|| {
            let scan = scan_segment(black_box(&bytes));
            assert_eq!(scan.stop, ScanStop::ZeroPadding);
            scan.records
        })
    });
    let dir = tempfile::tempdir().expect("bench dir");
    std::fs::write(dir.path().join("log.100000001"), &bytes).expect("write the segment");
    let storage = FsStorage::buffered();
    group.bench_function("recovery_scan_64mib_segment", |b| {
        b.iter(|| {
            let recovered = recover(&storage, black_box(dir.path())).expect("recovers");
            recovered.last_zxid
        })
    });
    group.finish();
}

fn bench_txnlog(c: &mut Criterion) {
    bench_append(c, "append_batch_100x200_no_sync", false);
    bench_append(c, "append_batch_100x200_fdatasync", true);
    bench_recovery(c);
}

criterion_group!(benches, bench_txnlog);
criterion_main!(benches);
