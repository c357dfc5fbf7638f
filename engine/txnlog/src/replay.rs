//! Replay: every record after a zxid, in zxid order, each checked again
//! (header, checksum, zxid order) as it is read. Run it after
//! [`crate::recover`], which has already cut torn tails; anything invalid
//! here is an error, never skipped.

use std::fmt;
use std::path::{Path, PathBuf};

use crate::format::{
    read_frame, record_frame_bytes, zxid_follows, Frame, SegmentHeader, SEGMENT_HEADER_BYTES,
};
use crate::recovery::{read_file, segment_files, RecoveryError};
use crate::segment_scan::all_zero;
use crate::storage::Storage;

/// Why a replay stopped.
#[derive(Debug)]
pub enum ReplayError<E> {
    /// Listing or reading a segment failed.
    Io(RecoveryError),
    /// A segment is not what recovery left (run [`crate::recover`] first).
    Corrupt {
        file: PathBuf,
        offset: u64,
        detail: String,
    },
    /// The first record after `after_zxid` does not follow it: txns between
    /// the snapshot and the log are missing.
    Gap {
        file: PathBuf,
        after_zxid: i64,
        zxid: i64,
    },
    /// The callback refused a record.
    Apply { zxid: i64, error: E },
}

impl<E: fmt::Display> fmt::Display for ReplayError<E> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            ReplayError::Io(error) => write!(f, "{error}"),
            ReplayError::Corrupt {
                file,
                offset,
                detail,
            } => write!(f, "txn log {} at offset {offset}: {detail}", file.display()),
            ReplayError::Gap {
                file,
                after_zxid,
                zxid,
            } => write!(
                f,
                "txn log {}: the first txn after zxid {after_zxid:#x} is {zxid:#x}: txns are missing",
                file.display()
            ),
            ReplayError::Apply { zxid, error } => write!(f, "replaying zxid {zxid:#x}: {error}"),
        }
    }
}

impl<E: fmt::Debug + fmt::Display> std::error::Error for ReplayError<E> {}

/// Calls `apply(zxid, payload)` for every record with a zxid above
/// `after_zxid` (every record when None), in order, and returns the last
/// zxid replayed. Segments wholly at or below `after_zxid` are not read.
pub fn for_each_record<S, E, F>(
    storage: &S,
    dir: &Path,
    after_zxid: Option<i64>,
    mut apply: F,
) -> Result<Option<i64>, ReplayError<E>>
where
    S: Storage,
    F: FnMut(i64, &[u8]) -> Result<(), E>,
{
    let (segments, _) = segment_files(storage, dir).map_err(ReplayError::Io)?;
    let mut last_zxid: Option<i64> = None;
    let mut replayed_any = false;
    for (index, (name_zxid, path)) in segments.iter().enumerate() {
        if let (Some(after), Some((next_first, _))) = (after_zxid, segments.get(index + 1)) {
            // Every zxid of this segment is below the next one's first.
            if *next_first <= after.saturating_add(1) {
                continue;
            }
        }
        let bytes = read_file(storage, path).map_err(ReplayError::Io)?;
        let corrupt = |offset: u64, detail: String| ReplayError::Corrupt {
            file: path.clone(),
            offset,
            detail,
        };
        let header =
            SegmentHeader::decode(&bytes).map_err(|error| corrupt(0, error.to_string()))?;
        if header.first_zxid != *name_zxid {
            return Err(corrupt(
                0,
                "header and name disagree on the first zxid".into(),
            ));
        }
        let mut offset = SEGMENT_HEADER_BYTES;
        loop {
            match read_frame(&bytes, offset) {
                Frame::Record { zxid, payload } => {
                    if let Some(prev) = last_zxid {
                        if !zxid_follows(prev, zxid) {
                            return Err(corrupt(
                                offset as u64,
                                format!("zxid {zxid:#x} does not follow {prev:#x}"),
                            ));
                        }
                    }
                    let wanted = after_zxid.is_none_or(|after| zxid > after);
                    if wanted {
                        if let (Some(after), false) = (after_zxid, replayed_any) {
                            if !zxid_follows(after, zxid) {
                                return Err(ReplayError::Gap {
                                    file: path.clone(),
                                    after_zxid: after,
                                    zxid,
                                });
                            }
                        }
                        apply(zxid, payload).map_err(|error| ReplayError::Apply { zxid, error })?;
                        replayed_any = true;
                    }
                    last_zxid = Some(zxid);
                    offset += record_frame_bytes(payload.len());
                }
                Frame::ShortHeader { .. } | Frame::ZeroLength if all_zero(&bytes[offset..]) => {
                    break
                }
                other => {
                    return Err(corrupt(
                        offset as u64,
                        format!("not a record ({other:?}): run recovery first"),
                    ))
                }
            }
        }
    }
    Ok(last_zxid.filter(|_| replayed_any))
}
