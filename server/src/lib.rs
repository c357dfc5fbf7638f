//! The `ringkeeper` server: the process that speaks ZooKeeper 3.8/3.9's
//! client protocol. So far this crate owns one thing, the reading of
//! ZooKeeper's `zoo.cfg` into a checked [`ServerConfig`] (see [`config`]).
//!
//! The configuration reader is a pure core: it turns text into settings,
//! warnings and errors. It must not open sockets, resolve host names,
//! create or inspect data directories, read the `myid` file or log: the
//! server's startup does those things with what this crate returns.

pub mod config;

pub use config::{
    load_zoo_cfg, parse_zoo_cfg, ConfigError, ConfigWarning, ConfigWarningKind,
    FourLetterWordWhitelist, LearnerType, RawSetting, ServerConfig, ServerEntry,
};
