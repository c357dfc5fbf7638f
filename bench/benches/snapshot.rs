//! Snapshots of a 100,000-node tree (100 bytes of data each): recording
//! the nodes (the CPU part of a write, done in lock-bounded steps by the
//! server), a whole write to a temp dir (with fsync and rename), and a
//! load from the file's bytes (checks, CRC and the tree rebuild).
//!
//! Ids are `snapshot/<op>_100k`; one element is one node.

use std::hint::black_box;
use std::path::PathBuf;

use criterion::{criterion_group, criterion_main, Criterion, Throughput};
use ringkeeper_datatree::{DataTree, TreeOptions};
use ringkeeper_jute::{Acl, Id, Perms};
use ringkeeper_snapshot::{
    load_snapshot, write_snapshot, FuzzyWalk, RealFs, SnapshotEncoder, StepBudget, TreeSnapshot,
};

const NODES: usize = 100_000;
const CHILDREN_PER_PARENT: usize = 1000;
const DATA_BYTES: usize = 100;

fn bench_tree() -> (DataTree, i64) {
    let acl = vec![Acl {
        perms: Perms::ALL,
        id: Id {
            scheme: "world".to_string(),
            id: "anyone".to_string(),
        },
    }];
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

/// A fresh directory under the system temp dir, removed on drop.
struct TempDir(PathBuf);

impl TempDir {
    fn new() -> Self {
        let dir =
            std::env::temp_dir().join(format!("ringkeeper-bench-snapshot-{}", std::process::id()));
        std::fs::create_dir_all(&dir).expect("temp dir");
        TempDir(dir)
    }
}

impl Drop for TempDir {
    fn drop(&mut self) {
        let _ = std::fs::remove_dir_all(&self.0);
    }
}

fn bench_snapshot(c: &mut Criterion) {
    let (tree, zxid) = bench_tree();
    let dir = TempDir::new();
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
                &dir.0,
                &mut TreeSnapshot::new(&tree, zxid, Vec::new()),
            )
            .expect("written")
        })
    });

    let written = write_snapshot(
        &RealFs,
        &dir.0,
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
