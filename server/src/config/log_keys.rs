//! ringkeeper's own `zoo.cfg` keys for the txn log's and the snapshots'
//! I/O. ZooKeeper has
//! none of them (it would warn that they are unknown and go on); being
//! ours, they are strict: a value outside the documented ones stops the
//! server with an error naming the file, the line and the key, instead of
//! quietly running a benchmark or a production log on a default.

use super::settings::parse_yes_no;
use super::{ConfigError, Parser, Setting};

/// zoo.cfg key: how the txn log writes ([`TxnLogIoEngine`]).
pub const TXN_LOG_IO_ENGINE_KEY: &str = "ringkeeper.txnLog.ioEngine";
/// zoo.cfg key: `yes` opens the log's segments with O_DIRECT.
pub const TXN_LOG_DIRECT_IO_KEY: &str = "ringkeeper.txnLog.directIO";
/// zoo.cfg key: most record bytes in one group-commit batch.
pub const GROUP_COMMIT_BATCH_MAX_BYTES_KEY: &str = "ringkeeper.groupCommit.batchMaxBytes";
/// zoo.cfg key: how long a batch may wait for more records, in µs.
pub const GROUP_COMMIT_WAIT_MAX_US_KEY: &str = "ringkeeper.groupCommit.waitMaxUs";
/// zoo.cfg key: bytes of a snapshot written between two write-back steps
/// (0: no pacing; the final fsync writes the whole file back).
pub const SNAPSHOT_WRITEBACK_CHUNK_BYTES_KEY: &str = "ringkeeper.snapshot.writebackChunkBytes";
/// The largest write-back chunk the key takes.
pub const SNAPSHOT_WRITEBACK_CHUNK_BYTES_LIMIT: u64 = 1 << 30;
/// The keys above, for the list of keys this crate reads.
pub(crate) const STORAGE_KEYS: [&str; 5] = [
    TXN_LOG_IO_ENGINE_KEY,
    TXN_LOG_DIRECT_IO_KEY,
    GROUP_COMMIT_BATCH_MAX_BYTES_KEY,
    GROUP_COMMIT_WAIT_MAX_US_KEY,
    SNAPSHOT_WRITEBACK_CHUNK_BYTES_KEY,
];

/// How the txn log hands a batch (one write plus one fdatasync) to the
/// kernel: zoo.cfg `ringkeeper.txnLog.ioEngine`.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub enum TxnLogIoEngine {
    /// io_uring when this kernel (and its seccomp policy) allows it, else
    /// `Sync` with one warning naming the cause.
    #[default]
    Auto,
    /// The write linked to the fdatasync on an io_uring; the server refuses
    /// to start where io_uring is unavailable.
    IoUring,
    /// pwrite, then fdatasync, from the log thread.
    Sync,
}

impl TxnLogIoEngine {
    /// Its value in zoo.cfg.
    pub fn name(self) -> &'static str {
        match self {
            TxnLogIoEngine::Auto => "auto",
            TxnLogIoEngine::IoUring => "io_uring",
            TxnLogIoEngine::Sync => "sync",
        }
    }
}

impl Parser {
    pub(crate) fn txn_log_io_engine(&self, s: Setting<'_>) -> Result<TxnLogIoEngine, ConfigError> {
        [
            TxnLogIoEngine::Auto,
            TxnLogIoEngine::IoUring,
            TxnLogIoEngine::Sync,
        ]
        .into_iter()
        .find(|engine| engine.name() == s.value)
        .ok_or_else(|| self.bad_value(s, "is not auto, io_uring or sync"))
    }

    /// Exactly `yes` or `no`, as `forceSync` is written; else an error
    /// (where `forceSync` falls back to `yes` with a warning).
    pub(crate) fn yes_no(&self, s: Setting<'_>) -> Result<bool, ConfigError> {
        parse_yes_no(s.value).ok_or_else(|| self.bad_value(s, "is not yes or no"))
    }

    /// 0 (no pacing) or a chunk from `WRITEBACK_CHUNK_BYTES_MIN` to
    /// [`SNAPSHOT_WRITEBACK_CHUNK_BYTES_LIMIT`].
    pub(crate) fn snapshot_writeback_chunk_bytes(
        &self,
        s: Setting<'_>,
    ) -> Result<u64, ConfigError> {
        let bounds = (
            0,
            SNAPSHOT_WRITEBACK_CHUNK_BYTES_LIMIT,
            "SNAPSHOT_WRITEBACK_CHUNK_BYTES_LIMIT",
        );
        let bytes = self.bounded_decimal(s, "bytes", bounds)?;
        let min = ringkeeper_snapshot::WRITEBACK_CHUNK_BYTES_MIN;
        if bytes != 0 && bytes < min {
            return Err(self.bad_value(
                s,
                format!(
                    "is neither 0 (no pacing) nor at least WRITEBACK_CHUNK_BYTES_MIN ({min} bytes)"
                ),
            ));
        }
        Ok(bytes)
    }

    /// A decimal number of `unit` within `min..=max` (`limit` names `max`).
    pub(crate) fn bounded_decimal(
        &self,
        s: Setting<'_>,
        unit: &str,
        (min, max, limit): (u64, u64, &str),
    ) -> Result<u64, ConfigError> {
        let n: u64 = s
            .value
            .parse()
            .ok()
            .filter(|_| s.value.bytes().all(|b| b.is_ascii_digit()))
            .ok_or_else(|| self.bad_value(s, format!("is not a whole number of {unit}")))?;
        if n < min {
            return Err(self.bad_value(s, format!("is below {min} {unit}")));
        }
        if n > max {
            return Err(self.bad_value(s, format!("is above {limit} ({max} {unit})")));
        }
        Ok(n)
    }
}
