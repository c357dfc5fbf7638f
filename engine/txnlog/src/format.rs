//! The byte format of a segment: its header and its record frames (the
//! grammar is in the crate doc). Pure functions over byte slices.

/// The first eight bytes of every segment.
pub const SEGMENT_MAGIC: [u8; 8] = *b"RKTXNLOG";
/// The only format version this code writes and reads.
pub const FORMAT_VERSION: u32 = 1;
/// Bytes of the segment header.
pub const SEGMENT_HEADER_BYTES: usize = 32;
/// Bytes of a record frame before its payload: length, crc32c, zxid.
pub const RECORD_HEADER_BYTES: usize = 16;
/// The largest payload a record may carry. Far above jute.maxbuffer (the
/// default 0xfffff bounds a request, and so a txn); a length above it is
/// garbage, never a record.
pub const RECORD_PAYLOAD_BYTES_MAX: usize = 16 * 1024 * 1024;

/// The segment header: which zxid the segment starts at.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct SegmentHeader {
    pub first_zxid: i64,
}

/// Why a header was refused.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum HeaderError {
    /// The file is shorter than a header.
    Short {
        len: usize,
    },
    BadMagic,
    /// A version this code does not read.
    UnknownVersion {
        version: u32,
    },
    /// The reserved field is not zero.
    ReservedNotZero,
    BadChecksum {
        stored: u32,
        computed: u32,
    },
}

impl std::fmt::Display for HeaderError {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            HeaderError::Short { len } => {
                write!(f, "file of {len} bytes is shorter than a segment header ({SEGMENT_HEADER_BYTES} bytes)")
            }
            HeaderError::BadMagic => write!(f, "segment magic is not RKTXNLOG"),
            HeaderError::UnknownVersion { version } => {
                write!(f, "segment format version {version} is unknown (this build reads {FORMAT_VERSION})")
            }
            HeaderError::ReservedNotZero => {
                write!(f, "segment header's reserved field is not zero")
            }
            HeaderError::BadChecksum { stored, computed } => write!(
                f,
                "segment header checksum failed (stored {stored:#010x}, computed {computed:#010x})"
            ),
        }
    }
}

impl SegmentHeader {
    pub fn encode(&self) -> [u8; SEGMENT_HEADER_BYTES] {
        let mut out = [0u8; SEGMENT_HEADER_BYTES];
        out[0..8].copy_from_slice(&SEGMENT_MAGIC);
        out[8..12].copy_from_slice(&FORMAT_VERSION.to_le_bytes());
        out[12..20].copy_from_slice(&self.first_zxid.to_le_bytes());
        // 20..28 reserved: zero.
        let crc = crc32c::crc32c(&out[0..28]);
        out[28..32].copy_from_slice(&crc.to_le_bytes());
        out
    }

    /// Decodes the header at the start of `bytes`.
    pub fn decode(bytes: &[u8]) -> Result<SegmentHeader, HeaderError> {
        let Some(header) = bytes.get(..SEGMENT_HEADER_BYTES) else {
            return Err(HeaderError::Short { len: bytes.len() });
        };
        if header[0..8] != SEGMENT_MAGIC {
            return Err(HeaderError::BadMagic);
        }
        let stored = read_u32(header, 28);
        let computed = crc32c::crc32c(&header[0..28]);
        if stored != computed {
            return Err(HeaderError::BadChecksum { stored, computed });
        }
        let version = read_u32(header, 8);
        if version != FORMAT_VERSION {
            return Err(HeaderError::UnknownVersion { version });
        }
        if read_u64(header, 20) != 0 {
            return Err(HeaderError::ReservedNotZero);
        }
        Ok(SegmentHeader {
            first_zxid: read_u64(header, 12) as i64,
        })
    }
}

/// The checksum stored in a record: CRC32C over the zxid's bytes, then the
/// payload.
pub fn record_crc(zxid: i64, payload: &[u8]) -> u32 {
    crc32c::crc32c_append(crc32c::crc32c(&zxid.to_le_bytes()), payload)
}

/// Bytes a record with `payload_len` payload bytes takes in a segment.
pub const fn record_frame_bytes(payload_len: usize) -> usize {
    RECORD_HEADER_BYTES + payload_len
}

/// Appends one record frame to `out`. The caller has checked the payload
/// length against [`RECORD_PAYLOAD_BYTES_MAX`] (and that it is not empty).
pub fn encode_record(zxid: i64, payload: &[u8], out: &mut Vec<u8>) {
    debug_assert!(!payload.is_empty() && payload.len() <= RECORD_PAYLOAD_BYTES_MAX);
    // The payload length fits u32: it is at most RECORD_PAYLOAD_BYTES_MAX.
    let length = payload.len() as u32;
    out.extend_from_slice(&length.to_le_bytes());
    out.extend_from_slice(&record_crc(zxid, payload).to_le_bytes());
    out.extend_from_slice(&zxid.to_le_bytes());
    out.extend_from_slice(payload);
}

/// What lies at one offset of a segment's record area.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Frame<'a> {
    /// A whole record whose checksum holds.
    Record { zxid: i64, payload: &'a [u8] },
    /// Fewer bytes than a record header remain before the end of the file.
    ShortHeader { remaining: usize },
    /// The length field is zero: padding, if every byte after is zero.
    ZeroLength,
    /// The length is above [`RECORD_PAYLOAD_BYTES_MAX`].
    LengthOverMax { length: u32 },
    /// The frame runs past the end of the file.
    PastEnd { length: u32, remaining: usize },
    /// The frame fits but its checksum fails.
    BadChecksum {
        length: u32,
        zxid: i64,
        stored: u32,
        computed: u32,
    },
}

/// Reads the frame at `offset` of a whole segment `bytes`.
pub fn read_frame(bytes: &[u8], offset: usize) -> Frame<'_> {
    let remaining = bytes.len().saturating_sub(offset);
    if remaining < RECORD_HEADER_BYTES {
        return Frame::ShortHeader { remaining };
    }
    let length = read_u32(bytes, offset);
    if length == 0 {
        return Frame::ZeroLength;
    }
    if length as usize > RECORD_PAYLOAD_BYTES_MAX {
        return Frame::LengthOverMax { length };
    }
    let frame_bytes = record_frame_bytes(length as usize);
    if frame_bytes > remaining {
        return Frame::PastEnd { length, remaining };
    }
    let stored = read_u32(bytes, offset + 4);
    let zxid = read_u64(bytes, offset + 8) as i64;
    let payload = &bytes[offset + RECORD_HEADER_BYTES..offset + frame_bytes];
    let computed = record_crc(zxid, payload);
    if stored != computed {
        return Frame::BadChecksum {
            length,
            zxid,
            stored,
            computed,
        };
    }
    Frame::Record { zxid, payload }
}

/// Whether `next` may follow `prev` in the log: the next counter of the
/// same epoch, or any zxid of a later epoch (a new leader's epoch starts a
/// new counter).
pub const fn zxid_follows(prev: i64, next: i64) -> bool {
    matches!(prev.checked_add(1), Some(successor) if successor == next)
        || (next > prev && (next >> 32) > (prev >> 32))
}

fn read_u32(bytes: &[u8], at: usize) -> u32 {
    let mut word = [0u8; 4];
    word.copy_from_slice(&bytes[at..at + 4]);
    u32::from_le_bytes(word)
}

fn read_u64(bytes: &[u8], at: usize) -> u64 {
    let mut word = [0u8; 8];
    word.copy_from_slice(&bytes[at..at + 8]);
    u64::from_le_bytes(word)
}
