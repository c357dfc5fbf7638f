//! Interop scenarios driven by clients we did not write: the Rust `zookeeper-client` crate,
//! Python's kazoo and Apache ZooKeeper's Java client (and zkCli). The scenarios live in
//! `tests/` (Rust), `scenarios/python` and `scenarios/java`; this library holds what they share:
//! a fault-injecting TCP proxy to lose connections without closing sessions ([`FaultProxy`]),
//! bounded runs of outside programs ([`ProgramRun`]), the cached javac build ([`JavaBuild`]),
//! one server per kind shared by the tests of a binary ([`shared_server`]) and the run of one
//! client's scenario against every server kind under test ([`ScenarioClient`]).
//!
//! It only drives servers from the outside, over loopback: it must not reach into a server's
//! code or decide what is correct beyond what Apache ZooKeeper does (the scenarios pass against
//! it first).

pub mod fault_proxy;
pub mod java_build;
pub mod program_run;
pub mod scenario_run;
pub mod shared_server;

pub use fault_proxy::{FaultProxy, LineState, PROXY_LINKS_MAX};
pub use java_build::{JavaBuild, JAVAC_TIMEOUT, ZOOKEEPER_JAR};
pub use program_run::ProgramRun;
pub use scenario_run::ScenarioClient;
pub use shared_server::{
    interop_server_options, shared_server, CONTAINER_CHECK_INTERVAL_MS, INTEROP_TICK_TIME_MS,
};
