//! Read-only views for the four-letter words (mntr, stat, srvr, cons,
//! dump, wchs, wchc, wchp). Plain data: the shell formats the text.

use std::collections::BTreeMap;
use std::net::IpAddr;

use ringkeeper_watch::WatchesSummary;

use crate::connection::ConnectionStats;
use crate::outbox::ConnKey;
use crate::server::{ServerCounters, ZkServer};

/// One connection as `cons` lists it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ConnectionView {
    pub conn: ConnKey,
    pub peer: IpAddr,
    pub session_id: Option<i64>,
    pub timeout_ms: u32,
    pub stats: ConnectionStats,
}

/// One session as `dump` lists it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct SessionView {
    pub session_id: i64,
    pub timeout_ms: u32,
    pub expiry_ms: Option<u64>,
    pub ephemerals: Vec<String>,
}

impl ZkServer {
    /// mntr `znode_count` (ZooKeeper counts the root twice).
    pub fn node_count(&self) -> usize {
        self.tree.node_count()
    }

    /// mntr `approximate_data_size`.
    pub fn approximate_data_size(&self) -> i64 {
        self.tree.approximate_data_size()
    }

    /// The tree's digest (O(1)).
    pub fn digest(&self) -> u64 {
        self.tree.digest()
    }

    /// mntr `ephemerals_count`.
    pub fn ephemeral_count(&self) -> usize {
        self.tree.ephemeral_count()
    }

    /// mntr `watch_count`.
    pub fn watch_count(&self) -> usize {
        self.watches.watch_count()
    }

    /// wchs.
    pub fn watch_summary(&self) -> WatchesSummary {
        self.watches.summary()
    }

    /// wchc: per connection, the paths it watches.
    pub fn watches_by_connection(&self) -> BTreeMap<ConnKey, Vec<String>> {
        self.watches.by_watcher()
    }

    /// wchp: per path, the connections watching it.
    pub fn watches_by_path(&self) -> BTreeMap<String, Vec<ConnKey>> {
        self.watches.by_path()
    }

    /// mntr `outstanding_requests`-like: change records not yet applied.
    pub fn outstanding_changes(&self) -> usize {
        self.changes.len()
    }

    pub fn session_count(&self) -> usize {
        self.sessions.session_count()
    }

    pub fn connection_count(&self) -> usize {
        self.connections.len()
    }

    pub fn counters(&self) -> &ServerCounters {
        &self.counters
    }

    /// srst: zero the server-wide packet counters.
    pub fn reset_counters(&mut self) {
        self.counters.packets_received = 0;
        self.counters.packets_sent = 0;
    }

    /// crst: zero every connection's counters (its session and when it
    /// was established stay).
    pub fn reset_connection_stats(&mut self) {
        for connection in self.connections.values_mut() {
            let established_ms = connection.stats.established_ms;
            connection.stats = crate::connection::Connection::new(connection.peer).stats;
            connection.stats.established_ms = established_ms;
        }
    }

    /// The session a connection is bound to.
    pub fn session_of(&self, conn: ConnKey) -> Option<i64> {
        self.connections.get(&conn)?.session_id
    }

    /// cons: every connection, by key.
    pub fn connections(&self) -> Vec<ConnectionView> {
        let mut views: Vec<ConnectionView> = self
            .connections
            .iter()
            .map(|(&conn, connection)| ConnectionView {
                conn,
                peer: connection.peer,
                session_id: connection.session_id,
                timeout_ms: connection.timeout_ms,
                stats: connection.stats.clone(),
            })
            .collect();
        views.sort_by_key(|view| view.conn);
        views
    }

    /// dump: every session with its timeout and ephemerals, by id.
    pub fn sessions(&self) -> Vec<SessionView> {
        let mut views: Vec<SessionView> = self
            .sessions
            .iter()
            .map(|info| SessionView {
                session_id: info.session_id,
                timeout_ms: info.timeout_ms,
                expiry_ms: info.expiry_ms,
                ephemerals: self.tree.ephemerals(info.session_id),
            })
            .collect();
        views.sort_by_key(|view| view.session_id);
        views
    }

    /// The tree, for snapshots and tests that compare servers.
    pub fn tree(&self) -> &ringkeeper_datatree::DataTree {
        &self.tree
    }
}
