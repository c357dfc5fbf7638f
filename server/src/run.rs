//! Starting and stopping a server from a [`ServerConfig`]: the one place
//! that turns settings into an engine, a state machine and a listener.
//! Used by the `ringkeeper` binary and by loadgen's embedded server.

use std::net::{IpAddr, Ipv4Addr, SocketAddr};
use std::path::PathBuf;
use std::sync::Arc;

use ringkeeper_engine::{BackendChoice, BackendKind, Engine, EngineConfig};
use ringkeeper_zk::{ApplyMode, ZkConfig};

use crate::config::ServerConfig;
use crate::durable::{self, Durability};
use crate::service::core::Mail;
use crate::service::{unix_ms_now, Shared, ZkServiceFactory};

/// Where the embedded default server listens.
pub const EMBEDDED_DEFAULT_PORT: u16 = 2181;
/// Where the embedded default server keeps its data, relative to the
/// working directory.
pub const EMBEDDED_DEFAULT_DATA_DIR: &str = "ringkeeper-data";
/// Watches the whole server may hold (ZooKeeper has no such limit; this
/// one is large enough never to matter for well-behaved clients).
pub const WATCHES_MAX: usize = 10_000_000;
/// Sessions the whole server may hold.
pub const SESSIONS_MAX: usize = 1_000_000;

/// How the process runs, beyond zoo.cfg.
#[derive(Debug, Clone)]
pub struct RunOptions {
    /// Engine threads; 0 = one per CPU.
    pub cores: usize,
    pub backend: BackendChoice,
}

impl Default for RunOptions {
    fn default() -> Self {
        RunOptions {
            cores: 0,
            backend: BackendChoice::Auto,
        }
    }
}

#[derive(Debug)]
pub enum StartError {
    DataDir(PathBuf, std::io::Error),
    Listen(SocketAddr, std::io::Error),
    NoClientPort,
    /// Snapshot or txn log damage beyond what recovery may repair, or a
    /// log that cannot be opened; the message names file and offset.
    Recovery(String),
    /// The txn log's I/O as zoo.cfg asks for it is not possible here
    /// (O_DIRECT refused by dataLogDir, io_uring unavailable); the message
    /// names the key, the directory and the cause.
    LogStorage(String),
}

impl std::fmt::Display for StartError {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            StartError::DataDir(dir, e) => {
                write!(f, "cannot create dataDir {}: {e}", dir.display())
            }
            StartError::Listen(addr, e) => write!(f, "cannot listen on {addr}: {e}"),
            StartError::NoClientPort => write!(f, "no clientPort is set in the configuration"),
            StartError::Recovery(why) => write!(f, "cannot recover the stored state: {why}"),
            StartError::LogStorage(why) => write!(f, "cannot open the txn log: {why}"),
        }
    }
}

impl std::error::Error for StartError {}

/// A running server; dropping it without [`RunningServer::shutdown`]
/// leaves its threads running until the process exits.
pub struct RunningServer {
    engine: Engine,
    shared: Arc<Shared>,
}

impl RunningServer {
    pub fn local_addr(&self) -> SocketAddr {
        self.engine.local_addr()
    }

    pub fn backend(&self) -> BackendKind {
        self.engine.backend()
    }

    pub fn config(&self) -> &ServerConfig {
        &self.shared.config
    }

    /// Closes every connection, joins the engine's threads, then flushes
    /// and closes the txn log.
    pub fn shutdown(self) {
        if self.engine.shutdown().is_err() {
            eprintln!("ringkeeper: an engine thread panicked during shutdown");
        }
        let log = self.shared.lock().log.take();
        if let Some(log) = log {
            if let Err(e) = log.shutdown() {
                eprintln!("ringkeeper: the txn log failed while closing: {e}");
            }
        }
    }
}

/// The configuration the embedded default server runs with: ZooKeeper's
/// defaults on 127.0.0.1:2181 with data under `./ringkeeper-data`.
pub fn embedded_default_config() -> ServerConfig {
    let text = format!(
        "tickTime=2000\ndataDir={EMBEDDED_DEFAULT_DATA_DIR}\nclientPort={EMBEDDED_DEFAULT_PORT}\n\
         clientPortAddress=127.0.0.1\nmaxClientCnxns=0\n4lw.commands.whitelist=*\n"
    );
    // A fixed, valid text: parsing it cannot fail.
    crate::config::parse_zoo_cfg(&text)
        .map(|(config, _warnings)| config)
        .expect("the embedded default configuration is valid")
}

/// The state machine's settings from zoo.cfg.
pub fn zk_config(config: &ServerConfig) -> ZkConfig {
    ZkConfig {
        tick_time_ms: config.tick_time_ms,
        min_session_timeout_ms: config.min_session_timeout_ms,
        max_session_timeout_ms: config.max_session_timeout_ms,
        server_id: 1,
        extended_types_enabled: config.extended_types_enabled,
        super_digest: config.super_digest.clone(),
        watches_max: WATCHES_MAX,
        sessions_max: SESSIONS_MAX,
        container_check_interval_ms: config.container_check_interval_ms,
        container_deletes_per_minute: config.container_max_per_minute,
        container_max_never_used_interval_ms: config.container_max_never_used_interval_ms,
        ..ZkConfig::default()
    }
}

/// Recovers the stored state, binds the client port and starts serving.
pub fn start(config: ServerConfig, options: &RunOptions) -> Result<RunningServer, StartError> {
    for dir in [&config.data_dir, &config.data_log_dir] {
        std::fs::create_dir_all(dir).map_err(|e| StartError::DataDir(dir.clone(), e))?;
    }
    let port = config.client_port.ok_or(StartError::NoClientPort)?;
    let ip = config
        .client_port_address
        .unwrap_or(IpAddr::V4(Ipv4Addr::UNSPECIFIED));
    let listen = SocketAddr::new(ip, port);
    let mut engine_config = EngineConfig::new(listen);
    engine_config.cores = options.cores;
    engine_config.backend = options.backend;
    engine_config.tick_interval_ms = u64::from(config.tick_time_ms / 2).clamp(10, 500);
    // The engine's own rule (available CPUs, capped at CORES_MAX), so the
    // shell's per-core tables match the threads it starts.
    let cores = engine_config.resolved_cores();
    let log_storage = durable::open_log_storage(&config).map_err(StartError::LogStorage)?;
    if let Some(warning) = &log_storage.warning {
        eprintln!("ringkeeper: warning: {warning}");
    }
    eprintln!("ringkeeper: {}", log_storage.storage.describe(&config));
    let started_unix_ms = unix_ms_now();
    let recovery_started = std::time::Instant::now();
    let (mut zk, recovered, summary) =
        durable::recover(&config, zk_config(&config), started_unix_ms)
            .map_err(StartError::Recovery)?;
    for skipped in &summary.skipped_snapshots {
        eprintln!("ringkeeper: warning: snapshot passed over: {skipped}");
    }
    eprintln!(
        "ringkeeper: recovered {} + {} txns from the log to zxid {:#x} in {} ms",
        summary
            .snapshot
            .as_ref()
            .map_or("no snapshot".to_string(), |(path, zxid)| format!(
                "snapshot {path} ({zxid:#x})"
            )),
        summary.txns_replayed,
        summary.last_zxid,
        recovery_started.elapsed().as_millis()
    );
    zk.set_apply_mode(ApplyMode::Deferred);
    let durability = Durability::new();
    let log = durable::start_log(&config, log_storage.storage, &recovered, durability.clone())
        .map_err(StartError::Recovery)?;
    let shared = Shared::new(
        config,
        cores,
        zk,
        Some(log),
        durability.clone(),
        started_unix_ms,
    );
    let factory = ZkServiceFactory {
        shared: shared.clone(),
    };
    let engine =
        Engine::start(engine_config, factory).map_err(|e| StartError::Listen(listen, e))?;
    if let Some(mailbox) = engine.mailbox::<Mail>(0) {
        let _ = durability.commit_mailbox.set(mailbox);
    }
    crate::snapshots::start_autopurge(&shared);
    Ok(RunningServer { engine, shared })
}
