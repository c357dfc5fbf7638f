//! Crash recovery over files the real server wrote (issue 4). One real run
//! (`workload`): `ringkeeper` with 4 KiB segments and a small snapCount, a
//! mixed workload whose every acknowledged zxid is recorded, SIGKILL. Then
//! crashed copies of its dataDir, each recovered by the server's own
//! start-up recovery (`ringkeeper_server::durable::recover`):
//!
//! - every record boundary of every segment, that segment being the last
//!   (the crash came before later segments existed), the rest of the file
//!   zeros as preallocated, or random bytes, or the last record whole with
//!   one byte flipped: recovery yields exactly the whole records before the
//!   cut (`sweep`);
//! - torn writes at every byte inside the last records of each segment;
//! - a cut in a segment before the last: refused, naming file and offset;
//! - snapshots truncated or bit-flipped: the older one plus the log gives
//!   the same state; all of them damaged: the whole log alone, or a refusal
//!   when the log no longer starts at zxid 1;
//! - the real binary restarted on damaged copies, read back by a client.

#[path = "crash_real_logs/crash_copy.rs"]
mod crash_copy;
#[path = "crash_real_logs/model.rs"]
mod model;
#[path = "crash_real_logs/sweep.rs"]
mod sweep;
#[path = "crash_real_logs/workload.rs"]
mod workload;

use std::collections::BTreeMap;
use std::sync::OnceLock;
use std::time::Instant;

use crash_copy::{crashed_bytes, recover_dir, Fill, Recovered, RunFiles, Scratch};
use model::{dump_tree, first_difference, ExpectedTree, TreeDump, WORKLOAD_ROOT};
use ringkeeper_testkit::{Client, ServerKind, TestServer};
use sweep::{Snapshots, Sweep};
use workload::{real_run, server_options, RealRun};

/// Records of each segment whose every byte is a torn-write cut point (the
/// others get `TORN_OFFSETS_SAMPLED` cut points each).
const TORN_RECORDS_PER_SEGMENT: usize = 3;
/// Cut points inside a record that is not among the last of its segment:
/// inside the length, the crc, the zxid, the payload's first and last byte.
const TORN_OFFSETS_SAMPLED: &[usize] = &[1, 5, 9, 16, 17];
/// Segments whose records get torn-write cuts: all of them in an optimized
/// build (the ci profile); in a debug build, where each recovery costs
/// about ten times more, one in this many and the last.
const TORN_SEGMENT_STRIDE: usize = if cfg!(debug_assertions) { 6 } else { 1 };
/// Random bytes after a torn cut at every byte of the record header, then
/// at one byte in this many (zeros after it at every byte).
const TORN_GARBAGE_EVERY_BYTES: usize = 5;

struct Fixture {
    run: RealRun,
    files: RunFiles,
    digests: BTreeMap<i64, u64>,
}

/// The real run, made once for every test of this file.
fn fixture() -> &'static Fixture {
    static FIXTURE: OnceLock<Fixture> = OnceLock::new();
    FIXTURE.get_or_init(|| {
        let started = Instant::now();
        let run = real_run();
        let files = RunFiles::parse(&run.files);
        let digests = files.reference_digests();
        eprintln!(
            "real run: {} acknowledged writes, {} records in {} segments, {} snapshots, {} ms",
            run.acked.len(),
            files.zxids().count(),
            files.segments.len(),
            files.snapshots.len(),
            started.elapsed().as_millis()
        );
        Fixture {
            run,
            files,
            digests,
        }
    })
}

impl Fixture {
    /// A sweep of crashed copies of this run in a scratch dir of its own.
    fn sweep(&self, label: &str, snapshots: Snapshots) -> Sweep<'_> {
        Sweep::new(
            label,
            &self.files,
            &self.digests,
            &self.run.acked,
            snapshots,
        )
    }
}

fn last_zxid(fixture: &Fixture) -> i64 {
    fixture
        .files
        .zxids()
        .last()
        .expect("the run logged records")
}

/// The tree the client's acknowledged writes make up to `zxid`.
fn expected_tree(fixture: &Fixture, zxid: i64) -> TreeDump {
    ExpectedTree::new(&fixture.run.acked).at(zxid).clone()
}

fn assert_state(context: &str, fixture: &Fixture, recovered: &Recovered, zxid: i64) {
    assert_eq!(recovered.summary.last_zxid, zxid, "{context}: last zxid");
    assert_eq!(
        Some(&recovered.zk.digest()),
        fixture.digests.get(&zxid),
        "{context}: digest"
    );
    if let Some(difference) =
        first_difference(&expected_tree(fixture, zxid), &dump_tree(&recovered.zk))
    {
        panic!("{context}: {difference}");
    }
}

/// Every file of the run, with `replace` applied (None removes a file).
fn copy_with(
    fixture: &Fixture,
    replace: &BTreeMap<String, Option<Vec<u8>>>,
) -> Vec<(String, Vec<u8>)> {
    fixture
        .run
        .files
        .iter()
        .filter_map(|(name, bytes)| match replace.get(name) {
            Some(Some(changed)) => Some((name.clone(), changed.clone())),
            Some(None) => None,
            None => Some((name.clone(), bytes.clone())),
        })
        .collect()
}

fn recover_copy(scratch: &Scratch, files: &[(String, Vec<u8>)]) -> Result<Recovered, String> {
    scratch.set_files(files.iter().map(|(n, b)| (n.as_str(), b.as_slice())));
    recover_dir(&scratch.dir)
}

#[test]
fn the_real_run_logs_every_acknowledged_zxid_across_several_segments_and_snapshots() {
    let fixture = fixture();
    let files = &fixture.files;
    assert!(
        files.segments.len() >= 4,
        "segments: {}",
        files.segments.len()
    );
    assert!(
        files.snapshots.len() >= 3,
        "snapshots: {}",
        files.snapshots.len()
    );
    let logged: std::collections::BTreeSet<i64> = files.zxids().collect();
    for write in &fixture.run.acked {
        assert!(
            logged.contains(&write.zxid),
            "acknowledged zxid {:#x} is not in the log",
            write.zxid
        );
    }
    // Undamaged, the whole copy recovers every record: the last
    // acknowledged write is the last record, and the tree is the client's.
    let scratch = Scratch::new("whole");
    let recovered = recover_copy(&scratch, &copy_with(fixture, &BTreeMap::new()))
        .expect("the undamaged copy recovers");
    let newest = files.snapshots.last().expect("a snapshot");
    assert_eq!(
        recovered.summary.snapshot.as_ref().map(|(_, z)| *z),
        Some(newest.zxid),
        "the newest snapshot is used"
    );
    assert_state("whole copy", fixture, &recovered, last_zxid(fixture));
    assert_eq!(
        fixture.run.acked.last().map(|w| w.zxid),
        Some(last_zxid(fixture))
    );
}

#[test]
fn every_record_boundary_of_every_segment_recovers_exactly_the_records_before_it() {
    let fixture = fixture();
    let started = Instant::now();
    let files = &fixture.files;
    // Zeros after the cut, no snapshot: every record is replayed from zxid 0.
    let mut replay_all = fixture.sweep("bound-z", Snapshots::None);
    // Garbage after the cut, or the last record's payload bit-flipped, with
    // the snapshots a crash there could have left.
    let mut with_snapshots = fixture.sweep("bound-g", Snapshots::WrittenBeforeTheCut);
    for (index, segment) in files.segments.iter().enumerate() {
        let boundaries =
            std::iter::once(segment.records[0].offset).chain(segment.records.iter().map(|r| r.end));
        for (n, cut) in boundaries.enumerate() {
            replay_all.check_tail_cut(index, cut, Fill::Zeros);
            if let Some(record) = segment.records.iter().find(|r| r.end == cut) {
                // A whole frame whose checksum fails: never replayed.
                let mut flipped = crashed_bytes(&segment.bytes, cut, Fill::Zeros);
                flipped[(record.offset + cut) / 2 + 8] ^= 0x10;
                with_snapshots.check_tail_bytes(index, flipped, "with its last record flipped");
            }
            with_snapshots.check_tail_cut(index, cut, Fill::Garbage(cut as u64 * 31 + n as u64));
        }
    }
    eprintln!(
        "record boundaries: {} crashed copies recovered and checked in {} ms",
        replay_all.checked + with_snapshots.checked,
        started.elapsed().as_millis()
    );
}

#[test]
fn torn_writes_inside_records_are_cut_back_to_the_record_before() {
    let fixture = fixture();
    let started = Instant::now();
    let files = &fixture.files;
    let mut sweep = fixture.sweep("torn", Snapshots::WrittenBeforeTheCut);
    for (index, segment) in files.segments.iter().enumerate() {
        if index % TORN_SEGMENT_STRIDE != 0 && index + 1 != files.segments.len() {
            continue;
        }
        let every_byte_from = segment
            .records
            .len()
            .saturating_sub(TORN_RECORDS_PER_SEGMENT);
        for (n, record) in segment.records.iter().enumerate() {
            let cuts: Vec<usize> = if n >= every_byte_from || n == 0 {
                (record.offset + 1..record.end).collect()
            } else {
                TORN_OFFSETS_SAMPLED
                    .iter()
                    .map(|d| record.offset + d)
                    .chain([record.end - 1])
                    .filter(|&cut| cut < record.end)
                    .collect()
            };
            for cut in cuts {
                sweep.check_tail_cut(index, cut, Fill::Zeros);
                if cut % TORN_GARBAGE_EVERY_BYTES == 0 || cut < record.offset + 17 {
                    sweep.check_tail_cut(index, cut, Fill::Garbage(cut as u64));
                }
            }
        }
    }
    eprintln!(
        "torn writes: {} crashed copies recovered and checked in {} ms",
        sweep.checked,
        started.elapsed().as_millis()
    );
}

#[test]
fn a_cut_in_a_segment_before_the_last_refuses_to_start_naming_the_file_and_offset() {
    let fixture = fixture();
    let files = &fixture.files;
    let mut sweep = fixture.sweep("midlog", Snapshots::None);
    for (index, segment) in files.segments.iter().enumerate() {
        if index + 1 == files.segments.len() {
            continue;
        }
        let last = segment.records.last().expect("a segment holds records");
        let middle = segment.records[segment.records.len() / 2];
        let cuts = [
            segment.records[0].offset,
            middle.offset,
            middle.offset + 7,
            last.offset,
            last.end - 1,
        ];
        for cut in cuts {
            sweep.check_mid_log_cut(index, cut, Fill::Zeros);
            sweep.check_mid_log_cut(index, cut, Fill::Garbage(cut as u64 + 7));
        }
    }
    eprintln!("mid-log cuts: {} refusals checked", sweep.checked);
}

/// The ways a snapshot file is damaged here.
fn damaged_snapshots(bytes: &[u8]) -> Vec<(String, Vec<u8>)> {
    let len = bytes.len();
    let mut damaged = Vec::new();
    for cut in [0, 1, 40, 63, 64, len / 2, len - 80, len - 1] {
        damaged.push((format!("truncated to {cut} bytes"), bytes[..cut].to_vec()));
    }
    // Header magic and zxid, the first node, the middle, footer digest, file crc.
    for at in [0, 17, 64, len / 2, len - 40, len - 1] {
        let mut flipped = bytes.to_vec();
        flipped[at] ^= 0x04;
        damaged.push((format!("bit 2 of byte {at} flipped"), flipped));
    }
    damaged
}

#[test]
fn a_truncated_or_bit_flipped_newest_snapshot_falls_back_to_the_older_one_and_the_same_state() {
    let fixture = fixture();
    let snapshots = &fixture.files.snapshots;
    let newest = &snapshots[snapshots.len() - 1];
    let older = &snapshots[snapshots.len() - 2];
    let last = last_zxid(fixture);
    let scratch = Scratch::new("snap");
    for (how, bytes) in damaged_snapshots(&newest.bytes) {
        let context = format!("{} {how}", newest.name);
        let replace = BTreeMap::from([(newest.name.clone(), Some(bytes))]);
        let recovered = recover_copy(&scratch, &copy_with(fixture, &replace))
            .unwrap_or_else(|e| panic!("{context}: recovery refused: {e}"));
        let summary = &recovered.summary;
        assert_eq!(
            summary.snapshot.as_ref().map(|(_, z)| *z),
            Some(older.zxid),
            "{context}: the older snapshot is loaded"
        );
        assert!(
            summary.skipped_snapshots.len() == 1
                && summary.skipped_snapshots[0].contains(&newest.name),
            "{context}: the damaged one is reported: {:?}",
            summary.skipped_snapshots
        );
        assert_eq!(
            summary.txns_replayed,
            fixture.files.records_between(older.zxid, last),
            "{context}: the log is replayed from the older snapshot"
        );
        assert_state(&context, fixture, &recovered, last);
    }
    // Both newest damaged: the third newest serves.
    let third = &snapshots[snapshots.len() - 3];
    let replace = BTreeMap::from([
        (newest.name.clone(), Some(newest.bytes[..100].to_vec())),
        (
            older.name.clone(),
            Some(crashed_bytes(&older.bytes, 70, Fill::Zeros)),
        ),
    ]);
    let recovered = recover_copy(&scratch, &copy_with(fixture, &replace))
        .expect("two damaged snapshots fall back to a third");
    assert_eq!(
        recovered.summary.snapshot.as_ref().map(|(_, z)| *z),
        Some(third.zxid)
    );
    assert_eq!(recovered.summary.skipped_snapshots.len(), 2);
    assert_state("two newest damaged", fixture, &recovered, last);
}

/// Every snapshot with one bit flipped in its middle.
fn every_snapshot_damaged(fixture: &Fixture) -> BTreeMap<String, Option<Vec<u8>>> {
    fixture
        .files
        .snapshots
        .iter()
        .map(|s| {
            let mut bytes = s.bytes.clone();
            bytes[s.bytes.len() / 2] ^= 0x01;
            (s.name.clone(), Some(bytes))
        })
        .collect()
}

/// Removes the segments a purge keeping the newest snapshot would delete:
/// every one before the segment that holds the txn after its zxid.
fn purge_before_newest_snapshot(
    fixture: &Fixture,
    replace: &mut BTreeMap<String, Option<Vec<u8>>>,
) -> String {
    let files = &fixture.files;
    let newest = files.snapshots.last().expect("a snapshot");
    let keep_from = files
        .segments
        .iter()
        .rposition(|s| s.records[0].zxid <= newest.zxid + 1)
        .expect("a segment holds the txn after the snapshot");
    assert!(
        keep_from > 0,
        "the newest snapshot lies past the first segment"
    );
    for segment in &files.segments[..keep_from] {
        replace.insert(segment.name.clone(), None);
    }
    files.segments[keep_from].name.clone()
}

#[test]
fn with_every_snapshot_damaged_the_whole_log_recovers_alone_and_a_purged_one_is_refused() {
    let fixture = fixture();
    let scratch = Scratch::new("nosnap");
    let mut replace = every_snapshot_damaged(fixture);
    // The log still starts at zxid 1: replaying it all is the whole state.
    let recovered = recover_copy(&scratch, &copy_with(fixture, &replace))
        .expect("every snapshot damaged, the whole log recovers");
    assert_eq!(recovered.summary.snapshot, None);
    assert_eq!(
        recovered.summary.skipped_snapshots.len(),
        fixture.files.snapshots.len()
    );
    assert_eq!(
        recovered.summary.txns_replayed,
        fixture.files.zxids().count() as u64
    );
    assert_state(
        "no snapshot, whole log",
        fixture,
        &recovered,
        last_zxid(fixture),
    );

    // Purged up to the newest snapshot: the log starts after zxid 0 and
    // nothing can stand for the txns before it. Refused, as ZooKeeper's
    // FileTxnSnapLog refuses a log without a snapshot.
    let first_kept = purge_before_newest_snapshot(fixture, &mut replace);
    let refused = recover_copy(&scratch, &copy_with(fixture, &replace));
    let error = match refused {
        Ok(recovered) => panic!(
            "a purged log without a valid snapshot was accepted: last zxid {:#x}, {} txns replayed",
            recovered.summary.last_zxid, recovered.summary.txns_replayed
        ),
        Err(error) => error,
    };
    assert!(
        error.contains(&first_kept) && error.contains("missing"),
        "the refusal names the first segment and the missing txns: {error}"
    );
    eprintln!("purged log, no valid snapshot: {error}");
}

/// Starts the real binary on `files` (its dataDir replaced by them).
fn start_on(files: &[(String, Vec<u8>)]) -> (TestServer, std::io::Result<()>) {
    let mut server =
        TestServer::start(ServerKind::Ringkeeper, &server_options()).expect("ringkeeper starts");
    server.kill();
    let data_dir = server.data_dir();
    std::fs::remove_dir_all(&data_dir).expect("clear dataDir");
    std::fs::create_dir_all(&data_dir).expect("dataDir");
    for (name, bytes) in files {
        std::fs::write(data_dir.join(name), bytes).expect("copy a file");
    }
    let restarted = server.restart();
    (server, restarted)
}

/// Reads every node of `expected` back through a client, and the children
/// of the workload's root.
fn assert_served(context: &str, server: &TestServer, expected: &TreeDump) {
    let mut client = Client::connect_new(server.addr()).expect("a session opens");
    for (path, node) in expected {
        let (data, stat) = client
            .get_data(path, false)
            .unwrap_or_else(|e| panic!("{context}: {path}: {e}"));
        assert_eq!(data, node.data, "{context}: {path}");
        assert_eq!(
            (stat.czxid, stat.mzxid, stat.version, stat.ephemeral_owner),
            (node.czxid, node.mzxid, node.version, node.ephemeral_owner),
            "{context}: {path}"
        );
    }
    let mut children = client
        .get_children(WORKLOAD_ROOT, false)
        .expect("the workload's root");
    children.sort();
    let prefix = format!("{WORKLOAD_ROOT}/");
    let wanted: Vec<String> = expected
        .keys()
        .filter_map(|path| path.strip_prefix(&prefix).map(str::to_string))
        .collect();
    assert_eq!(children, wanted, "{context}: children of {WORKLOAD_ROOT}");
}

#[test]
fn the_real_binary_restarts_on_damaged_copies_and_serves_what_recovery_kept() {
    let fixture = fixture();
    let files = &fixture.files;
    let tail = files.segments.last().expect("a segment");
    let torn = tail.records[tail.records.len() - 1];

    // A torn last record, random bytes after it: cut; the record before it is the last.
    let cut = torn.offset + (torn.end - torn.offset) / 2;
    let replace = BTreeMap::from([(
        tail.name.clone(),
        Some(crashed_bytes(&tail.bytes, cut, Fill::Garbage(4))),
    )]);
    let (server, started) = start_on(&copy_with(fixture, &replace));
    started.expect("a torn tail is cut and the server starts");
    let before_torn = files
        .zxids()
        .take_while(|&z| z < torn.zxid)
        .last()
        .expect("a record before the torn one");
    assert_served("torn tail", &server, &expected_tree(fixture, before_torn));
    drop(server);

    // The newest snapshot truncated: the older one and the log serve everything.
    let newest = files.snapshots.last().expect("a snapshot");
    let replace = BTreeMap::from([(newest.name.clone(), Some(newest.bytes[..200].to_vec()))]);
    let (server, started) = start_on(&copy_with(fixture, &replace));
    started.expect("a damaged newest snapshot is passed over");
    assert!(
        server.log_tail(40).contains(&newest.name),
        "the start-up log names the snapshot passed over:\n{}",
        server.log_tail(40)
    );
    assert_served(
        "newest snapshot truncated",
        &server,
        &expected_tree(fixture, last_zxid(fixture)),
    );
    drop(server);

    // A cut in the first segment, later ones whole: the server refuses to
    // start and says where.
    let first = &files.segments[0];
    let middle = first.records[first.records.len() / 2];
    let replace = BTreeMap::from([(
        first.name.clone(),
        Some(crashed_bytes(&first.bytes, middle.offset + 3, Fill::Zeros)),
    )]);
    let (_server, started) = start_on(&copy_with(fixture, &replace));
    let error = started
        .expect_err("damage before the tail is refused")
        .to_string();
    let named = format!("{} at offset {}", first.name, middle.offset);
    assert!(
        error.contains("refusing to start") && error.contains(&named),
        "the refusal names `{named}`: {error}"
    );

    // Every snapshot damaged and the log purged up to the newest: refused,
    // naming the first segment kept and the damaged snapshots.
    let mut replace = every_snapshot_damaged(fixture);
    let first_kept = purge_before_newest_snapshot(fixture, &mut replace);
    let (_server, started) = start_on(&copy_with(fixture, &replace));
    let error = started
        .expect_err("a purged log without a snapshot is refused")
        .to_string();
    assert!(
        error.contains(&first_kept)
            && error.contains("txns are missing")
            && error.contains("snapshots passed over")
            && error.contains(&newest.name),
        "the refusal names the first segment and the snapshots passed over: {error}"
    );
}
