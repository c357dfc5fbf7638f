//! Snapshots of the DataTree: the on-disk format ([`format`], a grammar and
//! byte diagrams, also in docs/storage.md), writing one from a consistent
//! view or fuzzily from live state in bounded steps ([`write_snapshot`]
//! with a [`TreeSnapshot`] or [`FuzzySnapshot`]; the durability order in
//! one function), loading one from a memory map ([`load_snapshot`],
//! [`load_newest`]: the newest valid snapshot wins, every one passed over
//! is reported with its reason), `dump-snapshot` ([`dump_snapshot`]) and
//! the autopurge rule ([`plan_purge`]). Every file operation goes through
//! the [`SnapshotFs`] seam, with the real file system ([`RealFs`]) and a
//! simulated one with crashes, torn writes and bit flips ([`SimFs`]).
//!
//! It must not decide when to snapshot (snapCount and its randomisation
//! are the server's), replay the txn log or interpret txns (recovery
//! does, then checks [`LoadedSnapshot::pending_digest`]), or hold the
//! server's lock itself: a fuzzy source asks the server's closure for a
//! view once per step. It knows the DataTree only through its public
//! walk/restore API.

pub mod dump;
mod encoder;
mod error;
pub mod format;
mod fs;
mod loader;
mod reader;
mod retention;
mod sim_fs;
mod source;
mod walk;
mod writer;

pub use dump::{dump_snapshot, dump_snapshot_bytes, DumpError};
pub use encoder::{SnapshotEncoder, SnapshotEnd, SnapshotSession};
pub use error::{SnapshotError, SnapshotWriteError, WriteStep};
pub use format::{Footer, FormatError, Header, SectionRef};
pub use fs::{map_file, FileBytes, RealFs, SnapshotFs, SnapshotWrite};
pub use loader::{
    list_snapshots, load_newest, load_snapshot, LoadReport, LoadedSnapshot, SkipReason,
    SkippedSnapshot, SnapshotFile, ZxidDigest, LOAD_CANDIDATES_MAX,
};
pub use reader::{NodeRecord, SnapshotReader};
pub use retention::{execute_purge, plan_purge, PurgeError, PurgePlan, SNAP_RETAIN_COUNT_MIN};
pub use sim_fs::{CrashMode, SimFile, SimFs};
pub use source::{Fill, FuzzySnapshot, SnapshotSource, StateView, TreeSnapshot};
pub use walk::{FuzzyWalk, StepBudget, STEP_BYTES_DEFAULT, STEP_NODES_DEFAULT};
pub use writer::{
    write_snapshot, write_snapshot_paced, WrittenSnapshot, WRITEBACK_CHUNK_BYTES_DEFAULT,
    WRITEBACK_CHUNK_BYTES_MIN,
};
