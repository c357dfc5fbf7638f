//! Recovery: scan every segment of dataLogDir, classify each into a
//! [`TailCase`], and apply the one decision the [`crate::DECISION_TABLE`]
//! gives it: continue, cut a torn tail, remove a file that holds no
//! record, or refuse to start with a message naming the file and offset.
//!
//! Nothing is changed on disk when any segment is refused: the operator
//! finds the files as the crash left them (`ringkeeper dump-log` shows
//! them). Fixes happen in this order: zero each cut tail and fdatasync it,
//! remove leftover and empty files, fsync the directory.
//!
//! Why no acknowledged record is dropped: a record is acknowledged only
//! after the fdatasync of its batch returned, and the writer starts a batch
//! (or a new segment) only after the previous one's fdatasync returned. So
//! at a crash only the last batch of the last segment can be incomplete,
//! and it was not acknowledged. A cut happens only in the last segment and
//! only when no valid record follows the bad frame; a bad frame anywhere
//! else, or with a valid record after it, is refused.

use std::fmt;
use std::io;
use std::path::{Path, PathBuf};

use crate::format::{zxid_follows, SEGMENT_HEADER_BYTES};
use crate::group_commit::LogTail;
use crate::segment_name::{is_temp_file_name, parse_segment_file_name};
use crate::segment_scan::{scan_segment, FrameProblem, ScanStop, SegmentScan};
use crate::storage::Storage;
use crate::tail_case::{Decision, TailCase};

/// One case found, and what recovery did or would do.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Verdict {
    pub file: PathBuf,
    pub case: TailCase,
    /// Offset the case is about (the bad frame, the end of the records).
    pub offset: u64,
    pub decision: Decision,
    pub detail: String,
}

impl fmt::Display for Verdict {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(
            f,
            "{} at offset {}: {} -> {} ({})",
            self.file.display(),
            self.offset,
            self.case,
            self.decision,
            self.detail
        )
    }
}

/// Every verdict of a recovery, in file order.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct RecoveryReport {
    pub verdicts: Vec<Verdict>,
}

impl RecoveryReport {
    /// The cases found, in order.
    pub fn cases(&self) -> Vec<TailCase> {
        self.verdicts.iter().map(|verdict| verdict.case).collect()
    }
}

/// A segment that recovery kept.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct RecoveredSegment {
    pub path: PathBuf,
    pub first_zxid: i64,
    pub records: u64,
    pub last_zxid: Option<i64>,
    /// Where its records end (after any cut).
    pub end_offset: u64,
    pub file_bytes: u64,
}

/// The log as recovery left it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct RecoveredLog {
    pub dir: PathBuf,
    pub segments: Vec<RecoveredSegment>,
    /// The last record's zxid, if any record survived.
    pub last_zxid: Option<i64>,
    /// Where the writer continues (None: the next record starts a segment).
    pub tail: Option<LogTail>,
    pub report: RecoveryReport,
}

/// Why recovery did not produce a log.
#[derive(Debug)]
pub enum RecoveryError {
    /// A segment is damaged beyond a torn tail.
    Refused(Verdict),
    /// Listing, reading or fixing a file failed.
    Io { path: PathBuf, error: io::Error },
}

impl fmt::Display for RecoveryError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            RecoveryError::Refused(verdict) => write!(
                f,
                "refusing to start: txn log {} at offset {}: {} ({}); {}",
                verdict.file.display(),
                verdict.offset,
                verdict.case,
                verdict.detail,
                verdict.case.reason()
            ),
            RecoveryError::Io { path, error } => {
                write!(f, "txn log recovery failed on {}: {error}", path.display())
            }
        }
    }
}

impl std::error::Error for RecoveryError {}

fn io_error(path: &Path) -> impl FnOnce(io::Error) -> RecoveryError + '_ {
    move |error| RecoveryError::Io {
        path: path.to_path_buf(),
        error,
    }
}

/// Reads a whole file through the seam.
pub(crate) fn read_file<S: Storage>(storage: &S, path: &Path) -> Result<Vec<u8>, RecoveryError> {
    let file = storage.open_read(path).map_err(io_error(path))?;
    let len = storage.file_len(&file).map_err(io_error(path))?;
    let mut bytes = vec![0u8; usize::try_from(len).unwrap_or(usize::MAX)];
    storage
        .read_exact_at(&file, 0, &mut bytes)
        .map_err(io_error(path))?;
    Ok(bytes)
}

/// Segment files (first zxid, path) sorted by first zxid, and leftover
/// temporary files.
pub(crate) type SegmentListing = (Vec<(i64, PathBuf)>, Vec<PathBuf>);

/// Segment files of `dir` sorted by first zxid, and leftover temp files.
pub(crate) fn segment_files<S: Storage>(
    storage: &S,
    dir: &Path,
) -> Result<SegmentListing, RecoveryError> {
    let mut segments = Vec::new();
    let mut temps = Vec::new();
    for name in storage.list_dir(dir).map_err(io_error(dir))? {
        if let Some(first_zxid) = parse_segment_file_name(&name) {
            segments.push((first_zxid, dir.join(name)));
        } else if is_temp_file_name(&name) {
            temps.push(dir.join(name));
        }
    }
    segments.sort();
    temps.sort();
    Ok((segments, temps))
}

struct Scanned {
    path: PathBuf,
    name_zxid: i64,
    scan: SegmentScan,
}

/// Recovers the log in `dir` (created if missing): classifies every
/// segment, refuses or fixes, and returns where the writer continues.
pub fn recover<S: Storage>(storage: &S, dir: &Path) -> Result<RecoveredLog, RecoveryError> {
    storage.create_dir_all(dir).map_err(io_error(dir))?;
    let (segments, temps) = segment_files(storage, dir)?;
    let mut scanned = Vec::with_capacity(segments.len());
    for (name_zxid, path) in segments {
        let bytes = read_file(storage, &path)?;
        scanned.push(Scanned {
            path,
            name_zxid,
            scan: scan_segment(&bytes),
        });
    }
    let mut verdicts: Vec<Verdict> = temps
        .iter()
        .map(|path| verdict(path, TailCase::LeftoverTempFile, 0, "removed".into()))
        .collect();
    if scanned.is_empty() {
        verdicts.push(verdict(dir, TailCase::NoSegments, 0, "a new log".into()));
    }
    let mut prev_last_zxid: Option<i64> = None;
    for (index, segment) in scanned.iter().enumerate() {
        let later_has_records = scanned[index + 1..]
            .iter()
            .any(|later| later.scan.records > 0);
        let is_last = index + 1 == scanned.len();
        let found = classify(segment, is_last, later_has_records, prev_last_zxid);
        if let Some(last) = segment.scan.last_zxid {
            prev_last_zxid = Some(last);
        }
        verdicts.push(found);
    }
    let report = RecoveryReport { verdicts };
    if let Some(refused) = report
        .verdicts
        .iter()
        .find(|verdict| verdict.decision == Decision::Refuse)
    {
        return Err(RecoveryError::Refused(refused.clone()));
    }
    apply(storage, dir, &scanned, &report)?;
    let kept: Vec<RecoveredSegment> = scanned
        .iter()
        .zip(report.verdicts.iter().skip(temps.len()))
        .filter(|(_, verdict)| verdict.decision != Decision::RemoveFile)
        .map(|(segment, verdict)| RecoveredSegment {
            path: segment.path.clone(),
            first_zxid: segment.name_zxid,
            records: segment.scan.records,
            last_zxid: segment.scan.last_zxid,
            end_offset: if verdict.decision == Decision::CutTail {
                verdict.offset
            } else {
                segment.scan.end_offset
            },
            file_bytes: segment.scan.file_bytes,
        })
        .collect();
    let last_zxid = kept.iter().rev().find_map(|segment| segment.last_zxid);
    let tail = match kept.last() {
        Some(segment) => Some(log_tail(storage, segment, last_zxid)?),
        None => None,
    };
    Ok(RecoveredLog {
        dir: dir.to_path_buf(),
        segments: kept,
        last_zxid,
        tail,
        report,
    })
}

fn verdict(path: &Path, case: TailCase, offset: u64, detail: String) -> Verdict {
    Verdict {
        file: path.to_path_buf(),
        case,
        offset,
        decision: case.decision(),
        detail,
    }
}

/// The one case a segment is in.
fn classify(
    segment: &Scanned,
    is_last: bool,
    later_has_records: bool,
    prev_last_zxid: Option<i64>,
) -> Verdict {
    let scan = &segment.scan;
    let path = &segment.path;
    let header = match (scan.header, scan.stop) {
        (Some(header), _) => header,
        (None, ScanStop::BadHeader(error)) => {
            return verdict(path, TailCase::SegmentHeaderCorrupt, 0, error.to_string())
        }
        (None, _) => return verdict(path, TailCase::SegmentHeaderCorrupt, 0, String::new()),
    };
    if header.first_zxid != segment.name_zxid {
        let detail = format!(
            "the header says first zxid {:#x}, the name {:#x}",
            header.first_zxid, segment.name_zxid
        );
        return verdict(path, TailCase::FirstZxidMismatch, 0, detail);
    }
    let empty = scan.records == 0;
    // Only a header, or a torn first record with nothing valid after it.
    let nothing_valid = matches!(
        scan.stop,
        ScanStop::ZeroPadding
            | ScanStop::EndOfFile
            | ScanStop::BadFrame {
                next_valid: None,
                ..
            }
    );
    if empty && is_last && nothing_valid {
        let detail = match scan.stop {
            ScanStop::BadFrame { problem, .. } => format!("only a torn first record: {problem}"),
            _ => "header only".to_string(),
        };
        return verdict(
            path,
            TailCase::EmptyLastSegment,
            SEGMENT_HEADER_BYTES as u64,
            detail,
        );
    }
    if let Some(prev) = prev_last_zxid {
        if !zxid_follows(prev, header.first_zxid) {
            let case = if header.first_zxid <= prev {
                TailCase::ZxidNotIncreasing
            } else {
                TailCase::ZxidGap
            };
            let detail = format!(
                "segment starts at zxid {:#x}, the previous one ends at {prev:#x}",
                header.first_zxid
            );
            return verdict(path, case, 0, detail);
        }
    }
    match scan.stop {
        ScanStop::BadHeader(error) => {
            verdict(path, TailCase::SegmentHeaderCorrupt, 0, error.to_string())
        }
        // An empty last segment returned above: this one has segments after it.
        ScanStop::EndOfFile | ScanStop::ZeroPadding if empty => verdict(
            path,
            TailCase::EmptySegmentMidLog,
            scan.end_offset,
            "no record".into(),
        ),
        ScanStop::EndOfFile => verdict(path, TailCase::CleanEnd, scan.end_offset, ok_detail(scan)),
        ScanStop::ZeroPadding => verdict(
            path,
            TailCase::ZeroPadding,
            scan.end_offset,
            ok_detail(scan),
        ),
        ScanStop::FirstZxidMismatch {
            offset,
            header_zxid,
            zxid,
        } => verdict(
            path,
            TailCase::FirstZxidMismatch,
            offset,
            format!("the header says first zxid {header_zxid:#x}, the first record has {zxid:#x}"),
        ),
        ScanStop::ZxidBreak {
            offset,
            prev_zxid,
            zxid,
        } => {
            let case = if zxid <= prev_zxid {
                TailCase::ZxidNotIncreasing
            } else {
                TailCase::ZxidGap
            };
            let detail = format!("record zxid {zxid:#x} after {prev_zxid:#x}");
            verdict(path, case, offset, detail)
        }
        ScanStop::BadFrame {
            offset,
            problem,
            next_valid,
            nonzero_end,
        } => {
            let checksum = matches!(problem, FrameProblem::BadChecksum { .. });
            let mid_log = !is_last || later_has_records || next_valid.is_some();
            let case = match (mid_log, checksum) {
                (true, true) => TailCase::ChecksumFailureMidLog,
                (true, false) => TailCase::BadFrameMidLog,
                (false, true) => TailCase::ChecksumFailureInLastRecord,
                (false, false) => TailCase::TornLastRecord,
            };
            let mut detail = format!("{problem} after {} valid records", scan.records);
            if let Some(next) = next_valid {
                detail.push_str(&format!(
                    "; a valid record (zxid {:#x}) follows at offset {}",
                    next.zxid, next.offset
                ));
            } else if !is_last {
                detail.push_str("; later segments follow");
            }
            let mut found = verdict(path, case, offset, detail);
            if found.decision == Decision::CutTail {
                found
                    .detail
                    .push_str(&format!("; zeroing bytes {offset}..{nonzero_end}"));
            }
            found
        }
    }
}

fn ok_detail(scan: &SegmentScan) -> String {
    match (scan.first_record_zxid, scan.last_zxid) {
        (Some(first), Some(last)) => {
            format!("{} records, zxid {first:#x} ..= {last:#x}", scan.records)
        }
        _ => "no record".to_string(),
    }
}

/// Performs the fixes of an accepted report.
fn apply<S: Storage>(
    storage: &S,
    dir: &Path,
    scanned: &[Scanned],
    report: &RecoveryReport,
) -> Result<(), RecoveryError> {
    let mut removed = false;
    for verdict in &report.verdicts {
        match verdict.decision {
            Decision::Ok | Decision::Refuse => {}
            Decision::CutTail => {
                let segment = scanned
                    .iter()
                    .find(|segment| segment.path == verdict.file)
                    .ok_or_else(|| RecoveryError::Io {
                        path: verdict.file.clone(),
                        error: io::Error::other("cut of a segment that was not scanned"),
                    })?;
                let ScanStop::BadFrame { nonzero_end, .. } = segment.scan.stop else {
                    continue;
                };
                cut_tail(storage, &verdict.file, verdict.offset, nonzero_end)?;
            }
            Decision::RemoveFile => {
                storage
                    .remove(&verdict.file)
                    .map_err(io_error(&verdict.file))?;
                removed = true;
            }
        }
    }
    if removed {
        storage.sync_dir(dir).map_err(io_error(dir))?;
    }
    Ok(())
}

/// Zeroes `[offset, nonzero_end)` of `path` and fdatasyncs it, writing
/// whole aligned blocks when the storage needs them (the bytes before
/// `offset` in the first block are read and written back unchanged).
fn cut_tail<S: Storage>(
    storage: &S,
    path: &Path,
    offset: u64,
    nonzero_end: u64,
) -> Result<(), RecoveryError> {
    let alignment = storage.write_alignment_bytes().max(1) as u64;
    let start = offset - offset % alignment;
    let end = nonzero_end.div_ceil(alignment) * alignment;
    let mut block = crate::aligned_buf::AlignedBuf::with_capacity((end - start) as usize);
    let mut keep = vec![0u8; (offset - start) as usize];
    // Read through a buffered handle: an O_DIRECT one needs aligned reads.
    let reader = storage.open_read(path).map_err(io_error(path))?;
    storage
        .read_exact_at(&reader, start, &mut keep)
        .map_err(io_error(path))?;
    let file = storage.open_write(path).map_err(io_error(path))?;
    block.extend_from_slice(&keep);
    block.extend_zeros((end - offset) as usize);
    storage
        .pwrite(&file, start, block.as_slice())
        .map_err(io_error(path))?;
    storage.fdatasync(&file).map_err(io_error(path))
}

fn log_tail<S: Storage>(
    storage: &S,
    segment: &RecoveredSegment,
    last_zxid: Option<i64>,
) -> Result<LogTail, RecoveryError> {
    let alignment = storage.write_alignment_bytes().max(1) as u64;
    let block_start = segment.end_offset - segment.end_offset % alignment;
    let mut tail_block = vec![0u8; (segment.end_offset - block_start) as usize];
    if !tail_block.is_empty() {
        let file = storage
            .open_read(&segment.path)
            .map_err(io_error(&segment.path))?;
        storage
            .read_exact_at(&file, block_start, &mut tail_block)
            .map_err(io_error(&segment.path))?;
    }
    Ok(LogTail {
        segment_first_zxid: segment.first_zxid,
        end_offset: segment.end_offset,
        segment_bytes: segment.file_bytes,
        // A kept segment has records (empty ones are removed), so the log
        // has a last zxid; the header's zxid - 1 is the fallback.
        last_zxid: last_zxid.unwrap_or(segment.first_zxid - 1),
        tail_block,
    })
}
