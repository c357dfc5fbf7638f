//! Snapshots of a 100,000-node tree (100 bytes of data each): recording
//! the nodes (the CPU part of a write, done in lock-bounded steps by the
//! server), a whole write to a temp dir (with fsync and rename), and a
//! load from the file's bytes (checks, CRC and the tree rebuild).
//!
//! Ids are `snapshot/<op>_100k`; one element is one node.

use std::hint::black_box;

use criterion::{criterion_group, criterion_main, Criterion, Throughput};
use ringkeeper_bench::open_acl;
use ringkeeper_datatree::{DataTree, TreeOptions};
use ringkeeper_snapshot::{
    load_snapshot, write_snapshot, FuzzyWalk, RealFs, SnapshotEncoder, StepBudget, TreeSnapshot,
};

const NODES: usize = 100_000;
const CHILDREN_PER_PARENT: usize = 1000;
const DATA_BYTES: usize = 100;

fn bench_tree() -> (DataTree, i64) {
    let acl = open_acl();
    let mut tree = DataTree::new();
    let mut zxid = 1;
    tree.create_node("/bench", b"", &acl, 0, -1, zxid, 1)
        .expect("benchmark tree builds");
    let data = [b'v'; DATA_BYTES];
    for parent in 0..NODES / CHILDREN_PER_PARENT {
        let parent_path = format!("/bench/p{parent:04}");
        zxid += 1;
        tree.create_node(&parent_path, b"", &acl, 0, -1, zxid, 1)
            .expect("benchmark tree builds");
        for child in 0..CHILDREN_PER_PARENT {
            zxid += 1;
            let path = format!("{parent_path}/n{child:04}");
            tree.create_node(&path, &data, &acl, 0, -1, zxid, 2)
                .expect("benchmark tree builds");
        }
    }
    (tree, zxid)
}

fn bench_snapshot(c: &mut Criterion) {
    let (tree, zxid) = bench_tree();
    let dir = tempfile::tempdir().expect("temp dir");
    let mut group = c.benchmark_group("snapshot");
    group.throughput(Throughput::Elements(NODES as u64));

    group.bench_function("record_100k", |b| {
        b.iter(|| {
            let mut encoder = SnapshotEncoder::new();
            let mut walk = FuzzyWalk::new();
            while !walk
                .step(&tree, &mut encoder, StepBudget::default())
                .expect("recorded")
            {}
            black_box(encoder.pending_bytes())
        })
    });

    group.bench_function("write_100k", |b| {
        b.iter(|| {
            write_snapshot(
                &RealFs,
                dir.path(),
                &mut TreeSnapshot::new(&tree, zxid, Vec::new()),
            )
            .expect("written")
        })
    });

    let written = write_snapshot(
        &RealFs,
        dir.path(),
        &mut TreeSnapshot::new(&tree, zxid, Vec::new()),
    )
    .expect("written");
    let bytes = std::fs::read(&written.path).expect("read back");
    group.bench_function("load_100k", |b| {
        b.iter(|| {
            let loaded = load_snapshot(black_box(&bytes), TreeOptions::default()).expect("loads");
            black_box(loaded.tree.digest())
        })
    });
    group.finish();
}

criterion_group!(benches, bench_snapshot);
criterion_main!(benches);
