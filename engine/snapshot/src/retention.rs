//! Which snapshot files autopurge (`autopurge.snapRetainCount`) and
//! `ringkeeper purge -n N` may delete, by ZooKeeper's rule
//! (`PurgeTxnLog.purge`): keep the newest N *valid* snapshots; delete
//! every snapshot and temp file named below the oldest one kept. Newer
//! files, valid or not, are left alone (a newer temp file may be a
//! snapshot being written right now).
//!
//! The txn log keeps what the oldest retained snapshot needs: every
//! segment that starts after [`PurgePlan::least_retained_zxid`], plus the
//! one that starts at or just before it (its fuzzy replay may begin
//! there). That rule is the txn log's to apply, given this zxid.

use std::fmt;
use std::io;
use std::path::{Path, PathBuf};

use crate::format::{parse_snapshot_name, SnapshotName};
use crate::fs::SnapshotFs;
use crate::loader::SnapshotFile;
use crate::reader::SnapshotReader;

/// ZooKeeper refuses to keep fewer snapshots than this (`PurgeTxnLog`
/// throws; the config resets smaller values to it).
pub const SNAP_RETAIN_COUNT_MIN: usize = 3;

/// What a purge keeps and deletes.
#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub struct PurgePlan {
    /// The newest valid snapshots kept, newest first.
    pub retained: Vec<SnapshotFile>,
    /// The zxid of the oldest retained snapshot; None when there is no
    /// valid snapshot (then nothing is deleted).
    pub least_retained_zxid: Option<i64>,
    /// Snapshot and temp files named below it.
    pub delete: Vec<PathBuf>,
}

#[derive(Debug)]
pub enum PurgeError {
    /// `snap_retain_count` below [`SNAP_RETAIN_COUNT_MIN`].
    RetainCountTooSmall(usize),
    Io(io::Error),
}

impl fmt::Display for PurgeError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            PurgeError::RetainCountTooSmall(count) => write!(
                f,
                "snapRetainCount {count}: must be at least {SNAP_RETAIN_COUNT_MIN} (SNAP_RETAIN_COUNT_MIN)"
            ),
            PurgeError::Io(error) => error.fmt(f),
        }
    }
}

impl std::error::Error for PurgeError {}

/// Decide what to delete in `dir`, keeping `snap_retain_count` valid
/// snapshots. Validity is the full check of [`SnapshotReader::open`]
/// (header, footer, whole-file CRC), not a load.
pub fn plan_purge<S: SnapshotFs>(
    fs: &S,
    dir: &Path,
    snap_retain_count: usize,
) -> Result<PurgePlan, PurgeError> {
    if snap_retain_count < SNAP_RETAIN_COUNT_MIN {
        return Err(PurgeError::RetainCountTooSmall(snap_retain_count));
    }
    let names = fs.list_dir(dir).map_err(PurgeError::Io)?;
    let mut snapshots = Vec::new();
    let mut temps = Vec::new();
    for name in names {
        match parse_snapshot_name(&name) {
            Some(SnapshotName::Snapshot(zxid)) => snapshots.push(SnapshotFile {
                zxid,
                path: dir.join(name),
            }),
            Some(SnapshotName::Temp(zxid)) => temps.push((zxid, dir.join(name))),
            None => {}
        }
    }
    snapshots.sort_unstable_by_key(|file| std::cmp::Reverse(file.zxid));
    let mut retained = Vec::new();
    for file in &snapshots {
        if retained.len() == snap_retain_count {
            break;
        }
        let valid = fs
            .read_map(&file.path)
            .is_ok_and(|bytes| SnapshotReader::open(&bytes).is_ok());
        if valid {
            retained.push(file.clone());
        }
    }
    let Some(least) = retained.last().map(|file| file.zxid) else {
        return Ok(PurgePlan::default());
    };
    let mut delete: Vec<PathBuf> = snapshots
        .into_iter()
        .filter(|file| file.zxid < least)
        .map(|file| file.path)
        .chain(
            temps
                .into_iter()
                .filter(|(zxid, _)| *zxid < least)
                .map(|(_, path)| path),
        )
        .collect();
    delete.sort();
    Ok(PurgePlan {
        retained,
        least_retained_zxid: Some(least),
        delete,
    })
}

/// Carry out a plan: remove its files. Returns the files that could not be
/// removed, with the error (a purge goes on past one failure, as
/// ZooKeeper's does).
pub fn execute_purge<S: SnapshotFs>(fs: &S, plan: &PurgePlan) -> Vec<(PathBuf, io::Error)> {
    plan.delete
        .iter()
        .filter_map(|path| fs.remove(path).err().map(|error| (path.clone(), error)))
        .collect()
}
