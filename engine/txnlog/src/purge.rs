//! Which segments autopurge (and `ringkeeper purge`) may delete: those
//! whose every txn is at or below the zxid of the oldest snapshot kept.

use std::io;
use std::path::{Path, PathBuf};

use crate::segment_name::parse_segment_file_name;
use crate::storage::Storage;

/// A segment file and the zxid it starts at.
#[derive(Debug, Clone, PartialEq, Eq, PartialOrd, Ord)]
pub struct SegmentFile {
    pub first_zxid: i64,
    pub path: PathBuf,
}

/// The segments of `dir`, oldest first (temporary and foreign files left out).
pub fn list_segments<S: Storage>(storage: &S, dir: &Path) -> io::Result<Vec<SegmentFile>> {
    let mut segments: Vec<SegmentFile> = storage
        .list_dir(dir)?
        .into_iter()
        .filter_map(|name| {
            parse_segment_file_name(&name).map(|first_zxid| SegmentFile {
                first_zxid,
                path: dir.join(name),
            })
        })
        .collect();
    segments.sort();
    Ok(segments)
}

/// The segments that replay from a snapshot at `snapshot_zxid` never
/// reads: each one followed by a segment starting at or below
/// `snapshot_zxid + 1`, so all its zxids are at or below the snapshot's.
/// The last segment is never deletable (the writer appends to it), and
/// neither is the one holding the txns right after the snapshot.
/// `segments` must be sorted by first zxid ([`list_segments`] is).
pub fn deletable_segments(segments: &[SegmentFile], snapshot_zxid: i64) -> Vec<SegmentFile> {
    segments
        .windows(2)
        .take_while(|pair| pair[1].first_zxid <= snapshot_zxid.saturating_add(1))
        .map(|pair| pair[0].clone())
        .collect()
}
