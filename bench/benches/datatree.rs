//! The DataTree's hot paths: path lookup, create, setData and listing the
//! children of a large node.
//!
//! Ids are `datatree/<op>`; one element is one operation (one whole listing
//! for `get_children_10000`). The tree around the measured nodes is
//! realistic rather than empty: every level of the deep path has siblings,
//! and creates go under a parent that already has many children.

use std::hint::black_box;
use std::time::Instant;

use criterion::{criterion_group, criterion_main, Criterion, Throughput};
use ringkeeper_bench::open_acl;
use ringkeeper_datatree::DataTree;

/// Depth of the looked-up path, and siblings at each of its levels.
const DEPTH: usize = 10;
const SIBLINGS_PER_LEVEL: usize = 50;
/// Children of the node that `get_children_10000` lists.
const WIDE_CHILDREN: usize = 10_000;
/// Data of the setData benchmark (a typical small config value).
const SET_DATA_BYTES: usize = 100;

/// A tree with "/level0/level1/.../level9" (each level with siblings) and
/// "/wide" holding WIDE_CHILDREN children. Returns it with the deep path.
fn bench_tree() -> (DataTree, String, i64) {
    let acl = open_acl();
    let mut tree = DataTree::new();
    let mut zxid = 1;
    let mut create = |tree: &mut DataTree, path: &str| {
        tree.create_node(path, b"value", &acl, 0, -1, zxid, 1_700_000_000_000)
            .expect("benchmark tree builds");
        zxid += 1;
    };
    let mut deep = String::new();
    for level in 0..DEPTH {
        for sibling in 0..SIBLINGS_PER_LEVEL {
            create(&mut tree, &format!("{deep}/sibling-{sibling:04}"));
        }
        deep.push_str(&format!("/level{level}"));
        create(&mut tree, &deep);
    }
    create(&mut tree, "/wide");
    for child in 0..WIDE_CHILDREN {
        create(&mut tree, &format!("/wide/member-{child:010}"));
    }
    (tree, deep, zxid)
}

fn bench_datatree(c: &mut Criterion) {
    let (mut tree, deep, mut zxid) = bench_tree();
    let mut group = c.benchmark_group("datatree");
    group.throughput(Throughput::Elements(1));

    group.bench_function("lookup_depth_10", |b| {
        b.iter(|| tree.lookup(black_box(&deep)).expect("deep path exists"))
    });

    group.bench_function("lookup_among_10000_siblings", |b| {
        b.iter(|| {
            tree.lookup(black_box("/wide/member-0000004242"))
                .expect("member exists")
        })
    });

    let wide = tree.lookup("/wide").expect("wide exists");
    group.bench_function("get_children_10000", |b| {
        b.iter(|| {
            let bytes: usize = tree.children(black_box(wide)).map(str::len).sum();
            black_box(bytes)
        })
    });

    // Creates under /wide (10,000 children already); the paths are made
    // and the created nodes deleted outside the measured time.
    let acl = open_acl();
    group.bench_function("create", |b| {
        b.iter_custom(|iterations| {
            let paths: Vec<String> = (0..iterations)
                .map(|i| format!("/wide/created-{i:010}"))
                .collect();
            let start = Instant::now();
            for path in &paths {
                tree.create_node(black_box(path), b"value", &acl, 0, -1, zxid, 1)
                    .expect("new path");
                zxid += 1;
            }
            let elapsed = start.elapsed();
            for path in &paths {
                tree.delete_node(path, zxid).expect("created above");
            }
            zxid += 1;
            elapsed
        })
    });

    let data = [b'x'; SET_DATA_BYTES];
    let mut version = 0;
    group.bench_function("set_data_100_bytes", |b| {
        b.iter(|| {
            version += 1;
            zxid += 1;
            tree.set_data(black_box(&deep), black_box(&data), version, zxid, 2)
                .expect("deep path exists")
        })
    });
    group.finish();
}

criterion_group!(benches, bench_datatree);
criterion_main!(benches);
