//! The one error of the crate: what was wrong, in which file, and where.

use std::fmt;
use std::io;
use std::path::{Path, PathBuf};

use ringkeeper_jute::DecodeError;

/// Why a file (or a data dir) could not be read. Every error names the
/// file (the directory for errors about a whole dir) and, where the
/// damage has a place, the byte offset in that file, so an operator can
/// look at it with `xxd -s OFFSET`.
#[derive(Debug)]
pub struct ImportError {
    pub file: PathBuf,
    /// Byte offset of the record or field at fault, when there is one.
    pub offset: Option<u64>,
    pub kind: ImportErrorKind,
}

/// What was wrong.
#[derive(Debug)]
pub enum ImportErrorKind {
    /// Listing, opening or reading failed.
    Io(io::Error),
    /// The file header's magic is not ZooKeeper's ("ZKSN" or "ZKLG").
    BadMagic { found: i32, expected: i32 },
    /// A format version other than 2, the only one ZooKeeper writes.
    UnsupportedVersion { version: i32 },
    /// A record or field that does not decode (truncated, a bad length).
    Decode(DecodeError),
    /// A snapshot seal or a txn record whose Adler-32 does not match.
    ChecksumMismatch { stored: i64, computed: u32 },
    /// The path after a snapshot's checksum is not the "/" seal.
    SealMissing { found: String },
    /// Bytes after the last section of a snapshot.
    TrailingBytes { count: usize },
    /// A `snapshot.*.gz` or `.snappy` file: compressed snapshots are not
    /// read (ZooKeeper writes them only with
    /// `zookeeper.snapshot.compression.method` set).
    CompressedSnapshot { extension: String },
    /// A file name that does not say what the file is (its zxid).
    UnrecognisedName { expected: &'static str },
    /// The snapshot's node list breaks a rule ZooKeeper's loader relies
    /// on (root first, parents before children, each path once).
    InvalidTree { path: String, reason: &'static str },
    /// A node refers to an ACL list the snapshot's ACL map does not hold.
    UnknownAcl { path: String, acl: i64 },
    /// A txn record's length prefix is negative.
    NegativeLength { len: i32 },
    /// A txn type ZooKeeper's loader does not know (or not inside a multi).
    UnknownTxnType { txn_type: i32, in_multi: bool },
    /// Bytes after a txn record that are not a `TxnDigest`.
    TxnTrailingBytes { txn_type: i32, count: usize },
    /// The digest's hex string (digest version < 2) is not hex.
    BadDigestString { digest: String },
    /// A txn's zxid is not the next one: within an epoch each zxid is the
    /// previous + 1 (ZooKeeper logs every zxid it hands out, failed
    /// requests as error txns).
    ZxidGap { previous_zxid: i64, zxid: i64 },
    /// A txn's zxid is not above the previous one.
    ZxidNotIncreasing { previous_zxid: i64, zxid: i64 },
    /// The dir holds no `snapshot.*` file (ZooKeeper refuses to start on
    /// logs without a snapshot unless told to trust an empty one).
    NoSnapshot { log_files: usize },
    /// Every snapshot candidate failed; each reason names its file.
    NoValidSnapshot { failures: Vec<ImportError> },
}

impl ImportError {
    pub fn new(file: &Path, offset: Option<u64>, kind: ImportErrorKind) -> ImportError {
        ImportError {
            file: file.to_path_buf(),
            offset,
            kind,
        }
    }

    pub fn at(file: &Path, offset: u64, kind: ImportErrorKind) -> ImportError {
        ImportError::new(file, Some(offset), kind)
    }

    pub fn io(file: &Path, error: io::Error) -> ImportError {
        ImportError::new(file, None, ImportErrorKind::Io(error))
    }
}

impl fmt::Display for ImportError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{}", self.file.display())?;
        if let Some(offset) = self.offset {
            write!(f, " at offset {offset}")?;
        }
        write!(f, ": {}", self.kind)
    }
}

impl fmt::Display for ImportErrorKind {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            ImportErrorKind::Io(error) => write!(f, "i/o error: {error}"),
            ImportErrorKind::BadMagic { found, expected } => write!(
                f,
                "bad magic 0x{:08x} (expected 0x{:08x}): not a ZooKeeper file of this kind",
                *found as u32, *expected as u32
            ),
            ImportErrorKind::UnsupportedVersion { version } => {
                write!(f, "format version {version} is not supported (only 2)")
            }
            ImportErrorKind::Decode(error) => write!(f, "undecodable record: {error}"),
            ImportErrorKind::ChecksumMismatch { stored, computed } => write!(
                f,
                "Adler-32 checksum mismatch: stored 0x{stored:x}, computed 0x{computed:08x}"
            ),
            ImportErrorKind::SealMissing { found } => {
                write!(f, "expected the \"/\" seal after the checksum, found {found:?}")
            }
            ImportErrorKind::TrailingBytes { count } => {
                write!(f, "{count} unexpected bytes after the snapshot's last section")
            }
            ImportErrorKind::CompressedSnapshot { extension } => write!(
                f,
                "compressed snapshot (.{extension}) is not supported: decompress it or let \
                 ZooKeeper write an uncompressed one"
            ),
            ImportErrorKind::UnrecognisedName { expected } => {
                write!(f, "the file name is not {expected}")
            }
            ImportErrorKind::InvalidTree { path, reason } => {
                write!(f, "invalid tree at node {path:?}: {reason}")
            }
            ImportErrorKind::UnknownAcl { path, acl } => write!(
                f,
                "node {path:?} refers to ACL list {acl}, which the snapshot's ACL map lacks"
            ),
            ImportErrorKind::NegativeLength { len } => {
                write!(f, "txn record length {len} is negative")
            }
            ImportErrorKind::UnknownTxnType { txn_type, in_multi } => {
                if *in_multi {
                    write!(f, "txn type {txn_type} cannot appear inside a multi")
                } else {
                    write!(f, "unknown txn type {txn_type}")
                }
            }
            ImportErrorKind::TxnTrailingBytes { txn_type, count } => write!(
                f,
                "{count} bytes after a txn of type {txn_type} are not a TxnDigest (12 bytes)"
            ),
            ImportErrorKind::BadDigestString { digest } => {
                write!(f, "snapshot digest {digest:?} is not hexadecimal")
            }
            ImportErrorKind::ZxidGap {
                previous_zxid,
                zxid,
            } => write!(
                f,
                "zxid gap: 0x{zxid:x} follows 0x{previous_zxid:x} (expected 0x{:x}): txns are missing",
                previous_zxid.wrapping_add(1)
            ),
            ImportErrorKind::ZxidNotIncreasing {
                previous_zxid,
                zxid,
            } => write!(
                f,
                "zxid 0x{zxid:x} does not increase on the previous 0x{previous_zxid:x}"
            ),
            ImportErrorKind::NoSnapshot { log_files } => write!(
                f,
                "no snapshot.* file ({log_files} log.* files): ZooKeeper cannot rebuild the \
                 tree from logs alone either"
            ),
            ImportErrorKind::NoValidSnapshot { failures } => {
                write!(f, "no valid snapshot among {} candidates", failures.len())?;
                for failure in failures {
                    write!(f, "; {failure}")?;
                }
                Ok(())
            }
        }
    }
}

impl std::error::Error for ImportError {
    fn source(&self) -> Option<&(dyn std::error::Error + 'static)> {
        match &self.kind {
            ImportErrorKind::Io(error) => Some(error),
            ImportErrorKind::Decode(error) => Some(error),
            _ => None,
        }
    }
}
