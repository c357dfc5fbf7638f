//! Purging old snapshots and txn log segments: `ringkeeper purge` and
//! autopurge (autopurge.snapRetainCount, autopurge.purgeInterval) share this
//! one rule, ZooKeeper's `PurgeTxnLog`: keep the newest `snap_retain_count`
//! valid snapshots (at least 3) and every log segment that holds a txn after
//! the oldest of them; delete the rest.

use std::path::{Path, PathBuf};

use ringkeeper_snapshot::{execute_purge, plan_purge, RealFs};
use ringkeeper_txnlog::{deletable_segments, list_segments, FsStorage};

/// What a purge deleted (or would delete, for a dry run).
#[derive(Debug, Default)]
pub struct PurgeOutcome {
    pub snapshots_kept: usize,
    pub deleted: Vec<PathBuf>,
}

/// Purges `data_dir` (snapshots) and `data_log_dir` (log segments).
pub fn purge(
    data_dir: &Path,
    data_log_dir: &Path,
    snap_retain_count: usize,
    dry_run: bool,
) -> Result<PurgeOutcome, String> {
    let plan = plan_purge(&RealFs, data_dir, snap_retain_count)
        .map_err(|e| format!("cannot plan the purge of {}: {e}", data_dir.display()))?;
    let mut deleted = plan.delete.clone();
    let mut segments_to_delete = Vec::new();
    if let Some(zxid) = plan.least_retained_zxid {
        let segments = list_segments(&FsStorage::buffered(), data_log_dir)
            .map_err(|e| format!("cannot list {}: {e}", data_log_dir.display()))?;
        segments_to_delete = deletable_segments(&segments, zxid);
        deleted.extend(segments_to_delete.iter().map(|s| s.path.clone()));
    }
    if !dry_run {
        let failures = execute_purge(&RealFs, &plan);
        if let Some((path, e)) = failures.first() {
            return Err(format!("cannot delete {}: {e}", path.display()));
        }
        for segment in &segments_to_delete {
            std::fs::remove_file(&segment.path)
                .map_err(|e| format!("cannot delete {}: {e}", segment.path.display()))?;
        }
    }
    Ok(PurgeOutcome {
        snapshots_kept: plan.retained.len(),
        deleted,
    })
}
