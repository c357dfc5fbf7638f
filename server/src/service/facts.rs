//! Answers to the four-letter words: gathers facts from the state machine
//! (whose lock the caller holds) and from every core's connection table,
//! then formats them with [`crate::fourlw`].
//!
//! Lock order: the state lock, then connection tables. The caller must
//! not hold its own core's table.

use std::collections::{BTreeMap, HashMap};
use std::net::SocketAddr;
use std::path::Path;
use std::sync::atomic::Ordering;

use ringkeeper_zk::ConnKey;

use super::{Locked, Shared};
use crate::fourlw::{self, ConnectionFacts, ServerFacts, SessionFacts, WatchFacts};

/// The version string `srvr`, `stat`, `mntr` and `envi` report: the
/// ZooKeeper release whose protocol we speak, then ours.
pub const SERVER_VERSION: &str = concat!(
    "3.8.0-ringkeeper-",
    env!("CARGO_PKG_VERSION"),
    ", built on unknown"
);

pub fn answer(shared: &Shared, locked: &mut Locked, word: &str, now_ms: u64) -> String {
    if !shared.config.four_letter_word_whitelist.is_enabled(word) {
        return fourlw::not_whitelisted(word);
    }
    match word {
        "ruok" => "imok".to_string(),
        "isro" => "rw".to_string(),
        "srvr" => fourlw::srvr(&server_facts(shared, locked, now_ms)),
        "stat" => fourlw::stat(
            &server_facts(shared, locked, now_ms),
            &connections(shared, locked),
        ),
        "mntr" => fourlw::mntr(&server_facts(shared, locked, now_ms)),
        "cons" => fourlw::cons(&connections(shared, locked)),
        "crst" => {
            locked.zk.reset_connection_stats();
            "Connection stats reset.\n".to_string()
        }
        "srst" => {
            locked.zk.reset_counters();
            shared.counters.reset();
            "Server stats reset.\n".to_string()
        }
        "conf" => fourlw::conf(&conf_settings(shared)),
        "envi" => fourlw::envi(&environment(shared)),
        "dirs" => fourlw::dirs(
            dir_bytes(&shared.config.data_dir),
            dir_bytes(&shared.config.data_log_dir),
        ),
        "wchs" | "wchc" | "wchp" => {
            let facts = watch_facts(locked);
            match word {
                "wchs" => fourlw::wchs(&facts),
                "wchc" => fourlw::wchc(&facts),
                _ => fourlw::wchp(&facts),
            }
        }
        "dump" => {
            let mut groups: BTreeMap<u64, Vec<i64>> = BTreeMap::new();
            let mut ephemerals = BTreeMap::new();
            for session in locked.zk.sessions() {
                if let Some(expiry_ms) = session.expiry_ms {
                    groups
                        .entry(expiry_ms)
                        .or_default()
                        .push(session.session_id);
                }
                if !session.ephemerals.is_empty() {
                    ephemerals.insert(session.session_id, session.ephemerals);
                }
            }
            let groups: Vec<fourlw::ExpiryGroup> = groups
                .into_iter()
                .map(|(expire_unix_ms, session_ids)| fourlw::ExpiryGroup {
                    expire_unix_ms,
                    session_ids,
                })
                .collect();
            fourlw::dump(&groups, &ephemerals, &connections(shared, locked))
        }
        other => format!("{other} is not supported by ringkeeper.\n"),
    }
}

/// Every connection as the state machine sees it, with the port only
/// the shell knows.
fn connections(shared: &Shared, locked: &Locked) -> Vec<ConnectionFacts> {
    let mut peers: HashMap<ConnKey, SocketAddr> = HashMap::new();
    for core in 0..shared.tables.len() {
        // The caller's own table is locked by no one at this point (see
        // the module doc); other cores hold theirs only briefly.
        peers.extend(
            shared
                .table(core)
                .iter()
                .map(|(key, conn)| (*key, conn.peer)),
        );
    }
    locked
        .zk
        .connections()
        .into_iter()
        .filter_map(|view| {
            let stats = &view.stats;
            Some(ConnectionFacts {
                peer: *peers.get(&view.conn)?,
                queued: 0,
                received: stats.packets_received,
                sent: stats.packets_sent,
                session: view.session_id.map(|session_id| SessionFacts {
                    session_id,
                    last_op: stats.last_op,
                    established_unix_ms: stats.established_ms,
                    timeout_ms: view.timeout_ms,
                    last_cxid: stats.last_cxid,
                    last_zxid: stats.last_zxid,
                    last_response_unix_ms: stats.last_response_ms,
                    // Requests are answered within the loop turn that
                    // reads them (or at their txn's commit).
                    last_latency_ms: 0,
                    min_latency_ms: 0,
                    avg_latency_ms: 0,
                    max_latency_ms: 0,
                }),
            })
        })
        .collect()
}

fn server_facts(shared: &Shared, locked: &Locked, now_ms: u64) -> ServerFacts {
    let zk = &locked.zk;
    let c = &shared.counters;
    let (open_fds, max_fds) = file_descriptors();
    ServerFacts {
        version: SERVER_VERSION.to_string(),
        zxid: zk.last_zxid(),
        node_count: zk.node_count(),
        outstanding_requests: 0,
        latency_min_ms: 0,
        latency_avg_ms: 0.0,
        latency_max_ms: 0,
        packets_received: zk.counters().packets_received,
        packets_sent: zk.counters().packets_sent,
        connections: zk.connection_count(),
        ephemerals_count: zk.ephemeral_count(),
        global_sessions: zk.session_count(),
        watch_count: zk.watch_count(),
        approximate_data_size: zk.approximate_data_size().max(0) as u64,
        uptime_ms: now_ms.saturating_sub(shared.started_unix_ms),
        open_file_descriptor_count: open_fds,
        max_file_descriptor_count: max_fds,
        last_client_response_size: -1,
        min_client_response_size: -1,
        max_client_response_size: -1,
        auth_failed_count: 0,
        bytes_received_count: c.bytes_received.load(Ordering::Relaxed),
        connection_rejected: c.connection_rejected.load(Ordering::Relaxed),
        large_requests_rejected: c.large_requests_rejected.load(Ordering::Relaxed),
        unsuccessful_handshake: c.unsuccessful_handshake.load(Ordering::Relaxed),
        digest: zk.digest(),
    }
}

fn watch_facts(locked: &Locked) -> WatchFacts {
    let zk = &locked.zk;
    let session_of = |conn: ConnKey| zk.session_of(conn).unwrap_or(0);
    let mut by_session: BTreeMap<i64, Vec<String>> = BTreeMap::new();
    let mut total = 0;
    for (conn, paths) in zk.watches_by_connection() {
        total += paths.len();
        by_session
            .entry(session_of(conn))
            .or_default()
            .extend(paths);
    }
    let by_path = zk
        .watches_by_path()
        .into_iter()
        .map(|(path, conns)| (path, conns.into_iter().map(session_of).collect()))
        .collect();
    WatchFacts {
        by_session,
        by_path,
        total,
    }
}

fn conf_settings(shared: &Shared) -> Vec<(&'static str, String)> {
    let c = &shared.config;
    vec![
        (
            "clientPort",
            c.client_port.map_or(-1, i32::from).to_string(),
        ),
        ("secureClientPort", "-1".into()),
        ("dataDir", c.data_dir.display().to_string()),
        ("dataDirSize", dir_bytes(&c.data_dir).to_string()),
        ("dataLogDir", c.data_log_dir.display().to_string()),
        ("dataLogSize", dir_bytes(&c.data_log_dir).to_string()),
        ("tickTime", c.tick_time_ms.to_string()),
        ("maxClientCnxns", c.max_client_cnxns.to_string()),
        ("minSessionTimeout", c.min_session_timeout_ms.to_string()),
        ("maxSessionTimeout", c.max_session_timeout_ms.to_string()),
        ("serverId", "0".into()),
    ]
}

fn environment(shared: &Shared) -> Vec<(&'static str, String)> {
    let host = std::fs::read_to_string("/proc/sys/kernel/hostname")
        .map(|s| s.trim().to_string())
        .unwrap_or_default();
    let os_version = std::fs::read_to_string("/proc/sys/kernel/osrelease")
        .map(|s| s.trim().to_string())
        .unwrap_or_default();
    let cwd = std::env::current_dir()
        .map(|p| p.display().to_string())
        .unwrap_or_default();
    vec![
        ("zookeeper.version", SERVER_VERSION.to_string()),
        ("host.name", host),
        ("os.name", "Linux".into()),
        ("os.arch", std::env::consts::ARCH.into()),
        ("os.version", os_version),
        ("user.dir", cwd),
        ("ringkeeper.cores", shared.tables.len().to_string()),
        ("ringkeeper.pid", std::process::id().to_string()),
    ]
}

/// Bytes of the regular files directly in `dir` (ZooKeeper's
/// `dataDirSize` counts its version-2 directory the same way).
fn dir_bytes(dir: &Path) -> u64 {
    let Ok(entries) = std::fs::read_dir(dir) else {
        return 0;
    };
    entries
        .filter_map(Result::ok)
        .filter_map(|e| e.metadata().ok())
        .filter(|m| m.is_file())
        .map(|m| m.len())
        .sum()
}

fn file_descriptors() -> (u64, u64) {
    let open = std::fs::read_dir("/proc/self/fd").map_or(0, |d| d.count() as u64);
    let mut limit = libc::rlimit {
        rlim_cur: 0,
        rlim_max: 0,
    };
    // SAFETY: `limit` is a valid rlimit for getrlimit to fill.
    unsafe { libc::getrlimit(libc::RLIMIT_NOFILE, &mut limit) };
    (open, limit.rlim_cur)
}
