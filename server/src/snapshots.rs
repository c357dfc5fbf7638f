//! Background snapshots and autopurge.
//!
//! A snapshot starts after about snapCount logged txns: ZooKeeper's rule,
//! `snapCount / 2` plus a per-server random share of the other half, so the
//! servers of an ensemble do not all snapshot at once. It is written by its
//! own thread as a fuzzy snapshot: the state lock is taken for one bounded
//! step of the tree walk at a time (`StepBudget`), so writes keep flowing;
//! replaying the log from the snapshot's start zxid makes it exact
//! (docs/storage.md, "Snapshots").
//!
//! Autopurge: every autopurge.purgeInterval hours, keep
//! autopurge.snapRetainCount snapshots and the log they need (`purge`).

use std::sync::atomic::Ordering;
use std::sync::Arc;
use std::time::{Duration, Instant};

use ringkeeper_snapshot::{write_snapshot_paced, FuzzySnapshot, RealFs, StateView, StepBudget};

use crate::durable::snapshot_sessions;
use crate::service::Shared;

/// The exit status after a snapshot's fsync, rename or directory fsync
/// failed (`SnapshotWriteError::is_fatal`): Apache ZooKeeper's
/// TXNLOG_ERROR_TAKING_SNAPSHOT.
pub const SNAPSHOT_FAILED_EXIT_CODE: i32 = 10;

/// Logged txns after which the next snapshot starts.
pub fn snapshot_threshold(shared: &Shared) -> u64 {
    let snap_count = u64::from(shared.config.snap_count.max(2));
    let half = snap_count / 2;
    // A per-process roll in [0, half), as ZooKeeper's randRoll.
    let roll = (shared.started_unix_ms.wrapping_mul(0x9e37_79b9_7f4a_7c15) >> 17) % half.max(1);
    half + roll
}

/// Starts a background snapshot unless one is already being written.
pub fn start_snapshot(shared: &Arc<Shared>) {
    if shared
        .snapshot_running
        .compare_exchange(false, true, Ordering::AcqRel, Ordering::Acquire)
        .is_err()
    {
        return;
    }
    let shared = shared.clone();
    let spawned = std::thread::Builder::new()
        .name("ringkeeper-snapshot".into())
        .spawn(move || {
            take_snapshot(&shared);
            shared.snapshot_running.store(false, Ordering::Release);
        });
    if let Err(e) = spawned {
        eprintln!("ringkeeper: warning: cannot start the snapshot thread: {e}");
    }
}

/// Writes one fuzzy snapshot of the live state into dataDir.
pub fn take_snapshot(shared: &Arc<Shared>) {
    let started = Instant::now();
    let mut source = FuzzySnapshot::new(
        |visit: &mut dyn FnMut(StateView<'_>)| {
            let locked = shared.lock();
            let sessions = || snapshot_sessions(&locked.zk);
            visit(StateView {
                tree: locked.zk.tree(),
                last_zxid: locked.zk.last_zxid(),
                sessions: &sessions,
            });
        },
        StepBudget::default(),
    );
    let config = &shared.config;
    let chunk_bytes = config.snapshot_writeback_chunk_bytes;
    match write_snapshot_paced(&RealFs, &config.data_dir, &mut source, chunk_bytes) {
        Ok(written) => eprintln!(
            "ringkeeper: snapshot {} written: {} nodes, {} bytes, {} ms, write-back {}",
            written.path.display(),
            written.node_count,
            written.file_bytes,
            started.elapsed().as_millis(),
            match chunk_bytes {
                0 => "at the fsync".to_string(),
                bytes => format!("every {bytes} bytes"),
            }
        ),
        Err(e) if e.is_fatal() => {
            // As the txn log's fatal errors: stop, never go on or retry.
            eprintln!("ringkeeper: fatal: snapshot failed, stopping: {e}");
            std::process::exit(SNAPSHOT_FAILED_EXIT_CODE);
        }
        Err(e) => eprintln!(
            "ringkeeper: warning: snapshot failed, the previous snapshot and the log still hold every txn: {e}"
        ),
    }
}

/// Runs autopurge every autopurge.purgeInterval hours (0 = off), as
/// ZooKeeper's DatadirCleanupManager does.
pub fn start_autopurge(shared: &Arc<Shared>) {
    let hours = shared.config.autopurge_purge_interval_hours;
    if hours == 0 {
        return;
    }
    let shared = Arc::downgrade(shared);
    let spawned = std::thread::Builder::new()
        .name("ringkeeper-autopurge".into())
        .spawn(move || loop {
            std::thread::sleep(Duration::from_secs(u64::from(hours) * 3600));
            let Some(shared) = shared.upgrade() else {
                return;
            };
            let c = &shared.config;
            match crate::purge::purge(
                &c.data_dir,
                &c.data_log_dir,
                c.autopurge_snap_retain_count as usize,
                false,
            ) {
                Ok(outcome) => eprintln!(
                    "ringkeeper: autopurge kept {} snapshots, deleted {} files",
                    outcome.snapshots_kept,
                    outcome.deleted.len()
                ),
                Err(e) => eprintln!("ringkeeper: warning: autopurge failed: {e}"),
            }
        });
    if let Err(e) = spawned {
        eprintln!("ringkeeper: warning: cannot start autopurge: {e}");
    }
}
