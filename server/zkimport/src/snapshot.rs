//! `snapshot.<zxid>`: ZooKeeper's fuzzy snapshot of its tree and sessions.
//!
//! ```text
//! snapshot  = header sessions acl_map nodes seal [digest seal [last_zxid seal]]
//! header    = magic:int version:int db_id:long  ; FileHeader: "ZKSN" (0x5a4b534e), 2, -1
//! sessions  = count:int { session_id:long timeout_ms:int }*count
//! acl_map   = count:int { acl_ref:long acls:vector<Acl> }*count
//! nodes     = { path:ustring node }* "/":ustring   ; "/" ends the list
//! node      = data:buffer acl_ref:long stat:StatPersisted
//! seal      = adler32:long "/":ustring         ; Adler-32 of every byte before it
//! digest    = zxid:long version:int tree_digest  ; 3.6+ (zookeeper.digest.enabled)
//! tree_digest = long | ustring (hex, version < 2)
//! last_zxid = long                             ; 3.9+ (serializeLastProcessedZxid)
//! ```
//!
//! The first node is the root, written with the empty path `""` (we report
//! it as `"/"`); each node comes after its parent (ZooKeeper writes them
//! depth first). `acl_ref` -1 is OPEN_ACL_UNSAFE, which is never in the map.
//! A snapshot is fuzzy: ZooKeeper writes it while applying txns, so it may
//! hold changes of txns after `zxid` (its name), and replaying the log
//! from `zxid + 1` is what makes it exact; `digest.zxid` is where the tree
//! is known to be consistent again.
//!
//! Every section after the nodes ends in its own seal, each checksum
//! covering the whole file before it, so a reader of an older version can
//! stop at the first seal. Which optional sections follow is told by the
//! bytes that remain: 21 bytes are a last zxid and its seal alone.

use std::fmt;
use std::fs;
use std::path::Path;

use std::collections::HashSet;

use ringkeeper_jute::{Acl, FileHeader, Id, Jute, NodeData, Perms, StatPersisted};

use crate::adler32::Adler32;
use crate::cursor::FileCursor;
use crate::error::{ImportError, ImportErrorKind};
use crate::file_name::{parse_file_name, NameMatch, ZkFileName};

/// "ZKSN", the magic of snapshot files.
pub const SNAPSHOT_MAGIC: i32 = 0x5a4b_534e;
/// The only snapshot format version ZooKeeper has written.
pub const SNAPSHOT_VERSION: i32 = 2;
/// The `acl_ref` of OPEN_ACL_UNSAFE (world:anyone, all permissions).
pub const OPEN_ACL_UNSAFE_REF: i64 = -1;
/// The path that ends the node list and forms the seal.
const SEAL_PATH: &str = "/";
/// checksum:long + ustring "/" (length 1).
const SEAL_BYTES: usize = 8 + 4 + 1;
/// A last-zxid section alone: the zxid and its seal.
const LAST_ZXID_SECTION_BYTES: usize = 8 + SEAL_BYTES;
/// jute's encoding of one session entry (id long, timeout int).
const SESSION_ENTRY_BYTES: usize = 8 + 4;
/// The fewest bytes of one ACL map entry (ref long, empty vector).
const ACL_ENTRY_BYTES_MIN: usize = 8 + 4;

/// One node as the snapshot stores it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ZkNode {
    /// Absolute path; the root is `"/"`.
    pub path: String,
    /// Null when ZooKeeper's node held null data (written as length -1).
    pub data: NodeData,
    /// Key into [`ZkSnapshot::acls`], or [`OPEN_ACL_UNSAFE_REF`].
    pub acl: i64,
    /// As ZooKeeper keeps it: `cversion` counts child creations (clients
    /// see `2 * cversion - children`), `ephemeral_owner` also marks
    /// containers and TTL nodes (see [`crate::ZkEphemeralType`]).
    pub stat: StatPersisted,
}

/// The tree digest ZooKeeper wrote after the nodes (3.6+).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct ZkSnapshotDigest {
    /// The last zxid applied when the nodes were written: replaying the
    /// log up to this zxid yields a tree with this digest.
    pub zxid: i64,
    /// DigestCalculator's version (2 in 3.6-3.9).
    pub version: i32,
    pub tree_digest: i64,
}

/// A parsed snapshot file.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ZkSnapshot {
    /// From the file name: the last zxid applied when the snapshot began.
    pub zxid: i64,
    pub db_id: i64,
    /// (session id, timeout in ms), in file order.
    pub sessions: Vec<(i64, i32)>,
    /// (acl_ref, ACL list), in file order.
    pub acls: Vec<(i64, Vec<Acl>)>,
    /// In file order: the root first, each parent before its children.
    pub nodes: Vec<ZkNode>,
    /// `None` before 3.6, with digests disabled, or when ZooKeeper wrote
    /// an empty one (zxid 0).
    pub digest: Option<ZkSnapshotDigest>,
    /// ZooKeeper 3.9's lastProcessedZxid section, when present.
    pub last_processed_zxid: Option<i64>,
}

impl ZkSnapshot {
    /// The ACL list an `acl_ref` stands for (`-1` is OPEN_ACL_UNSAFE).
    pub fn acl_list(&self, acl_ref: i64) -> Option<Vec<Acl>> {
        if acl_ref == OPEN_ACL_UNSAFE_REF {
            return Some(open_acl_unsafe());
        }
        self.acls
            .iter()
            .find(|(key, _)| *key == acl_ref)
            .map(|(_, acls)| acls.clone())
    }
}

/// ZooKeeper's OPEN_ACL_UNSAFE: world:anyone with every permission.
pub fn open_acl_unsafe() -> Vec<Acl> {
    vec![Acl {
        perms: Perms::ALL,
        id: Id {
            scheme: "world".into(),
            id: "anyone".into(),
        },
    }]
}

/// Reads and checks a snapshot file: magic, version, every Adler-32 seal,
/// the tree's shape and its ACL references. The zxid comes from the file
/// name (`snapshot.<hex>`). Compressed snapshots are refused.
pub fn read_snapshot(path: &Path) -> Result<ZkSnapshot, ImportError> {
    let name = path
        .file_name()
        .map(|name| name.to_string_lossy().into_owned())
        .unwrap_or_default();
    let zxid = match parse_file_name(&name) {
        NameMatch::Data(ZkFileName::Snapshot {
            zxid,
            compression: None,
        }) => zxid,
        NameMatch::Data(ZkFileName::Snapshot {
            compression: Some(extension),
            ..
        }) => {
            return Err(ImportError::new(
                path,
                None,
                ImportErrorKind::CompressedSnapshot { extension },
            ))
        }
        _ => {
            return Err(ImportError::new(
                path,
                None,
                ImportErrorKind::UnrecognisedName {
                    expected: "snapshot.<hex zxid>",
                },
            ))
        }
    };
    let bytes = fs::read(path).map_err(|error| ImportError::io(path, error))?;
    parse_snapshot(path, &bytes, zxid)
}

/// Parses a snapshot held in memory; `file` names it in errors and `zxid`
/// is the zxid of its name.
pub fn parse_snapshot(file: &Path, bytes: &[u8], zxid: i64) -> Result<ZkSnapshot, ImportError> {
    let mut cursor = FileCursor::new(file, bytes);
    let header: FileHeader = cursor.record()?;
    if header.magic != SNAPSHOT_MAGIC {
        return Err(cursor.error_at(
            0,
            ImportErrorKind::BadMagic {
                found: header.magic,
                expected: SNAPSHOT_MAGIC,
            },
        ));
    }
    if header.version != SNAPSHOT_VERSION {
        return Err(cursor.error_at(
            4,
            ImportErrorKind::UnsupportedVersion {
                version: header.version,
            },
        ));
    }
    let sessions = cursor.vector("snapshot.sessions", SESSION_ENTRY_BYTES, |reader| {
        Ok((
            reader.read_long("snapshot.session_id")?,
            reader.read_int("snapshot.timeout_ms")?,
        ))
    })?;
    let acls = cursor.vector("snapshot.acl_map", ACL_ENTRY_BYTES_MIN, |reader| {
        let acl_ref = reader.read_long("snapshot.acl_ref")?;
        let acls = reader.read_vector("snapshot.acls", Acl::MIN_ENCODED_LEN, Acl::decode)?;
        Ok((acl_ref, acls))
    })?;
    let nodes = read_nodes(&mut cursor, &acls)?;
    let mut checksum = RunningChecksum::default();
    read_seal(&mut cursor, &mut checksum)?;
    let mut digest = None;
    let mut last_processed_zxid = None;
    if cursor.remaining() > 0 && cursor.remaining() != LAST_ZXID_SECTION_BYTES {
        digest = read_digest(&mut cursor)?;
        read_seal(&mut cursor, &mut checksum)?;
    }
    if cursor.remaining() == LAST_ZXID_SECTION_BYTES {
        last_processed_zxid = Some(cursor.long("snapshot.last_processed_zxid")?);
        read_seal(&mut cursor, &mut checksum)?;
    }
    if cursor.remaining() > 0 {
        return Err(cursor.error_at(
            cursor.offset(),
            ImportErrorKind::TrailingBytes {
                count: cursor.remaining(),
            },
        ));
    }
    Ok(ZkSnapshot {
        zxid,
        db_id: header.db_id,
        sessions,
        acls,
        nodes,
        digest,
        last_processed_zxid,
    })
}

/// The node list up to its "/" end, checked as ZooKeeper's loader checks
/// it (root first, every parent already read), and more: no path twice,
/// every ACL reference resolvable.
fn read_nodes(
    cursor: &mut FileCursor<'_>,
    acls: &[(i64, Vec<Acl>)],
) -> Result<Vec<ZkNode>, ImportError> {
    let known_acls: HashSet<i64> = acls.iter().map(|(key, _)| *key).collect();
    let mut seen = HashSet::new();
    let mut nodes = Vec::new();
    loop {
        let offset = cursor.offset();
        let raw_path = cursor.ustring("snapshot.path")?;
        if raw_path == SEAL_PATH {
            break;
        }
        let data = cursor.node_data("snapshot.node.data")?;
        let acl = cursor.long("snapshot.node.acl")?;
        let stat: StatPersisted = cursor.record()?;
        let invalid = |reason: &'static str| {
            cursor.error_at(
                offset,
                ImportErrorKind::InvalidTree {
                    path: raw_path.clone(),
                    reason,
                },
            )
        };
        let path = if nodes.is_empty() {
            if !raw_path.is_empty() {
                return Err(invalid("the first node is not the root (\"\")"));
            }
            "/".to_string()
        } else {
            let Some(last_slash) = raw_path.rfind('/') else {
                return Err(invalid("a path that is not absolute, or a second root"));
            };
            if raw_path.ends_with('/') {
                return Err(invalid("a path ending in \"/\""));
            }
            let parent = &raw_path[..last_slash];
            let parent_key = if parent.is_empty() { "/" } else { parent };
            if !seen.contains(parent_key) {
                return Err(invalid("its parent does not precede it"));
            }
            raw_path.clone()
        };
        if acl != OPEN_ACL_UNSAFE_REF && !known_acls.contains(&acl) {
            return Err(cursor.error_at(offset, ImportErrorKind::UnknownAcl { path, acl }));
        }
        if !seen.insert(path.clone()) {
            return Err(invalid("the path appears twice"));
        }
        nodes.push(ZkNode {
            path,
            data,
            acl,
            stat,
        });
    }
    Ok(nodes)
}

/// The Adler-32 of a file's bytes from its start up to some offset.
#[derive(Default)]
struct RunningChecksum {
    adler: Adler32,
    covered_bytes: usize,
}

/// A checksum of everything read so far, then "/". `checksum` has taken
/// in the bytes up to the previous seal's checksum and is brought up to
/// this one; the seal's own bytes count towards the next section's (the
/// writer's checksummed stream saw them go by).
fn read_seal(
    cursor: &mut FileCursor<'_>,
    checksum: &mut RunningChecksum,
) -> Result<(), ImportError> {
    let offset = cursor.offset();
    let consumed = cursor.consumed();
    checksum.adler.update(&consumed[checksum.covered_bytes..]);
    checksum.covered_bytes = consumed.len();
    let stored = cursor.long("snapshot.checksum")?;
    let computed = checksum.adler.value();
    if stored != i64::from(computed) {
        return Err(cursor.error_at(
            offset,
            ImportErrorKind::ChecksumMismatch { stored, computed },
        ));
    }
    let seal_offset = cursor.offset();
    let seal = cursor.ustring("snapshot.seal")?;
    if seal != SEAL_PATH {
        return Err(cursor.error_at(seal_offset, ImportErrorKind::SealMissing { found: seal }));
    }
    Ok(())
}

fn read_digest(cursor: &mut FileCursor<'_>) -> Result<Option<ZkSnapshotDigest>, ImportError> {
    let zxid = cursor.long("snapshot.digest_zxid")?;
    let version = cursor.int("snapshot.digest_version")?;
    let tree_digest = if version < 2 {
        let offset = cursor.offset();
        let text = cursor.ustring("snapshot.digest")?;
        parse_hex_digest(&text).ok_or_else(|| {
            cursor.error_at(offset, ImportErrorKind::BadDigestString { digest: text })
        })?
    } else {
        cursor.long("snapshot.digest")?
    };
    // ZooKeeper writes an empty digest (zxid 0) when it had none.
    Ok((zxid > 0).then_some(ZkSnapshotDigest {
        zxid,
        version,
        tree_digest,
    }))
}

/// `Long.parseLong(text, 16)`: an optional sign, then hex digits.
fn parse_hex_digest(text: &str) -> Option<i64> {
    let (negative, digits) = match text.strip_prefix('-') {
        Some(rest) => (true, rest),
        None => (false, text.strip_prefix('+').unwrap_or(text)),
    };
    if digits.is_empty() || !digits.bytes().all(|byte| byte.is_ascii_hexdigit()) {
        return None;
    }
    let magnitude = i128::from_str_radix(digits, 16).ok()?;
    i64::try_from(if negative { -magnitude } else { magnitude }).ok()
}

impl fmt::Display for ZkSnapshotDigest {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(
            f,
            "digest {:x} (version {}) at zxid 0x{:x}",
            self.tree_digest, self.version, self.zxid
        )
    }
}
