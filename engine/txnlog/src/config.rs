//! The log's knobs, named after zoo.cfg where ZooKeeper has them.

use crate::format::SEGMENT_HEADER_BYTES;

/// zoo.cfg `preAllocSize` default, in KiB (ZooKeeper's 64 MiB).
pub const PREALLOC_SIZE_KIB_DEFAULT: u64 = 64 * 1024;
/// zoo.cfg `fsync.warningthresholdms` default (ZooKeeper's).
pub const FSYNC_WARNING_THRESHOLD_MS_DEFAULT: u64 = 1000;
/// Most record bytes one group-commit batch writes (one write, one
/// fdatasync). A single record larger than this goes alone.
pub const BATCH_BYTES_MAX_DEFAULT: usize = 1024 * 1024;
/// How long a batch may wait for more records when no sync is in flight.
/// Zero: write at once; records still group while a sync is in flight.
pub const BATCH_WAIT_MAX_US_DEFAULT: u64 = 0;
/// The largest `batch_bytes_max` a configuration may ask for (zoo.cfg
/// `ringkeeper.groupCommit.batchMaxBytes`): a batch larger than the bytes
/// that may wait ([`PENDING_BYTES_MAX_DEFAULT`]) could never fill.
pub const BATCH_BYTES_MAX_LIMIT: usize = PENDING_BYTES_MAX_DEFAULT;
/// The longest `batch_wait_max_us` a configuration may ask for (zoo.cfg
/// `ringkeeper.groupCommit.waitMaxUs`): one second, already far beyond
/// any fsync it could save.
pub const BATCH_WAIT_MAX_US_LIMIT: u64 = 1_000_000;
/// Most bytes of records accepted but not yet written; past it, appends
/// are refused with [`crate::AppendError::PendingFull`] (backpressure).
pub const PENDING_BYTES_MAX_DEFAULT: usize = 64 * 1024 * 1024;
/// The smallest segment: room for the header and one largest record is
/// not required (a larger record gets a larger segment), but a segment
/// below a page makes no sense.
pub const SEGMENT_BYTES_MIN: u64 = 4096;

/// How the log writes.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct LogConfig {
    /// Bytes each new segment is preallocated (zero-filled) to: zoo.cfg
    /// `preAllocSize` (KiB) times 1024, rounded up to the write alignment.
    pub segment_bytes: u64,
    pub batch_bytes_max: usize,
    pub batch_wait_max_us: u64,
    pub pending_bytes_max: usize,
    /// zoo.cfg `forceSync`: false writes without fdatasync (experiments only:
    /// a crash of the machine loses acknowledged writes).
    pub force_sync: bool,
    /// zoo.cfg `fsync.warningthresholdms`.
    pub fsync_warning_threshold_ms: u64,
}

impl Default for LogConfig {
    fn default() -> LogConfig {
        LogConfig {
            segment_bytes: PREALLOC_SIZE_KIB_DEFAULT * 1024,
            batch_bytes_max: BATCH_BYTES_MAX_DEFAULT,
            batch_wait_max_us: BATCH_WAIT_MAX_US_DEFAULT,
            pending_bytes_max: PENDING_BYTES_MAX_DEFAULT,
            force_sync: true,
            fsync_warning_threshold_ms: FSYNC_WARNING_THRESHOLD_MS_DEFAULT,
        }
    }
}

impl LogConfig {
    /// Sets the segment size from zoo.cfg `preAllocSize` (KiB).
    pub fn with_prealloc_size_kib(mut self, prealloc_size_kib: u64) -> LogConfig {
        self.segment_bytes = prealloc_size_kib.saturating_mul(1024);
        self
    }

    /// The size of a new segment whose first record has `first_frame_bytes`:
    /// the configured size (at least [`SEGMENT_BYTES_MIN`]), or more when
    /// one record needs it, rounded up to `alignment`.
    pub fn new_segment_bytes(&self, first_frame_bytes: usize, alignment: usize) -> u64 {
        let needed = (SEGMENT_HEADER_BYTES + first_frame_bytes) as u64;
        let size = self.segment_bytes.max(SEGMENT_BYTES_MIN).max(needed);
        let alignment = alignment.max(1) as u64;
        size.div_ceil(alignment) * alignment
    }
}
