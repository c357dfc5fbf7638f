//! `ringkeeper dump-log`: a segment as text, one line per record (offset,
//! zxid in hex, length, whether its checksum holds), then how it ends.
//! A bad frame is shown and the listing resumes at the next valid record.

use std::fmt::Write as _;
use std::io;
use std::path::Path;

use crate::format::{
    read_frame, record_frame_bytes, Frame, SegmentHeader, FORMAT_VERSION, SEGMENT_HEADER_BYTES,
};
use crate::segment_scan::{all_zero, find_valid_record};

/// Describes a record's payload (the server passes a txn decoder).
pub type PayloadDecoder<'a> = &'a dyn Fn(&[u8]) -> String;

/// Reads and lists the segment at `path`.
pub fn dump_log(path: &Path) -> io::Result<String> {
    let bytes = std::fs::read(path)?;
    Ok(dump_segment_bytes(
        &path.display().to_string(),
        &bytes,
        None,
    ))
}

/// As [`dump_log`], with each payload described by `decode` (the server
/// passes a txn decoder) on the line after its record.
pub fn dump_log_with(path: &Path, decode: PayloadDecoder<'_>) -> io::Result<String> {
    let bytes = std::fs::read(path)?;
    Ok(dump_segment_bytes(
        &path.display().to_string(),
        &bytes,
        Some(decode),
    ))
}

/// Lists a segment's bytes; `name` heads the listing.
pub fn dump_segment_bytes(name: &str, bytes: &[u8], decode: Option<PayloadDecoder<'_>>) -> String {
    let mut out = String::new();
    // Writing to a String cannot fail.
    let _ = writeln!(out, "txn log segment {name} ({} bytes)", bytes.len());
    let header = match SegmentHeader::decode(bytes) {
        Ok(header) => header,
        Err(error) => {
            let _ = writeln!(out, "header: CORRUPT: {error}");
            return out;
        }
    };
    let _ = writeln!(
        out,
        "header: format version {FORMAT_VERSION}, first zxid {:#x}, checksum ok",
        header.first_zxid
    );
    let _ = writeln!(
        out,
        "{:>12}  {:<20}  {:>10}  crc",
        "offset", "zxid", "length"
    );
    let mut offset = SEGMENT_HEADER_BYTES;
    let mut records = 0u64;
    let mut last_zxid = header.first_zxid.saturating_sub(1);
    loop {
        match read_frame(bytes, offset) {
            Frame::Record { zxid, payload } => {
                let zxid_hex = format!("{zxid:#x}");
                let _ = writeln!(
                    out,
                    "{offset:>12}  {zxid_hex:<20}  {:>10}  ok",
                    payload.len()
                );
                if let Some(decode) = decode {
                    let _ = writeln!(out, "{:>12}  {}", "", decode(payload));
                }
                records += 1;
                last_zxid = zxid;
                offset += record_frame_bytes(payload.len());
                continue;
            }
            Frame::ShortHeader { remaining: 0 } => {
                let _ = writeln!(
                    out,
                    "end: {records} records, the last ends at the end of the file"
                );
                break;
            }
            Frame::ShortHeader { .. } | Frame::ZeroLength if all_zero(&bytes[offset..]) => {
                let _ = writeln!(
                    out,
                    "end: {records} records; zero padding from offset {offset} to {}",
                    bytes.len()
                );
                break;
            }
            Frame::BadChecksum {
                length,
                zxid,
                stored,
                computed,
            } => {
                let zxid_hex = format!("{zxid:#x}");
                let _ = writeln!(
                    out,
                    "{offset:>12}  {zxid_hex:<20}  {length:>10}  FAILED (stored {stored:#010x}, computed {computed:#010x})"
                );
            }
            other => {
                let _ = writeln!(out, "{offset:>12}  not a record: {other:?}");
            }
        }
        // A bad frame: resume at the next valid record, if there is one.
        match find_valid_record(bytes, offset + 1, last_zxid) {
            Some(next) => {
                let _ = writeln!(
                    out,
                    "{:>12}  ... resuming at the next valid record",
                    next.offset
                );
                offset = next.offset as usize;
            }
            None => {
                let _ = writeln!(
                    out,
                    "end: {records} valid records; none after offset {offset}"
                );
                break;
            }
        }
    }
    out
}
