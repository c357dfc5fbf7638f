//! Recovery as a table: every state a segment of the log can be found in,
//! each with one decision. [`DECISION_TABLE`] is the table itself (docs
//! print it; `recovery_table.rs` has one test per row).

use std::fmt;

/// A state of the log, or of one segment of it, found at recovery.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum TailCase {
    /// dataLogDir holds no segment: a new log.
    NoSegments,
    /// The last record ends exactly at the end of the file.
    CleanEnd,
    /// Zero bytes follow the last record up to the end of the file.
    ZeroPadding,
    /// The last segment ends in a frame cut short (partial header, length
    /// past the end, a length over the max, a zero length with bytes
    /// after) and no valid record follows: a write torn by a crash.
    TornLastRecord,
    /// The last segment ends in a whole frame whose checksum fails and no
    /// valid record follows: a torn write whose bytes arrived partly.
    ChecksumFailureInLastRecord,
    /// A checksum failure with a valid record after it (in this segment or
    /// a later one), or in a segment that is not the last: damage to bytes
    /// that were synced.
    ChecksumFailureMidLog,
    /// A frame cut short with a valid record after it, or in a segment that
    /// is not the last.
    BadFrameMidLog,
    /// A record's zxid skips ahead within an epoch (the previous record's
    /// counter + 1 was expected), within a segment or across two.
    ZxidGap,
    /// A record's zxid is not above the previous one.
    ZxidNotIncreasing,
    /// The last segment has a valid header and no record: created, then a
    /// crash before its first batch was durable.
    EmptyLastSegment,
    /// A segment with a valid header and no record, with segments after it.
    EmptySegmentMidLog,
    /// A segment whose header is short, has a bad magic, version or
    /// checksum.
    SegmentHeaderCorrupt,
    /// The file name, the header's first zxid and the first record's zxid
    /// do not agree.
    FirstZxidMismatch,
    /// A `log.<hex>.tmp` file: a segment being created when the process
    /// stopped.
    LeftoverTempFile,
}

/// What recovery does about a case.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum Decision {
    /// Nothing to do: the log continues after the last record.
    Ok,
    /// Zero the bytes from the bad frame to the last non-zero byte (and
    /// fdatasync): the log continues at the bad frame's offset.
    CutTail,
    /// Remove the file (and fsync the directory).
    RemoveFile,
    /// Refuse to start, naming the file and the offset.
    Refuse,
}

/// The decision table: each case, its decision, and why that is safe.
pub const DECISION_TABLE: &[(TailCase, Decision, &str)] = &[
    (TailCase::NoSegments, Decision::Ok, "a new log; the snapshot, if any, is the whole state"),
    (TailCase::CleanEnd, Decision::Ok, "every byte is a valid record"),
    (TailCase::ZeroPadding, Decision::Ok, "the preallocated zeros after the last record"),
    (
        TailCase::TornLastRecord,
        Decision::CutTail,
        "only the last batch can be torn, and it was not acknowledged: its fdatasync had not returned",
    ),
    (
        TailCase::ChecksumFailureInLastRecord,
        Decision::CutTail,
        "a torn last batch whose pages landed in part; nothing after it was ever written",
    ),
    (
        TailCase::ChecksumFailureMidLog,
        Decision::Refuse,
        "records after it prove it was synced: cutting would drop acknowledged records",
    ),
    (
        TailCase::BadFrameMidLog,
        Decision::Refuse,
        "records after it prove it was synced: cutting would drop acknowledged records",
    ),
    (TailCase::ZxidGap, Decision::Refuse, "txns are missing: replay would build a wrong tree"),
    (
        TailCase::ZxidNotIncreasing,
        Decision::Refuse,
        "files of two histories, or a writer bug: replay order is unknown",
    ),
    (
        TailCase::EmptyLastSegment,
        Decision::RemoveFile,
        "no record in it was ever durable, so none was acknowledged; the next zxid may differ",
    ),
    (
        TailCase::EmptySegmentMidLog,
        Decision::Refuse,
        "the writer never leaves one there: its records were lost",
    ),
    (
        TailCase::SegmentHeaderCorrupt,
        Decision::Refuse,
        "segments appear whole by rename after fdatasync, so a bad header is damage",
    ),
    (
        TailCase::FirstZxidMismatch,
        Decision::Refuse,
        "the file is not the segment its name says",
    ),
    (
        TailCase::LeftoverTempFile,
        Decision::RemoveFile,
        "a segment still being zero-filled holds no record",
    ),
];

impl TailCase {
    /// The decision [`DECISION_TABLE`] gives this case.
    pub fn decision(self) -> Decision {
        DECISION_TABLE
            .iter()
            .find(|(case, _, _)| *case == self)
            .map_or(Decision::Refuse, |(_, decision, _)| *decision)
    }

    /// Why that decision is safe.
    pub fn reason(self) -> &'static str {
        DECISION_TABLE
            .iter()
            .find(|(case, _, _)| *case == self)
            .map_or("", |(_, _, reason)| reason)
    }
}

impl fmt::Display for TailCase {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        fmt::Debug::fmt(self, f)
    }
}

impl fmt::Display for Decision {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        fmt::Debug::fmt(self, f)
    }
}
