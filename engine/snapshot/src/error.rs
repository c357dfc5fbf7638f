//! Why a snapshot could not be written, or why a file is not a snapshot
//! that can be loaded. Every reason names the file offset or the step.

use std::fmt;
use std::io;
use std::path::PathBuf;

use ringkeeper_datatree::TreeError;

use crate::format::FormatError;

/// A step of the durability sequence in [`crate::write_snapshot`].
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum WriteStep {
    CreateTemp,
    WriteBody,
    WriteHeader,
    SyncFile,
    Rename,
    SyncDir,
}

impl fmt::Display for WriteStep {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(match self {
            WriteStep::CreateTemp => "creating the temporary file",
            WriteStep::WriteBody => "writing the body",
            WriteStep::WriteHeader => "writing the header",
            WriteStep::SyncFile => "fsync of the file",
            WriteStep::Rename => "renaming into place",
            WriteStep::SyncDir => "fsync of the directory",
        })
    }
}

/// Why a snapshot was not written. An I/O error at [`WriteStep::SyncFile`]
/// or later is fatal to the server (never retry an fsync: the page cache
/// may have dropped the dirty pages it failed to write).
#[derive(Debug)]
pub enum SnapshotWriteError {
    Io {
        step: WriteStep,
        path: PathBuf,
        error: io::Error,
    },
    /// More than `SNAPSHOT_NODES_MAX` nodes.
    TooManyNodes,
    /// A node the loader would refuse (a bug in the walk or the tree).
    InvalidNode { record: u32, reason: &'static str },
    /// The walk ended at a zxid below the one it began at.
    ZxidWentBack { zxid: i64, digest_zxid: i64 },
}

impl fmt::Display for SnapshotWriteError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            SnapshotWriteError::Io { step, path, error } => {
                write!(f, "{}: {step} failed: {error}", path.display())
            }
            SnapshotWriteError::TooManyNodes => write!(
                f,
                "more than {} nodes (SNAPSHOT_NODES_MAX)",
                crate::format::SNAPSHOT_NODES_MAX
            ),
            SnapshotWriteError::InvalidNode { record, reason } => {
                write!(f, "node record {record}: {reason}")
            }
            SnapshotWriteError::ZxidWentBack { zxid, digest_zxid } => write!(
                f,
                "the walk began after zxid {zxid:#x} but ended at {digest_zxid:#x}"
            ),
        }
    }
}

impl std::error::Error for SnapshotWriteError {}

impl SnapshotWriteError {
    /// Whether the server must stop: an I/O error at the file's fsync or
    /// later. After a failed fsync the kernel may have dropped the pages it
    /// could not write (a retry would report success over lost bytes);
    /// after a failed rename or directory fsync the snapshot's name may not
    /// survive a crash, while purge would count it as the newest snapshot
    /// and remove the older files it replaces. Apache ZooKeeper exits on
    /// any snapshot I/O error; ringkeeper goes on after the earlier steps'
    /// errors (creating or writing the temporary file, e.g. a full disk),
    /// which leave only a `.tmp` file that loading ignores and purge
    /// removes: the previous snapshot and the log still hold every txn.
    pub fn is_fatal(&self) -> bool {
        matches!(
            self,
            SnapshotWriteError::Io {
                step: WriteStep::SyncFile | WriteStep::Rename | WriteStep::SyncDir,
                ..
            }
        )
    }
}

/// Why a file's bytes are not a loadable snapshot.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum SnapshotError {
    /// The header or footer is wrong (see [`FormatError`]).
    Format(FormatError),
    /// The file is shorter or longer than its header says.
    LengthMismatch {
        header_file_bytes: u64,
        file_bytes: u64,
    },
    /// The CRC32C of the whole file does not match the footer's.
    ChecksumMismatch { stored: u32, computed: u32 },
    /// The name's zxid is not the header's.
    NameMismatch { name_zxid: i64, header_zxid: i64 },
    /// The footer's digest zxid is before the header's zxid, or differs
    /// from it in a snapshot not marked fuzzy.
    DigestZxid {
        zxid: i64,
        digest_zxid: i64,
        fuzzy: bool,
    },
    /// A record is malformed (only possible in a file whose CRC matches:
    /// a writer bug or a crafted file).
    Malformed {
        section: &'static str,
        offset: u64,
        reason: String,
    },
    /// The tree refused a node.
    Restore {
        offset: u64,
        path: String,
        error: TreeError,
    },
    /// The restored tree's digest is not the one recorded.
    DigestMismatch { stored: u64, restored: u64 },
}

impl fmt::Display for SnapshotError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            SnapshotError::Format(error) => error.fmt(f),
            SnapshotError::LengthMismatch {
                header_file_bytes,
                file_bytes,
            } => {
                let what = if file_bytes < header_file_bytes {
                    "truncated"
                } else {
                    "longer than written"
                };
                write!(
                    f,
                    "{what}: the header says {header_file_bytes} bytes, the file has {file_bytes}"
                )
            }
            SnapshotError::ChecksumMismatch { stored, computed } => write!(
                f,
                "checksum mismatch: the footer says {stored:#010x}, the bytes give {computed:#010x}"
            ),
            SnapshotError::NameMismatch {
                name_zxid,
                header_zxid,
            } => write!(
                f,
                "named for zxid {name_zxid:#x} but the header says {header_zxid:#x}"
            ),
            SnapshotError::DigestZxid {
                zxid,
                digest_zxid,
                fuzzy,
            } => write!(
                f,
                "digest zxid {digest_zxid:#x} does not fit zxid {zxid:#x} (fuzzy: {fuzzy})"
            ),
            SnapshotError::Malformed {
                section,
                offset,
                reason,
            } => write!(f, "{section} section, offset {offset}: {reason}"),
            SnapshotError::Restore {
                offset,
                path,
                error,
            } => write!(
                f,
                "node {path} at offset {offset} refused by the tree: {error}"
            ),
            SnapshotError::DigestMismatch { stored, restored } => write!(
                f,
                "digest mismatch: recorded {stored:#018x}, restored tree {restored:#018x}"
            ),
        }
    }
}

impl std::error::Error for SnapshotError {}

impl From<FormatError> for SnapshotError {
    fn from(error: FormatError) -> Self {
        SnapshotError::Format(error)
    }
}
