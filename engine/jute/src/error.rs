//! The one error type of the codec: what was wrong, and in which field.

use std::fmt;

/// Why bytes could not be decoded (or framed). Every variant names the
/// record field being read, as `Record.field`, so a log line says exactly
/// which part of a hostile or truncated packet was bad.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum DecodeError {
    /// Fewer bytes remained than the field needs.
    Truncated {
        field: &'static str,
        needed_bytes: usize,
        remaining_bytes: usize,
    },
    /// A length or count prefix below -1 (-1 is jute's "null").
    NegativeLength { field: &'static str, len: i32 },
    /// A buffer/string length, or a vector count times the smallest
    /// element, larger than the bytes that remain. Checked before any
    /// allocation, so hostile input cannot make us allocate.
    LengthExceedsRemaining {
        field: &'static str,
        len: usize,
        remaining_bytes: usize,
    },
    /// An op code we do not know, where the record's shape depends on it
    /// (multi ops, multi results).
    UnknownOpCode { field: &'static str, op_code: i32 },
    /// Bytes left over after a record that must fill its frame.
    TrailingBytes { record: &'static str, count: usize },
    /// A frame whose 4-byte length prefix is negative.
    FrameLengthNegative { len: i32 },
    /// A frame longer than the configured maximum (jute.maxbuffer).
    FrameTooLarge { len: usize, max_bytes: usize },
}

impl fmt::Display for DecodeError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            DecodeError::Truncated {
                field,
                needed_bytes,
                remaining_bytes,
            } => write!(
                f,
                "truncated record: {field} needs {needed_bytes} bytes, {remaining_bytes} remain"
            ),
            DecodeError::NegativeLength { field, len } => {
                write!(f, "negative length {len} for {field}")
            }
            DecodeError::LengthExceedsRemaining {
                field,
                len,
                remaining_bytes,
            } => write!(
                f,
                "length {len} of {field} exceeds the {remaining_bytes} bytes that remain"
            ),
            DecodeError::UnknownOpCode { field, op_code } => {
                write!(f, "unknown op code {op_code} in {field}")
            }
            DecodeError::TrailingBytes { record, count } => {
                write!(f, "{count} trailing bytes after {record}")
            }
            DecodeError::FrameLengthNegative { len } => {
                write!(f, "frame length prefix is negative ({len})")
            }
            DecodeError::FrameTooLarge { len, max_bytes } => write!(
                f,
                "frame of {len} bytes exceeds the maximum of {max_bytes} bytes (jute.maxbuffer)"
            ),
        }
    }
}

impl std::error::Error for DecodeError {}
