//! Reads Apache ZooKeeper's persistence files (3.5 to 3.9, uncompressed):
//! `snapshot.<zxid>` ([`read_snapshot`]), `log.<zxid>` ([`read_log`],
//! [`read_log_file`]) and a whole data dir ([`read_data_dir`]: the newest
//! valid snapshot and every txn logged after it, zxids checked to follow
//! one another), with each txn decoded by type ([`ZkTxnRecord`]) and a
//! human-readable [`dump`]. It is the first half of `ringkeeper import-zk`.
//!
//! It must not write anything, nor decide what the txns mean: replaying
//! them into a tree is the importer's (ZooKeeper's snapshots are fuzzy, so
//! replay must be idempotent from the snapshot's zxid, as ZooKeeper's own
//! `DataTree.processTxn` is). The parsers are pure functions of a file's
//! bytes ([`parse_snapshot`], [`parse_log`]); only the `read_*` functions
//! touch the file system, and only to list dirs and read whole files.
//! Untrusted bytes never make it panic or allocate more than the file
//! holds (jute's reader checks every length first).
//!
//! The formats, as ZooKeeper writes them (all integers big-endian):
//!
//! ```text
//! snapshot = FileHeader("ZKSN", 2, dbid) sessions acl_map nodes seal [digest seal [zxid seal]]
//! log      = FileHeader("ZKLG", 2, dbid) { adler32:long len:int TxnHeader body [TxnDigest] 'B' }* zeros
//! seal     = adler32:long "/"     ; Adler-32 of every byte of the file before it
//! ```
//!
//! The details, and the tables of which damage is cut and which refused,
//! are in [`snapshot`], [`txn_log`], [`txn_record`] and [`data_dir`].
//! Errors ([`ImportError`]) name the file and the offset.

mod adler32;
mod cursor;
pub mod data_dir;
mod dump;
mod ephemeral;
mod error;
pub mod file_name;
pub mod snapshot;
pub mod txn_log;
pub mod txn_record;
pub mod zxid;

pub use adler32::Adler32;
pub use data_dir::{
    read_data_dir, read_data_dirs, ZkDataDir, SNAPSHOT_CANDIDATES_MAX, VERSION_DIR,
};
pub use dump::{dump, dump_data_dir, DUMP_DATA_BYTES_MAX};
pub use ephemeral::{ZkEphemeralType, CONTAINER_EPHEMERAL_OWNER};
pub use error::{ImportError, ImportErrorKind};
pub use file_name::{log_name, parse_file_name, snapshot_name, NameMatch, ZkFileName};
pub use snapshot::{
    open_acl_unsafe, parse_snapshot, read_snapshot, ZkNode, ZkSnapshot, ZkSnapshotDigest,
    OPEN_ACL_UNSAFE_REF, SNAPSHOT_MAGIC, SNAPSHOT_VERSION,
};
pub use txn_log::{
    parse_log, read_log, read_log_file, LogTail, TornReason, ZkLog, ZkTxn, END_OF_RECORD,
    LOG_HEADER_BYTES, LOG_MAGIC, LOG_VERSION,
};
pub use txn_record::{decode_txn_body, ZkTxnRecord};
