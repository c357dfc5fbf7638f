//! `SharedServer`: one test server per kind for the tests of one test binary that run at the
//! same time. Each test holds an `Arc`; the server stops when the last holder drops it (a later
//! test starts a fresh one), so no process outlives the tests. Tests keep apart by working under
//! their own root path.

use std::io;
use std::sync::{Arc, Mutex, Weak};

use ringkeeper_testkit::{ServerKind, ServerOptions, TestServer};

/// zoo.cfg tickTime of interop servers: ZooKeeper allows sessions of 2 to 20 ticks (1 s to
/// 10 s), so the expiry scenarios finish in seconds.
pub const INTEROP_TICK_TIME_MS: u32 = 500;
/// How often the container manager deletes empty containers and expired TTL nodes.
pub const CONTAINER_CHECK_INTERVAL_MS: u32 = 1000;

static SERVERS: Mutex<Vec<(ServerKind, Weak<TestServer>)>> = Mutex::new(Vec::new());

/// The options every interop server starts with.
pub fn interop_server_options() -> ServerOptions {
    ServerOptions {
        tick_time_ms: INTEROP_TICK_TIME_MS,
        system_properties: vec![(
            "znode.container.checkIntervalMs".into(),
            CONTAINER_CHECK_INTERVAL_MS.to_string(),
        )],
        ..ServerOptions::default()
    }
}

/// The running server of `kind` shared by this test binary, started if none is running.
pub fn shared_server(kind: ServerKind) -> io::Result<Arc<TestServer>> {
    // The lock is held across a start so that two tests never start two servers; a panic
    // while holding it cannot leave the list inconsistent (it is only pushed and retained).
    let mut servers = SERVERS
        .lock()
        .unwrap_or_else(|poisoned| poisoned.into_inner());
    servers.retain(|(_, server)| server.strong_count() > 0);
    if let Some(server) = servers
        .iter()
        .filter(|(k, _)| *k == kind)
        .find_map(|(_, server)| server.upgrade())
    {
        return Ok(server);
    }
    let server = Arc::new(TestServer::start(kind, &interop_server_options())?);
    servers.push((kind, Arc::downgrade(&server)));
    Ok(server)
}
