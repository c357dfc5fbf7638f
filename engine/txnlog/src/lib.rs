//! The txn log: segment files of checksummed records in dataLogDir, written
//! by group commit and recovered by a scan whose every tail state is a named
//! case with one decision. It owns the on-disk format, the I/O seam every
//! file operation goes through ([`Storage`], with a real [`FsStorage`], an
//! io_uring [`UringStorage`] that submits each batch's write linked to its
//! fdatasync, and a fault-injecting [`SimDisk`]), the group-commit state machine
//! ([`GroupCommit`]) and its two drivers ([`LogWriter`] inline,
//! [`LogThread`] on a dedicated thread), recovery ([`recover`]), replay
//! ([`for_each_record`]), `dump-log` ([`dump_log`]) and the purge rule
//! ([`deletable_segments`]).
//!
//! It must not interpret a payload: a record is opaque bytes (a ZooKeeper
//! txn as `ringkeeper-zk` encodes it) plus its zxid. The format code and the
//! state machine are pure (no files, clocks or threads); only the drivers
//! and the real storages perform I/O, and time enters through [`Storage::now_us`].
//!
//! # Format (also in docs/storage.md, "Transaction log segments")
//!
//! ```text
//! dataLogDir  = *segment                       ; plus ignored non-matching names
//! segment     = file "log." HEX(first_zxid)    ; lower-case hex, no padding, as ZooKeeper
//! segment     = header *record padding
//! header      = magic version first_zxid reserved header_crc      ; 32 bytes
//! magic       = "RKTXNLOG"                     ; 8 bytes
//! version     = u32 1                          ; FORMAT_VERSION
//! first_zxid  = i64                            ; zxid of the segment's first record
//! reserved    = u64 0
//! header_crc  = u32 CRC32C(magic .. reserved)  ; bytes 0..28
//! record      = length crc zxid payload        ; 16 + length bytes
//! length      = u32                            ; payload bytes, 1 ..= RECORD_PAYLOAD_BYTES_MAX
//! crc         = u32 CRC32C(zxid payload)
//! zxid        = i64                            ; first_zxid, then each next zxid follows the last
//! payload     = length bytes                   ; opaque (a ZooKeeper txn)
//! padding     = *%x00                          ; to the preallocated end of the file
//! ```
//!
//! Integers are little-endian. A zxid follows another when it is the next
//! counter of the same epoch (`prev + 1`) or belongs to a later epoch
//! (`next >> 32 > prev >> 32`).
//!
//! ```text
//!  offset 0          8         12         20         28     32
//!         +----------+---------+----------+----------+------+
//!  header | magic    | version | first    | reserved | crc  |
//!         | RKTXNLOG | u32     | zxid i64 | u64 = 0  | u32  |
//!         +----------+---------+----------+----------+------+
//!
//!         0        4        8                16              16+length
//!         +--------+--------+----------------+---------------+
//!  record | length | crc32c | zxid           | payload       |
//!         +--------+--------+----------------+---------------+
//!                    crc32c covers ^zxid .. end of payload^
//! ```
//!
//! A length of zero can only be padding: payloads are never empty. The
//! crate doc of [`recovery`] and docs/storage.md hold the tail decision
//! table and the durability argument against stated disk assumptions.

mod aligned_buf;
mod config;
mod dump;
mod error;
pub mod format;
mod fs_storage;
mod group_commit;
mod log_thread;
mod log_writer;
mod purge;
pub mod recovery;
mod replay;
mod segment_create;
pub mod segment_name;
mod segment_scan;
mod sim_disk;
mod storage;
mod tail_case;
mod uring_storage;

pub use aligned_buf::AlignedBuf;
pub use config::{
    LogConfig, BATCH_BYTES_MAX_DEFAULT, BATCH_BYTES_MAX_LIMIT, BATCH_WAIT_MAX_US_DEFAULT,
    BATCH_WAIT_MAX_US_LIMIT, FSYNC_WARNING_THRESHOLD_MS_DEFAULT, PENDING_BYTES_MAX_DEFAULT,
    PREALLOC_SIZE_KIB_DEFAULT, SEGMENT_BYTES_MIN,
};
pub use dump::{dump_log, dump_log_with, dump_segment_bytes, PayloadDecoder};
pub use error::{AppendError, FatalError, IoOp};
pub use fs_storage::{
    fsync_dir, list_dir_names, probe_direct_io, FsStorage, DIRECT_IO_ALIGNMENT_BYTES,
    DIRECT_IO_PROBE_FILE_NAME,
};
pub use group_commit::{Action, Completion, GroupCommit, LogTail, SlowSync};
pub use log_thread::{
    LogEvent, LogThread, APPEND_QUEUE_DEPTH_MAX, LOG_THREAD_NAME, PREALLOC_THREAD_NAME,
};
pub use log_writer::LogWriter;
pub use purge::{deletable_segments, list_segments, SegmentFile};
pub use recovery::{
    recover, RecoveredLog, RecoveredSegment, RecoveryError, RecoveryReport, Verdict,
};
pub use replay::{for_each_record, ReplayError};
pub use segment_create::{
    activate_segment, create_segment, prepare_segment, ZERO_FILL_CHUNK_BYTES,
};
pub use segment_scan::{
    find_valid_record, records as segment_records, scan_segment, FrameProblem, RecordRef, ScanStop,
    SegmentScan, RESYNC_ZXID_SPAN_MAX,
};
pub use sim_disk::{CrashMode, SimDisk, SimFile};
pub use storage::Storage;
pub use tail_case::{Decision, TailCase, DECISION_TABLE};
pub use uring_storage::{UringStorage, LOG_RING_ENTRIES, URING_WRITE_BYTES_MAX};
