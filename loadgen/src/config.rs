//! The command line, validated into a `LoadConfig`.

use crate::workload::Mix;
use clap::Parser;
use std::net::{SocketAddr, ToSocketAddrs};
use std::path::PathBuf;
use std::time::Duration;

/// Drive a ZooKeeper-compatible server (ringkeeper or Apache ZooKeeper)
/// with many real sessions and report throughput and latency.
#[derive(Debug, Parser)]
#[command(name = "loadgen", version)]
pub struct Cli {
    /// Servers as host:port[,host:port...]; sessions are spread round-robin.
    #[arg(long)]
    pub servers: Option<String>,
    /// Number of sessions (one TCP connection each).
    #[arg(long, default_value_t = 100)]
    pub clients: u32,
    /// Share of writes in the default mix (setData vs getData), 0..1.
    #[arg(long, default_value_t = 0.1)]
    pub write_ratio: f64,
    /// Op mix instead of --write-ratio, e.g. get=80,set=10,create=4,ephemeral=2,delete=2,exists=1,children=1,multi=0
    #[arg(long)]
    pub mix: Option<String>,
    /// In-flight ops per session (pipelined, answered in order).
    #[arg(long, default_value_t = 1)]
    pub outstanding: u32,
    /// Number of key znodes read and written (/loadgen/k0 ...).
    #[arg(long, default_value_t = 10_000)]
    pub keys: u32,
    /// Bytes of data per setData and create.
    #[arg(long, default_value_t = 100)]
    pub value_size: usize,
    /// Measured seconds.
    #[arg(long, default_value_t = 30.0)]
    pub duration: f64,
    /// Seconds of load before measuring starts.
    #[arg(long, default_value_t = 5.0)]
    pub warmup: f64,
    /// Requested session timeout, ms (the server negotiates within its bounds).
    #[arg(long, default_value_t = 30_000)]
    pub session_timeout: u32,
    /// Open loop: total ops/s at fixed intervals; latency counts from the
    /// intended send time, so stalls cannot hide (no coordinated omission).
    #[arg(long)]
    pub rate: Option<f64>,
    /// New connections per second while sessions are established.
    #[arg(long, default_value_t = 2_000.0)]
    pub connect_rate: f64,
    /// Seconds allowed for establishing all sessions before giving up.
    #[arg(long, default_value_t = 60.0)]
    pub connect_timeout: f64,
    /// Worker threads, each with its own io_uring and a share of the sessions.
    #[arg(long, default_value_t = 1)]
    pub threads: u32,
    /// Largest frame accepted from the server, bytes (jute.maxbuffer).
    #[arg(long, default_value_t = ringkeeper_jute::JUTE_MAXBUFFER_DEFAULT_BYTES)]
    pub max_frame_bytes: usize,
    /// Parent znode of everything loadgen creates.
    #[arg(long, default_value = "/loadgen")]
    pub root: String,
    /// Print one JSON line with the results on stdout (report goes to stderr).
    #[arg(long)]
    pub json: bool,
    /// Write latency percentiles and throughput over time as an SVG.
    #[arg(long)]
    pub plot: Option<PathBuf>,
    /// Seed of the op and key choices.
    #[arg(long, default_value_t = 0x5eed)]
    pub seed: u64,
    /// Append every acknowledged write (err 0) to FILE, one line each
    /// (format: loadgen/src/ack_log.rs), for crash tests. A server that
    /// dies mid-run is expected in this mode: in-flight ops without a reply
    /// are not logged, sessions give up after their reconnects fail, the
    /// load ends once no session is left (or at --duration), and loadgen
    /// exits with status 3 (sessions lost), the log complete.
    #[arg(long, value_name = "FILE")]
    pub ack_log: Option<PathBuf>,
}

/// The most sessions one loadgen process will open.
pub const CLIENTS_MAX: u32 = 100_000;
/// The most in-flight ops per session.
pub const OUTSTANDING_MAX: u32 = 1_000;
/// The most worker threads.
pub const THREADS_MAX: u32 = 64;

#[derive(Debug, Clone)]
pub struct LoadConfig {
    pub servers: Vec<SocketAddr>,
    pub servers_text: String,
    /// No `--servers` was given: loadgen starts ringkeeper's embedded
    /// default server in-process and loads it.
    pub embedded: bool,
    pub clients: u32,
    pub mix: Mix,
    pub outstanding: u32,
    pub keys: u32,
    pub value_size: usize,
    pub duration: Duration,
    pub warmup: Duration,
    pub session_timeout_ms: u32,
    pub rate_ops_per_s: Option<f64>,
    pub connect_rate_per_s: f64,
    pub connect_timeout: Duration,
    pub threads: u32,
    pub max_frame_bytes: usize,
    pub root: String,
    pub json: bool,
    pub plot: Option<PathBuf>,
    pub seed: u64,
    pub ack_log: Option<PathBuf>,
}

/// Why the command line cannot run.
#[derive(Debug, PartialEq)]
pub enum ConfigError {
    Invalid(String),
}

/// Where loadgen's embedded ringkeeper listens when no `--servers` is given.
pub const EMBEDDED_SERVER: &str = "127.0.0.1:2181";

impl LoadConfig {
    pub fn from_cli(cli: Cli) -> Result<LoadConfig, ConfigError> {
        let embedded = cli.servers.is_none();
        let servers_text = cli
            .servers
            .clone()
            .unwrap_or_else(|| EMBEDDED_SERVER.to_string());
        let servers = parse_servers(&servers_text).map_err(ConfigError::Invalid)?;
        let invalid = |text: String| Err(ConfigError::Invalid(text));
        if cli.clients == 0 || cli.clients > CLIENTS_MAX {
            return invalid(format!(
                "--clients must be 1..={CLIENTS_MAX}, got {}",
                cli.clients
            ));
        }
        if cli.outstanding == 0 || cli.outstanding > OUTSTANDING_MAX {
            return invalid(format!(
                "--outstanding must be 1..={OUTSTANDING_MAX}, got {}",
                cli.outstanding
            ));
        }
        if cli.threads == 0 || cli.threads > THREADS_MAX {
            return invalid(format!(
                "--threads must be 1..={THREADS_MAX}, got {}",
                cli.threads
            ));
        }
        if cli.keys == 0 {
            return invalid("--keys must be at least 1".into());
        }
        if cli.value_size + 1024 > cli.max_frame_bytes {
            return invalid(format!(
                "--value-size {} does not fit in a frame of --max-frame-bytes {} (jute.maxbuffer)",
                cli.value_size, cli.max_frame_bytes
            ));
        }
        for (name, seconds) in [
            ("--duration", cli.duration),
            ("--connect-timeout", cli.connect_timeout),
        ] {
            if !(seconds > 0.0 && seconds.is_finite()) {
                return invalid(format!("{name} must be a positive number of seconds"));
            }
        }
        if !(cli.warmup >= 0.0 && cli.warmup.is_finite()) {
            return invalid("--warmup must be >= 0 seconds".into());
        }
        if let Some(rate) = cli.rate {
            if !(rate > 0.0 && rate.is_finite()) {
                return invalid("--rate must be a positive number of ops/s".into());
            }
        }
        if !(cli.connect_rate > 0.0 && cli.connect_rate.is_finite()) {
            return invalid("--connect-rate must be positive".into());
        }
        if cli.session_timeout < 100 {
            return invalid("--session-timeout must be at least 100 ms".into());
        }
        if !cli.root.starts_with('/') || cli.root.len() < 2 || cli.root.ends_with('/') {
            return invalid(format!(
                "--root must be an absolute znode path like /loadgen, got '{}'",
                cli.root
            ));
        }
        let mix = match &cli.mix {
            Some(text) => Mix::parse(text),
            None => Mix::from_write_ratio(cli.write_ratio),
        }
        .map_err(ConfigError::Invalid)?;
        Ok(LoadConfig {
            servers,
            servers_text,
            embedded,
            clients: cli.clients,
            mix,
            outstanding: cli.outstanding,
            keys: cli.keys,
            value_size: cli.value_size,
            duration: Duration::from_secs_f64(cli.duration),
            warmup: Duration::from_secs_f64(cli.warmup),
            session_timeout_ms: cli.session_timeout,
            rate_ops_per_s: cli.rate,
            connect_rate_per_s: cli.connect_rate,
            connect_timeout: Duration::from_secs_f64(cli.connect_timeout),
            threads: cli.threads.min(cli.clients),
            max_frame_bytes: cli.max_frame_bytes,
            root: cli.root,
            json: cli.json,
            plot: cli.plot,
            seed: cli.seed,
            ack_log: cli.ack_log,
        })
    }
}

/// Resolves `host:port[,host:port...]` (IPv4 only: loadgen's sockets are AF_INET).
pub fn parse_servers(text: &str) -> Result<Vec<SocketAddr>, String> {
    let mut servers = Vec::new();
    for entry in text.split(',').map(str::trim).filter(|e| !e.is_empty()) {
        let resolved = entry
            .to_socket_addrs()
            .map_err(|error| {
                format!("--servers: cannot resolve '{entry}': {error} (expected host:port)")
            })?
            .find(SocketAddr::is_ipv4)
            .ok_or_else(|| format!("--servers: '{entry}' has no IPv4 address"))?;
        servers.push(resolved);
    }
    if servers.is_empty() {
        return Err("--servers is empty".into());
    }
    Ok(servers)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn cli(args: &[&str]) -> Cli {
        Cli::parse_from(std::iter::once("loadgen").chain(args.iter().copied()))
    }

    #[test]
    fn no_servers_means_the_embedded_server() {
        let config = LoadConfig::from_cli(cli(&[])).unwrap();
        assert!(config.embedded);
        assert_eq!(config.servers, vec![EMBEDDED_SERVER.parse().unwrap()]);
        let given = LoadConfig::from_cli(cli(&["--servers", "127.0.0.1:1"])).unwrap();
        assert!(!given.embedded);
    }

    #[test]
    fn servers_are_parsed_in_order() {
        let config =
            LoadConfig::from_cli(cli(&["--servers", "127.0.0.1:2181, 127.0.0.2:2182"])).unwrap();
        assert_eq!(config.servers.len(), 2);
        assert_eq!(config.servers[1].port(), 2182);
    }

    #[test]
    fn bad_values_name_the_flag() {
        for (args, needle) in [
            (vec!["--servers", "127.0.0.1"], "--servers"),
            (
                vec!["--servers", "127.0.0.1:1", "--clients", "0"],
                "--clients",
            ),
            (
                vec!["--servers", "127.0.0.1:1", "--write-ratio", "2"],
                "--write-ratio",
            ),
            (
                vec!["--servers", "127.0.0.1:1", "--value-size", "2000000"],
                "--value-size",
            ),
            (vec!["--servers", "127.0.0.1:1", "--rate", "0"], "--rate"),
            (
                vec!["--servers", "127.0.0.1:1", "--root", "loadgen"],
                "--root",
            ),
        ] {
            match LoadConfig::from_cli(cli(&args)) {
                Err(ConfigError::Invalid(text)) => assert!(text.contains(needle), "{text}"),
                other => panic!("{args:?} gave {other:?}"),
            }
        }
    }
}
