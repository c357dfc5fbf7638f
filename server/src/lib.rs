//! The `ringkeeper` server: the process that speaks ZooKeeper 3.8/3.9's
//! client protocol. This crate is the I/O shell around the pure cores: it
//! reads `zoo.cfg` ([`config`]), cuts connection bytes into handshakes and
//! requests ([`protocol`]), runs the engine's per-core service that feeds
//! the ZooKeeper state machine (`ringkeeper-zk`) under one lock and
//! delivers its replies and watch events ([`service`]), answers the
//! four-letter words ([`fourlw`]) and starts and stops it all ([`run`]).
//!
//! It must not decide ZooKeeper semantics (that is `ringkeeper-zk`'s job)
//! nor touch sockets directly (that is `ringkeeper-engine`'s).

pub mod config;
pub mod durable;
pub mod fourlw;
pub mod import;
pub mod protocol;
pub mod purge;
pub mod run;
pub mod service;
pub mod snapshots;

pub use config::{
    load_zoo_cfg, parse_zoo_cfg, ConfigError, ConfigWarning, ConfigWarningKind,
    FourLetterWordWhitelist, LearnerType, RawSetting, ServerConfig, ServerEntry,
};
