//! A 1,000,000-node tree (100 bytes of data each) written fuzzily and
//! loaded back. Timings are printed (run with `--nocapture`), never
//! asserted: the figures in docs/storage.md come from this test in
//! release mode. A debug build uses 100,000 nodes to stay quick.

use std::path::Path;
use std::time::{Duration, Instant};

use ringkeeper_datatree::{DataTree, TreeOptions};
use ringkeeper_jute::{Acl, Id, Perms};
use ringkeeper_snapshot::{
    load_newest, load_snapshot, map_file, write_snapshot, FuzzySnapshot, FuzzyWalk, RealFs,
    SnapshotEncoder, SnapshotReader, SnapshotSession, StateView, StepBudget,
};

const NODES: usize = if cfg!(debug_assertions) {
    100_000
} else {
    1_000_000
};
const CHILDREN_PER_PARENT: usize = 1000;
const DATA_BYTES: usize = 100;

/// "/bench/p0000/n000000", ... : NODES leaves under NODES/1000 parents.
fn big_tree() -> (DataTree, i64) {
    let acl = vec![Acl {
        perms: Perms::ALL,
        id: Id {
            scheme: "world".to_string(),
            id: "anyone".to_string(),
        },
    }];
    let mut tree = DataTree::with_options(TreeOptions::default());
    let mut zxid = 0;
    let mut next = || {
        zxid += 1;
        zxid
    };
    tree.create_node("/bench", b"", &acl, 0, -1, next(), 1)
        .expect("create");
    let data = [b'v'; DATA_BYTES];
    for parent in 0..NODES / CHILDREN_PER_PARENT {
        let parent_path = format!("/bench/p{parent:04}");
        tree.create_node(&parent_path, b"", &acl, 0, -1, next(), 1)
            .expect("create");
        for child in 0..CHILDREN_PER_PARENT {
            let path = format!("{parent_path}/n{:06}", parent * CHILDREN_PER_PARENT + child);
            tree.create_node(&path, &data, &acl, 0, -1, next(), 2)
                .expect("create");
        }
    }
    (tree, zxid)
}

fn ms(duration: Duration) -> f64 {
    duration.as_secs_f64() * 1000.0
}

#[test]
fn a_million_node_snapshot_is_written_in_short_steps_and_loads_back() {
    let started = Instant::now();
    let (tree, zxid) = big_tree();
    let nodes = tree.node_count() - 1;
    println!(
        "snapshot large: {nodes} nodes built in {:.0} ms",
        ms(started.elapsed())
    );

    // What a stop-the-world snapshot would hold the lock for: one walk
    // recording every node into memory.
    let started = Instant::now();
    let mut encoder = SnapshotEncoder::new();
    let done = FuzzyWalk::new()
        .step(
            &tree,
            &mut encoder,
            StepBudget {
                nodes_max: usize::MAX,
                bytes_max: usize::MAX,
            },
        )
        .expect("recorded");
    assert!(done);
    println!(
        "snapshot large: recording all nodes at once takes {:.0} ms ({} MB in memory)",
        ms(started.elapsed()),
        encoder.pending_bytes() >> 20
    );
    drop(encoder);

    // The fuzzy write, timing each step (the lock hold).
    let dir = tempfile::tempdir().expect("temp dir");
    let mut holds: Vec<Duration> = Vec::new();
    let started = Instant::now();
    let mut source = FuzzySnapshot::new(
        |visit: &mut dyn FnMut(StateView<'_>)| {
            let held = Instant::now();
            let sessions = || {
                vec![SnapshotSession {
                    session_id: 1,
                    timeout_ms: 30_000,
                }]
            };
            visit(StateView {
                tree: &tree,
                last_zxid: zxid,
                sessions: &sessions,
            });
            holds.push(held.elapsed());
        },
        StepBudget::default(),
    );
    let written = write_snapshot(&RealFs, dir.path(), &mut source).expect("written");
    let total = started.elapsed();
    holds.sort_unstable();
    let hold_sum: Duration = holds.iter().sum();
    println!(
        "snapshot large: fuzzy write of {} MB in {:.0} ms (incl. fsync); {} lock holds: \
         p50 {:.3} ms, p99 {:.3} ms, max {:.3} ms, sum {:.0} ms",
        written.file_bytes >> 20,
        ms(total),
        holds.len(),
        ms(holds[holds.len() / 2]),
        ms(holds[holds.len() * 99 / 100]),
        ms(holds[holds.len() - 1]),
        ms(hold_sum),
    );
    assert_eq!(written.node_count as usize, nodes);

    // Loading: map + checks + CRC, then the rebuild.
    let started = Instant::now();
    let bytes = map_file(&written.path).expect("mapped");
    let mapped = started.elapsed();
    let reader = SnapshotReader::open(&bytes).expect("valid");
    assert_eq!(reader.header().node_count as usize, nodes);
    let checked = started.elapsed();
    // The reading alone (records decoded, names checked), without the
    // tree: what the rebuild costs beyond it is DataTree::restore_node.
    let mut name_bytes = 0;
    for record in reader.nodes() {
        name_bytes += record.expect("valid record").name.len();
    }
    let read = started.elapsed() - checked;
    assert!(name_bytes > 0);
    let rebuild_started = Instant::now();
    let loaded = load_snapshot(&bytes, TreeOptions::default()).expect("loaded");
    let rebuild = rebuild_started.elapsed();
    println!(
        "snapshot large: map {:.1} ms, header/footer/CRC {:.1} ms, reading the node records {:.0} ms; \
         load_snapshot (checks, CRC and rebuild) {:.0} ms",
        ms(mapped),
        ms(checked - mapped),
        ms(read),
        ms(rebuild)
    );
    assert_eq!(loaded.tree.digest(), tree.digest());
    assert_eq!(loaded.tree.node_count(), tree.node_count());
    assert_eq!(
        loaded.tree.approximate_data_size(),
        tree.approximate_data_size()
    );
    drop(loaded);

    let started = Instant::now();
    let report = load_newest(&RealFs, dir.path(), TreeOptions::default()).expect("listed");
    println!(
        "snapshot large: load_newest (list, map, check, rebuild) {:.0} ms",
        ms(started.elapsed())
    );
    let (_, loaded) = report.loaded.expect("loaded");
    assert_eq!(loaded.tree.digest(), tree.digest());
    assert!(!Path::new(&written.path).with_extension("tmp").exists());
}
