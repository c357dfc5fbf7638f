//! A whole ZooKeeper data dir: the newest valid snapshot and every txn
//! logged after it, as ZooKeeper's `FileTxnSnapLog.restore` finds them.
//!
//! | state | decision |
//! |---|---|
//! | no `snapshot.*` file | refused ([`ImportErrorKind::NoSnapshot`]), as ZooKeeper refuses logs without a snapshot |
//! | the newest snapshot fails (checksum, magic, version, shape, compressed) | the next older one is tried, the failure noted in `skipped`; at most [`SNAPSHOT_CANDIDATES_MAX`] are tried |
//! | every candidate fails | refused ([`ImportErrorKind::NoValidSnapshot`]), each failure named |
//! | log files | the one holding the snapshot's zxid (the newest starting at or before it) and all later ones, oldest first, as `FileTxnLog.getLogFiles` picks them |
//! | a log ends in a torn record | cut there (noted in `skipped`); the next file must continue the zxids |
//! | after the snapshot, a zxid gap or a zxid not increasing (within a file, across files, or from the snapshot to its first txn) | refused, naming the file and offset |
//! | a zxid gap among txns up to the snapshot's zxid | passed over: the snapshot holds their effects |
//! | the snapshot's digest zxid lies beyond the last logged txn | kept, noted in `skipped` (ZooKeeper warns likewise: txns the snapshot reflects are missing from the log) |
//! | names that look like data files but are not (`log.5.tmp`) | ignored, noted in `skipped` |

use std::fs;
use std::path::{Path, PathBuf};

use crate::error::{ImportError, ImportErrorKind};
use crate::file_name::{parse_file_name, NameMatch, ZkFileName};
use crate::snapshot::{read_snapshot, ZkSnapshot};
use crate::txn_log::{read_log_file, LogTail, ZkTxn};
use crate::zxid::check_follows;

/// How many snapshots, newest first, are tried before giving up
/// (ZooKeeper's `FileSnap.deserialize` tries as many).
pub const SNAPSHOT_CANDIDATES_MAX: usize = 100;
/// The dir ZooKeeper keeps its files in, under dataDir and dataLogDir.
pub const VERSION_DIR: &str = "version-2";

/// The state a ZooKeeper data dir holds.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ZkDataDir {
    pub snapshot_file: PathBuf,
    pub snapshot: ZkSnapshot,
    /// Every txn after the snapshot's zxid, in zxid order.
    pub txns: Vec<ZkTxn>,
    /// The last txn's zxid, or the snapshot's when no txn follows it.
    pub last_zxid: i64,
    /// What was passed over, cut or doubted, one line each, naming files.
    pub skipped: Vec<String>,
}

/// Reads a data dir holding both snapshots and logs: ZooKeeper's dataDir
/// (with `version-2` inside) or its `version-2` itself.
pub fn read_data_dir(dir: &Path) -> Result<ZkDataDir, ImportError> {
    let files = files_dir(dir);
    read_data_dirs(&files, &files)
}

/// Reads snapshots from `snap_dir` and logs from `log_dir` (zoo.cfg's
/// dataDir and dataLogDir; each may be given with or without `version-2`).
pub fn read_data_dirs(snap_dir: &Path, log_dir: &Path) -> Result<ZkDataDir, ImportError> {
    let snap_dir = files_dir(snap_dir);
    let log_dir = files_dir(log_dir);
    let mut skipped = Vec::new();
    let snap_listing = list(&snap_dir, &mut skipped)?;
    let log_listing = if log_dir == snap_dir {
        snap_listing.clone()
    } else {
        list(&log_dir, &mut skipped)?
    };
    let mut snapshots: Vec<(i64, PathBuf)> = snap_listing
        .iter()
        .filter_map(|(name, path)| match name {
            ZkFileName::Snapshot { zxid, .. } => Some((*zxid, path.clone())),
            ZkFileName::Log { .. } => None,
        })
        .collect();
    let mut logs: Vec<(i64, PathBuf)> = log_listing
        .iter()
        .filter_map(|(name, path)| match name {
            ZkFileName::Log { zxid } => Some((*zxid, path.clone())),
            ZkFileName::Snapshot { .. } => None,
        })
        .collect();
    snapshots.sort_by_key(|(zxid, _)| std::cmp::Reverse(*zxid));
    logs.sort_by_key(|(zxid, _)| *zxid);
    if snapshots.is_empty() {
        return Err(ImportError::new(
            &snap_dir,
            None,
            ImportErrorKind::NoSnapshot {
                log_files: logs.len(),
            },
        ));
    }
    let (snapshot_file, snapshot) = newest_valid_snapshot(&snap_dir, &snapshots, &mut skipped)?;
    let txns = txns_after(&logs, snapshot.zxid, &mut skipped)?;
    let last_zxid = txns.last().map_or(snapshot.zxid, ZkTxn::zxid);
    if let Some(digest) = snapshot.digest {
        if digest.zxid > last_zxid {
            skipped.push(format!(
                "{}: its digest is at zxid 0x{:x}, beyond the last logged txn 0x{last_zxid:x}: \
                 the log lacks txns the snapshot reflects",
                snapshot_file.display(),
                digest.zxid
            ));
        }
    }
    Ok(ZkDataDir {
        snapshot_file,
        snapshot,
        txns,
        last_zxid,
        skipped,
    })
}

/// `dir/version-2` when it exists, else `dir`.
fn files_dir(dir: &Path) -> PathBuf {
    let inner = dir.join(VERSION_DIR);
    if inner.is_dir() {
        inner
    } else {
        dir.to_path_buf()
    }
}

/// The data files of a dir; look-alike names are noted in `skipped`.
fn list(dir: &Path, skipped: &mut Vec<String>) -> Result<Vec<(ZkFileName, PathBuf)>, ImportError> {
    let entries = fs::read_dir(dir).map_err(|error| ImportError::io(dir, error))?;
    let mut files = Vec::new();
    for entry in entries {
        let entry = entry.map_err(|error| ImportError::io(dir, error))?;
        let name = entry.file_name().to_string_lossy().into_owned();
        match parse_file_name(&name) {
            NameMatch::Data(parsed) => files.push((parsed, entry.path())),
            NameMatch::Unrecognised => skipped.push(format!(
                "{}: ignored, not a name ZooKeeper gives its files",
                entry.path().display()
            )),
            NameMatch::Other => {}
        }
    }
    Ok(files)
}

/// The newest snapshot that reads and checks, trying older ones when the
/// newest fails, as ZooKeeper does.
fn newest_valid_snapshot(
    snap_dir: &Path,
    snapshots: &[(i64, PathBuf)],
    skipped: &mut Vec<String>,
) -> Result<(PathBuf, ZkSnapshot), ImportError> {
    let mut failures = Vec::new();
    for (_, path) in snapshots.iter().take(SNAPSHOT_CANDIDATES_MAX) {
        match read_snapshot(path) {
            Ok(snapshot) => {
                skipped.extend(
                    failures
                        .iter()
                        .map(|failure: &ImportError| format!("snapshot passed over: {failure}")),
                );
                return Ok((path.clone(), snapshot));
            }
            Err(error) => failures.push(error),
        }
    }
    Err(ImportError::new(
        snap_dir,
        None,
        ImportErrorKind::NoValidSnapshot { failures },
    ))
}

/// Every txn after `snapshot_zxid`, from the log holding it onwards, each
/// checked to follow the one before it (the first, the snapshot's zxid).
/// Txns up to the snapshot's zxid are passed over unchecked: the snapshot
/// holds their effects, and a follower synced by SNAP logs a gap there.
fn txns_after(
    logs: &[(i64, PathBuf)],
    snapshot_zxid: i64,
    skipped: &mut Vec<String>,
) -> Result<Vec<ZkTxn>, ImportError> {
    // The newest log starting at or before the snapshot holds its next txn.
    let first_needed = logs
        .iter()
        .map(|(zxid, _)| *zxid)
        .filter(|zxid| *zxid <= snapshot_zxid)
        .max()
        .unwrap_or(i64::MIN);
    let mut txns: Vec<ZkTxn> = Vec::new();
    for (_, path) in logs.iter().filter(|(zxid, _)| *zxid >= first_needed) {
        let log = read_log_file(path)?;
        if log.tail.is_cut() {
            skipped.push(describe_cut(path, &log.tail));
        }
        for txn in log.txns {
            let previous_zxid = match txns.last() {
                Some(previous) => previous.zxid(),
                None if txn.zxid() <= snapshot_zxid => continue,
                None => snapshot_zxid,
            };
            check_follows(previous_zxid, txn.zxid())
                .map_err(|kind| ImportError::at(&txn.file, txn.offset, kind))?;
            txns.push(txn);
        }
    }
    Ok(txns)
}

fn describe_cut(path: &Path, tail: &LogTail) -> String {
    match tail {
        LogTail::TornRecord { offset, reason } => format!(
            "{}: torn record at offset {offset} cut ({reason:?})",
            path.display()
        ),
        LogTail::NoHeader { file_bytes } => format!(
            "{}: no header ({file_bytes} bytes, nothing written): no txns",
            path.display()
        ),
        LogTail::CleanEnd { .. } | LogTail::ZeroPadding { .. } => {
            format!("{}: {tail:?}", path.display())
        }
    }
}
