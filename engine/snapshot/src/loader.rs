//! Loading: one snapshot's bytes into a DataTree, and the choice of which
//! snapshot in a directory to load (the newest that is valid, reporting
//! every newer one skipped and why).

use std::fmt;
use std::io;
use std::path::{Path, PathBuf};

use ringkeeper_datatree::{DataTree, TreeOptions};

use crate::encoder::SnapshotSession;
use crate::error::SnapshotError;
use crate::format::{parse_snapshot_name, SnapshotName};
use crate::fs::SnapshotFs;
use crate::reader::SnapshotReader;

/// Snapshots tried, newest first, before giving up (ZooKeeper tries 100).
pub const LOAD_CANDIDATES_MAX: usize = 100;

/// A digest the tree must have once the log is replayed through `zxid`.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct ZxidDigest {
    pub zxid: i64,
    pub digest: u64,
}

/// A snapshot turned back into state.
#[derive(Debug)]
pub struct LoadedSnapshot {
    /// The zxid it covers: replay the log from the txn after it.
    pub zxid: i64,
    pub fuzzy: bool,
    pub tree: DataTree,
    pub sessions: Vec<SnapshotSession>,
    /// For a fuzzy snapshot, the digest to compare once replay has applied
    /// the txn `zxid` (ZooKeeper's `compareSnapshotDigests`); a replay
    /// that ends before it cannot have rebuilt a consistent tree. None for
    /// a consistent snapshot, whose digest was checked while loading.
    pub pending_digest: Option<ZxidDigest>,
    pub node_count: u64,
    pub file_bytes: u64,
}

/// Rebuild the state in `bytes` (a whole snapshot file) into a tree made
/// with `options` (the server's hash seed and extended types).
pub fn load_snapshot(bytes: &[u8], options: TreeOptions) -> Result<LoadedSnapshot, SnapshotError> {
    let reader = SnapshotReader::open(bytes)?;
    let header = *reader.header();
    let footer = *reader.footer();
    let mut tree = DataTree::with_options(options);
    for list in reader.acl_lists() {
        let (id, acls) = list?;
        tree.restore_acl(id, acls);
    }
    // Records are in preorder, so a node's parent is on the stack of open
    // ancestors: (record index, length of its path in `path`).
    let mut path = String::with_capacity(256);
    let mut ancestors: Vec<(u32, usize)> = Vec::with_capacity(64);
    for record in reader.nodes() {
        let record = record?;
        match record.parent {
            None => {
                path.clear();
                path.push('/');
            }
            Some(parent) => {
                while ancestors.last().is_some_and(|&(index, _)| index != parent) {
                    ancestors.pop();
                }
                let Some(&(parent_index, parent_len)) = ancestors.last() else {
                    return Err(SnapshotError::Malformed {
                        section: "nodes",
                        offset: record.offset,
                        reason: format!(
                            "record {} names parent {parent}, which is not an open ancestor (records must be in preorder)",
                            record.index
                        ),
                    });
                };
                // The root's path is "/", its children's "/name".
                path.truncate(if parent_index == 0 { 0 } else { parent_len });
                path.push('/');
                path.push_str(record.name);
            }
        }
        tree.restore_node(&path, &record.data, record.acl_id, record.stat)
            .map_err(|error| SnapshotError::Restore {
                offset: record.offset,
                path: path.clone(),
                error,
            })?;
        ancestors.push((record.index, path.len()));
    }
    let mut sessions = Vec::with_capacity(header.session_count as usize);
    for session in reader.sessions() {
        sessions.push(session?);
    }
    tree.finish_restore();
    let pending_digest = if header.is_fuzzy() {
        Some(ZxidDigest {
            zxid: footer.digest_zxid,
            digest: footer.digest,
        })
    } else {
        if tree.digest() != footer.digest {
            return Err(SnapshotError::DigestMismatch {
                stored: footer.digest,
                restored: tree.digest(),
            });
        }
        None
    };
    Ok(LoadedSnapshot {
        zxid: header.zxid,
        fuzzy: header.is_fuzzy(),
        tree,
        sessions,
        pending_digest,
        node_count: header.node_count,
        file_bytes: header.file_bytes,
    })
}

/// A snapshot file in a directory.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct SnapshotFile {
    pub zxid: i64,
    pub path: PathBuf,
}

/// The snapshots (not temp files) in `dir`, newest first.
pub fn list_snapshots<S: SnapshotFs>(fs: &S, dir: &Path) -> io::Result<Vec<SnapshotFile>> {
    let mut snapshots: Vec<SnapshotFile> = fs
        .list_dir(dir)?
        .into_iter()
        .filter_map(|name| match parse_snapshot_name(&name)? {
            SnapshotName::Snapshot(zxid) => Some(SnapshotFile {
                zxid,
                path: dir.join(name),
            }),
            SnapshotName::Temp(_) => None,
        })
        .collect();
    snapshots.sort_unstable_by_key(|file| std::cmp::Reverse(file.zxid));
    Ok(snapshots)
}

/// Why a snapshot was passed over.
#[derive(Debug)]
pub enum SkipReason {
    Unreadable(io::Error),
    Invalid(SnapshotError),
    /// More than [`LOAD_CANDIDATES_MAX`] newer snapshots were tried first.
    NotTried,
}

impl fmt::Display for SkipReason {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            SkipReason::Unreadable(error) => write!(f, "unreadable: {error}"),
            SkipReason::Invalid(error) => error.fmt(f),
            SkipReason::NotTried => write!(
                f,
                "not tried: {LOAD_CANDIDATES_MAX} newer snapshots were tried first (LOAD_CANDIDATES_MAX)"
            ),
        }
    }
}

/// A snapshot passed over, and why.
#[derive(Debug)]
pub struct SkippedSnapshot {
    pub file: SnapshotFile,
    pub reason: SkipReason,
}

/// What [`load_newest`] found.
#[derive(Debug)]
pub struct LoadReport {
    /// The newest valid snapshot, if any.
    pub loaded: Option<(SnapshotFile, LoadedSnapshot)>,
    /// Every snapshot newer than the loaded one (or all, if none loaded),
    /// newest first, with the reason it was passed over.
    pub skipped: Vec<SkippedSnapshot>,
}

impl fmt::Display for LoadReport {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        for skipped in &self.skipped {
            writeln!(
                f,
                "skipped {}: {}",
                skipped.file.path.display(),
                skipped.reason
            )?;
        }
        match &self.loaded {
            Some((file, loaded)) => write!(
                f,
                "loaded {} (zxid {:#x}, {} nodes, {} sessions{})",
                file.path.display(),
                loaded.zxid,
                loaded.node_count,
                loaded.sessions.len(),
                if loaded.fuzzy { ", fuzzy" } else { "" }
            ),
            None => write!(f, "no valid snapshot"),
        }
    }
}

/// Load the newest valid snapshot in `dir`: newest first, each one mapped,
/// checked and rebuilt; the first that succeeds wins, and every one tried
/// before it is reported with its reason. An error only if `dir` cannot
/// be listed.
pub fn load_newest<S: SnapshotFs>(
    fs: &S,
    dir: &Path,
    options: TreeOptions,
) -> io::Result<LoadReport> {
    let mut skipped = Vec::new();
    let mut candidates = list_snapshots(fs, dir)?.into_iter();
    for file in candidates.by_ref().take(LOAD_CANDIDATES_MAX) {
        let bytes = match fs.read_map(&file.path) {
            Ok(bytes) => bytes,
            Err(error) => {
                skipped.push(SkippedSnapshot {
                    file,
                    reason: SkipReason::Unreadable(error),
                });
                continue;
            }
        };
        let loaded = load_snapshot(&bytes, options).and_then(|loaded| {
            if loaded.zxid == file.zxid {
                Ok(loaded)
            } else {
                Err(SnapshotError::NameMismatch {
                    name_zxid: file.zxid,
                    header_zxid: loaded.zxid,
                })
            }
        });
        match loaded {
            Ok(loaded) => {
                return Ok(LoadReport {
                    loaded: Some((file, loaded)),
                    skipped,
                })
            }
            Err(error) => skipped.push(SkippedSnapshot {
                file,
                reason: SkipReason::Invalid(error),
            }),
        }
    }
    skipped.extend(candidates.map(|file| SkippedSnapshot {
        file,
        reason: SkipReason::NotTried,
    }));
    Ok(LoadReport {
        loaded: None,
        skipped,
    })
}
