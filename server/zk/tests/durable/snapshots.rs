//! Snapshots for the recovery tests: one written from the committed state
//! into a simulated data dir, and recovery from the newest one there plus
//! replay of the log after it.

use std::path::Path;

use ringkeeper_snapshot::{load_newest, write_snapshot, SimFs, SnapshotSession, TreeSnapshot};
use ringkeeper_zk::ZkServer;

use super::{config, tree_options};

/// The data dir inside a test's `SimFs`.
pub const DATA_DIR: &str = "/data";

/// The sessions a snapshot of `server` records.
pub fn snapshot_sessions(server: &ZkServer) -> Vec<SnapshotSession> {
    server
        .sessions_for_snapshot()
        .into_iter()
        .map(|(session_id, timeout_ms)| SnapshotSession {
            session_id,
            timeout_ms,
        })
        .collect()
}

/// A consistent snapshot of the committed state, as at shutdown.
pub fn write_consistent_snapshot(fs: &SimFs, server: &ZkServer) {
    let mut source =
        TreeSnapshot::new(server.tree(), server.last_zxid(), snapshot_sessions(server));
    write_snapshot(fs, Path::new(DATA_DIR), &mut source).expect("snapshot written");
}

/// The newest snapshot in `fs`, then the log through `through_zxid`;
/// a fuzzy snapshot's digest is checked when replay reaches its zxid.
pub fn recover_from_snapshot(
    fs: &SimFs,
    log: &[(i64, Vec<u8>)],
    through_zxid: i64,
    now_ms: u64,
) -> ZkServer {
    let report = load_newest(fs, Path::new(DATA_DIR), tree_options()).expect("listed");
    let (_, loaded) = report.loaded.expect("a snapshot loads");
    let sessions: Vec<(i64, u32)> = loaded
        .sessions
        .iter()
        .map(|session| (session.session_id, session.timeout_ms))
        .collect();
    let mut server =
        ZkServer::restore(config(), loaded.tree, &sessions, loaded.zxid, now_ms).expect("restored");
    let mut digest_checked = loaded.pending_digest.is_none();
    for (zxid, bytes) in log.iter().filter(|(zxid, _)| *zxid <= through_zxid) {
        server.replay(bytes, now_ms).expect("replayed");
        if let Some(pending) = loaded.pending_digest.filter(|p| p.zxid == *zxid) {
            assert_eq!(
                server.digest(),
                pending.digest,
                "the fuzzy snapshot's digest at zxid {zxid:#x}"
            );
            digest_checked = true;
        }
    }
    assert!(
        digest_checked,
        "replay reached the fuzzy snapshot's digest zxid"
    );
    server
}
