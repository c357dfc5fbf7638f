//! Reading a snapshot's bytes: [`SnapshotReader::open`] checks everything
//! fixed (header, length, footer, the CRC of the whole file, the counts
//! against the section sizes), then each section is read once, front to
//! back, by an iterator that checks every length against the bytes left
//! in its section before using it. Nothing here panics or allocates on a
//! length it has not checked, whatever the bytes.

use ringkeeper_datatree::{AclId, NodeStat, OPEN_ACL_UNSAFE_ID};
use ringkeeper_jute::{Acl, Id};

use crate::encoder::SnapshotSession;
use crate::error::SnapshotError;
use crate::format::{
    align_up, le_u32, le_u64, Footer, Header, SectionRef, ACL_FIXED_BYTES, ACL_LIST_FIXED_BYTES,
    DATA_LEN_NULL, FOOTER_BYTES, HEADER_BYTES, NODE_FIXED_BYTES, NO_PARENT, RECORD_ALIGN_BYTES,
    SESSION_BYTES,
};

/// A checked snapshot, ready to be read section by section.
#[derive(Debug, Clone, Copy)]
pub struct SnapshotReader<'a> {
    bytes: &'a [u8],
    header: Header,
    footer: Footer,
}

/// One node as stored.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct NodeRecord<'a> {
    /// Its record index (0 is the root).
    pub index: u32,
    /// Its offset in the file.
    pub offset: u64,
    /// The parent's record index; None for the root.
    pub parent: Option<u32>,
    /// The last component of its path ("" for the root).
    pub name: &'a str,
    /// None when the data is null.
    pub data: Option<&'a [u8]>,
    pub acl_id: AclId,
    pub stat: NodeStat,
}

impl<'a> SnapshotReader<'a> {
    /// Check the fixed parts and the whole file's CRC.
    pub fn open(bytes: &'a [u8]) -> Result<Self, SnapshotError> {
        let header = Header::decode(bytes)?;
        if header.file_bytes != bytes.len() as u64 {
            return Err(SnapshotError::LengthMismatch {
                header_file_bytes: header.file_bytes,
                file_bytes: bytes.len() as u64,
            });
        }
        if bytes.len() < HEADER_BYTES + FOOTER_BYTES {
            return Err(crate::format::FormatError::ShorterThanHeader {
                file_bytes: bytes.len() as u64,
            }
            .into());
        }
        let footer = Footer::decode(bytes)?;
        let crc_end = bytes.len() - 4;
        let computed = crc32c::crc32c(&bytes[..crc_end]);
        if computed != footer.file_crc {
            return Err(SnapshotError::ChecksumMismatch {
                stored: footer.file_crc,
                computed,
            });
        }
        let fuzzy = header.is_fuzzy();
        let zxids_fit = if fuzzy {
            footer.digest_zxid > header.zxid
        } else {
            footer.digest_zxid == header.zxid
        };
        if !zxids_fit {
            return Err(SnapshotError::DigestZxid {
                zxid: header.zxid,
                digest_zxid: footer.digest_zxid,
                fuzzy,
            });
        }
        let reader = SnapshotReader {
            bytes,
            header,
            footer,
        };
        reader.check_counts()?;
        Ok(reader)
    }

    /// Each count must fit its section at the records' smallest size, so
    /// no count can make a reader allocate or loop beyond the file.
    fn check_counts(&self) -> Result<(), SnapshotError> {
        let checks: [(&'static str, SectionRef, u64, usize, bool); 3] = [
            (
                "nodes",
                self.footer.nodes,
                self.header.node_count,
                NODE_FIXED_BYTES,
                false,
            ),
            (
                "acls",
                self.footer.acls,
                self.header.acl_list_count,
                ACL_LIST_FIXED_BYTES,
                false,
            ),
            (
                "sessions",
                self.footer.sessions,
                self.header.session_count,
                SESSION_BYTES,
                true,
            ),
        ];
        for (section, place, count, min_bytes, exact) in checks {
            let needed = count.checked_mul(min_bytes as u64);
            let fits = match needed {
                Some(needed) if exact => needed == place.bytes,
                Some(needed) => needed <= place.bytes,
                None => false,
            };
            if !fits || place.bytes % RECORD_ALIGN_BYTES as u64 != 0 {
                return Err(SnapshotError::Malformed {
                    section,
                    offset: place.offset,
                    reason: format!(
                        "{count} records cannot fit {} bytes ({min_bytes} bytes each at least)",
                        place.bytes
                    ),
                });
            }
        }
        if self.header.node_count == 0 {
            return Err(SnapshotError::Malformed {
                section: "nodes",
                offset: self.footer.nodes.offset,
                reason: "no root".to_string(),
            });
        }
        Ok(())
    }

    pub fn header(&self) -> &Header {
        &self.header
    }

    pub fn footer(&self) -> &Footer {
        &self.footer
    }

    /// The ACL lists, ascending by number.
    pub fn acl_lists(&self) -> AclLists<'a> {
        AclLists {
            cursor: Cursor::new(self.bytes, self.footer.acls, "acls"),
            remaining: self.header.acl_list_count,
            last_id: None,
        }
    }

    /// The nodes, in preorder (parents first).
    pub fn nodes(&self) -> NodeRecords<'a> {
        NodeRecords {
            cursor: Cursor::new(self.bytes, self.footer.nodes, "nodes"),
            remaining: self.header.node_count,
            index: 0,
            null_data_known: self.header.format_version >= 2,
        }
    }

    /// The sessions, ascending by id.
    pub fn sessions(&self) -> Sessions<'a> {
        Sessions {
            cursor: Cursor::new(self.bytes, self.footer.sessions, "sessions"),
            remaining: self.header.session_count,
        }
    }
}

/// A position inside one section of the file.
#[derive(Debug, Clone)]
struct Cursor<'a> {
    bytes: &'a [u8],
    at: usize,
    end: usize,
    section: &'static str,
}

impl<'a> Cursor<'a> {
    fn new(bytes: &'a [u8], place: SectionRef, section: &'static str) -> Self {
        // `open` checked that the sections tile the file.
        Cursor {
            bytes,
            at: place.offset as usize,
            end: place.end() as usize,
            section,
        }
    }

    fn malformed(&self, offset: usize, reason: impl Into<String>) -> SnapshotError {
        SnapshotError::Malformed {
            section: self.section,
            offset: offset as u64,
            reason: reason.into(),
        }
    }

    fn take<const N: usize>(&mut self) -> Result<&'a [u8; N], SnapshotError> {
        let fixed = self.bytes[self.at..self.end]
            .first_chunk::<N>()
            .ok_or_else(|| self.malformed(self.at, format!("{N} bytes needed, fewer left")))?;
        self.at += N;
        Ok(fixed)
    }

    fn take_slice(&mut self, len: usize) -> Result<&'a [u8], SnapshotError> {
        if len > self.end - self.at {
            return Err(self.malformed(
                self.at,
                format!("{len} bytes needed, {} left", self.end - self.at),
            ));
        }
        let slice = &self.bytes[self.at..self.at + len];
        self.at += len;
        Ok(slice)
    }

    fn take_str(&mut self, len: usize, what: &str) -> Result<&'a str, SnapshotError> {
        let at = self.at;
        let bytes = self.take_slice(len)?;
        std::str::from_utf8(bytes).map_err(|_| self.malformed(at, format!("{what} is not UTF-8")))
    }

    /// Skip the padding to the next record.
    fn align(&mut self) -> Result<(), SnapshotError> {
        let aligned = align_up(self.at);
        if aligned > self.end {
            return Err(self.malformed(self.at, "padding runs past the section"));
        }
        self.at = aligned;
        Ok(())
    }

    /// After the last record: nothing may be left.
    fn finish(&self) -> Result<(), SnapshotError> {
        if self.at != self.end {
            return Err(self.malformed(
                self.at,
                format!("{} bytes after the last record", self.end - self.at),
            ));
        }
        Ok(())
    }
}

/// Iterator over the node records; stops after the first error.
#[derive(Debug, Clone)]
pub struct NodeRecords<'a> {
    cursor: Cursor<'a>,
    remaining: u64,
    index: u32,
    /// Format version 2 on: a data-len of [`DATA_LEN_NULL`] is null data.
    null_data_known: bool,
}

impl<'a> NodeRecords<'a> {
    fn read(&mut self) -> Result<NodeRecord<'a>, SnapshotError> {
        let offset = self.cursor.at;
        let fixed = self.cursor.take::<NODE_FIXED_BYTES>()?;
        let parent = le_u32(fixed, 0);
        let name_len = le_u32(fixed, 4) as usize;
        let data_len = le_u32(fixed, 8);
        let i32_at = |at| le_u32(fixed, at) as i32;
        let i64_at = |at| le_u64(fixed, at) as i64;
        let stat = NodeStat {
            version: i32_at(12),
            cversion: i32_at(16),
            aversion: i32_at(20),
            czxid: i64_at(32),
            mzxid: i64_at(40),
            ctime_ms: i64_at(48),
            mtime_ms: i64_at(56),
            ephemeral_owner: i64_at(64),
            pzxid: i64_at(72),
        };
        let acl_id = i64_at(24);
        let name = self.cursor.take_str(name_len, "the name")?;
        let data = if self.null_data_known && data_len == DATA_LEN_NULL {
            None
        } else {
            Some(self.cursor.take_slice(data_len as usize)?)
        };
        self.cursor.align()?;
        let index = self.index;
        let parent = match (index, parent) {
            (0, NO_PARENT) if name.is_empty() => None,
            (0, _) => {
                return Err(self
                    .cursor
                    .malformed(offset, "the first record is not the root"))
            }
            (_, parent) if parent < index && !name.is_empty() && !name.contains('/') => {
                Some(parent)
            }
            (_, parent) => {
                return Err(self.cursor.malformed(
                    offset,
                    format!("record {index}: parent {parent} or name {name:?} is not allowed"),
                ))
            }
        };
        Ok(NodeRecord {
            index,
            offset: offset as u64,
            parent,
            name,
            data,
            acl_id,
            stat,
        })
    }
}

impl<'a> Iterator for NodeRecords<'a> {
    type Item = Result<NodeRecord<'a>, SnapshotError>;

    fn next(&mut self) -> Option<Self::Item> {
        if self.remaining == 0 {
            return None;
        }
        self.remaining -= 1;
        let record = self.read();
        self.index = self.index.wrapping_add(1);
        if record.is_err() {
            self.remaining = 0;
        } else if self.remaining == 0 {
            if let Err(error) = self.cursor.finish() {
                return Some(Err(error));
            }
        }
        Some(record)
    }
}

/// Iterator over the ACL lists; stops after the first error.
#[derive(Debug, Clone)]
pub struct AclLists<'a> {
    cursor: Cursor<'a>,
    remaining: u64,
    last_id: Option<AclId>,
}

impl AclLists<'_> {
    fn read(&mut self) -> Result<(AclId, Vec<Acl>), SnapshotError> {
        let offset = self.cursor.at;
        let fixed = self.cursor.take::<ACL_LIST_FIXED_BYTES>()?;
        let id = le_u64(fixed, 0) as i64;
        let count = le_u32(fixed, 8) as usize;
        if id == OPEN_ACL_UNSAFE_ID || self.last_id.is_some_and(|last| id <= last) {
            return Err(self.cursor.malformed(
                offset,
                format!("ACL number {id} is out of order or reserved"),
            ));
        }
        self.last_id = Some(id);
        if count > (self.cursor.end - self.cursor.at) / ACL_FIXED_BYTES {
            return Err(self
                .cursor
                .malformed(offset, format!("{count} ACL entries cannot fit")));
        }
        let mut acls = Vec::with_capacity(count);
        for _ in 0..count {
            let entry = self.cursor.take::<ACL_FIXED_BYTES>()?;
            let perms = le_u32(entry, 0) as i32;
            let scheme_len = le_u32(entry, 4) as usize;
            let id_len = le_u32(entry, 8) as usize;
            let scheme = self.cursor.take_str(scheme_len, "an ACL scheme")?;
            let acl_id = self.cursor.take_str(id_len, "an ACL id")?;
            acls.push(Acl {
                perms,
                id: Id {
                    scheme: scheme.to_string(),
                    id: acl_id.to_string(),
                },
            });
        }
        self.cursor.align()?;
        Ok((id, acls))
    }
}

impl Iterator for AclLists<'_> {
    type Item = Result<(AclId, Vec<Acl>), SnapshotError>;

    fn next(&mut self) -> Option<Self::Item> {
        if self.remaining == 0 {
            return None;
        }
        self.remaining -= 1;
        let list = self.read();
        if list.is_err() {
            self.remaining = 0;
        } else if self.remaining == 0 {
            if let Err(error) = self.cursor.finish() {
                return Some(Err(error));
            }
        }
        Some(list)
    }
}

/// Iterator over the sessions (their count was checked exactly).
#[derive(Debug, Clone)]
pub struct Sessions<'a> {
    cursor: Cursor<'a>,
    remaining: u64,
}

impl Iterator for Sessions<'_> {
    type Item = Result<SnapshotSession, SnapshotError>;

    fn next(&mut self) -> Option<Self::Item> {
        if self.remaining == 0 {
            return None;
        }
        self.remaining -= 1;
        let session = self
            .cursor
            .take::<SESSION_BYTES>()
            .map(|fixed| SnapshotSession {
                session_id: le_u64(fixed, 0) as i64,
                timeout_ms: le_u32(fixed, 8),
            });
        if session.is_err() {
            self.remaining = 0;
        }
        Some(session)
    }
}
