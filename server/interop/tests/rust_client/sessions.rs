//! Session scenarios: expiry behind a partition, reconnect with setWatches, close.

use std::time::Duration;

use ringkeeper_interop::FaultProxy;
use zookeeper_client::{Acls, CreateMode, Error, EventType, SessionState};

use crate::{await_state, connect_to, expect_eq, expect_error, expect_event, within, At, Scenario};

/// Session timeout of the client that is cut off (2 s to 20 s are allowed by the interop server).
const SHORT_SESSION_TIMEOUT: Duration = Duration::from_secs(4);
/// Bound for a session state change that needs a timeout plus a reconnect.
const STATE_TIMEOUT: Duration = Duration::from_secs(40);

pub async fn session_expiry(scenario: Scenario) -> Result<(), String> {
    let proxy = FaultProxy::start(scenario.server.addr())
        .map_err(|error| format!("start proxy: {error}"))?;
    let doomed = connect_to(&proxy.connect_string(), SHORT_SESSION_TIMEOUT).await?;
    let observer = scenario.connect().await?;
    let ephemeral = scenario.path("eph");
    let options = CreateMode::Ephemeral.with_acls(Acls::anyone_all());
    within("create eph", doomed.create(&ephemeral, b"", &options))
        .await?
        .at("create ephemeral")?;
    let (stat, watch) = within("exists+watch", observer.check_and_watch_stat(&ephemeral))
        .await?
        .at("watch eph")?;
    expect_eq(
        "ephemeralOwner",
        stat.map(|s| s.ephemeral_owner),
        Some(doomed.session_id().0),
    )?;

    proxy.partition();
    // The server hears nothing from the session for its timeout and expires it.
    let expired = tokio::time::timeout(STATE_TIMEOUT, watch.changed()).await;
    let event =
        expired.map_err(|_| format!("no NodeDeleted for {ephemeral} within {STATE_TIMEOUT:?}"))?;
    expect_eq(
        "observer's event on expiry",
        (event.event_type, event.path.as_str()),
        (EventType::NodeDeleted, ephemeral.as_str()),
    )?;
    let gone = within("exists eph", observer.check_stat(&ephemeral))
        .await?
        .at("exists eph")?;
    expect_eq("ephemeral after expiry", gone, None)?;

    // The client's read timeout (2/3 of its session timeout) passed before the server's expiry.
    await_state(&doomed, SessionState::Disconnected, STATE_TIMEOUT).await?;
    proxy.heal();
    await_state(&doomed, SessionState::Expired, STATE_TIMEOUT).await?;
    let after = within("getData on expired", doomed.get_data(&scenario.root)).await?;
    expect_error(
        "an operation of the expired session",
        after,
        Error::SessionExpired,
    )
}

pub async fn reconnect_set_watches(scenario: Scenario) -> Result<(), String> {
    let proxy = FaultProxy::start(scenario.server.addr())
        .map_err(|error| format!("start proxy: {error}"))?;
    let watcher_client = connect_to(&proxy.connect_string(), crate::SESSION_TIMEOUT).await?;
    let session_id = watcher_client.session_id();
    let mutator = scenario.connect().await?;
    let options = CreateMode::Persistent.with_acls(Acls::anyone_all());
    let (data_node, absent, parent) = (
        scenario.path("d"),
        scenario.path("later"),
        scenario.path("kids"),
    );
    within("create d", mutator.create(&data_node, b"", &options))
        .await?
        .at("create d")?;
    within("create kids", mutator.create(&parent, b"", &options))
        .await?
        .at("create kids")?;
    let (_, _, data_watch) = within("watch d", watcher_client.get_and_watch_data(&data_node))
        .await?
        .at("watch d")?;
    let (_, exists_watch) = within("watch later", watcher_client.check_and_watch_stat(&absent))
        .await?
        .at("watch later")?;
    let (_, _, child_watch) = within("watch kids", watcher_client.get_and_watch_children(&parent))
        .await?
        .at("watch kids")?;

    proxy.drop_links();
    await_state(&watcher_client, SessionState::Disconnected, STATE_TIMEOUT).await?;
    within("set d", mutator.set_data(&data_node, b"changed", None))
        .await?
        .at("set d while disconnected")?;
    within("create later", mutator.create(&absent, b"", &options))
        .await?
        .at("create later while disconnected")?;
    within(
        "create kid",
        mutator.create(&format!("{parent}/k"), b"", &options),
    )
    .await?
    .at("create kids/k")?;

    proxy.heal();
    await_state(&watcher_client, SessionState::SyncConnected, STATE_TIMEOUT).await?;
    expect_eq(
        "session id after reconnect",
        watcher_client.session_id(),
        session_id,
    )?;
    expect_event(
        "data watch re-set after reconnect",
        data_watch,
        EventType::NodeDataChanged,
        &data_node,
    )
    .await?;
    expect_event(
        "exists watch re-set after reconnect",
        exists_watch,
        EventType::NodeCreated,
        &absent,
    )
    .await?;
    expect_event(
        "child watch re-set after reconnect",
        child_watch,
        EventType::NodeChildrenChanged,
        &parent,
    )
    .await?;
    if proxy.links_accepted() < 2 {
        return Err(format!(
            "the client never reconnected through the proxy ({} links)",
            proxy.links_accepted()
        ));
    }
    let (data, _) = within("get d", watcher_client.get_data(&data_node))
        .await?
        .at("getData after reconnect")?;
    expect_eq("data seen after reconnect", data, b"changed".to_vec())
}

pub async fn close_session(scenario: Scenario) -> Result<(), String> {
    let closing = scenario.connect().await?;
    let observer = scenario.connect().await?;
    let ephemeral = scenario.path("eph");
    let options = CreateMode::Ephemeral.with_acls(Acls::anyone_all());
    within("create eph", closing.create(&ephemeral, b"", &options))
        .await?
        .at("create ephemeral")?;
    let (_, watch) = within("exists+watch", observer.check_and_watch_stat(&ephemeral))
        .await?
        .at("watch eph")?;
    let mut states = closing.state_watcher();
    // Dropping the last handle of a session sends closeSession.
    drop(closing);
    expect_event(
        "observer's event on close",
        watch,
        EventType::NodeDeleted,
        &ephemeral,
    )
    .await?;
    let state = within("closed state", async {
        loop {
            let state = states.changed().await;
            if state.is_terminated() {
                return state;
            }
        }
    })
    .await?;
    expect_eq("state of a closed client", state, SessionState::Closed)?;
    let gone = within("exists eph", observer.check_stat(&ephemeral))
        .await?
        .at("exists eph")?;
    expect_eq("ephemeral after close", gone, None)
}
