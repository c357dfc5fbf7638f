//! The read-only views the four-letter words are built from.

mod common;

use common::*;
use ringkeeper_jute::{GetDataRequest, OpCode};

/// A fresh server counts as ZooKeeper 3.8's mntr does (5 znodes: the root
/// twice), and every view follows the ops.
#[test]
fn views_follow_nodes_sessions_watches_and_connections() {
    let mut h = Harness::default();
    assert_eq!(h.server.node_count(), 5);
    let c = h.connect();
    h.call(&c, 1, OpCode::Create, &create_request("/a", b"xyz", 1));
    h.call(
        &c,
        2,
        OpCode::GetData,
        &GetDataRequest {
            path: "/a".into(),
            watch: true,
        },
    );
    assert_eq!(h.server.node_count(), 6);
    assert_eq!(h.server.ephemeral_count(), 1);
    assert_eq!(h.server.watch_count(), 1);
    assert_eq!(h.server.watches_by_path().get("/a"), Some(&vec![c.conn]));
    assert_eq!(
        h.server.watches_by_connection().get(&c.conn),
        Some(&vec!["/a".to_string()])
    );
    let sessions = h.server.sessions();
    assert_eq!(sessions.len(), 1);
    assert_eq!(
        (sessions[0].session_id, sessions[0].timeout_ms),
        (c.session_id, 30_000)
    );
    assert_eq!(sessions[0].ephemerals, ["/a"]);
    let connections = h.server.connections();
    assert_eq!(connections.len(), 1);
    let stats = &connections[0].stats;
    assert_eq!(
        (stats.last_op, stats.last_cxid, stats.last_zxid),
        ("GETD", 2, 2)
    );
    assert_eq!((stats.packets_received, stats.packets_sent), (2, 3));
    assert_eq!(h.server.session_of(c.conn), Some(c.session_id));
    assert_eq!(h.server.outstanding_changes(), 0);
    assert!(h.server.approximate_data_size() > 0);
}
