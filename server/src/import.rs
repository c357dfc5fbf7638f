//! `ringkeeper import-zk DIR`: an Apache ZooKeeper 3.5-3.9 data directory
//! (snapshot.* and log.* files) turned into a ringkeeper data directory
//! holding the same tree, ACLs, sessions and last zxid.
//!
//! The order: read ZooKeeper's newest valid snapshot and the txns after it
//! (`ringkeeper-zkimport`), rebuild the tree from the snapshot, replay the
//! txns through ringkeeper's own state machine (the same replay a restart
//! uses), then write one ringkeeper snapshot at the last zxid (tmp, fsync,
//! rename, fsync dir). ringkeeper starts from that snapshot with an empty
//! log; an existing ringkeeper data directory is never overwritten.

use std::path::Path;

use ringkeeper_datatree::{DataTree, NodeStat, TreeOptions};
use ringkeeper_snapshot::{write_snapshot, RealFs, TreeSnapshot};
use ringkeeper_zk::{SubTxn, Txn, TxnRecord, ZkServer};
use ringkeeper_zkimport::ZkTxnRecord;

use crate::config::ServerConfig;
use crate::durable::{dir_has_data, snapshot_sessions};

/// Imports `zk_dir` into `config`'s dataDir; returns a summary.
pub fn import_zk(
    zk_dir: &Path,
    zk_log_dir: Option<&Path>,
    config: &ServerConfig,
    now_ms: u64,
) -> Result<String, String> {
    for dir in [&config.data_dir, &config.data_log_dir] {
        if dir_has_data(dir) {
            return Err(format!(
                "{} already holds ringkeeper data; import into an empty dataDir",
                dir.display()
            ));
        }
    }
    let source = match zk_log_dir {
        Some(log_dir) => ringkeeper_zkimport::read_data_dirs(zk_dir, log_dir),
        None => ringkeeper_zkimport::read_data_dir(zk_dir),
    }
    .map_err(|e| e.to_string())?;
    let options = TreeOptions {
        extended_types_enabled: config.extended_types_enabled,
        ..TreeOptions::default()
    };
    let mut tree = DataTree::with_options(options);
    for (acl_id, acls) in &source.snapshot.acls {
        tree.restore_acl(*acl_id, acls.clone());
    }
    for node in &source.snapshot.nodes {
        let s = &node.stat;
        let stat = NodeStat {
            czxid: s.czxid,
            mzxid: s.mzxid,
            ctime_ms: s.ctime,
            mtime_ms: s.mtime,
            version: s.version,
            cversion: s.cversion,
            aversion: s.aversion,
            ephemeral_owner: s.ephemeral_owner,
            pzxid: s.pzxid,
        };
        tree.restore_node(&node.path, &node.data, node.acl, stat)
            .map_err(|e| {
                format!(
                    "{}: node {}: {e}",
                    source.snapshot_file.display(),
                    node.path
                )
            })?;
    }
    tree.finish_restore();
    let sessions: Vec<(i64, u32)> = source
        .snapshot
        .sessions
        .iter()
        .map(|&(id, timeout_ms)| (id, timeout_ms.max(0) as u32))
        .collect();
    let mut zk = ZkServer::restore(
        crate::run::zk_config(config),
        tree,
        &sessions,
        source.snapshot.zxid,
        now_ms,
    )
    .map_err(|e| format!("cannot restore ZooKeeper's snapshot: {e:?}"))?;
    for txn in &source.txns {
        // Already decoded by the reader, which accepts ZooKeeper's legacy
        // and optional forms (a closeSession without its paths, as 3.5 and
        // closeSessionTxn.enabled=false write it): hand the records over
        // as they are rather than re-encoding them for the strict decoder.
        let txn = Txn {
            header: txn.header.clone(),
            record: to_txn_record(&txn.record),
        };
        // A txn the tree refuses is skipped, as ZooKeeper does at load.
        zk.replay_txn(&txn, now_ms);
    }
    let sessions = snapshot_sessions(&zk);
    let session_count = sessions.len();
    std::fs::create_dir_all(&config.data_dir)
        .map_err(|e| format!("cannot create {}: {e}", config.data_dir.display()))?;
    let written = write_snapshot(
        &RealFs,
        &config.data_dir,
        &mut TreeSnapshot::new(zk.tree(), zk.last_zxid(), sessions),
    )
    .map_err(|e| format!("cannot write the snapshot: {e}"))?;
    let mut summary = format!(
        "imported {} (snapshot {:#x} + {} txns) into {}: {} nodes, {} sessions, last zxid {:#x}\n",
        zk_dir.display(),
        source.snapshot.zxid,
        source.txns.len(),
        written.path.display(),
        written.node_count,
        session_count,
        zk.last_zxid()
    );
    for skipped in &source.skipped {
        summary.push_str(&format!("  note: {skipped}\n"));
    }
    Ok(summary)
}

/// A ZooKeeper txn record as ringkeeper's state machine takes it (the two
/// enums name the same jute records).
fn to_txn_record(record: &ZkTxnRecord) -> TxnRecord {
    match record {
        ZkTxnRecord::Create(r) => TxnRecord::Create(r.clone()),
        ZkTxnRecord::CreateContainer(r) => TxnRecord::CreateContainer(r.clone()),
        ZkTxnRecord::CreateTtl(r) => TxnRecord::CreateTtl(r.clone()),
        ZkTxnRecord::Delete(r) => TxnRecord::Delete(r.clone()),
        ZkTxnRecord::SetData(r) => TxnRecord::SetData(r.clone()),
        ZkTxnRecord::SetAcl(r) => TxnRecord::SetAcl(r.clone()),
        ZkTxnRecord::Check(r) => TxnRecord::Check(r.clone()),
        ZkTxnRecord::Multi(subs) => TxnRecord::Multi(
            subs.iter()
                .map(|(op_code, record)| SubTxn {
                    op_code: *op_code,
                    record: to_txn_record(record),
                })
                .collect(),
        ),
        ZkTxnRecord::CreateSession(r) => TxnRecord::CreateSession(r.clone()),
        ZkTxnRecord::CloseSession(r) => TxnRecord::CloseSession(r.clone()),
        ZkTxnRecord::Error(r) => TxnRecord::Error(r.clone()),
    }
}
