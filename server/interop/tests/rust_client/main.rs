//! The interop scenarios driven by the Rust `zookeeper-client` crate (tokio), against every
//! server kind of `RK_TEST_SERVERS`. Each test is one scenario group; it works under its own
//! root path on the server its binary shares, so tests run in parallel safely.

mod acl;
mod multi;
mod nodes;
mod sessions;
mod watches;

use std::fmt::Debug;
use std::future::Future;
use std::sync::Arc;
use std::time::Duration;

use ringkeeper_interop::shared_server;
use ringkeeper_testkit::{kinds_under_test, TestServer};
use zookeeper_client::{
    Acls, Client, CreateMode, Error, EventType, OneshotWatcher, SessionState, WatchedEvent,
};

/// Longest a whole scenario may take against one server.
const SCENARIO_TIMEOUT: Duration = Duration::from_secs(120);
/// Longest one awaited reply, event or state change may take.
pub const WAIT_TIMEOUT: Duration = Duration::from_secs(20);
/// Session timeout asked for by ordinary clients (the interop server grants at most 10 s).
pub const SESSION_TIMEOUT: Duration = Duration::from_secs(10);

const CLIENT: &str = "zookeeper-client (Rust)";

/// What a scenario gets: the server and its own root path (already created).
pub struct Scenario {
    pub server: Arc<TestServer>,
    pub root: String,
}

impl Scenario {
    pub fn path(&self, relative: &str) -> String {
        format!("{}/{relative}", self.root)
    }

    pub async fn connect(&self) -> Result<Client, String> {
        connect_to(&self.server.connect_string(), SESSION_TIMEOUT).await
    }
}

pub async fn connect_to(connect_string: &str, session_timeout: Duration) -> Result<Client, String> {
    let connecting = Client::connector()
        .with_session_timeout(session_timeout)
        .connect(connect_string);
    within(&format!("connect to {connect_string}"), connecting)
        .await?
        .at(&format!("connect to {connect_string}"))
}

/// Runs `body` against every server kind under test; a failure names the client, the scenario
/// and the server, then shows the server's log tail.
pub async fn run_scenario<F, Fut>(scenario: &str, body: F)
where
    F: Fn(Scenario) -> Fut,
    Fut: Future<Output = Result<(), String>>,
{
    for kind in kinds_under_test() {
        let starting = tokio::task::spawn_blocking(move || shared_server(kind));
        let server = match starting.await {
            Ok(Ok(server)) => server,
            Ok(Err(error)) => panic!(
                "client={CLIENT} scenario={scenario} server={kind}: server did not start: {error}"
            ),
            Err(error) => panic!(
                "client={CLIENT} scenario={scenario} server={kind}: start task failed: {error}"
            ),
        };
        let root = format!("/interop-rust-{scenario}");
        let outcome = tokio::time::timeout(SCENARIO_TIMEOUT, async {
            let admin = connect_to(&server.connect_string(), SESSION_TIMEOUT).await?;
            let created = admin.create(
                &root,
                b"",
                &CreateMode::Persistent.with_acls(Acls::anyone_all()),
            );
            within("create the scenario root", created)
                .await?
                .at(&format!("create {root}"))?;
            body(Scenario {
                server: Arc::clone(&server),
                root: root.clone(),
            })
            .await
        })
        .await;
        let failure = match outcome {
            Ok(Ok(())) => continue,
            Ok(Err(message)) => message,
            Err(_) => format!("scenario did not finish within {SCENARIO_TIMEOUT:?}"),
        };
        panic!(
            "client={CLIENT} scenario={scenario} server={kind}: {failure}\n--- server log tail ---\n{}",
            server.log_tail(40)
        );
    }
}

/// Awaits `future` for at most `WAIT_TIMEOUT`.
pub async fn within<T>(what: &str, future: impl Future<Output = T>) -> Result<T, String> {
    tokio::time::timeout(WAIT_TIMEOUT, future)
        .await
        .map_err(|_| format!("{what}: no answer within {WAIT_TIMEOUT:?}"))
}

/// `result.at("what")?`: an unexpected client error becomes a message naming the step.
pub trait At<T> {
    fn at(self, what: &str) -> Result<T, String>;
}

impl<T, E: Debug> At<T> for Result<T, E> {
    fn at(self, what: &str) -> Result<T, String> {
        self.map_err(|error| format!("{what}: unexpected error {error:?}"))
    }
}

pub fn expect_eq<T: Debug + PartialEq>(what: &str, got: T, expected: T) -> Result<(), String> {
    if got == expected {
        Ok(())
    } else {
        Err(format!("{what}: expected {expected:?}, got {got:?}"))
    }
}

pub fn expect_error<T: Debug>(
    what: &str,
    result: Result<T, Error>,
    expected: Error,
) -> Result<(), String> {
    match result {
        Err(error) if error == expected => Ok(()),
        other => Err(format!("{what}: expected Err({expected:?}), got {other:?}")),
    }
}

/// Waits for a one-shot watch to fire and checks its event type and path.
pub async fn expect_event(
    what: &str,
    watcher: OneshotWatcher,
    event_type: EventType,
    path: &str,
) -> Result<(), String> {
    let event = within(what, watcher.changed()).await?;
    expect_node_event(what, &event, event_type, path)
}

pub fn expect_node_event(
    what: &str,
    event: &WatchedEvent,
    event_type: EventType,
    path: &str,
) -> Result<(), String> {
    expect_eq(
        what,
        (event.event_type, event.path.as_str()),
        (event_type, path),
    )
}

/// Waits until the client's session reaches `wanted`, bounded by `WAIT_TIMEOUT` (twice for slow
/// reconnects); returns every state seen on the way.
pub async fn await_state(
    client: &Client,
    wanted: SessionState,
    bound: Duration,
) -> Result<Vec<SessionState>, String> {
    let mut watcher = client.state_watcher();
    let mut seen = vec![watcher.state()];
    let waiting = async {
        while *seen.last().unwrap_or(&SessionState::Disconnected) != wanted {
            let state = watcher.changed().await;
            seen.push(state);
        }
    };
    match tokio::time::timeout(bound, waiting).await {
        Ok(()) => Ok(seen),
        Err(_) => Err(format!(
            "session never reached {wanted:?} within {bound:?}; states seen: {seen:?}"
        )),
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn create_modes_persistent_ephemeral_sequential_container_ttl() {
    run_scenario("create-modes", nodes::create_modes).await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn delete_checks_version_children_and_existence() {
    run_scenario("delete", nodes::delete_versions).await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn stats_children_counts_and_ephemerals_field_by_field() {
    run_scenario("stats", nodes::stats_and_children).await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn acls_with_world_ip_auth_digest_schemes_and_whoami() {
    run_scenario("acl", acl::acls_and_auth).await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn multi_is_atomic_and_multi_read_reports_per_op() {
    run_scenario("multi", multi::multi_and_sync).await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn one_shot_data_exists_and_child_watches_fire_once() {
    run_scenario("oneshot-watches", watches::one_shot_watches).await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn persistent_and_recursive_watches_and_remove_watches() {
    run_scenario("persistent-watches", watches::persistent_watches).await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn session_expiry_removes_ephemerals_and_tells_the_client() {
    run_scenario("expiry", sessions::session_expiry).await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn reconnect_resets_watches_and_delivers_missed_events() {
    run_scenario("reconnect", sessions::reconnect_set_watches).await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn close_session_removes_ephemerals_at_once() {
    run_scenario("close", sessions::close_session).await;
}
