//! One crashed copy per cut point, recovered and checked against what the
//! cut leaves: the last whole record before the cut is the last zxid,
//! every record up to it is replayed and none after it, the tree is the
//! client's record of acknowledged writes up to it and has the digest of
//! replaying exactly that prefix, and the file is left as the decision
//! table says (cut back to zeros, or removed when nothing whole remains).

use std::collections::{BTreeMap, BTreeSet};

use ringkeeper_txnlog::format::SEGMENT_HEADER_BYTES;
use ringkeeper_txnlog::TailCase;

use super::crash_copy::{crashed_bytes, recover_dir, Fill, RunFiles, Scratch};
use super::model::{dump_tree, first_difference, AckedWrite, ExpectedTree};

/// Which snapshots a crashed copy holds.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Snapshots {
    /// None: recovery replays the whole log from zxid 0.
    None,
    /// Those a crash at the cut could have left: each whose walk ended at
    /// or before the cut's last whole record.
    WrittenBeforeTheCut,
}

/// Where a cut leaves segment `segment`'s records.
struct CutOutcome {
    /// The last whole record's zxid (of an earlier segment when none of
    /// this one is whole; 0 when no record is).
    last_zxid: i64,
    /// Where the whole records end; None when none is (the file goes).
    end: Option<usize>,
}

/// A record is whole when every byte of it is as written: the crash's
/// cut is where the crashed bytes first differ (a random byte may equal
/// the one it replaced).
fn outcome(run: &RunFiles, segment: usize, crashed: &[u8]) -> CutOutcome {
    let original = &run.segments[segment];
    let cut = original
        .bytes
        .iter()
        .zip(crashed)
        .position(|(a, b)| a != b)
        .unwrap_or(crashed.len());
    let whole = original.records.iter().rev().find(|r| r.end <= cut);
    match whole {
        Some(record) => CutOutcome {
            last_zxid: record.zxid,
            end: Some(record.end),
        },
        None => CutOutcome {
            last_zxid: run.last_zxid_before(segment),
            end: None,
        },
    }
}

/// A scratch dir that holds one crashed copy after another.
pub struct Sweep<'a> {
    run: &'a RunFiles,
    digests: &'a BTreeMap<i64, u64>,
    expected: ExpectedTree<'a>,
    scratch: Scratch,
    snapshots: Snapshots,
    /// The segment the dir's other segments are laid out for.
    layout_for: Option<usize>,
    present_snapshots: BTreeSet<usize>,
    /// Crashed copies recovered and checked.
    pub checked: usize,
}

impl<'a> Sweep<'a> {
    pub fn new(
        label: &str,
        run: &'a RunFiles,
        digests: &'a BTreeMap<i64, u64>,
        acked: &'a [AckedWrite],
        snapshots: Snapshots,
    ) -> Self {
        Sweep {
            run,
            digests,
            expected: ExpectedTree::new(acked),
            scratch: Scratch::new(label),
            snapshots,
            layout_for: None,
            present_snapshots: BTreeSet::new(),
            checked: 0,
        }
    }

    /// Lays out the segments before `segment` whole and none after it.
    fn lay_out(&mut self, segment: usize) {
        if self.layout_for == Some(segment) {
            return;
        }
        for (index, s) in self.run.segments.iter().enumerate() {
            if index < segment {
                self.scratch.write(&s.name, &s.bytes);
            } else if index > segment {
                self.scratch.remove(&s.name);
            }
        }
        self.layout_for = Some(segment);
    }

    fn place_snapshots(&mut self, last_zxid: i64) {
        for (index, snapshot) in self.run.snapshots.iter().enumerate() {
            let wanted = self.snapshots == Snapshots::WrittenBeforeTheCut
                && snapshot.digest_zxid <= last_zxid;
            match (wanted, self.present_snapshots.contains(&index)) {
                (true, false) => {
                    self.scratch.write(&snapshot.name, &snapshot.bytes);
                    self.present_snapshots.insert(index);
                }
                (false, true) => {
                    self.scratch.remove(&snapshot.name);
                    self.present_snapshots.remove(&index);
                }
                _ => {}
            }
        }
    }

    /// Segment `segment` is the last one and the crash cut it at `cut`.
    pub fn check_tail_cut(&mut self, segment: usize, cut: usize, fill: Fill) {
        let original = &self.run.segments[segment];
        let crashed = crashed_bytes(&original.bytes, cut, fill);
        self.check_tail_bytes(segment, crashed, &format!("cut at {cut} ({fill:?})"));
    }

    /// Segment `segment` is the last one and holds `crashed`.
    pub fn check_tail_bytes(&mut self, segment: usize, crashed: Vec<u8>, what: &str) {
        let run = self.run;
        let original = &run.segments[segment];
        let expected = outcome(run, segment, &crashed);
        let context = format!("{} {what}", original.name);
        self.lay_out(segment);
        self.place_snapshots(expected.last_zxid);
        self.scratch.write(&original.name, &crashed);

        let recovered = recover_dir(&self.scratch.dir)
            .unwrap_or_else(|e| panic!("{context}: recovery refused: {e}"));
        let summary = &recovered.summary;
        assert_eq!(
            summary.last_zxid, expected.last_zxid,
            "{context}: last zxid"
        );
        assert_eq!(
            recovered.log.last_zxid.unwrap_or(0),
            expected.last_zxid,
            "{context}: the log's last zxid"
        );
        let after = summary.snapshot.as_ref().map_or(0, |(_, zxid)| *zxid);
        assert_eq!(
            summary.txns_replayed,
            run.records_between(after, expected.last_zxid),
            "{context}: txns replayed after the snapshot at {after:#x}"
        );
        assert_eq!(
            Some(&recovered.zk.digest()),
            self.digests.get(&expected.last_zxid),
            "{context}: digest of the prefix through {:#x}",
            expected.last_zxid
        );
        let tree = dump_tree(&recovered.zk);
        let wanted = self.expected.at(expected.last_zxid);
        if let Some(difference) = first_difference(wanted, &tree) {
            panic!("{context}: tree at {:#x}: {difference}", expected.last_zxid);
        }

        let verdict = recovered
            .log
            .report
            .verdicts
            .iter()
            .find(|v| v.file.ends_with(&original.name))
            .unwrap_or_else(|| panic!("{context}: no verdict for the segment"));
        let after_file = std::fs::read(self.scratch.path(&original.name)).ok();
        match expected.end {
            None => {
                assert_eq!(verdict.case, TailCase::EmptyLastSegment, "{context}");
                assert!(
                    after_file.is_none(),
                    "{context}: the empty segment is removed"
                );
            }
            Some(end) => {
                let dirty = crashed[end..].iter().any(|&b| b != 0);
                let cases: &[TailCase] = match (dirty, end == crashed.len()) {
                    (true, _) => &[
                        TailCase::TornLastRecord,
                        TailCase::ChecksumFailureInLastRecord,
                    ],
                    (false, true) => &[TailCase::CleanEnd],
                    (false, false) => &[TailCase::ZeroPadding],
                };
                assert!(
                    cases.contains(&verdict.case),
                    "{context}: {verdict} (expected one of {cases:?})"
                );
                let bytes = after_file.unwrap_or_else(|| panic!("{context}: segment removed"));
                assert_eq!(
                    bytes.len(),
                    crashed.len(),
                    "{context}: the file keeps its length"
                );
                assert_eq!(
                    bytes[..end],
                    original.bytes[..end],
                    "{context}: records kept"
                );
                assert!(
                    bytes[end..].iter().all(|&b| b == 0),
                    "{context}: everything after the last whole record is zero"
                );
            }
        }
        self.checked += 1;
    }

    /// Segment `segment` is cut but segments after it are whole: damage
    /// before the tail, which recovery refuses, naming file and offset.
    pub fn check_mid_log_cut(&mut self, segment: usize, cut: usize, fill: Fill) -> String {
        let run = self.run;
        let original = &run.segments[segment];
        let context = format!(
            "{} cut at {cut} ({fill:?}), segments after it kept",
            original.name
        );
        let crashed = crashed_bytes(&original.bytes, cut, fill);
        let mut files: Vec<(&str, &[u8])> = run
            .segments
            .iter()
            .map(|s| (s.name.as_str(), s.bytes.as_slice()))
            .collect();
        files[segment].1 = &crashed;
        self.scratch.set_files(files.iter().copied());
        self.layout_for = None;
        self.present_snapshots.clear();
        let before = self.scratch.files();

        let error = match recover_dir(&self.scratch.dir) {
            Ok(recovered) => panic!(
                "{context}: recovery accepted it, last zxid {:#x}",
                recovered.summary.last_zxid
            ),
            Err(error) => error,
        };
        let expected = outcome(run, segment, &crashed);
        let end = expected.end.unwrap_or(SEGMENT_HEADER_BYTES);
        let dirty = crashed[end..].iter().any(|&b| b != 0);
        let (file, offset, cases): (&str, usize, &[&str]) = match (dirty, expected.end) {
            (true, _) => (
                &original.name,
                end,
                &["BadFrameMidLog", "ChecksumFailureMidLog"],
            ),
            (false, None) => (&original.name, end, &["EmptySegmentMidLog"]),
            (false, Some(_)) => (&run.segments[segment + 1].name, 0, &["ZxidGap"]),
        };
        let named = format!("{} at offset {offset}: ", self.scratch.path(file).display());
        assert!(
            error.contains(&named) && cases.iter().any(|case| error.contains(case)),
            "{context}: expected a refusal naming `{named}` and one of {cases:?}, got: {error}"
        );
        assert!(
            self.scratch.files() == before,
            "{context}: a refused recovery changes nothing on disk"
        );
        self.checked += 1;
        error
    }
}
