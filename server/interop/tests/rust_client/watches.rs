//! One-shot watches (data, exists, child), persistent and persistent-recursive watches, and
//! removeWatches (checked on the server with the `wchp` four-letter word).

use zookeeper_client::{Acls, AddWatchMode, CreateMode, EventType, PersistentWatcher};

use crate::{expect_eq, expect_event, expect_node_event, within, At, Scenario};

async fn next_event(
    what: &str,
    watcher: &mut PersistentWatcher,
) -> Result<(EventType, String), String> {
    let event = within(what, watcher.changed()).await?;
    Ok((event.event_type, event.path))
}

pub async fn one_shot_watches(scenario: Scenario) -> Result<(), String> {
    let watcher_client = scenario.connect().await?;
    let mutator = scenario.connect().await?;
    let options = CreateMode::Persistent.with_acls(Acls::anyone_all());
    let data_node = scenario.path("d");
    let absent = scenario.path("x");
    within("create d", mutator.create(&data_node, b"", &options))
        .await?
        .at("create d")?;

    let (_, _, data_watch) = within(
        "getData+watch",
        watcher_client.get_and_watch_data(&data_node),
    )
    .await?
    .at("watch d")?;
    let (stat, exists_watch) = within("exists+watch", watcher_client.check_and_watch_stat(&absent))
        .await?
        .at("watch x")?;
    expect_eq("exists on a missing node", stat, None)?;
    let (children, _, child_watch) = within(
        "getChildren2+watch",
        watcher_client.get_and_watch_children(&data_node),
    )
    .await?
    .at("child watch d")?;
    expect_eq("children of d", children, Vec::<String>::new())?;

    within("set d", mutator.set_data(&data_node, b"1", None))
        .await?
        .at("set d")?;
    expect_event(
        "data watch on setData",
        data_watch,
        EventType::NodeDataChanged,
        &data_node,
    )
    .await?;
    within("create x", mutator.create(&absent, b"", &options))
        .await?
        .at("create x")?;
    expect_event(
        "exists watch on create",
        exists_watch,
        EventType::NodeCreated,
        &absent,
    )
    .await?;
    within(
        "create d/c",
        mutator.create(&format!("{data_node}/c"), b"", &options),
    )
    .await?
    .at("create d/c")?;
    expect_event(
        "child watch on create",
        child_watch,
        EventType::NodeChildrenChanged,
        &data_node,
    )
    .await?;

    // A data watch fires NodeDeleted; a child watch on the same node does too.
    let (_, _, data_watch) = within(
        "getData+watch x",
        watcher_client.get_and_watch_data(&absent),
    )
    .await?
    .at("watch x")?;
    let (_, _, child_watch) = within(
        "getChildren+watch x",
        watcher_client.get_and_watch_children(&absent),
    )
    .await?
    .at("child watch x")?;
    within("delete x", mutator.delete(&absent, None))
        .await?
        .at("delete x")?;
    expect_event(
        "data watch on delete",
        data_watch,
        EventType::NodeDeleted,
        &absent,
    )
    .await?;
    expect_event(
        "child watch on delete",
        child_watch,
        EventType::NodeDeleted,
        &absent,
    )
    .await?;

    // One-shot: after firing, the server holds no watch for d any more.
    let watches = scenario
        .server
        .four_letter("wchp")
        .map_err(|error| format!("wchp: {error}"))?;
    if watches.lines().any(|line| line.trim() == data_node) {
        return Err(format!(
            "wchp still lists {data_node} after its watches fired:\n{watches}"
        ));
    }
    Ok(())
}

pub async fn persistent_watches(scenario: Scenario) -> Result<(), String> {
    let watcher_client = scenario.connect().await?;
    let mutator = scenario.connect().await?;
    let options = CreateMode::Persistent.with_acls(Acls::anyone_all());
    let node = scenario.path("p");
    within("create p", mutator.create(&node, b"", &options))
        .await?
        .at("create p")?;

    let mut persistent = within(
        "addWatch",
        watcher_client.watch(&node, AddWatchMode::Persistent),
    )
    .await?
    .at("addWatch p")?;
    within("set p", mutator.set_data(&node, b"1", None))
        .await?
        .at("set p")?;
    let child = format!("{node}/c");
    within("create p/c", mutator.create(&child, b"", &options))
        .await?
        .at("create p/c")?;
    // Not seen by a non-recursive watch: a grandchild and the child's data.
    within(
        "create p/c/g",
        mutator.create(&format!("{child}/g"), b"", &options),
    )
    .await?
    .at("create p/c/g")?;
    within("set p/c", mutator.set_data(&child, b"2", None))
        .await?
        .at("set p/c")?;
    within("set p", mutator.set_data(&node, b"3", None))
        .await?
        .at("set p again")?;
    let mut seen = Vec::new();
    for _ in 0..3 {
        seen.push(next_event("persistent watch", &mut persistent).await?);
    }
    expect_eq(
        "persistent watch events (it stays after firing)",
        seen,
        vec![
            (EventType::NodeDataChanged, node.clone()),
            (EventType::NodeChildrenChanged, node.clone()),
            (EventType::NodeDataChanged, node.clone()),
        ],
    )?;

    let tree = scenario.path("r");
    within("create r", mutator.create(&tree, b"", &options))
        .await?
        .at("create r")?;
    let recursive = watcher_client.watch(&tree, AddWatchMode::PersistentRecursive);
    let mut recursive = within("addWatch recursive", recursive)
        .await?
        .at("addWatch r recursive")?;
    let (a, b) = (format!("{tree}/a"), format!("{tree}/a/b"));
    within("create r/a", mutator.create(&a, b"", &options))
        .await?
        .at("create r/a")?;
    within("set r/a", mutator.set_data(&a, b"1", None))
        .await?
        .at("set r/a")?;
    within("create r/a/b", mutator.create(&b, b"", &options))
        .await?
        .at("create r/a/b")?;
    within("delete r/a/b", mutator.delete(&b, None))
        .await?
        .at("delete r/a/b")?;
    within("set r", mutator.set_data(&tree, b"1", None))
        .await?
        .at("set r")?;
    let mut seen = Vec::new();
    for _ in 0..5 {
        seen.push(next_event("recursive watch", &mut recursive).await?);
    }
    expect_eq(
        "persistent-recursive watch events (no NodeChildrenChanged)",
        seen,
        vec![
            (EventType::NodeCreated, a.clone()),
            (EventType::NodeDataChanged, a.clone()),
            (EventType::NodeCreated, b.clone()),
            (EventType::NodeDeleted, b.clone()),
            (EventType::NodeDataChanged, tree.clone()),
        ],
    )?;

    // removeWatches: dropping the client's last watcher of a path removes the server's watch.
    let removable = scenario.path("rm");
    within("create rm", mutator.create(&removable, b"", &options))
        .await?
        .at("create rm")?;
    let (_, _, watch) = within(
        "getData+watch rm",
        watcher_client.get_and_watch_data(&removable),
    )
    .await?
    .at("watch rm")?;
    let listed = |text: &str| text.lines().any(|line| line.trim() == removable);
    let before = scenario
        .server
        .four_letter("wchp")
        .map_err(|error| format!("wchp: {error}"))?;
    if !listed(&before) {
        return Err(format!(
            "wchp does not list {removable} while it is watched:\n{before}"
        ));
    }
    drop(watch);
    // The session's requests are answered in order: once sync answers, removeWatches is done.
    within("sync", watcher_client.sync(&removable))
        .await?
        .at("sync after removeWatches")?;
    let after = scenario
        .server
        .four_letter("wchp")
        .map_err(|error| format!("wchp: {error}"))?;
    if listed(&after) {
        return Err(format!(
            "wchp still lists {removable} after removeWatches:\n{after}"
        ));
    }
    // The persistent watch on p is still there and still fires.
    within("set p", mutator.set_data(&node, b"4", None))
        .await?
        .at("set p last")?;
    let event = within("persistent watch", persistent.changed()).await?;
    expect_node_event(
        "persistent watch after removeWatches of another path",
        &event,
        EventType::NodeDataChanged,
        &node,
    )
}
