//! Durability around the state machine: recovery at start (newest valid
//! snapshot, then the txn log replayed after it), the log thread that
//! group-commits every prepped txn, and background snapshots.
//!
//! The write path, in order (each step's guarantee in brackets):
//!
//! ```text
//! core k, under the state lock:  ZkServer::process -> prep (zxid assigned, change pending)
//!                                take_prepped -> LogThread::append   [appends in zxid order: the lock]
//! log thread:                    batch -> one write + fdatasync      [group commit]
//!                                 (io_uring: linked in one submission; or pwrite, fdatasync)
//!                                Durable{through} -> mail core 0
//! core 0, under the state lock:  commit_through(through) -> apply, replies, watch events
//!                                                                     [no reply before its fsync]
//! ```
//!
//! Restart: `recover` below. A log the recovery table refuses, or a replay
//! that fails, stops the server with a message naming the file and offset.

use std::path::Path;
use std::sync::atomic::{AtomicBool, AtomicI64, Ordering};
use std::sync::{Arc, OnceLock};

use ringkeeper_datatree::{DataTree, TreeOptions};
use ringkeeper_engine::MailSender;
use ringkeeper_snapshot::{load_newest, RealFs, SnapshotSession};
use ringkeeper_txnlog::{
    for_each_record, probe_direct_io, recover as recover_log, FsStorage, LogConfig, LogEvent,
    LogThread, RecoveredLog, UringStorage,
};
use ringkeeper_zk::{ZkConfig, ZkServer};

use crate::config::{ServerConfig, TxnLogIoEngine, TXN_LOG_DIRECT_IO_KEY, TXN_LOG_IO_ENGINE_KEY};
use crate::service::core::Mail;

/// What recovery found, for the start-up log.
#[derive(Debug, Default)]
pub struct RecoverySummary {
    pub snapshot: Option<(String, i64)>,
    pub skipped_snapshots: Vec<String>,
    pub txns_replayed: u64,
    pub last_zxid: i64,
    pub log_report: String,
}

/// Rebuilds the state machine from dataDir and dataLogDir.
pub fn recover(
    config: &ServerConfig,
    zk_config: ZkConfig,
    now_ms: u64,
) -> Result<(ZkServer, RecoveredLog, RecoverySummary), String> {
    let mut summary = RecoverySummary::default();
    let options = TreeOptions {
        extended_types_enabled: config.extended_types_enabled,
        ..TreeOptions::default()
    };
    let report = load_newest(&RealFs, &config.data_dir, options)
        .map_err(|e| format!("cannot read dataDir {}: {e}", config.data_dir.display()))?;
    summary.skipped_snapshots = report
        .skipped
        .iter()
        .map(|s| format!("{}: {}", s.file.path.display(), s.reason))
        .collect();
    let (tree, sessions, snapshot_zxid, pending_digest) = match report.loaded {
        Some((file, loaded)) => {
            summary.snapshot = Some((file.path.display().to_string(), loaded.zxid));
            let sessions: Vec<(i64, u32)> = loaded
                .sessions
                .iter()
                .map(|s| (s.session_id, s.timeout_ms))
                .collect();
            (loaded.tree, sessions, loaded.zxid, loaded.pending_digest)
        }
        None => (DataTree::with_options(options), Vec::new(), 0, None),
    };
    let mut zk = ZkServer::restore(zk_config, tree, &sessions, snapshot_zxid, now_ms)
        .map_err(|e| format!("cannot restore the snapshot's state: {e:?}"))?;
    let storage = FsStorage::buffered();
    let recovered = recover_log(&storage, &config.data_log_dir).map_err(|e| e.to_string())?;
    summary.log_report = format!("{:?}", recovered.report.cases());
    let mut replayed = 0u64;
    let mut digest_error = None;
    // From zxid 0 too: with no valid snapshot the log must start at the
    // first txn, else (every snapshot damaged, the log purged) replay
    // reports the txns missing instead of serving a partial tree.
    let after = Some(snapshot_zxid);
    for_each_record(&storage, &config.data_log_dir, after, |zxid, payload| {
        zk.replay(payload, now_ms)
            .map_err(|e| format!("txn {zxid:#x}: {e:?}"))?;
        replayed += 1;
        if let Some(expected) = pending_digest {
            if expected.zxid == zxid && zk.digest() != expected.digest {
                digest_error = Some(format!(
                    "the tree after replaying to {zxid:#x} does not match the fuzzy snapshot's digest"
                ));
            }
        }
        Ok::<(), String>(())
    })
    .map_err(|e| {
        let passed_over = &summary.skipped_snapshots;
        format!(
            "replaying {}: {e}{}",
            config.data_log_dir.display(),
            if passed_over.is_empty() {
                String::new()
            } else {
                format!("; snapshots passed over: {}", passed_over.join("; "))
            }
        )
    })?;
    if let Some(e) = digest_error {
        return Err(e);
    }
    summary.txns_replayed = replayed;
    summary.last_zxid = zk.last_zxid();
    Ok((zk, recovered, summary))
}

/// The log side of the shared state: where durable zxids are announced.
pub struct Durability {
    /// Highest zxid the log made durable.
    pub durable_through: AtomicI64,
    /// Core 0's mailbox, set once the engine runs.
    pub commit_mailbox: OnceLock<MailSender<Mail>>,
    /// The log failed: the server is stopping.
    pub failed: AtomicBool,
}

impl Durability {
    pub fn new() -> Arc<Durability> {
        Arc::new(Durability {
            durable_through: AtomicI64::new(0),
            commit_mailbox: OnceLock::new(),
            failed: AtomicBool::new(false),
        })
    }
}

/// The txn log's settings from zoo.cfg.
pub fn log_config(config: &ServerConfig) -> LogConfig {
    let mut log = LogConfig::default().with_prealloc_size_kib(config.pre_alloc_size_kb);
    log.force_sync = config.force_sync;
    log.fsync_warning_threshold_ms = config.fsync_warning_threshold_ms;
    log.batch_bytes_max = config.group_commit_batch_max_bytes;
    log.batch_wait_max_us = config.group_commit_wait_max_us;
    log
}

/// Where the log thread's batches go: zoo.cfg `ringkeeper.txnLog.ioEngine`
/// and `ringkeeper.txnLog.directIO`, as this machine allows them.
#[derive(Debug)]
pub enum LogStorage {
    /// pwrite + fdatasync from the log thread.
    Sync(FsStorage),
    /// The write linked to the fdatasync on an io_uring.
    IoUring(UringStorage),
}

/// The chosen log storage and, when `auto` fell back to `sync`, the
/// warning that says why.
#[derive(Debug)]
pub struct OpenedLogStorage {
    pub storage: LogStorage,
    pub warning: Option<String>,
}

impl LogStorage {
    /// `io_uring` or `sync`.
    pub fn engine_name(&self) -> &'static str {
        match self {
            LogStorage::Sync(_) => TxnLogIoEngine::Sync.name(),
            LogStorage::IoUring(_) => TxnLogIoEngine::IoUring.name(),
        }
    }

    pub fn is_direct(&self) -> bool {
        match self {
            LogStorage::Sync(fs) => fs.is_direct(),
            LogStorage::IoUring(uring) => uring.is_direct(),
        }
    }

    /// The start-up line that says how the log writes.
    pub fn describe(&self, config: &ServerConfig) -> String {
        let log = log_config(config);
        let batch = match self {
            LogStorage::Sync(_) => "pwrite then fdatasync",
            LogStorage::IoUring(_) => "one write linked to one fdatasync",
        };
        format!(
            "txn log in {}: {} engine ({batch} per batch), {}, batches up to {} bytes, \
             waiting up to {} us for more, forceSync={}",
            config.data_log_dir.display(),
            self.engine_name(),
            if self.is_direct() {
                "O_DIRECT"
            } else {
                "buffered"
            },
            log.batch_bytes_max,
            log.batch_wait_max_us,
            if log.force_sync { "yes" } else { "no" },
        )
    }
}

/// Picks the log's storage from zoo.cfg. Refuses (the server must not
/// start) when `directIO=yes` and dataLogDir's file system refuses
/// O_DIRECT, or `ioEngine=io_uring` and io_uring is unavailable; with
/// `auto` the latter falls back to `sync` with a warning naming the cause.
pub fn open_log_storage(config: &ServerConfig) -> Result<OpenedLogStorage, String> {
    let fs = if config.txn_log_direct_io {
        probe_direct_io(&config.data_log_dir).map_err(|e| {
            format!(
                "{TXN_LOG_DIRECT_IO_KEY}=yes but dataLogDir {} refuses O_DIRECT: {e}",
                config.data_log_dir.display()
            )
        })?;
        FsStorage::direct()
    } else {
        FsStorage::buffered()
    };
    let (storage, warning) = match config.txn_log_io_engine {
        TxnLogIoEngine::Sync => (LogStorage::Sync(fs), None),
        TxnLogIoEngine::IoUring => {
            let uring = UringStorage::new(fs).map_err(|e| {
                format!("{TXN_LOG_IO_ENGINE_KEY}=io_uring but io_uring is unavailable: {e}")
            })?;
            (LogStorage::IoUring(uring), None)
        }
        TxnLogIoEngine::Auto => match UringStorage::new(fs.clone()) {
            Ok(uring) => (LogStorage::IoUring(uring), None),
            Err(e) => {
                let warning = format!(
                    "{TXN_LOG_IO_ENGINE_KEY}=auto: io_uring unavailable for the txn log ({e}); \
                     using sync (pwrite then fdatasync)"
                );
                (LogStorage::Sync(fs), Some(warning))
            }
        },
    };
    Ok(OpenedLogStorage { storage, warning })
}

/// Starts the log thread on the recovered log. Its events: durable zxids
/// wake core 0 to commit; a slow fsync is logged as ZooKeeper logs it; a
/// write or fsync error is fatal: the process stops, it never retries.
pub fn start_log(
    config: &ServerConfig,
    storage: LogStorage,
    recovered: &RecoveredLog,
    durability: Arc<Durability>,
) -> Result<LogThread, String> {
    let on_event = move |event: LogEvent| match event {
        LogEvent::Durable { through_zxid } => {
            durability
                .durable_through
                .fetch_max(through_zxid, Ordering::AcqRel);
            if let Some(mailbox) = durability.commit_mailbox.get() {
                // A full mailbox already holds a commit wake-up.
                let _ = mailbox.try_send(Mail::Durable);
            }
        }
        LogEvent::SlowSync(message) => eprintln!("ringkeeper: warning: {message}"),
        LogEvent::Fatal(error) => {
            durability.failed.store(true, Ordering::Release);
            eprintln!("ringkeeper: fatal: the txn log failed, stopping without acknowledging more: {error}");
            std::process::exit(70);
        }
    };
    let log_config = log_config(config);
    match storage {
        LogStorage::Sync(fs) => LogThread::spawn(fs, recovered, log_config, on_event),
        LogStorage::IoUring(uring) => LogThread::spawn(uring, recovered, log_config, on_event),
    }
    .map_err(|e| {
        format!(
            "cannot start the txn log in {}: {e}",
            config.data_log_dir.display()
        )
    })
}

/// The sessions a snapshot records (id and timeout; expiry restarts afresh).
pub fn snapshot_sessions(zk: &ZkServer) -> Vec<SnapshotSession> {
    zk.sessions_for_snapshot()
        .into_iter()
        .map(|(session_id, timeout_ms)| SnapshotSession {
            session_id,
            timeout_ms,
        })
        .collect()
}

/// Whether `dir` holds anything ringkeeper wrote (for the import tool).
pub fn dir_has_data(dir: &Path) -> bool {
    std::fs::read_dir(dir).is_ok_and(|mut entries| {
        entries.any(|e| {
            e.is_ok_and(|e| {
                let name = e.file_name();
                let name = name.to_string_lossy();
                (name.starts_with("log.") || name.starts_with("snapshot."))
                    && !name.ends_with(".tmp")
            })
        })
    })
}
