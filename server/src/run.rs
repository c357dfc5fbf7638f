//! Starting and stopping a server from a [`ServerConfig`]: the one place
//! that turns settings into an engine, a state machine and a listener.
//! Used by the `ringkeeper` binary and by loadgen's embedded server.

use std::net::{IpAddr, Ipv4Addr, SocketAddr};
use std::path::PathBuf;
use std::sync::Arc;

use ringkeeper_engine::{BackendChoice, BackendKind, Engine, EngineConfig};
use ringkeeper_zk::ZkConfig;

use crate::config::ServerConfig;
use crate::service::{Shared, ZkServiceFactory};

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
}

impl std::fmt::Display for StartError {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            StartError::DataDir(dir, e) => {
                write!(f, "cannot create dataDir {}: {e}", dir.display())
            }
            StartError::Listen(addr, e) => write!(f, "cannot listen on {addr}: {e}"),
            StartError::NoClientPort => write!(f, "no clientPort is set in the configuration"),
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

    /// Closes every connection and joins the engine's threads.
    pub fn shutdown(self) {
        if self.engine.shutdown().is_err() {
            eprintln!("ringkeeper: an engine thread panicked during shutdown");
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

/// Binds the client port and starts serving.
pub fn start(config: ServerConfig, options: &RunOptions) -> Result<RunningServer, StartError> {
    std::fs::create_dir_all(&config.data_dir)
        .map_err(|e| StartError::DataDir(config.data_dir.clone(), e))?;
    let port = config.client_port.ok_or(StartError::NoClientPort)?;
    let ip = config
        .client_port_address
        .unwrap_or(IpAddr::V4(Ipv4Addr::UNSPECIFIED));
    let listen = SocketAddr::new(ip, port);
    let mut engine_config = EngineConfig::new(listen);
    engine_config.cores = options.cores;
    engine_config.backend = options.backend;
    engine_config.tick_interval_ms = u64::from(config.tick_time_ms / 2).clamp(10, 500);
    let cores = if options.cores == 0 {
        std::thread::available_parallelism().map_or(1, |n| n.get())
    } else {
        options.cores
    };
    engine_config.cores = cores;
    let shared = Shared::new(config, cores);
    let factory = ZkServiceFactory {
        shared: shared.clone(),
    };
    let engine =
        Engine::start(engine_config, factory).map_err(|e| StartError::Listen(listen, e))?;
    Ok(RunningServer { engine, shared })
}
