//! Node lifecycle scenarios: every create mode, delete's checks, stats field by field.

use std::time::{Duration, Instant};

use zookeeper_client::{Acls, Client, CreateMode, Error, Stat};

use crate::{expect_eq, expect_error, within, At, Scenario};

/// How long the container manager (checking every second) may take to delete a node.
const CONTAINER_REAP_TIMEOUT: Duration = Duration::from_secs(15);
const TTL_MS: u64 = 500;

fn persistent() -> zookeeper_client::CreateOptions<'static> {
    CreateMode::Persistent.with_acls(Acls::anyone_all())
}

/// Polls `exists` until the node is gone, bounded by `CONTAINER_REAP_TIMEOUT`.
async fn await_node_gone(client: &Client, path: &str) -> Result<(), String> {
    let deadline = Instant::now() + CONTAINER_REAP_TIMEOUT;
    loop {
        if within(&format!("exists {path}"), client.check_stat(path))
            .await?
            .at(&format!("exists {path}"))?
            .is_none()
        {
            return Ok(());
        }
        if Instant::now() > deadline {
            return Err(format!(
                "{path} still exists after {CONTAINER_REAP_TIMEOUT:?} (container manager)"
            ));
        }
        tokio::time::sleep(Duration::from_millis(200)).await;
    }
}

fn expect_fresh_stat(
    what: &str,
    stat: &Stat,
    data_length: i32,
    ephemeral_owner: i64,
) -> Result<(), String> {
    expect_eq(
        &format!("{what}: (version, cversion, aversion, numChildren, dataLength, ephemeralOwner)"),
        (
            stat.version,
            stat.cversion,
            stat.aversion,
            stat.num_children,
            stat.data_length,
            stat.ephemeral_owner,
        ),
        (0, 0, 0, 0, data_length, ephemeral_owner),
    )?;
    expect_eq(
        &format!("{what}: czxid == mzxid == pzxid"),
        (stat.mzxid, stat.pzxid),
        (stat.czxid, stat.czxid),
    )?;
    if stat.czxid <= 0 || stat.ctime <= 0 || stat.ctime != stat.mtime {
        return Err(format!(
            "{what}: create2 stat has czxid {} ctime {} mtime {}",
            stat.czxid, stat.ctime, stat.mtime
        ));
    }
    Ok(())
}

pub async fn create_modes(scenario: Scenario) -> Result<(), String> {
    let client = scenario.connect().await?;
    let session_id = client.session_id().0;

    let path = scenario.path("persistent");
    let (stat, _) = within(
        "create persistent",
        client.create(&path, b"p", &persistent()),
    )
    .await?
    .at("create persistent")?;
    expect_fresh_stat("create2 persistent", &stat, 1, 0)?;

    let path = scenario.path("ephemeral");
    let ephemeral = CreateMode::Ephemeral.with_acls(Acls::anyone_all());
    let (stat, _) = within("create ephemeral", client.create(&path, b"ee", &ephemeral))
        .await?
        .at("create ephemeral")?;
    expect_fresh_stat("create2 ephemeral", &stat, 2, session_id)?;

    // The sequence number is the parent's cversion at creation: two children exist already.
    let sequential = CreateMode::PersistentSequential.with_acls(Acls::anyone_all());
    let prefix = scenario.path("seq-");
    let (_, first) = within(
        "create sequential",
        client.create(&prefix, b"", &sequential),
    )
    .await?
    .at("create seq")?;
    let (_, second) = within(
        "create sequential",
        client.create(&prefix, b"", &sequential),
    )
    .await?
    .at("create seq")?;
    expect_eq(
        "sequence numbers of two sequential creates",
        (first.into_i64(), second.into_i64()),
        (2, 3),
    )?;
    expect_eq(
        "sequential name suffix",
        first.to_string(),
        "0000000002".to_string(),
    )?;

    let ephemeral_sequential = CreateMode::EphemeralSequential.with_acls(Acls::anyone_all());
    let eseq = scenario.path("eseq-");
    let created = client.create(&eseq, b"", &ephemeral_sequential);
    let (stat, sequence) = within("create ephemeral sequential", created)
        .await?
        .at("create eseq")?;
    expect_eq("ephemeral sequential number", sequence.into_i64(), 4)?;
    expect_eq(
        "ephemeral sequential ephemeralOwner",
        stat.ephemeral_owner,
        session_id,
    )?;

    let children = within("list children", client.list_children(&scenario.root))
        .await?
        .at("list children")?;
    let mut children = children;
    children.sort();
    let expected: Vec<String> = [
        "ephemeral",
        "eseq-0000000004",
        "persistent",
        "seq-0000000002",
        "seq-0000000003",
    ]
    .map(String::from)
    .to_vec();
    expect_eq("children after every create mode", children, expected)?;

    // A container: its owner field says so, and it goes once its last child goes.
    let container = scenario.path("container");
    let options = CreateMode::Container.with_acls(Acls::anyone_all());
    let (stat, _) = within("create container", client.create(&container, b"", &options))
        .await?
        .at("create container")?;
    // ZooKeeper keeps the container/TTL marker in the stored ephemeralOwner but shows clients 0.
    expect_eq(
        "container ephemeralOwner as clients see it",
        stat.ephemeral_owner,
        0,
    )?;
    let child = format!("{container}/child");
    within(
        "create container child",
        client.create(&child, b"", &persistent()),
    )
    .await?
    .at("create container child")?;
    within("delete container child", client.delete(&child, None))
        .await?
        .at("delete container child")?;
    await_node_gone(&client, &container).await?;

    // A TTL node: persistent, its owner field carries the TTL, it goes once unmodified for TTL.
    let ttl_node = scenario.path("ttl");
    let options = persistent().with_ttl(Duration::from_millis(TTL_MS));
    let (stat, _) = within("create TTL node", client.create(&ttl_node, b"t", &options))
        .await?
        .at("create TTL node")?;
    expect_eq(
        "TTL node ephemeralOwner as clients see it",
        stat.ephemeral_owner,
        0,
    )?;
    await_node_gone(&client, &ttl_node).await?;

    let (existing, orphan, under) = (
        scenario.path("persistent"),
        scenario.path("missing/child"),
        scenario.path("ephemeral/child"),
    );
    let again = client.create(&existing, b"", &persistent());
    expect_error(
        "create an existing node",
        within("create existing", again).await?,
        Error::NodeExists,
    )?;
    let orphan = client.create(&orphan, b"", &persistent());
    expect_error(
        "create under a missing parent",
        within("create orphan", orphan).await?,
        Error::NoNode,
    )?;
    let under_ephemeral = client.create(&under, b"", &persistent());
    let result = within("create under ephemeral", under_ephemeral).await?;
    expect_error(
        "create under an ephemeral",
        result,
        Error::NoChildrenForEphemerals,
    )
}

pub async fn delete_versions(scenario: Scenario) -> Result<(), String> {
    let client = scenario.connect().await?;
    let node = scenario.path("node");
    within("create", client.create(&node, b"v0", &persistent()))
        .await?
        .at("create node")?;
    let stat = within("set", client.set_data(&node, b"v1", Some(0)))
        .await?
        .at("set version 0")?;
    expect_eq("version after one setData", stat.version, 1)?;

    let stale = within("delete v0", client.delete(&node, Some(0))).await?;
    expect_error("delete with a stale version", stale, Error::BadVersion)?;
    within("delete v1", client.delete(&node, Some(1)))
        .await?
        .at("delete with the current version")?;
    let gone = within("delete again", client.delete(&node, None)).await?;
    expect_error("delete a deleted node", gone, Error::NoNode)?;

    let parent = scenario.path("parent");
    let child = format!("{parent}/child");
    within("create parent", client.create(&parent, b"", &persistent()))
        .await?
        .at("create parent")?;
    within("create child", client.create(&child, b"", &persistent()))
        .await?
        .at("create child")?;
    let busy = within("delete parent", client.delete(&parent, None)).await?;
    expect_error("delete a node with a child", busy, Error::NotEmpty)?;
    within("delete child", client.delete(&child, Some(0)))
        .await?
        .at("delete child")?;
    within("delete parent", client.delete(&parent, None))
        .await?
        .at("delete parent once empty")?;
    let exists = within("exists parent", client.check_stat(&parent))
        .await?
        .at("exists parent")?;
    expect_eq("parent after delete", exists, None)
}

pub async fn stats_and_children(scenario: Scenario) -> Result<(), String> {
    let client = scenario.connect().await?;
    let session_id = client.session_id().0;
    let node = scenario.path("s");
    let (created, _) = within("create", client.create(&node, b"abc", &persistent()))
        .await?
        .at("create")?;
    let exists = within("exists", client.check_stat(&node))
        .await?
        .at("exists")?;
    expect_eq("exists stat equals the create2 stat", exists, Some(created))?;

    let set = within("set", client.set_data(&node, b"hello!", None))
        .await?
        .at("setData")?;
    expect_eq(
        "setData stat (version, dataLength, czxid)",
        (set.version, set.data_length, set.czxid),
        (1, 6, created.czxid),
    )?;
    if set.mzxid <= created.mzxid || set.pzxid != created.pzxid {
        return Err(format!(
            "setData stat zxids: created {created:?}, after set {set:?}"
        ));
    }
    let (data, got) = within("get", client.get_data(&node)).await?.at("getData")?;
    expect_eq("getData data", data, b"hello!".to_vec())?;
    expect_eq("getData stat equals the setData stat", got, set)?;

    let ephemeral = CreateMode::Ephemeral.with_acls(Acls::anyone_all());
    within(
        "create a",
        client.create(&format!("{node}/a"), b"", &persistent()),
    )
    .await?
    .at("create a")?;
    within(
        "create b",
        client.create(&format!("{node}/b"), b"", &ephemeral),
    )
    .await?
    .at("create b")?;
    let (c_stat, _) = within(
        "create c",
        client.create(&format!("{node}/c"), b"", &persistent()),
    )
    .await?
    .at("create c")?;
    let parent = within("exists parent", client.check_stat(&node))
        .await?
        .at("exists")?
        .ok_or("parent vanished")?;
    expect_eq(
        "parent after 3 creates (cversion, numChildren, pzxid, version)",
        (
            parent.cversion,
            parent.num_children,
            parent.pzxid,
            parent.version,
        ),
        (3, 3, c_stat.czxid, 1),
    )?;
    within("delete c", client.delete(&format!("{node}/c"), None))
        .await?
        .at("delete c")?;
    let (mut children, stat) = within("getChildren2", client.get_children(&node))
        .await?
        .at("getChildren2")?;
    children.sort();
    expect_eq(
        "getChildren2 names",
        children,
        vec!["a".to_string(), "b".to_string()],
    )?;
    expect_eq(
        "getChildren2 stat (cversion, numChildren)",
        (stat.cversion, stat.num_children),
        (4, 2),
    )?;
    let mut listed = within("getChildren", client.list_children(&node))
        .await?
        .at("getChildren")?;
    listed.sort();
    expect_eq(
        "getChildren names",
        listed,
        vec!["a".to_string(), "b".to_string()],
    )?;

    let b_stat = within("exists b", client.check_stat(&format!("{node}/b")))
        .await?
        .at("exists b")?;
    expect_eq(
        "ephemeral's ephemeralOwner",
        b_stat.map(|s| s.ephemeral_owner),
        Some(session_id),
    )?;
    let a_stat = within("exists a", client.check_stat(&format!("{node}/a")))
        .await?
        .at("exists a")?;
    expect_eq(
        "persistent's ephemeralOwner",
        a_stat.map(|s| s.ephemeral_owner),
        Some(0),
    )?;

    within(
        "create a/x",
        client.create(&format!("{node}/a/x"), b"", &persistent()),
    )
    .await?
    .at("create a/x")?;
    let count = within(
        "getAllChildrenNumber",
        client.count_descendants_number(&node),
    )
    .await?
    .at("getAllChildrenNumber")?;
    expect_eq("getAllChildrenNumber (a, b, a/x)", count, 3)?;
    let leaf = within(
        "getAllChildrenNumber leaf",
        client.count_descendants_number(&format!("{node}/a/x")),
    )
    .await?;
    expect_eq(
        "getAllChildrenNumber of a leaf",
        leaf.at("getAllChildrenNumber leaf")?,
        0,
    )?;

    let other = scenario.path("other-ephemeral");
    within("create other", client.create(&other, b"", &ephemeral))
        .await?
        .at("create other ephemeral")?;
    let mut all = within("getEphemerals root", client.list_ephemerals(&scenario.root))
        .await?
        .at("getEphemerals")?;
    all.sort();
    expect_eq(
        "getEphemerals under the root",
        all,
        vec![other.clone(), format!("{node}/b")],
    )?;
    let under = within("getEphemerals s", client.list_ephemerals(&node))
        .await?
        .at("getEphemerals")?;
    expect_eq("getEphemerals under s", under, vec![format!("{node}/b")])?;

    let missing = within(
        "exists missing",
        client.check_stat(&scenario.path("missing")),
    )
    .await?
    .at("exists missing")?;
    expect_eq("exists on a missing node", missing, None)?;
    let get_missing = within("get missing", client.get_data(&scenario.path("missing"))).await?;
    expect_error("getData on a missing node", get_missing, Error::NoNode)
}
