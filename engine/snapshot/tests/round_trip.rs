//! A snapshot loads back as the tree it was taken from: consistent ones
//! exactly (same nodes, Stats, data, ACL numbers and lists, indexes,
//! counters and digest), fuzzy ones once the log written during the walk
//! is replayed from the snapshot's zxid.

mod common;

use std::cell::RefCell;
use std::path::Path;

use common::*;
use ringkeeper_datatree::DataTree;
use ringkeeper_snapshot::{
    dump_snapshot, load_newest, write_snapshot, FuzzySnapshot, RealFs, SimFs, SnapshotSession,
    StateView, StepBudget, TreeSnapshot,
};

#[test]
fn a_consistent_snapshot_loads_as_the_same_tree() {
    let (tree, zxid) = sample_tree();
    let dir = tempfile::tempdir().expect("temp dir");
    let written = write_snapshot(
        &RealFs,
        dir.path(),
        &mut TreeSnapshot::new(&tree, zxid, sample_sessions()),
    )
    .expect("written");
    assert!(!written.fuzzy);
    assert_eq!(written.zxid, zxid);
    assert_eq!(written.path, dir.path().join(format!("snapshot.{zxid:x}")));
    assert_eq!(written.node_count as usize, tree.node_count() - 1);

    let report = load_newest(&RealFs, dir.path(), options()).expect("listed");
    assert!(report.skipped.is_empty(), "{report}");
    let (file, loaded) = report.loaded.expect("loaded");
    assert_eq!(file.zxid, zxid);
    assert_eq!(loaded.zxid, zxid);
    assert_eq!(loaded.pending_digest, None, "digest checked at load");
    let restored = &loaded.tree;
    assert_eq!(listing(restored), listing(&tree));
    assert_eq!(restored.digest(), tree.digest());
    assert_eq!(restored.node_count(), tree.node_count());
    assert_eq!(
        restored.approximate_data_size(),
        tree.approximate_data_size()
    );
    for session in [SESSION_A, SESSION_B] {
        assert_eq!(restored.ephemerals(session), tree.ephemerals(session));
    }
    assert_eq!(restored.containers().count(), 1);
    assert_eq!(restored.ttls().count(), 1);
    let acl_ids = |t: &DataTree| {
        t.acl_cache()
            .entries()
            .map(|(id, list)| (id, list.to_vec(), t.acl_cache().references(id)))
            .collect::<Vec<_>>()
    };
    assert_eq!(acl_ids(restored), acl_ids(&tree));
    let mut sessions = sample_sessions();
    sessions.sort();
    assert_eq!(loaded.sessions, sessions);
    restored.check_invariants().expect("consistent");
}

#[test]
fn a_fresh_tree_round_trips_through_the_simulated_disk() {
    let tree = DataTree::with_options(options());
    let fs = SimFs::new();
    let dir = Path::new("/data");
    write_snapshot(&fs, dir, &mut TreeSnapshot::new(&tree, 0, Vec::new())).expect("written");
    let report = load_newest(&fs, dir, options()).expect("listed");
    let (_, loaded) = report.loaded.expect("loaded");
    assert_eq!(listing(&loaded.tree), listing(&tree));
    assert_eq!(loaded.tree.digest(), tree.digest());
    assert!(loaded.sessions.is_empty());
}

/// The live state of a server, for the fuzzy source's closure.
struct LiveState {
    tree: DataTree,
    last_zxid: i64,
    log: Vec<Txn>,
    rng: Rng,
}

/// Writes go on between every two steps of the walk: after each step
/// (each release of the "lock") a few random changes are applied. The
/// snapshot alone is not the live tree, but snapshot + replay of the
/// txns after its zxid is, with the digest recorded at the walk's end.
#[test]
fn a_fuzzy_snapshot_plus_replay_from_its_zxid_is_the_live_tree() {
    for seed in 0..40 {
        let (mut tree, mut zxid) = sample_tree();
        let mut rng = Rng(seed);
        let mut log = Vec::new();
        // A busier tree than the sample, built through the same changes.
        for _ in 0..60 {
            zxid += 1;
            log.push(random_change(&mut tree, &mut rng, zxid));
        }
        let state = RefCell::new(LiveState {
            tree,
            last_zxid: zxid,
            log,
            rng,
        });
        let fs = SimFs::new();
        let dir = Path::new("/data");
        let budget = StepBudget {
            nodes_max: 1 + (seed as usize % 4),
            bytes_max: 1 << 20,
        };
        let mut source = FuzzySnapshot::new(
            |visit: &mut dyn FnMut(StateView<'_>)| {
                // Writes that ran while the lock was free.
                let mut live = state.borrow_mut();
                let changes = live.rng.below(4);
                for _ in 0..changes {
                    let zxid = live.last_zxid + 1;
                    let LiveState { tree, rng, .. } = &mut *live;
                    let txn = random_change(tree, rng, zxid);
                    live.log.push(txn);
                    live.last_zxid = zxid;
                }
                let sessions = || sample_sessions();
                visit(StateView {
                    tree: &live.tree,
                    last_zxid: live.last_zxid,
                    sessions: &sessions,
                });
            },
            budget,
        );
        let written = write_snapshot(&fs, dir, &mut source).expect("written");
        assert!(written.fuzzy, "seed {seed}: writes ran during the walk");
        let live = state.into_inner();

        let report = load_newest(&fs, dir, options()).expect("listed");
        let (_, loaded) = report.loaded.expect("a fuzzy snapshot loads");
        let pending = loaded.pending_digest.expect("fuzzy: digest after replay");
        let mut replayed = loaded.tree;
        for txn in live.log.iter().filter(|txn| txn.zxid() > loaded.zxid) {
            replay(&mut replayed, txn);
            if txn.zxid() == pending.zxid {
                assert_eq!(
                    replayed.digest(),
                    pending.digest,
                    "seed {seed}: digest at zxid {:#x}",
                    pending.zxid
                );
            }
        }
        assert_eq!(
            listing_without_acl_numbers(&replayed),
            listing_without_acl_numbers(&live.tree),
            "seed {seed}"
        );
        assert_eq!(replayed.digest(), live.tree.digest(), "seed {seed}");
        replayed.check_invariants().expect("consistent");
    }
}

#[test]
fn a_walk_with_no_write_between_its_steps_is_consistent() {
    let (tree, zxid) = sample_tree();
    let fs = SimFs::new();
    let dir = Path::new("/data");
    let mut source = FuzzySnapshot::new(
        |visit: &mut dyn FnMut(StateView<'_>)| {
            visit(StateView {
                tree: &tree,
                last_zxid: zxid,
                sessions: &Vec::new,
            })
        },
        StepBudget {
            nodes_max: 2,
            bytes_max: 64,
        },
    );
    let written = write_snapshot(&fs, dir, &mut source).expect("written");
    assert!(!written.fuzzy);
    let (_, loaded) = load_newest(&fs, dir, options())
        .expect("listed")
        .loaded
        .expect("loaded");
    assert_eq!(loaded.pending_digest, None);
    assert_eq!(listing(&loaded.tree), listing(&tree));
}

#[test]
fn dump_lists_every_node_acl_and_session_in_zookeepers_layout() {
    let (tree, zxid) = sample_tree();
    let dir = tempfile::tempdir().expect("temp dir");
    let written = write_snapshot(
        &RealFs,
        dir.path(),
        &mut TreeSnapshot::new(&tree, zxid, sample_sessions()),
    )
    .expect("written");
    let text = dump_snapshot(&written.path).expect("dumped");
    for expected in [
        format!("zxid: {zxid:#x}"),
        "fuzzy: no".to_string(),
        format!("ZNode Details (count={}):", tree.node_count() - 1),
        "/app/members/m-0000000003".to_string(),
        "  ephemeralOwner = 0x10000000000000a".to_string(),
        "  data = \"config=2\"".to_string(),
        "  data = \"\\x03\\x00\\xff\\n\"".to_string(),
        "/ünïcode-名前".to_string(),
        "  ctime = 2023-11-14T22:13:20.000Z".to_string(),
        "cdrwa digest:bob:0123456789abcdef, rw ip:10.0.0.0/8".to_string(),
        "0x100000000000009, 4000, 4".to_string(),
        "0x10000000000000a, 30000, 2".to_string(),
        "  dataLength = 300".to_string(),
    ] {
        assert!(text.contains(&expected), "missing {expected:?} in:\n{text}");
    }
    let nodes = text.matches("  cZxid = ").count();
    assert_eq!(nodes, tree.node_count() - 1);
}

#[test]
fn dump_of_a_damaged_file_shows_the_header_and_the_reason() {
    let (tree, zxid) = sample_tree();
    let dir = tempfile::tempdir().expect("temp dir");
    let written = write_snapshot(
        &RealFs,
        dir.path(),
        &mut TreeSnapshot::new(&tree, zxid, Vec::<SnapshotSession>::new()),
    )
    .expect("written");
    let mut bytes = std::fs::read(&written.path).expect("read");
    let middle = bytes.len() / 2;
    bytes[middle] ^= 0x40;
    std::fs::write(&written.path, &bytes).expect("damaged");
    let error = dump_snapshot(&written.path).expect_err("damaged");
    let text = error.to_string();
    assert!(text.contains(&format!("zxid: {zxid:#x}")), "{text}");
    assert!(text.contains("checksum mismatch"), "{text}");
}

/// Regression: a step once ended as soon as 1 MiB was pending in the
/// encoder, so a caller that never wrote the bytes out (a benchmark)
/// looped forever without recording anything.
#[test]
fn every_step_records_a_node_whatever_the_budget_and_pending_bytes() {
    let (tree, _) = sample_tree();
    let mut encoder = ringkeeper_snapshot::SnapshotEncoder::new();
    let mut walk = ringkeeper_snapshot::FuzzyWalk::new();
    let mut steps = 0;
    let empty = StepBudget {
        nodes_max: 0,
        bytes_max: 0,
    };
    while !walk.step(&tree, &mut encoder, empty).expect("recorded") {
        steps += 1;
        assert_eq!(encoder.node_count(), steps, "one node per step");
    }
    assert_eq!(encoder.node_count() as usize, tree.node_count() - 1);
}
