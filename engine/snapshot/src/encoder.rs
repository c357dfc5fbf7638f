//! Encoding a snapshot's bytes: node records as a walk produces them, then
//! (at the end) the ACL lists those nodes use, the sessions, the footer,
//! and the header, which is written last at offset 0.
//!
//! The encoder only fills memory; [`crate::write_snapshot`] moves its
//! pending bytes to the file between steps, so a fuzzy walk holds the
//! state lock only while records are copied, never while a file is written.

use std::collections::BTreeMap;
use std::io;

use ringkeeper_datatree::{AclId, NodeStat, OPEN_ACL_UNSAFE_ID};
use ringkeeper_jute::Acl;

use crate::error::SnapshotWriteError;
use crate::format::{
    align_up, Footer, Header, SectionRef, DATA_LEN_NULL, FLAG_FUZZY, FOOTER_BYTES, FORMAT_VERSION,
    HEADER_BYTES, NODE_FIXED_BYTES, NO_PARENT, SNAPSHOT_NODES_MAX,
};

/// An open session as a snapshot stores it.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub struct SnapshotSession {
    pub session_id: i64,
    /// The negotiated timeout. After a restart expiry starts afresh from it.
    pub timeout_ms: u32,
}

/// What only the end of a walk knows.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct SnapshotEnd {
    /// The zxid of the last txn applied when the walk ended.
    pub digest_zxid: i64,
    /// `DataTree::digest` at `digest_zxid`, read in the same critical
    /// section.
    pub digest: u64,
    /// The open sessions (at `digest_zxid`).
    pub sessions: Vec<SnapshotSession>,
}

/// A snapshot's bytes in the making.
#[derive(Debug)]
pub struct SnapshotEncoder {
    /// Encoded bytes not yet handed to the file.
    pending: Vec<u8>,
    /// Bytes handed to the file so far, after the header.
    flushed_bytes: u64,
    /// CRC32C of those bytes.
    flushed_crc: u32,
    node_count: u32,
    node_section_bytes: u64,
    /// Every ACL list a recorded node uses, copied when first seen (a list
    /// can be forgotten by the tree before the walk ends).
    acl_lists: BTreeMap<AclId, Vec<Acl>>,
    /// The last list id looked up (most nodes share a few lists).
    last_acl_id: Option<AclId>,
}

impl Default for SnapshotEncoder {
    fn default() -> Self {
        Self::new()
    }
}

impl SnapshotEncoder {
    pub fn new() -> Self {
        SnapshotEncoder {
            pending: Vec::with_capacity(1 << 20),
            flushed_bytes: 0,
            flushed_crc: 0,
            node_count: 0,
            node_section_bytes: 0,
            acl_lists: BTreeMap::new(),
            last_acl_id: None,
        }
    }

    /// Nodes recorded so far.
    pub fn node_count(&self) -> u32 {
        self.node_count
    }

    /// Encoded bytes waiting to be written.
    pub fn pending_bytes(&self) -> usize {
        self.pending.len()
    }

    /// Append one node; returns its record index. The first node is the
    /// root (`parent` None); every other names an earlier record as its
    /// parent, and records come in preorder (a walk's order). `acl_list` is
    /// called only the first time `acl_id` is seen. `data` None is null.
    #[allow(clippy::too_many_arguments)] // one argument per stored field
    pub fn push_node<'t>(
        &mut self,
        parent: Option<u32>,
        name: &str,
        data: Option<&[u8]>,
        acl_id: AclId,
        stat: &NodeStat,
        acl_list: impl FnOnce() -> &'t [Acl],
    ) -> Result<u32, SnapshotWriteError> {
        let index = self.node_count;
        if index as usize >= SNAPSHOT_NODES_MAX {
            return Err(SnapshotWriteError::TooManyNodes);
        }
        // The checks the loader makes, made before writing (a snapshot
        // that cannot load is found now, not at the next restart).
        let parent_index = match parent {
            None if index == 0 && name.is_empty() => NO_PARENT,
            Some(parent) if index > 0 && parent < index && !name.is_empty() => parent,
            _ => {
                return Err(SnapshotWriteError::InvalidNode {
                    record: index,
                    reason: "the root must come first, and only the root has no parent or name",
                })
            }
        };
        if name.contains('/') {
            return Err(SnapshotWriteError::InvalidNode {
                record: index,
                reason: "a name holds '/'",
            });
        }
        let bytes = data.unwrap_or_default();
        let data_len = match data {
            None => Some(DATA_LEN_NULL),
            // u32::MAX itself marks null: real data stays below it.
            Some(bytes) => u32::try_from(bytes.len())
                .ok()
                .filter(|&len| len != DATA_LEN_NULL),
        };
        let (Ok(name_len), Some(data_len)) = (u32::try_from(name.len()), data_len) else {
            return Err(SnapshotWriteError::InvalidNode {
                record: index,
                reason: "a name or data of u32::MAX bytes or more",
            });
        };
        if acl_id != OPEN_ACL_UNSAFE_ID && self.last_acl_id != Some(acl_id) {
            self.acl_lists
                .entry(acl_id)
                .or_insert_with(|| acl_list().to_vec());
            self.last_acl_id = Some(acl_id);
        }

        let mut fixed = [0u8; NODE_FIXED_BYTES];
        fixed[0..4].copy_from_slice(&parent_index.to_le_bytes());
        fixed[4..8].copy_from_slice(&name_len.to_le_bytes());
        fixed[8..12].copy_from_slice(&data_len.to_le_bytes());
        fixed[12..16].copy_from_slice(&stat.version.to_le_bytes());
        fixed[16..20].copy_from_slice(&stat.cversion.to_le_bytes());
        fixed[20..24].copy_from_slice(&stat.aversion.to_le_bytes());
        fixed[24..32].copy_from_slice(&acl_id.to_le_bytes());
        fixed[32..40].copy_from_slice(&stat.czxid.to_le_bytes());
        fixed[40..48].copy_from_slice(&stat.mzxid.to_le_bytes());
        fixed[48..56].copy_from_slice(&stat.ctime_ms.to_le_bytes());
        fixed[56..64].copy_from_slice(&stat.mtime_ms.to_le_bytes());
        fixed[64..72].copy_from_slice(&stat.ephemeral_owner.to_le_bytes());
        fixed[72..80].copy_from_slice(&stat.pzxid.to_le_bytes());
        let start = self.pending.len();
        self.pending.extend_from_slice(&fixed);
        self.pending.extend_from_slice(name.as_bytes());
        self.pending.extend_from_slice(bytes);
        let record_bytes = align_up(NODE_FIXED_BYTES + name.len() + bytes.len());
        self.pending.resize(start + record_bytes, 0);
        self.node_section_bytes += record_bytes as u64;
        self.node_count += 1;
        Ok(index)
    }

    /// Hand the pending bytes to `write` (the file), then forget them.
    pub(crate) fn flush(&mut self, write: impl FnOnce(&[u8]) -> io::Result<()>) -> io::Result<()> {
        if self.pending.is_empty() {
            return Ok(());
        }
        write(&self.pending)?;
        self.flushed_crc = crc32c::crc32c_append(self.flushed_crc, &self.pending);
        self.flushed_bytes += self.pending.len() as u64;
        self.pending.clear();
        Ok(())
    }

    /// After the last node: append the ACL section, the session section
    /// and the footer to the pending bytes, and return the header (to be
    /// written at offset 0 once everything else is). `zxid` is the
    /// snapshot's start.
    pub(crate) fn finish(
        &mut self,
        zxid: i64,
        end: &SnapshotEnd,
    ) -> Result<FinishedSnapshot, SnapshotWriteError> {
        if self.node_count == 0 {
            return Err(SnapshotWriteError::InvalidNode {
                record: 0,
                reason: "a snapshot holds at least the root",
            });
        }
        if end.digest_zxid < zxid {
            return Err(SnapshotWriteError::ZxidWentBack {
                zxid,
                digest_zxid: end.digest_zxid,
            });
        }
        let nodes = SectionRef {
            offset: HEADER_BYTES as u64,
            bytes: self.node_section_bytes,
        };
        let acls = SectionRef {
            offset: nodes.end(),
            bytes: self.encode_acl_section() as u64,
        };
        let mut sessions_sorted = end.sessions.clone();
        sessions_sorted.sort_unstable();
        sessions_sorted.dedup_by_key(|session| session.session_id);
        for session in &sessions_sorted {
            self.pending
                .extend_from_slice(&session.session_id.to_le_bytes());
            self.pending
                .extend_from_slice(&session.timeout_ms.to_le_bytes());
            self.pending.extend_from_slice(&0u32.to_le_bytes());
        }
        let sessions = SectionRef {
            offset: acls.end(),
            bytes: (sessions_sorted.len() * crate::format::SESSION_BYTES) as u64,
        };
        let footer = Footer {
            nodes,
            acls,
            sessions,
            digest: end.digest,
            digest_zxid: end.digest_zxid,
            file_crc: 0,
        };
        self.pending.extend_from_slice(&footer.encode_without_crc());
        let file_bytes = HEADER_BYTES as u64 + self.flushed_bytes + self.pending.len() as u64 + 4;
        debug_assert_eq!(
            file_bytes,
            sessions.end() + FOOTER_BYTES as u64,
            "sections and footer add up to the file"
        );
        let header = Header {
            format_version: FORMAT_VERSION,
            flags: if end.digest_zxid == zxid {
                0
            } else {
                FLAG_FUZZY
            },
            zxid,
            node_count: u64::from(self.node_count),
            acl_list_count: self.acl_lists.len() as u64,
            session_count: sessions_sorted.len() as u64,
            file_bytes,
        }
        .encode();
        // CRC of header ‖ everything after it up to the CRC field: the
        // header's CRC joined with the one kept while flushing.
        let after_header_crc = crc32c::crc32c_append(self.flushed_crc, &self.pending);
        let after_header_bytes = self.flushed_bytes as usize + self.pending.len();
        let file_crc = crc32c::crc32c_combine(
            crc32c::crc32c(&header),
            after_header_crc,
            after_header_bytes,
        );
        self.pending.extend_from_slice(&file_crc.to_le_bytes());
        Ok(FinishedSnapshot {
            header,
            file_bytes,
            node_count: u64::from(self.node_count),
            fuzzy: end.digest_zxid != zxid,
        })
    }

    fn encode_acl_section(&mut self) -> usize {
        let start = self.pending.len();
        for (id, list) in &self.acl_lists {
            let list_start = self.pending.len();
            self.pending.extend_from_slice(&id.to_le_bytes());
            self.pending
                .extend_from_slice(&(list.len() as u32).to_le_bytes());
            self.pending.extend_from_slice(&0u32.to_le_bytes());
            // Lengths fit u32: the lists came through jute, whose frames
            // are bounded by jute.maxbuffer (far below 4 GiB).
            for acl in list {
                self.pending.extend_from_slice(&acl.perms.to_le_bytes());
                self.pending
                    .extend_from_slice(&(acl.id.scheme.len() as u32).to_le_bytes());
                self.pending
                    .extend_from_slice(&(acl.id.id.len() as u32).to_le_bytes());
                self.pending.extend_from_slice(acl.id.scheme.as_bytes());
                self.pending.extend_from_slice(acl.id.id.as_bytes());
            }
            let list_bytes = align_up(self.pending.len() - list_start);
            self.pending.resize(list_start + list_bytes, 0);
        }
        self.pending.len() - start
    }
}

/// What `finish` leaves for the writer.
#[derive(Debug)]
pub(crate) struct FinishedSnapshot {
    pub(crate) header: [u8; HEADER_BYTES],
    pub(crate) file_bytes: u64,
    pub(crate) node_count: u64,
    pub(crate) fuzzy: bool,
}
