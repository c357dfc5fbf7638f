//! The four-letter words' text, in Apache ZooKeeper 3.8's formats.
//!
//! Pure formatting: the service gathers [`ServerFacts`], [`ConnectionFacts`]
//! and [`WatchFacts`] and these functions turn them into the exact lines
//! ZooKeeper prints (captured from Debian's ZooKeeper 3.8.0 in
//! `server/tests/data/zk-4lw/`), so scripts and monitoring that parse
//! ZooKeeper's output parse ours.

use std::collections::BTreeMap;
use std::fmt::Write;
use std::net::SocketAddr;

/// What `srvr`, `stat` and `mntr` report about the whole server.
#[derive(Debug, Clone, Default)]
pub struct ServerFacts {
    pub version: String,
    pub zxid: i64,
    pub node_count: usize,
    pub outstanding_requests: u64,
    pub latency_min_ms: u64,
    pub latency_avg_ms: f64,
    pub latency_max_ms: u64,
    pub packets_received: u64,
    pub packets_sent: u64,
    pub connections: usize,
    pub ephemerals_count: usize,
    pub global_sessions: usize,
    pub watch_count: usize,
    pub approximate_data_size: u64,
    pub uptime_ms: u64,
    pub open_file_descriptor_count: u64,
    pub max_file_descriptor_count: u64,
    pub last_client_response_size: i64,
    pub min_client_response_size: i64,
    pub max_client_response_size: i64,
    pub auth_failed_count: u64,
    pub bytes_received_count: u64,
    pub connection_rejected: u64,
    pub large_requests_rejected: u64,
    pub unsuccessful_handshake: u64,
    pub digest: u64,
}

/// One client connection, as `cons` and `stat` list it.
#[derive(Debug, Clone)]
pub struct ConnectionFacts {
    pub peer: SocketAddr,
    pub queued: usize,
    pub received: u64,
    pub sent: u64,
    /// Present once the handshake succeeded.
    pub session: Option<SessionFacts>,
}

#[derive(Debug, Clone)]
pub struct SessionFacts {
    pub session_id: i64,
    pub last_op: &'static str,
    pub established_unix_ms: u64,
    pub timeout_ms: u32,
    pub last_cxid: i32,
    pub last_zxid: i64,
    pub last_response_unix_ms: u64,
    pub last_latency_ms: u64,
    pub min_latency_ms: u64,
    pub avg_latency_ms: u64,
    pub max_latency_ms: u64,
}

/// Watches by session and by path, for `wchs`, `wchc` and `wchp`.
#[derive(Debug, Clone, Default)]
pub struct WatchFacts {
    pub by_session: BTreeMap<i64, Vec<String>>,
    pub by_path: BTreeMap<String, Vec<i64>>,
    pub total: usize,
}

/// The reply to a word that is known but not whitelisted.
pub fn not_whitelisted(word: &str) -> String {
    format!("{word} is not executed because it is not in the whitelist.\n")
}

pub fn srvr(facts: &ServerFacts) -> String {
    let mut out = format!("Zookeeper version: {}\n", facts.version);
    server_lines(&mut out, facts);
    out
}

pub fn stat(facts: &ServerFacts, connections: &[ConnectionFacts]) -> String {
    let mut out = format!("Zookeeper version: {}\nClients:\n", facts.version);
    for c in connections {
        out.push_str(&connection_line(c, false));
    }
    out.push('\n');
    server_lines(&mut out, facts);
    out
}

fn server_lines(out: &mut String, f: &ServerFacts) {
    let _ = write!(
        out,
        "Latency min/avg/max: {}/{:.1}/{}\nReceived: {}\nSent: {}\nConnections: {}\n\
         Outstanding: {}\nZxid: 0x{:x}\nMode: standalone\nNode count: {}\n",
        f.latency_min_ms,
        f.latency_avg_ms,
        f.latency_max_ms,
        f.packets_received,
        f.packets_sent,
        f.connections,
        f.outstanding_requests,
        f.zxid,
        f.node_count
    );
}

pub fn cons(connections: &[ConnectionFacts]) -> String {
    let mut out = String::new();
    for c in connections {
        out.push_str(&connection_line(c, true));
    }
    out.push('\n');
    out
}

fn connection_line(c: &ConnectionFacts, full: bool) -> String {
    let ready = u8::from(c.session.is_some());
    let mut line = format!(
        " /{}:{}[{}](queued={},recved={},sent={}",
        c.peer.ip(),
        c.peer.port(),
        ready,
        c.queued,
        c.received,
        c.sent
    );
    if let (true, Some(s)) = (full, &c.session) {
        let _ = write!(
            line,
            ",sid=0x{:x},lop={},est={},to={},lcxid=0x{:x},lzxid=0x{:x},lresp={},llat={},\
             minlat={},avglat={},maxlat={}",
            s.session_id,
            s.last_op,
            s.established_unix_ms,
            s.timeout_ms,
            s.last_cxid,
            s.last_zxid,
            s.last_response_unix_ms,
            s.last_latency_ms,
            s.min_latency_ms,
            s.avg_latency_ms,
            s.max_latency_ms
        );
    }
    line.push_str(")\n");
    line
}

pub fn mntr(f: &ServerFacts) -> String {
    let rows: [(&str, String); 27] = [
        ("zk_version", f.version.clone()),
        ("zk_server_state", "standalone".into()),
        ("zk_ephemerals_count", f.ephemerals_count.to_string()),
        ("zk_num_alive_connections", f.connections.to_string()),
        ("zk_avg_latency", format!("{:.1}", f.latency_avg_ms)),
        (
            "zk_outstanding_requests",
            f.outstanding_requests.to_string(),
        ),
        ("zk_znode_count", f.node_count.to_string()),
        ("zk_global_sessions", f.global_sessions.to_string()),
        ("zk_non_mtls_remote_conn_count", "0".into()),
        (
            "zk_last_client_response_size",
            f.last_client_response_size.to_string(),
        ),
        ("zk_packets_sent", f.packets_sent.to_string()),
        ("zk_packets_received", f.packets_received.to_string()),
        (
            "zk_max_client_response_size",
            f.max_client_response_size.to_string(),
        ),
        ("zk_connection_drop_probability", "0.0".into()),
        ("zk_watch_count", f.watch_count.to_string()),
        ("zk_auth_failed_count", f.auth_failed_count.to_string()),
        ("zk_min_latency", f.latency_min_ms.to_string()),
        (
            "zk_max_file_descriptor_count",
            f.max_file_descriptor_count.to_string(),
        ),
        (
            "zk_approximate_data_size",
            f.approximate_data_size.to_string(),
        ),
        (
            "zk_open_file_descriptor_count",
            f.open_file_descriptor_count.to_string(),
        ),
        ("zk_local_sessions", "0".into()),
        ("zk_uptime", f.uptime_ms.to_string()),
        ("zk_max_latency", f.latency_max_ms.to_string()),
        (
            "zk_min_client_response_size",
            f.min_client_response_size.to_string(),
        ),
        (
            "zk_bytes_received_count",
            f.bytes_received_count.to_string(),
        ),
        ("zk_connection_rejected", f.connection_rejected.to_string()),
        (
            "zk_large_requests_rejected",
            f.large_requests_rejected.to_string(),
        ),
    ];
    let mut out = String::new();
    for (key, value) in rows {
        let _ = writeln!(out, "{key}\t{value}");
    }
    let _ = writeln!(
        out,
        "zk_unsuccessful_handshake\t{}",
        f.unsuccessful_handshake
    );
    let _ = writeln!(out, "zk_digest\t{}", f.digest);
    out
}

pub fn wchs(w: &WatchFacts) -> String {
    format!(
        "{} connections watching {} paths\nTotal watches:{}\n",
        w.by_session.len(),
        w.by_path.len(),
        w.total
    )
}

pub fn wchc(w: &WatchFacts) -> String {
    let mut out = String::new();
    for (session_id, paths) in &w.by_session {
        let _ = writeln!(out, "0x{session_id:x}");
        for p in paths {
            let _ = writeln!(out, "\t{p}");
        }
    }
    out.push('\n');
    out
}

pub fn wchp(w: &WatchFacts) -> String {
    let mut out = String::new();
    for (path, sessions) in &w.by_path {
        let _ = writeln!(out, "{path}");
        for s in sessions {
            let _ = writeln!(out, "\t0x{s:x}");
        }
    }
    out.push('\n');
    out
}

/// `conf`: the settings in effect, as `key=value` lines.
pub fn conf(settings: &[(&str, String)]) -> String {
    let mut out = String::new();
    for (key, value) in settings {
        let _ = writeln!(out, "{key}={value}");
    }
    out
}

/// `envi`: facts about the process and host.
pub fn envi(settings: &[(&str, String)]) -> String {
    format!("Environment:\n{}", conf(settings))
}

pub fn dirs(data_dir_bytes: u64, log_dir_bytes: u64) -> String {
    format!("datadir_size: {data_dir_bytes}\nlogdir_size: {log_dir_bytes}\n")
}

/// One group of sessions that expire together, for `dump`.
#[derive(Debug, Clone)]
pub struct ExpiryGroup {
    pub expire_unix_ms: u64,
    pub session_ids: Vec<i64>,
}

pub fn dump(
    session_groups: &[ExpiryGroup],
    ephemerals: &BTreeMap<i64, Vec<String>>,
    connections: &[ConnectionFacts],
) -> String {
    let sessions: usize = session_groups.iter().map(|g| g.session_ids.len()).sum();
    let mut out = format!(
        "SessionTracker dump:\nSession Sets ({})/({}):\n",
        session_groups.len(),
        sessions
    );
    for g in session_groups {
        let _ = writeln!(
            out,
            "{} expire at {}:",
            g.session_ids.len(),
            java_date(g.expire_unix_ms)
        );
        for s in &g.session_ids {
            let _ = writeln!(out, "\t0x{s:x}");
        }
    }
    let _ = writeln!(
        out,
        "ephemeral nodes dump:\nSessions with Ephemerals ({}):",
        ephemerals.len()
    );
    for (session_id, paths) in ephemerals {
        let _ = writeln!(out, "0x{session_id:x}:");
        for p in paths {
            let _ = writeln!(out, "\t{p}");
        }
    }
    let _ = writeln!(
        out,
        "Connections dump:\nConnections Sets ({})/({}):",
        connections.len(),
        connections.len()
    );
    for c in connections {
        let session_id = c.session.as_ref().map_or(0, |s| s.session_id);
        let _ = writeln!(
            out,
            "1 connection:\n\tip: /{}:{} sessionId: 0x{session_id:x}",
            c.peer.ip(),
            c.peer.port()
        );
    }
    out
}

/// `java.util.Date.toString()` in UTC: `Sun Nov 22 06:10:25 UTC 2026`.
pub fn java_date(unix_ms: u64) -> String {
    const DAYS: [&str; 7] = ["Thu", "Fri", "Sat", "Sun", "Mon", "Tue", "Wed"];
    const MONTHS: [&str; 12] = [
        "Jan", "Feb", "Mar", "Apr", "May", "Jun", "Jul", "Aug", "Sep", "Oct", "Nov", "Dec",
    ];
    let secs = unix_ms / 1000;
    let days = (secs / 86_400) as i64;
    let rem = secs % 86_400;
    let (year, month, day) = civil_from_days(days);
    format!(
        "{} {} {:02} {:02}:{:02}:{:02} UTC {}",
        DAYS[(days % 7) as usize],
        MONTHS[(month - 1) as usize],
        day,
        rem / 3600,
        rem % 3600 / 60,
        rem % 60,
        year
    )
}

/// Days since 1970-01-01 to (year, month 1-12, day 1-31), proleptic Gregorian.
fn civil_from_days(days: i64) -> (i64, u32, u32) {
    let z = days + 719_468;
    let era = z.div_euclid(146_097);
    let doe = z.rem_euclid(146_097);
    let yoe = (doe - doe / 1460 + doe / 36_524 - doe / 146_096) / 365;
    let doy = doe - (365 * yoe + yoe / 4 - yoe / 100);
    let mp = (5 * doy + 2) / 153;
    let day = (doy - (153 * mp + 2) / 5 + 1) as u32;
    let month = if mp < 10 { mp + 3 } else { mp - 9 } as u32;
    let year = yoe + era * 400 + i64::from(month <= 2);
    (year, month, day)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn zk(name: &str) -> String {
        let path = format!(
            "{}/tests/data/zk-4lw/{name}.txt",
            env!("CARGO_MANIFEST_DIR")
        );
        std::fs::read_to_string(path).expect("captured ZooKeeper output")
    }

    fn facts() -> ServerFacts {
        ServerFacts {
            version: "3.8.0-${mvngit.commit.id}, built on 2024-12-29 17:54 UTC".into(),
            zxid: 2,
            node_count: 6,
            latency_min_ms: 7,
            latency_avg_ms: 13.0,
            latency_max_ms: 22,
            packets_received: 6,
            packets_sent: 5,
            connections: 2,
            ..ServerFacts::default()
        }
    }

    #[test]
    fn srvr_matches_zookeeper_byte_for_byte() {
        assert_eq!(srvr(&facts()), zk("srvr"));
    }

    #[test]
    fn watch_reports_match_zookeeper_byte_for_byte() {
        let session_id = 0x1000092428d0000;
        let w = WatchFacts {
            by_session: BTreeMap::from([(session_id, vec!["/e".to_string()])]),
            by_path: BTreeMap::from([("/e".to_string(), vec![session_id])]),
            total: 1,
        };
        assert_eq!(wchs(&w), zk("wchs"));
        assert_eq!(wchc(&w), zk("wchc"));
        assert_eq!(wchp(&w), zk("wchp"));
    }

    #[test]
    fn cons_lines_match_zookeeper_byte_for_byte() {
        let conns = [
            ConnectionFacts {
                peer: "127.0.0.1:36564".parse().unwrap(),
                queued: 0,
                received: 1,
                sent: 0,
                session: None,
            },
            ConnectionFacts {
                peer: "127.0.0.1:36516".parse().unwrap(),
                queued: 0,
                received: 3,
                sent: 3,
                session: Some(SessionFacts {
                    session_id: 0x1000092428d0000,
                    last_op: "GETD",
                    established_unix_ms: 1795327794481,
                    timeout_ms: 30000,
                    last_cxid: 2,
                    last_zxid: 2,
                    last_response_unix_ms: 9585933,
                    last_latency_ms: 7,
                    min_latency_ms: 0,
                    avg_latency_ms: 13,
                    max_latency_ms: 22,
                }),
            },
        ];
        assert_eq!(cons(&conns), zk("cons"));
    }

    #[test]
    fn not_whitelisted_matches_zookeeper() {
        assert_eq!(not_whitelisted("ruok"), zk("notwhitelisted-ruok"));
    }

    #[test]
    fn java_date_prints_like_java_util_date_in_utc() {
        // 2026-11-22T06:10:25Z, a Sunday, as ZooKeeper's dump printed it.
        assert_eq!(java_date(1_795_327_825_000), "Sun Nov 22 06:10:25 UTC 2026");
        assert_eq!(java_date(0), "Thu Jan 01 00:00:00 UTC 1970");
    }

    #[test]
    fn dump_lists_sessions_ephemerals_and_connections() {
        let groups = [ExpiryGroup {
            expire_unix_ms: 1_795_327_825_000,
            session_ids: vec![0x1000092428d0000],
        }];
        let eph = BTreeMap::from([(0x1000092428d0000, vec!["/e".to_string()])]);
        let text = dump(&groups, &eph, &[]);
        let want_prefix: String = zk("dump")
            .lines()
            .take(8)
            .map(|l| format!("{l}\n"))
            .collect();
        assert!(text.starts_with(&want_prefix), "{text}");
    }
}
