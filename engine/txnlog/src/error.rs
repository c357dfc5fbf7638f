//! The writer's errors: a refused append (the caller's mistake or
//! backpressure) and a fatal I/O error (the log stops for good).

use std::fmt;
use std::io;
use std::path::PathBuf;

/// The file operation that failed.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum IoOp {
    CreateSegment,
    Write,
    /// One batch: write, then fdatasync ([`crate::Storage::append_and_sync`]).
    AppendAndSync,
    Fdatasync,
    SyncDir,
    Rename,
    Open,
}

impl fmt::Display for IoOp {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(match self {
            IoOp::CreateSegment => "creating segment",
            IoOp::Write => "write",
            IoOp::AppendAndSync => "write and fdatasync",
            IoOp::Fdatasync => "fdatasync",
            IoOp::SyncDir => "fsync of the directory",
            IoOp::Rename => "rename",
            IoOp::Open => "open",
        })
    }
}

/// An I/O error of the log. It is fatal: after a failed write or fsync the
/// kernel may have dropped the dirty pages and cleared the error, so a
/// retry could report success for bytes that are not on disk. The writer
/// refuses every later append and never retries; the server must stop.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct FatalError {
    pub op: IoOp,
    pub path: PathBuf,
    /// Offset of the failed write, when it was one.
    pub offset: Option<u64>,
    pub kind: io::ErrorKind,
    pub message: String,
}

impl FatalError {
    pub fn new(op: IoOp, path: PathBuf, offset: Option<u64>, error: &io::Error) -> FatalError {
        FatalError {
            op,
            path,
            offset,
            kind: error.kind(),
            message: error.to_string(),
        }
    }
}

impl fmt::Display for FatalError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "txn log {} failed on {}", self.op, self.path.display())?;
        if let Some(offset) = self.offset {
            write!(f, " at offset {offset}")?;
        }
        write!(
            f,
            ": {} (fatal: the log accepts nothing more, restart to recover)",
            self.message
        )
    }
}

impl std::error::Error for FatalError {}

/// Why an append was refused.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum AppendError {
    /// The log failed earlier; nothing more is accepted.
    Fatal(FatalError),
    /// The zxid does not follow the last appended one (same epoch: +1;
    /// otherwise a later epoch).
    ZxidOutOfOrder { last_zxid: i64, zxid: i64 },
    /// Payloads are never empty (a length of zero means padding).
    EmptyPayload { zxid: i64 },
    /// The payload is larger than RECORD_PAYLOAD_BYTES_MAX.
    PayloadTooLarge { zxid: i64, bytes: usize, max: usize },
    /// PENDING_BYTES_MAX bytes already wait to be written: commit first.
    PendingFull { pending_bytes: usize, max: usize },
}

impl fmt::Display for AppendError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            AppendError::Fatal(error) => write!(f, "{error}"),
            AppendError::ZxidOutOfOrder { last_zxid, zxid } => write!(
                f,
                "txn log append of zxid {zxid:#x} after {last_zxid:#x}: zxids must follow each other"
            ),
            AppendError::EmptyPayload { zxid } => {
                write!(f, "txn log append of zxid {zxid:#x}: empty payload")
            }
            AppendError::PayloadTooLarge { zxid, bytes, max } => write!(
                f,
                "txn log append of zxid {zxid:#x}: payload of {bytes} bytes exceeds RECORD_PAYLOAD_BYTES_MAX ({max})"
            ),
            AppendError::PendingFull { pending_bytes, max } => write!(
                f,
                "txn log has {pending_bytes} bytes waiting to be written (PENDING_BYTES_MAX {max})"
            ),
        }
    }
}

impl std::error::Error for AppendError {}
