//! The snapshot file format: names, the fixed header and footer, and the
//! record layouts of the three sections. Written down here and in
//! docs/storage.md ("Snapshots") before any code used it.
//!
//! ```text
//! dataDir          = *(snapshot / temp / other)        ; other names are ignored
//! snapshot         = "snapshot." HEX(zxid)              ; lower-case hex, no padding, no 0x
//! temp             = "snapshot." HEX(zxid) ".tmp"       ; being written; never loaded
//!
//! file             = header node-section acl-section session-section footer
//!                                                       ; contiguous, in this order
//! header           = magic version flags zxid node-count acl-list-count
//!                    session-count file-bytes header-crc reserved32   ; 64 bytes
//! magic            = "RKSNAP" %x00 %x0A                 ; 8 bytes
//! version          = u32 2                              ; FORMAT_VERSION; 1 is still read
//! flags            = u32                                ; bit 0 FUZZY; other bits 0
//! zxid             = i64   ; last zxid applied when the snapshot began: replay starts after it
//! node-count       = u64   ; records in node-section
//! acl-list-count   = u64   ; records in acl-section
//! session-count    = u64   ; records in session-section
//! file-bytes       = u64   ; length of the whole file
//! header-crc       = u32 CRC32C(header bytes 0..56)
//! reserved32       = u32 0
//!
//! node-section     = node-count node                   ; parents before children (preorder)
//! node             = parent name-len data-len version cversion aversion acl-id
//!                    czxid mzxid ctime-ms mtime-ms ephemeral-owner pzxid  ; 80 bytes
//!                    name data pad8
//! parent           = u32   ; record index of the parent; %xFFFFFFFF for the root (record 0 only)
//! name-len         = u32   ; 0 for the root only
//! data-len         = u32   ; %xFFFFFFFF: null data, no bytes follow (version 2;
//!                          ;   version 1 has no null data and no such length)
//! version, cversion, aversion = i32   ; cversion as persisted: child creations
//! acl-id           = i64   ; a list of acl-section, or -1 (OPEN_ACL_UNSAFE)
//! czxid .. pzxid   = i64 each (NodeStat; ephemeral-owner raw: session, container or TTL marker)
//! name             = name-len bytes, UTF-8, no "/"
//! data             = data-len bytes (none when null)
//! pad8             = 0..7 bytes %x00, so the next record starts 8-aligned
//!
//! acl-section      = acl-list-count acl-list            ; ascending acl-id
//! acl-list         = acl-id acl-count reserved32 *acl pad8
//! acl-count        = u32
//! acl              = perms scheme-len id-len scheme id  ; 12 + lengths bytes
//! perms            = i32
//! scheme-len, id-len = u32, then that many UTF-8 bytes
//!
//! session-section  = session-count session
//! session          = session-id timeout-ms reserved32   ; 16 bytes
//! session-id       = i64
//! timeout-ms       = u32   ; negotiated timeout
//!
//! footer           = node-ref acl-ref session-ref digest digest-zxid
//!                    footer-magic reserved32 file-crc   ; 80 bytes
//! node-ref, acl-ref, session-ref = offset u64, bytes u64  ; where each section lies
//! digest           = u64   ; DataTree::digest of the tree at digest-zxid
//! digest-zxid      = i64   ; last zxid applied when the walk ended (= zxid unless FUZZY)
//! footer-magic     = "RKSNAPFT"
//! file-crc         = u32 CRC32C(file bytes 0 .. file-bytes - 4)
//! ```
//!
//! Integers are little-endian. Every record starts 8-aligned, so with the
//! file mapped at a page boundary every i64 of a node record is aligned.
//!
//! ```text
//!  offset 0        8     12    16      24      32      40      48      56    60   64
//!         +--------+-----+-----+-------+-------+-------+-------+-------+-----+----+
//!  header | RKSNAP | ver | flg | zxid  | nodes | acls  | sess  | bytes | crc | 0  |
//!         | \0 \n  | u32 | u32 | i64   | u64   | u64   | u64   | u64   | u32 |    |
//!         +--------+-----+-----+-------+-------+-------+-------+-------+-----+----+
//!
//!         0      4      8      12    16    20    24     32    40    48    56    64      72    80
//!         +------+------+------+-----+-----+-----+------+-----+-----+-----+-----+-------+-----+------------------+
//!  node   |parent|name  |data  |vers |cver |aver |acl id|czxid|mzxid|ctime|mtime|e.owner|pzxid| name data pad8   |
//!         | u32  |len   |len   |i32  |i32  |i32  | i64  |           i64 each                 |                  |
//!         +------+------+------+-----+-----+-----+------+-----+-----+-----+-----+-------+-----+------------------+
//!
//!         0          16         32           48       56       64           72   76
//!         +----------+----------+------------+--------+--------+------------+----+-----+
//!  footer | node ref | acl ref  | session ref| digest | digest | "RKSNAPFT" | 0  | crc |
//!         | off,len  | off,len  | off,len    | u64    | zxid   |            |    | u32 |
//!         +----------+----------+------------+--------+--------+------------+----+-----+
//! ```
//!
//! A reader maps the file, checks the header (magic, version, flags, its
//! CRC, file-bytes against the real length), the footer (magic, section
//! refs contiguous and in bounds), then one CRC32C pass over the whole file,
//! and then reads each section once, front to back, checking every length
//! against the bytes that remain before using it.

use std::fmt;

/// The first 8 bytes of every snapshot.
pub const MAGIC: [u8; 8] = *b"RKSNAP\0\n";
/// The 8 bytes before the footer's CRC.
pub const FOOTER_MAGIC: [u8; 8] = *b"RKSNAPFT";
/// The format this crate writes. Version 2 added null data
/// ([`DATA_LEN_NULL`]); version 1 (the same layout without it) is read
/// too.
pub const FORMAT_VERSION: u32 = 2;
/// The oldest format this crate reads.
pub const FORMAT_VERSION_READ_MIN: u32 = 1;
/// A node's `data-len` when its data is null (version 2 on).
pub const DATA_LEN_NULL: u32 = u32::MAX;
/// The header's size in bytes.
pub const HEADER_BYTES: usize = 64;
/// The footer's size in bytes.
pub const FOOTER_BYTES: usize = 80;
/// A node record's fixed part, before name and data.
pub const NODE_FIXED_BYTES: usize = 80;
/// An ACL list's fixed part, before its entries.
pub const ACL_LIST_FIXED_BYTES: usize = 16;
/// One ACL entry's fixed part, before scheme and id.
pub const ACL_FIXED_BYTES: usize = 12;
/// One session record.
pub const SESSION_BYTES: usize = 16;
/// Records start at multiples of this.
pub const RECORD_ALIGN_BYTES: usize = 8;
/// The `parent` of the root's record.
pub const NO_PARENT: u32 = u32::MAX;
/// Nodes one snapshot can hold: record indexes are u32 and `NO_PARENT` is
/// taken (the DataTree's own limit, `NODES_MAX`, is the same).
pub const SNAPSHOT_NODES_MAX: usize = u32::MAX as usize - 1;

/// Header flag: the nodes were captured while writes went on (see
/// docs/storage.md); the tree equals the live one only after the log is
/// replayed from `zxid` through `digest_zxid`.
pub const FLAG_FUZZY: u32 = 1;
/// Every flag this version knows.
pub const FLAGS_KNOWN: u32 = FLAG_FUZZY;

const SNAPSHOT_PREFIX: &str = "snapshot.";
const TEMP_SUFFIX: &str = ".tmp";

/// `snapshot.<zxid hex>`, as ZooKeeper names its snapshots.
pub fn snapshot_file_name(zxid: i64) -> String {
    format!("{SNAPSHOT_PREFIX}{zxid:x}")
}

/// `snapshot.<zxid hex>.tmp`: where a snapshot is written before its rename.
pub fn temp_file_name(zxid: i64) -> String {
    format!("{SNAPSHOT_PREFIX}{zxid:x}{TEMP_SUFFIX}")
}

/// What a directory entry's name says it is.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum SnapshotName {
    /// A finished snapshot covering `zxid`.
    Snapshot(i64),
    /// A snapshot that was being written when the process stopped (or is
    /// being written now).
    Temp(i64),
}

/// Classify a file name; None for names that are neither (logs, other
/// files, `snapshot.` with a bad number).
pub fn parse_snapshot_name(name: &str) -> Option<SnapshotName> {
    let rest = name.strip_prefix(SNAPSHOT_PREFIX)?;
    let (hex, temp) = match rest.strip_suffix(TEMP_SUFFIX) {
        Some(hex) => (hex, true),
        None => (rest, false),
    };
    if hex.is_empty() || hex.len() > 16 || !hex.bytes().all(|b| b.is_ascii_hexdigit()) {
        return None;
    }
    // Parsed as u64 then reinterpreted, as Java's Long.parseUnsignedLong
    // would read a negative zxid's toHexString.
    let zxid = u64::from_str_radix(hex, 16).ok()? as i64;
    Some(if temp {
        SnapshotName::Temp(zxid)
    } else {
        SnapshotName::Snapshot(zxid)
    })
}

/// Round `len` up to the record alignment.
pub(crate) fn align_up(len: usize) -> usize {
    len.next_multiple_of(RECORD_ALIGN_BYTES)
}

/// The fixed header.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Header {
    pub format_version: u32,
    pub flags: u32,
    /// Last zxid applied when the snapshot began.
    pub zxid: i64,
    pub node_count: u64,
    pub acl_list_count: u64,
    pub session_count: u64,
    pub file_bytes: u64,
}

impl Header {
    pub fn is_fuzzy(&self) -> bool {
        self.flags & FLAG_FUZZY != 0
    }

    pub(crate) fn encode(&self) -> [u8; HEADER_BYTES] {
        let mut out = [0u8; HEADER_BYTES];
        out[0..8].copy_from_slice(&MAGIC);
        out[8..12].copy_from_slice(&self.format_version.to_le_bytes());
        out[12..16].copy_from_slice(&self.flags.to_le_bytes());
        out[16..24].copy_from_slice(&self.zxid.to_le_bytes());
        out[24..32].copy_from_slice(&self.node_count.to_le_bytes());
        out[32..40].copy_from_slice(&self.acl_list_count.to_le_bytes());
        out[40..48].copy_from_slice(&self.session_count.to_le_bytes());
        out[48..56].copy_from_slice(&self.file_bytes.to_le_bytes());
        let crc = crc32c::crc32c(&out[0..56]);
        out[56..60].copy_from_slice(&crc.to_le_bytes());
        out
    }

    /// Read and check the header alone: magic, version, flags and its CRC.
    pub(crate) fn decode(bytes: &[u8]) -> Result<Header, FormatError> {
        let Some(raw) = bytes.first_chunk::<HEADER_BYTES>() else {
            return Err(FormatError::ShorterThanHeader {
                file_bytes: bytes.len() as u64,
            });
        };
        if raw[0..8] != MAGIC {
            return Err(FormatError::BadMagic);
        }
        let stored_crc = le_u32(raw, 56);
        let computed_crc = crc32c::crc32c(&raw[0..56]);
        if stored_crc != computed_crc {
            return Err(FormatError::HeaderChecksum {
                stored: stored_crc,
                computed: computed_crc,
            });
        }
        let header = Header {
            format_version: le_u32(raw, 8),
            flags: le_u32(raw, 12),
            zxid: le_u64(raw, 16) as i64,
            node_count: le_u64(raw, 24),
            acl_list_count: le_u64(raw, 32),
            session_count: le_u64(raw, 40),
            file_bytes: le_u64(raw, 48),
        };
        if !(FORMAT_VERSION_READ_MIN..=FORMAT_VERSION).contains(&header.format_version) {
            return Err(FormatError::UnsupportedVersion(header.format_version));
        }
        if header.flags & !FLAGS_KNOWN != 0 {
            return Err(FormatError::UnknownFlags(header.flags));
        }
        Ok(header)
    }
}

/// Where a section lies in the file.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub struct SectionRef {
    pub offset: u64,
    pub bytes: u64,
}

impl SectionRef {
    pub fn end(&self) -> u64 {
        self.offset.saturating_add(self.bytes)
    }
}

/// The fixed footer.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Footer {
    pub nodes: SectionRef,
    pub acls: SectionRef,
    pub sessions: SectionRef,
    /// `DataTree::digest` of the tree at `digest_zxid`.
    pub digest: u64,
    /// Last zxid applied when the walk ended.
    pub digest_zxid: i64,
    pub file_crc: u32,
}

impl Footer {
    /// The footer's bytes, all but the CRC (the last 4 bytes, which cover
    /// everything before them).
    pub(crate) fn encode_without_crc(&self) -> [u8; FOOTER_BYTES - 4] {
        let mut out = [0u8; FOOTER_BYTES - 4];
        let refs = [self.nodes, self.acls, self.sessions];
        for (slot, section) in refs.iter().enumerate() {
            let at = slot * 16;
            out[at..at + 8].copy_from_slice(&section.offset.to_le_bytes());
            out[at + 8..at + 16].copy_from_slice(&section.bytes.to_le_bytes());
        }
        out[48..56].copy_from_slice(&self.digest.to_le_bytes());
        out[56..64].copy_from_slice(&self.digest_zxid.to_le_bytes());
        out[64..72].copy_from_slice(&FOOTER_MAGIC);
        out
    }

    /// Read the footer at the end of `bytes` (the whole file) and check
    /// its magic and that the sections tile the file between header and
    /// footer. The CRC is read, not checked.
    pub(crate) fn decode(bytes: &[u8]) -> Result<Footer, FormatError> {
        let Some(raw) = bytes.last_chunk::<FOOTER_BYTES>() else {
            return Err(FormatError::ShorterThanHeader {
                file_bytes: bytes.len() as u64,
            });
        };
        if raw[64..72] != FOOTER_MAGIC {
            return Err(FormatError::BadFooterMagic);
        }
        let section = |slot: usize| SectionRef {
            offset: le_u64(raw, slot * 16),
            bytes: le_u64(raw, slot * 16 + 8),
        };
        let footer = Footer {
            nodes: section(0),
            acls: section(1),
            sessions: section(2),
            digest: le_u64(raw, 48),
            digest_zxid: le_u64(raw, 56) as i64,
            file_crc: le_u32(raw, 76),
        };
        let footer_offset = (bytes.len() - FOOTER_BYTES) as u64;
        let tiles = footer.nodes.offset == HEADER_BYTES as u64
            && footer.acls.offset == footer.nodes.end()
            && footer.sessions.offset == footer.acls.end()
            && footer.sessions.end() == footer_offset;
        if !tiles {
            return Err(FormatError::SectionsDoNotTile {
                nodes: footer.nodes,
                acls: footer.acls,
                sessions: footer.sessions,
                footer_offset,
            });
        }
        Ok(footer)
    }
}

/// What is wrong with the fixed parts of a file.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum FormatError {
    ShorterThanHeader {
        file_bytes: u64,
    },
    BadMagic,
    HeaderChecksum {
        stored: u32,
        computed: u32,
    },
    UnsupportedVersion(u32),
    UnknownFlags(u32),
    BadFooterMagic,
    SectionsDoNotTile {
        nodes: SectionRef,
        acls: SectionRef,
        sessions: SectionRef,
        footer_offset: u64,
    },
}

impl fmt::Display for FormatError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            FormatError::ShorterThanHeader { file_bytes } => write!(
                f,
                "{file_bytes} bytes: shorter than a header and footer ({} bytes)",
                HEADER_BYTES + FOOTER_BYTES
            ),
            FormatError::BadMagic => f.write_str("not a ringkeeper snapshot (bad magic at offset 0)"),
            FormatError::HeaderChecksum { stored, computed } => write!(
                f,
                "header checksum mismatch at offset 56: stored {stored:#010x}, computed {computed:#010x}"
            ),
            FormatError::UnsupportedVersion(version) => write!(
                f,
                "format version {version} at offset 8; this build reads versions {FORMAT_VERSION_READ_MIN} to {FORMAT_VERSION}"
            ),
            FormatError::UnknownFlags(flags) => {
                write!(f, "unknown flags {flags:#x} at offset 12 (known: {FLAGS_KNOWN:#x})")
            }
            FormatError::BadFooterMagic => f.write_str("bad footer magic (end of file)"),
            FormatError::SectionsDoNotTile {
                nodes,
                acls,
                sessions,
                footer_offset,
            } => write!(
                f,
                "sections do not tile the file: nodes {}+{}, acls {}+{}, sessions {}+{}, footer at {footer_offset}",
                nodes.offset, nodes.bytes, acls.offset, acls.bytes, sessions.offset, sessions.bytes
            ),
        }
    }
}

impl std::error::Error for FormatError {}

pub(crate) fn le_u32<const N: usize>(bytes: &[u8; N], at: usize) -> u32 {
    let mut word = [0u8; 4];
    word.copy_from_slice(&bytes[at..at + 4]);
    u32::from_le_bytes(word)
}

pub(crate) fn le_u64<const N: usize>(bytes: &[u8; N], at: usize) -> u64 {
    let mut word = [0u8; 8];
    word.copy_from_slice(&bytes[at..at + 8]);
    u64::from_le_bytes(word)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn names_are_zookeepers_lower_case_hex() {
        assert_eq!(snapshot_file_name(0x1a_0000_0003), "snapshot.1a00000003");
        assert_eq!(temp_file_name(0), "snapshot.0.tmp");
        assert_eq!(
            parse_snapshot_name("snapshot.1a00000003"),
            Some(SnapshotName::Snapshot(0x1a_0000_0003))
        );
        assert_eq!(
            parse_snapshot_name("snapshot.ff.tmp"),
            Some(SnapshotName::Temp(0xff))
        );
        for other in [
            "log.1",
            "snapshot.",
            "snapshot.xyz",
            "snapshot.1.bak",
            "snapshot.1.tmp.tmp",
        ] {
            assert_eq!(parse_snapshot_name(other), None, "{other}");
        }
    }

    #[test]
    fn header_round_trips_and_its_crc_catches_a_flipped_bit() {
        let header = Header {
            format_version: FORMAT_VERSION,
            flags: FLAG_FUZZY,
            zxid: 0x1_0000_0042,
            node_count: 7,
            acl_list_count: 2,
            session_count: 3,
            file_bytes: 4096,
        };
        let mut bytes = header.encode();
        assert_eq!(Header::decode(&bytes), Ok(header));
        bytes[20] ^= 0x10;
        assert!(matches!(
            Header::decode(&bytes),
            Err(FormatError::HeaderChecksum { .. })
        ));
    }

    #[test]
    fn version_1_headers_are_still_read() {
        let header = Header {
            format_version: 1,
            flags: 0,
            zxid: 5,
            node_count: 1,
            acl_list_count: 0,
            session_count: 0,
            file_bytes: 0,
        };
        assert_eq!(Header::decode(&header.encode()), Ok(header));
        let too_old = Header {
            format_version: 0,
            ..header
        };
        assert_eq!(
            Header::decode(&too_old.encode()),
            Err(FormatError::UnsupportedVersion(0))
        );
    }

    #[test]
    fn a_newer_version_or_an_unknown_flag_is_refused_by_name() {
        let mut header = Header {
            format_version: FORMAT_VERSION + 1,
            flags: 0,
            zxid: 1,
            node_count: 1,
            acl_list_count: 0,
            session_count: 0,
            file_bytes: 0,
        };
        assert_eq!(
            Header::decode(&header.encode()),
            Err(FormatError::UnsupportedVersion(FORMAT_VERSION + 1))
        );
        header.format_version = FORMAT_VERSION;
        header.flags = 0b110;
        assert_eq!(
            Header::decode(&header.encode()),
            Err(FormatError::UnknownFlags(0b110))
        );
    }
}
