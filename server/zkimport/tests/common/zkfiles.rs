//! Writes ZooKeeper's file formats by hand, byte for byte as ZooKeeper
//! does (FileSnap, FileTxnLog, Util.marshallTxnEntry), so the tests can
//! make every case of the decision tables: clean files and every kind of
//! damage. The real-data tests check the reader against files ZooKeeper
//! itself wrote.

#![allow(dead_code)]

use ringkeeper_jute::{
    Acl, CreateSessionTxn, CreateTxn, FileHeader, Jute, OpCode, StatPersisted, TxnDigest, TxnHeader,
};
/// world:anyone with every permission, from the test kit (independent of
/// the reader's own `open_acl_unsafe`).
pub use ringkeeper_testkit::open_acl;
use ringkeeper_zkimport::{Adler32, END_OF_RECORD, LOG_MAGIC, SNAPSHOT_MAGIC};

pub const DB_ID: i64 = -1;

fn put_int(out: &mut Vec<u8>, value: i32) {
    out.extend_from_slice(&value.to_be_bytes());
}

fn put_long(out: &mut Vec<u8>, value: i64) {
    out.extend_from_slice(&value.to_be_bytes());
}

fn put_ustring(out: &mut Vec<u8>, value: &str) {
    put_int(out, value.len() as i32);
    out.extend_from_slice(value.as_bytes());
}

pub fn header(zxid: i64, txn_type: OpCode) -> TxnHeader {
    TxnHeader {
        client_id: 0x1234,
        cxid: 1,
        zxid,
        time: 1_700_000_000_000 + zxid,
        txn_type: txn_type.as_i32(),
    }
}

/// `TxnHeader record [digest]`, as `Util.marshallTxnEntry` writes it.
pub fn txn_bytes(header: &TxnHeader, record: &[u8], digest: Option<i64>) -> Vec<u8> {
    let mut out = header.to_bytes();
    out.extend_from_slice(record);
    if let Some(tree_digest) = digest {
        TxnDigest {
            version: 2,
            tree_digest,
        }
        .encode(&mut out);
    }
    out
}

/// `adler32:long len:int txn 'B'`.
pub fn record(txn: &[u8]) -> Vec<u8> {
    let mut out = Vec::new();
    put_long(&mut out, i64::from(Adler32::of(txn)));
    put_int(&mut out, txn.len() as i32);
    out.extend_from_slice(txn);
    out.push(END_OF_RECORD);
    out
}

pub fn create_txn(path: &str, data: &[u8]) -> Vec<u8> {
    CreateTxn {
        path: path.into(),
        data: data.into(),
        acl: open_acl(),
        ephemeral: false,
        parent_cversion: 1,
    }
    .to_bytes()
}

/// A log file under construction; `offsets` are where its records start.
pub struct LogFile {
    pub bytes: Vec<u8>,
    pub offsets: Vec<u64>,
}

impl LogFile {
    pub fn new() -> LogFile {
        let bytes = FileHeader {
            magic: LOG_MAGIC,
            version: 2,
            db_id: DB_ID,
        }
        .to_bytes();
        LogFile {
            bytes,
            offsets: Vec::new(),
        }
    }

    /// A create of `/n<zxid>` at `zxid`, with a digest.
    pub fn create(self, zxid: i64) -> LogFile {
        let body = create_txn(&format!("/n{zxid:x}"), b"data");
        self.txn(&header(zxid, OpCode::Create), &body)
    }

    pub fn txn(self, header: &TxnHeader, body: &[u8]) -> LogFile {
        self.raw_record(&txn_bytes(header, body, Some(header.zxid * 7)))
    }

    pub fn raw_record(mut self, txn: &[u8]) -> LogFile {
        self.offsets.push(self.bytes.len() as u64);
        self.bytes.extend_from_slice(&record(txn));
        self
    }

    pub fn raw(mut self, bytes: &[u8]) -> LogFile {
        self.bytes.extend_from_slice(bytes);
        self
    }

    /// Preallocated space, as FilePadding leaves it.
    pub fn padding(mut self, bytes: usize) -> LogFile {
        self.bytes.resize(self.bytes.len() + bytes, 0);
        self
    }
}

/// One node of a hand-made snapshot; `path` as ZooKeeper writes it (the
/// root is "").
pub struct SnapNode {
    pub path: String,
    pub data: Vec<u8>,
    pub acl: i64,
    pub stat: StatPersisted,
}

pub fn node(path: &str, acl: i64, zxid: i64) -> SnapNode {
    SnapNode {
        path: path.into(),
        data: path.as_bytes().to_vec(),
        acl,
        stat: StatPersisted {
            czxid: zxid,
            mzxid: zxid,
            ctime: 1,
            mtime: 2,
            version: 0,
            cversion: 1,
            aversion: 0,
            ephemeral_owner: 0,
            pzxid: zxid,
        },
    }
}

/// The digest section: version 2 writes a long, older ones a hex string.
pub enum DigestSection {
    Long { zxid: i64, tree_digest: i64 },
    Hex { zxid: i64, text: String },
}

/// A snapshot file under construction.
pub struct SnapshotFile {
    pub sessions: Vec<(i64, i32)>,
    pub acls: Vec<(i64, Vec<Acl>)>,
    pub nodes: Vec<SnapNode>,
    pub digest: Option<DigestSection>,
    pub last_zxid: Option<i64>,
}

impl SnapshotFile {
    /// A small valid tree: "", /a (ACL 1), /a/b, /zookeeper.
    pub fn small() -> SnapshotFile {
        SnapshotFile {
            sessions: vec![(0x100, 30_000), (0x101, 4_000)],
            acls: vec![(1, open_acl())],
            nodes: vec![
                node("", -1, 0),
                node("/a", 1, 3),
                node("/a/b", -1, 4),
                node("/zookeeper", -1, 0),
            ],
            digest: None,
            last_zxid: None,
        }
    }

    pub fn bytes(&self) -> Vec<u8> {
        let mut out = FileHeader {
            magic: SNAPSHOT_MAGIC,
            version: 2,
            db_id: DB_ID,
        }
        .to_bytes();
        put_int(&mut out, self.sessions.len() as i32);
        for (session_id, timeout_ms) in &self.sessions {
            put_long(&mut out, *session_id);
            put_int(&mut out, *timeout_ms);
        }
        put_int(&mut out, self.acls.len() as i32);
        for (acl_ref, acls) in &self.acls {
            put_long(&mut out, *acl_ref);
            put_int(&mut out, acls.len() as i32);
            for acl in acls {
                acl.encode(&mut out);
            }
        }
        for node in &self.nodes {
            put_ustring(&mut out, &node.path);
            put_int(&mut out, node.data.len() as i32);
            out.extend_from_slice(&node.data);
            put_long(&mut out, node.acl);
            node.stat.encode(&mut out);
        }
        put_ustring(&mut out, "/");
        seal(&mut out);
        match &self.digest {
            Some(DigestSection::Long { zxid, tree_digest }) => {
                put_long(&mut out, *zxid);
                put_int(&mut out, 2);
                put_long(&mut out, *tree_digest);
                seal(&mut out);
            }
            Some(DigestSection::Hex { zxid, text }) => {
                put_long(&mut out, *zxid);
                put_int(&mut out, 1);
                put_ustring(&mut out, text);
                seal(&mut out);
            }
            None => {}
        }
        if let Some(zxid) = self.last_zxid {
            put_long(&mut out, zxid);
            seal(&mut out);
        }
        out
    }
}

/// `SnapStream.sealStream`: the checksum of everything so far, then "/".
pub fn seal(out: &mut Vec<u8>) {
    put_long(out, i64::from(Adler32::of(out)));
    put_ustring(out, "/");
}

pub fn create_session_txn(timeout_ms: i32) -> Vec<u8> {
    CreateSessionTxn {
        time_out: timeout_ms,
    }
    .to_bytes()
}
