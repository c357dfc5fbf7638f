//! Test support for ringkeeper: starts Apache ZooKeeper or ringkeeper on
//! 127.0.0.1 ([`server`]), speaks the client protocol byte-exactly through
//! a small blocking client ([`client`]), and runs the same random operation
//! sequences on two servers to compare their answers ([`difftest`]).
//!
//! It owns child processes, temp dirs and loopback sockets, and only for
//! tests: nothing here is linked into the server, and nothing here decides
//! what a correct answer is beyond "what the other server said" (the
//! reference is Apache ZooKeeper).

pub mod client;
pub mod difftest;
pub mod server;

pub use client::{open_acl, Client, ClientError, ConnectOptions, Reply, WatchEvent};
pub use server::{
    four_letter, kinds_under_test, parse_server_kinds, ringkeeper_binary, ServerKind,
    ServerOptions, TestServer, TEST_SERVERS_DEFAULT,
};
