//! Scanning one segment's bytes: its header, its valid records, and what
//! stopped the scan. Pure: the bytes are passed in. Recovery classifies
//! the result into a [`crate::TailCase`]; replay and dump-log read records
//! with the same frame reader.

use crate::format::{
    read_frame, record_crc, record_frame_bytes, zxid_follows, Frame, HeaderError, SegmentHeader,
    RECORD_HEADER_BYTES, RECORD_PAYLOAD_BYTES_MAX, SEGMENT_HEADER_BYTES,
};

/// After a bad frame, a later valid record is searched for with a zxid in
/// (last valid zxid, last valid zxid + RESYNC_ZXID_SPAN_MAX]: wide enough
/// for many epochs, narrow enough that random bytes almost never pass
/// before their checksum is computed.
pub const RESYNC_ZXID_SPAN_MAX: i64 = 1 << 40;

/// A valid record's place in its segment.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct RecordRef {
    pub offset: u64,
    pub zxid: i64,
    pub payload_bytes: u32,
}

/// What is wrong with the frame where the valid records stop.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum FrameProblem {
    /// Fewer than a record header's bytes remain, and not all are zero.
    ShortHeader,
    /// A zero length (padding) with non-zero bytes after it.
    ZeroLengthThenData,
    LengthOverMax {
        length: u32,
    },
    /// The frame would run past the end of the file.
    PastEnd {
        length: u32,
    },
    BadChecksum {
        zxid: i64,
        stored: u32,
        computed: u32,
    },
}

impl std::fmt::Display for FrameProblem {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            FrameProblem::ShortHeader => write!(f, "a partial record header"),
            FrameProblem::ZeroLengthThenData => write!(f, "a zero length followed by non-zero bytes"),
            FrameProblem::LengthOverMax { length } => write!(
                f,
                "a length of {length} bytes (over RECORD_PAYLOAD_BYTES_MAX {RECORD_PAYLOAD_BYTES_MAX})"
            ),
            FrameProblem::PastEnd { length } => {
                write!(f, "a record of {length} bytes running past the end of the file")
            }
            FrameProblem::BadChecksum {
                zxid,
                stored,
                computed,
            } => write!(
                f,
                "a checksum failure (zxid field {zxid:#x}, stored crc {stored:#010x}, computed {computed:#010x})"
            ),
        }
    }
}

/// Why the scan of a segment stopped.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum ScanStop {
    /// The header is missing or corrupt: nothing was read.
    BadHeader(HeaderError),
    /// The last record ends exactly at the end of the file.
    EndOfFile,
    /// Only zero bytes follow the last record.
    ZeroPadding,
    /// A frame that is not a valid record at `offset`. `next_valid` is a
    /// valid record found after it in this segment, if any;
    /// `nonzero_end` is one past the file's last non-zero byte.
    BadFrame {
        offset: u64,
        problem: FrameProblem,
        next_valid: Option<RecordRef>,
        nonzero_end: u64,
    },
    /// The first record's zxid is not the header's first zxid.
    FirstZxidMismatch {
        offset: u64,
        header_zxid: i64,
        zxid: i64,
    },
    /// A valid record whose zxid does not follow the previous one.
    ZxidBreak {
        offset: u64,
        prev_zxid: i64,
        zxid: i64,
    },
}

/// One segment, scanned.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct SegmentScan {
    pub header: Option<SegmentHeader>,
    pub file_bytes: u64,
    pub records: u64,
    pub first_record_zxid: Option<i64>,
    pub last_zxid: Option<i64>,
    /// One past the last valid record (the header's end if none).
    pub end_offset: u64,
    pub stop: ScanStop,
}

/// Scans a whole segment file's bytes.
pub fn scan_segment(bytes: &[u8]) -> SegmentScan {
    let file_bytes = bytes.len() as u64;
    let header = match SegmentHeader::decode(bytes) {
        Ok(header) => header,
        Err(error) => {
            return SegmentScan {
                header: None,
                file_bytes,
                records: 0,
                first_record_zxid: None,
                last_zxid: None,
                end_offset: 0,
                stop: ScanStop::BadHeader(error),
            }
        }
    };
    let mut scan = SegmentScan {
        header: Some(header),
        file_bytes,
        records: 0,
        first_record_zxid: None,
        last_zxid: None,
        end_offset: SEGMENT_HEADER_BYTES as u64,
        stop: ScanStop::EndOfFile,
    };
    let mut offset = SEGMENT_HEADER_BYTES;
    loop {
        let problem = match read_frame(bytes, offset) {
            Frame::Record { zxid, payload } => {
                let expected_ok = match scan.last_zxid {
                    None if zxid != header.first_zxid => {
                        scan.stop = ScanStop::FirstZxidMismatch {
                            offset: offset as u64,
                            header_zxid: header.first_zxid,
                            zxid,
                        };
                        return scan;
                    }
                    None => true,
                    Some(prev_zxid) => zxid_follows(prev_zxid, zxid),
                };
                if !expected_ok {
                    scan.stop = ScanStop::ZxidBreak {
                        offset: offset as u64,
                        prev_zxid: scan.last_zxid.unwrap_or_default(),
                        zxid,
                    };
                    return scan;
                }
                scan.records += 1;
                scan.first_record_zxid.get_or_insert(zxid);
                scan.last_zxid = Some(zxid);
                offset += record_frame_bytes(payload.len());
                scan.end_offset = offset as u64;
                continue;
            }
            Frame::ShortHeader { remaining } => {
                if remaining == 0 {
                    scan.stop = ScanStop::EndOfFile;
                    return scan;
                }
                if all_zero(&bytes[offset..]) {
                    scan.stop = ScanStop::ZeroPadding;
                    return scan;
                }
                FrameProblem::ShortHeader
            }
            Frame::ZeroLength => {
                if all_zero(&bytes[offset..]) {
                    scan.stop = ScanStop::ZeroPadding;
                    return scan;
                }
                FrameProblem::ZeroLengthThenData
            }
            Frame::LengthOverMax { length } => FrameProblem::LengthOverMax { length },
            Frame::PastEnd { length, .. } => FrameProblem::PastEnd { length },
            Frame::BadChecksum {
                zxid,
                stored,
                computed,
                ..
            } => FrameProblem::BadChecksum {
                zxid,
                stored,
                computed,
            },
        };
        let after_zxid = scan
            .last_zxid
            .unwrap_or(header.first_zxid.saturating_sub(1));
        scan.stop = ScanStop::BadFrame {
            offset: offset as u64,
            problem,
            next_valid: find_valid_record(bytes, offset + 1, after_zxid),
            nonzero_end: nonzero_end(bytes) as u64,
        };
        return scan;
    }
}

/// The first valid record at or after `from` whose zxid is above
/// `after_zxid` (within [`RESYNC_ZXID_SPAN_MAX`]): evidence that data
/// follows a bad frame.
pub fn find_valid_record(bytes: &[u8], from: usize, after_zxid: i64) -> Option<RecordRef> {
    let last_start = bytes.len().checked_sub(RECORD_HEADER_BYTES + 1)?;
    let mut offset = from;
    while offset <= last_start {
        // Skip zero runs: a frame's length field holds a non-zero byte.
        let next_nonzero = bytes[offset..].iter().position(|&byte| byte != 0)?;
        offset = (offset + next_nonzero).saturating_sub(3).max(offset);
        if offset > last_start {
            return None;
        }
        if let Some(record) = candidate(bytes, offset, after_zxid) {
            return Some(record);
        }
        offset += 1;
    }
    None
}

fn candidate(bytes: &[u8], offset: usize, after_zxid: i64) -> Option<RecordRef> {
    let word = |at: usize, len: usize| &bytes[offset + at..offset + at + len];
    let length = u32::from_le_bytes(word(0, 4).try_into().ok()?);
    let zxid = i64::from_le_bytes(word(8, 8).try_into().ok()?);
    let span_ok = zxid > after_zxid && zxid - after_zxid <= RESYNC_ZXID_SPAN_MAX;
    let frame_bytes = record_frame_bytes(length as usize);
    if length == 0
        || length as usize > RECORD_PAYLOAD_BYTES_MAX
        || !span_ok
        || offset + frame_bytes > bytes.len()
    {
        return None;
    }
    let stored = u32::from_le_bytes(word(4, 4).try_into().ok()?);
    let payload = &bytes[offset + RECORD_HEADER_BYTES..offset + frame_bytes];
    (record_crc(zxid, payload) == stored).then_some(RecordRef {
        offset: offset as u64,
        zxid,
        payload_bytes: length,
    })
}

/// Whether every byte is zero.
pub fn all_zero(bytes: &[u8]) -> bool {
    let (words, rest) = bytes.split_at(bytes.len() - bytes.len() % 8);
    words.chunks_exact(8).all(|word| {
        u64::from_ne_bytes([
            word[0], word[1], word[2], word[3], word[4], word[5], word[6], word[7],
        ]) == 0
    }) && rest.iter().all(|&byte| byte == 0)
}

/// One past the last non-zero byte (0 if all are zero).
pub fn nonzero_end(bytes: &[u8]) -> usize {
    bytes
        .iter()
        .rposition(|&byte| byte != 0)
        .map_or(0, |last| last + 1)
}

/// Every valid record of a segment's bytes from its header on, in order,
/// until the first frame that is not one (what dump and replay walk).
pub fn records(bytes: &[u8]) -> impl Iterator<Item = (RecordRef, &[u8])> {
    let mut offset = SEGMENT_HEADER_BYTES;
    std::iter::from_fn(move || match read_frame(bytes, offset) {
        Frame::Record { zxid, payload } => {
            let record = RecordRef {
                offset: offset as u64,
                zxid,
                payload_bytes: payload.len() as u32,
            };
            offset += record_frame_bytes(payload.len());
            Some((record, payload))
        }
        _ => None,
    })
}
