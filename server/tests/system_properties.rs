//! Java system properties an operator passes to ZooKeeper with `-D` (in
//! `SERVER_JVMFLAGS`) take effect in ringkeeper too. Each scenario runs
//! against every server kind of `RK_TEST_SERVERS`, so what is expected is
//! Apache ZooKeeper's own behaviour.

use std::thread;
use std::time::{Duration, Instant};

use ringkeeper_jute::CreateMode;
use ringkeeper_testkit::{kinds_under_test, open_acl, Client, ServerOptions, TestServer};

/// A check interval far below ZooKeeper's 60 s default, so a server that
/// ignored the property would fail the scenario's deadline.
const CONTAINER_CHECK_INTERVAL_MS: u64 = 200;
/// How long a scenario waits for the container manager; ZooKeeper's
/// default interval (60 s) is far beyond it.
const CONTAINER_MANAGER_DEADLINE: Duration = Duration::from_secs(10);
const POLL_INTERVAL: Duration = Duration::from_millis(50);

fn servers_with_container_properties() -> Vec<TestServer> {
    let options = ServerOptions {
        tick_time_ms: 500,
        system_properties: vec![
            (
                "znode.container.checkIntervalMs".into(),
                CONTAINER_CHECK_INTERVAL_MS.to_string(),
            ),
            ("zookeeper.extendedTypesEnabled".into(), "true".into()),
        ],
        ..ServerOptions::default()
    };
    kinds_under_test()
        .into_iter()
        .map(|kind| TestServer::start(kind, &options).expect("server starts"))
        .collect()
}

/// Polls until `path` is gone; returns how long that took, or panics.
fn await_deleted(server: &TestServer, client: &mut Client, path: &str) -> Duration {
    let started = Instant::now();
    loop {
        let exists = client
            .exists(path, false)
            .unwrap_or_else(|e| panic!("{}: exists {path}: {e:?}", server.kind()));
        if exists.is_none() {
            return started.elapsed();
        }
        assert!(
            started.elapsed() < CONTAINER_MANAGER_DEADLINE,
            "{}: {path} still exists after {CONTAINER_MANAGER_DEADLINE:?} with \
             -Dznode.container.checkIntervalMs={CONTAINER_CHECK_INTERVAL_MS}",
            server.kind()
        );
        thread::sleep(POLL_INTERVAL);
    }
}

#[test]
fn container_check_interval_property_deletes_an_emptied_container_within_seconds() {
    // The bug this guards: ringkeeper ignored -Dznode.container.checkIntervalMs
    // and checked containers every 60 s whatever the operator said.
    for server in servers_with_container_properties() {
        let mut client = Client::connect_new(server.addr()).expect("connect");
        client
            .create_container("/container", b"", &open_acl())
            .expect("create the container");
        client
            .create("/container/child", b"", &open_acl(), CreateMode::Persistent)
            .expect("create its child");
        thread::sleep(Duration::from_millis(3 * CONTAINER_CHECK_INTERVAL_MS));
        assert!(
            client
                .exists("/container", false)
                .expect("exists")
                .is_some(),
            "{}: a container with a child is kept",
            server.kind()
        );
        client.delete("/container/child", -1).expect("delete child");
        await_deleted(&server, &mut client, "/container");
    }
}

#[test]
fn container_check_interval_property_also_expires_ttl_nodes() {
    for server in servers_with_container_properties() {
        let mut client = Client::connect_new(server.addr()).expect("connect");
        client
            .create_ttl("/ttl", b"", &open_acl(), CreateMode::PersistentWithTtl, 100)
            .expect("create a TTL node");
        await_deleted(&server, &mut client, "/ttl");
    }
}
