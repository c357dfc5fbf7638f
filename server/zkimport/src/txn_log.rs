//! `log.<zxid>`: ZooKeeper's txn log, and how its end is told apart from
//! damage.
//!
//! ```text
//! log     = header *record [padding]
//! header  = magic:int version:int db_id:long   ; FileHeader: "ZKLG" (0x5a4b4c47), 2, dbid
//! record  = adler32:long len:int txn:byte{len} %x42   ; 'B' ends each record
//! txn     = TxnHeader body                      ; body: see txn_record
//! padding = *%x00                               ; preallocated (preAllocSize, 64 MiB)
//! ```
//!
//! `adler32` covers `txn` alone. ZooKeeper extends the file with zeros
//! ahead of its writes, so the log's end is a zero length where the next
//! record would start. The file's name is the zxid of its first txn.
//!
//! # How a log file ends (one decision per case, as ZooKeeper's reader)
//!
//! | case | decision |
//! |---|---|
//! | the file ends after a whole record | [`LogTail::CleanEnd`] |
//! | a zero length (or fewer than 12 zero bytes) where a record would start | [`LogTail::ZeroPadding`] |
//! | the file ends inside a record, or a record's end is not `'B'` | [`LogTail::TornRecord`]: the record and everything after it are cut |
//! | no header: fewer than 16 bytes, or only zeros | [`LogTail::NoHeader`]: no txns |
//! | a bad magic or a version other than 2 | refused |
//! | a negative length | refused |
//! | a whole record whose Adler-32 fails | refused, naming the file and offset |
//! | a record that passes its checksum but does not decode | refused |
//!
//! ZooKeeper treats a torn record as the end of that file and moves on to
//! the next; so do we, and [`crate::read_data_dir`] then checks that the
//! txns after the snapshot follow one another ([`crate::zxid`]), which
//! refuses a cut that lost txns in the middle of the log. A single file's
//! zxids are not checked here: gaps before a snapshot are legitimate (a
//! follower synced by SNAP goes on appending to the same file), and only
//! the data dir knows where its snapshot is. A record whose checksum fails is refused, as
//! ZooKeeper refuses it, even at the tail: it cannot be told from bit rot
//! in an acknowledged txn.

use std::fs;
use std::path::{Path, PathBuf};

use ringkeeper_jute::{FileHeader, Jute, OpCode, TxnDigest, TxnHeader};

use crate::adler32::Adler32;
use crate::error::{ImportError, ImportErrorKind};
use crate::txn_record::{decode_txn_body, ZkTxnRecord};

/// "ZKLG", the magic of txn log files.
pub const LOG_MAGIC: i32 = 0x5a4b_4c47;
/// The only log format version ZooKeeper has written.
pub const LOG_VERSION: i32 = 2;
/// The bytes of a FileHeader (magic, version, db id).
pub const LOG_HEADER_BYTES: usize = 4 + 4 + 8;
/// A record's checksum and length prefix.
const RECORD_PREFIX_BYTES: usize = 8 + 4;
/// The end-of-record marker, 'B'.
pub const END_OF_RECORD: u8 = 0x42;

/// One txn of a log file.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ZkTxn {
    pub header: TxnHeader,
    /// The txn record, decoded by `header.txn_type`.
    pub record: ZkTxnRecord,
    /// The record's bytes as logged (after the header, before the digest).
    pub body: Vec<u8>,
    /// The tree digest after this txn (3.6+).
    pub digest: Option<TxnDigest>,
    /// The log file and the offset of the record (its checksum) in it.
    pub file: PathBuf,
    pub offset: u64,
}

impl ZkTxn {
    pub fn zxid(&self) -> i64 {
        self.header.zxid
    }

    /// The txn type as an op code (every type we decode is one).
    pub fn op_code(&self) -> Option<OpCode> {
        OpCode::from_i32(self.header.txn_type)
    }
}

/// Why the last record of a file was cut.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum TornReason {
    /// Fewer bytes than a checksum and a length remain, not all zero.
    PrefixCut,
    /// The file ends before the record's length and marker.
    PayloadCut,
    /// The byte after the record is not 'B' (a partial write in
    /// preallocated space leaves a zero there).
    MarkerMissing { found: u8 },
}

/// How a log file ended (see the table in the module doc).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum LogTail {
    /// The file ends right after the last record (or the header).
    CleanEnd { offset: u64 },
    /// Zero padding starts at `offset`.
    ZeroPadding { offset: u64 },
    /// The record at `offset` is incomplete; it and all after it are cut.
    TornRecord { offset: u64, reason: TornReason },
    /// The file holds no header (created, then a crash before its first
    /// bytes were written): no txns.
    NoHeader { file_bytes: u64 },
}

impl LogTail {
    /// Whether txns may have been cut here (a torn record), as opposed to
    /// a normal end.
    pub fn is_cut(&self) -> bool {
        matches!(self, LogTail::TornRecord { .. } | LogTail::NoHeader { .. })
    }
}

/// A read log file: its txns in order and how it ended.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ZkLog {
    pub file: PathBuf,
    /// From the header; `None` when there was none.
    pub db_id: Option<i64>,
    pub txns: Vec<ZkTxn>,
    pub tail: LogTail,
}

/// Reads a log file's txns, stopping cleanly at zero padding or a torn
/// tail (see [`read_log_file`] for how it ended).
pub fn read_log(path: &Path) -> Result<Vec<ZkTxn>, ImportError> {
    Ok(read_log_file(path)?.txns)
}

/// Reads a log file: its txns and how it ended.
pub fn read_log_file(path: &Path) -> Result<ZkLog, ImportError> {
    let bytes = fs::read(path).map_err(|error| ImportError::io(path, error))?;
    parse_log(path, &bytes)
}

/// Parses a log file held in memory; `file` names it in errors and txns.
pub fn parse_log(file: &Path, bytes: &[u8]) -> Result<ZkLog, ImportError> {
    let mut log = ZkLog {
        file: file.to_path_buf(),
        db_id: None,
        txns: Vec::new(),
        tail: LogTail::NoHeader {
            file_bytes: bytes.len() as u64,
        },
    };
    if bytes.len() < LOG_HEADER_BYTES || all_zero(bytes) {
        return Ok(log);
    }
    let header = FileHeader::from_bytes(&bytes[..LOG_HEADER_BYTES])
        .map_err(|error| ImportError::at(file, 0, ImportErrorKind::Decode(error)))?;
    if header.magic != LOG_MAGIC {
        return Err(ImportError::at(
            file,
            0,
            ImportErrorKind::BadMagic {
                found: header.magic,
                expected: LOG_MAGIC,
            },
        ));
    }
    if header.version != LOG_VERSION {
        return Err(ImportError::at(
            file,
            4,
            ImportErrorKind::UnsupportedVersion {
                version: header.version,
            },
        ));
    }
    log.db_id = Some(header.db_id);
    let mut offset = LOG_HEADER_BYTES;
    log.tail = loop {
        match next_record(file, bytes, offset)? {
            Step::Record { txn, next_offset } => {
                log.txns.push(txn);
                offset = next_offset;
            }
            Step::End(tail) => break tail,
        }
    };
    Ok(log)
}

enum Step {
    Record { txn: ZkTxn, next_offset: usize },
    End(LogTail),
}

/// Reads the record at `offset`, or says how the file ends there.
fn next_record(file: &Path, bytes: &[u8], offset: usize) -> Result<Step, ImportError> {
    let at = offset as u64;
    let rest = &bytes[offset..];
    if rest.is_empty() {
        return Ok(Step::End(LogTail::CleanEnd { offset: at }));
    }
    if rest.len() < RECORD_PREFIX_BYTES {
        return Ok(Step::End(if all_zero(rest) {
            LogTail::ZeroPadding { offset: at }
        } else {
            LogTail::TornRecord {
                offset: at,
                reason: TornReason::PrefixCut,
            }
        }));
    }
    let stored = i64::from_be_bytes(array_at(rest, 0));
    let len = i32::from_be_bytes(array_at(rest, 8));
    if len == 0 {
        return Ok(Step::End(LogTail::ZeroPadding { offset: at }));
    }
    let Ok(len) = usize::try_from(len) else {
        return Err(ImportError::at(
            file,
            at,
            ImportErrorKind::NegativeLength { len },
        ));
    };
    let Some(marker) = rest.get(RECORD_PREFIX_BYTES + len) else {
        return Ok(Step::End(LogTail::TornRecord {
            offset: at,
            reason: TornReason::PayloadCut,
        }));
    };
    if *marker != END_OF_RECORD {
        return Ok(Step::End(LogTail::TornRecord {
            offset: at,
            reason: TornReason::MarkerMissing { found: *marker },
        }));
    }
    let txn_bytes = &rest[RECORD_PREFIX_BYTES..RECORD_PREFIX_BYTES + len];
    let computed = Adler32::of(txn_bytes);
    if stored != i64::from(computed) {
        return Err(ImportError::at(
            file,
            at,
            ImportErrorKind::ChecksumMismatch { stored, computed },
        ));
    }
    let txn = decode_txn(file, at, txn_bytes)?;
    Ok(Step::Record {
        txn,
        next_offset: offset + RECORD_PREFIX_BYTES + len + 1,
    })
}

/// A checksummed txn: its header, record and optional digest.
fn decode_txn(file: &Path, offset: u64, txn_bytes: &[u8]) -> Result<ZkTxn, ImportError> {
    let fail = |kind| ImportError::at(file, offset, kind);
    let mut reader = ringkeeper_jute::Reader::new(txn_bytes);
    let header =
        TxnHeader::decode(&mut reader).map_err(|error| fail(ImportErrorKind::Decode(error)))?;
    let body = reader.rest();
    let (record, record_bytes, digest) = decode_txn_body(header.txn_type, body).map_err(fail)?;
    Ok(ZkTxn {
        header,
        record,
        body: body[..record_bytes].to_vec(),
        digest,
        file: file.to_path_buf(),
        offset,
    })
}

fn array_at<const N: usize>(bytes: &[u8], offset: usize) -> [u8; N] {
    let mut array = [0u8; N];
    array.copy_from_slice(&bytes[offset..offset + N]);
    array
}

fn all_zero(bytes: &[u8]) -> bool {
    bytes.iter().all(|&byte| byte == 0)
}
