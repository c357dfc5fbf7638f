//! Which watchers each tree event notifies, as ZooKeeper's DataTree and
//! WatchManager decide it. One test per rule.

use ringkeeper_jute::EventType::{self, *};
use ringkeeper_watch::{FiredWatch, WatchKind, WatchManager, WatcherId};

const WATCHES_MAX: usize = 1_000_000;

fn fire(
    manager: &mut WatchManager,
    path: &str,
    event_type: EventType,
) -> Vec<(WatcherId, EventType, String)> {
    let mut out = Vec::new();
    manager.trigger(path, event_type, &mut out);
    out.into_iter()
        .map(
            |FiredWatch {
                 watcher,
                 event_type,
                 path,
             }| (watcher, event_type, path.to_string()),
        )
        .collect()
}

fn watch(manager: &mut WatchManager, path: &str, watcher: WatcherId, kind: WatchKind) {
    manager.add(path, watcher, kind).expect("under the limit");
}

/// The calls the request processor makes for create, as DataTree.createNode does.
fn create(
    manager: &mut WatchManager,
    path: &str,
    parent: &str,
) -> Vec<(WatcherId, EventType, String)> {
    let mut fired = fire(manager, path, NodeCreated);
    fired.extend(fire(manager, parent, NodeChildrenChanged));
    fired
}

/// The calls the request processor makes for delete, as DataTree.deleteNode does.
fn delete(
    manager: &mut WatchManager,
    path: &str,
    parent: &str,
) -> Vec<(WatcherId, EventType, String)> {
    let mut fired = fire(manager, path, NodeDeleted);
    fired.extend(fire(manager, parent, NodeChildrenChanged));
    fired
}

fn event(watcher: WatcherId, event_type: EventType, path: &str) -> (WatcherId, EventType, String) {
    (watcher, event_type, path.to_owned())
}

#[test]
fn exists_watch_on_a_missing_node_fires_node_created_once() {
    let mut manager = WatchManager::new(WATCHES_MAX);
    watch(&mut manager, "/a", 1, WatchKind::Exists);

    assert_eq!(
        create(&mut manager, "/a", "/"),
        [event(1, NodeCreated, "/a")]
    );
    assert!(!manager.contains("/a", 1, WatchKind::Exists));
    assert_eq!(fire(&mut manager, "/a", NodeDataChanged), []);
    assert_eq!(manager.watch_count(), 0);
}

#[test]
fn data_watch_fires_node_data_changed_once_then_is_gone() {
    let mut manager = WatchManager::new(WATCHES_MAX);
    watch(&mut manager, "/a", 1, WatchKind::Data);

    assert_eq!(
        fire(&mut manager, "/a", NodeDataChanged),
        [event(1, NodeDataChanged, "/a")]
    );
    assert_eq!(fire(&mut manager, "/a", NodeDataChanged), []);
    assert_eq!(manager.watch_count(), 0);
    assert!(manager.by_path().is_empty());
}

#[test]
fn data_watch_ignores_children_changes_and_child_watch_ignores_data_changes() {
    let mut manager = WatchManager::new(WATCHES_MAX);
    watch(&mut manager, "/p", 1, WatchKind::Data);
    watch(&mut manager, "/p", 2, WatchKind::Child);

    assert_eq!(
        fire(&mut manager, "/p", NodeChildrenChanged),
        [event(2, NodeChildrenChanged, "/p")]
    );
    assert_eq!(
        fire(&mut manager, "/p", NodeDataChanged),
        [event(1, NodeDataChanged, "/p")]
    );
    assert_eq!(manager.watch_count(), 0);
}

#[test]
fn child_watch_fires_once_when_a_child_is_created() {
    let mut manager = WatchManager::new(WATCHES_MAX);
    watch(&mut manager, "/p", 1, WatchKind::Child);

    assert_eq!(
        create(&mut manager, "/p/c", "/p"),
        [event(1, NodeChildrenChanged, "/p")]
    );
    assert_eq!(delete(&mut manager, "/p/c", "/p"), []);
}

#[test]
fn delete_notifies_a_watcher_holding_data_and_child_watches_once() {
    // DataTree.deleteNode triggers the data set, then the child set with the
    // data set's watchers suppressed: one NodeDeleted, both watches gone.
    let mut manager = WatchManager::new(WATCHES_MAX);
    watch(&mut manager, "/a", 1, WatchKind::Data);
    watch(&mut manager, "/a", 1, WatchKind::Child);
    watch(&mut manager, "/a", 2, WatchKind::Child);

    assert_eq!(
        delete(&mut manager, "/a", "/"),
        [event(1, NodeDeleted, "/a"), event(2, NodeDeleted, "/a")]
    );
    assert!(!manager.contains("/a", 1, WatchKind::Data));
    assert!(!manager.contains("/a", 1, WatchKind::Child));
    assert_eq!(manager.watch_count(), 0);
}

#[test]
fn delete_of_a_child_notifies_the_parents_child_watchers_with_node_children_changed() {
    let mut manager = WatchManager::new(WATCHES_MAX);
    watch(&mut manager, "/p", 1, WatchKind::Child);
    watch(&mut manager, "/p/c", 2, WatchKind::Exists);

    assert_eq!(
        delete(&mut manager, "/p/c", "/p"),
        [
            event(2, NodeDeleted, "/p/c"),
            event(1, NodeChildrenChanged, "/p")
        ]
    );
}

#[test]
fn persistent_watch_fires_every_event_on_its_path_and_stays() {
    let mut manager = WatchManager::new(WATCHES_MAX);
    watch(&mut manager, "/a", 1, WatchKind::Persistent);

    assert_eq!(
        create(&mut manager, "/a", "/"),
        [event(1, NodeCreated, "/a")]
    );
    assert_eq!(
        fire(&mut manager, "/a", NodeDataChanged),
        [event(1, NodeDataChanged, "/a")]
    );
    assert_eq!(
        create(&mut manager, "/a/b", "/a"),
        [event(1, NodeChildrenChanged, "/a")]
    );
    assert_eq!(
        delete(&mut manager, "/a/b", "/a"),
        [event(1, NodeChildrenChanged, "/a")]
    );
    assert_eq!(
        delete(&mut manager, "/a", "/"),
        [event(1, NodeDeleted, "/a")]
    );
    // It outlives the node.
    assert_eq!(
        create(&mut manager, "/a", "/"),
        [event(1, NodeCreated, "/a")]
    );
    assert!(manager.contains("/a", 1, WatchKind::Persistent));
    assert_eq!(manager.watch_count(), 2, "one entry in each manager");
}

#[test]
fn persistent_watch_does_not_see_changes_below_its_path() {
    let mut manager = WatchManager::new(WATCHES_MAX);
    watch(&mut manager, "/a", 1, WatchKind::Persistent);

    assert_eq!(fire(&mut manager, "/a/b", NodeDataChanged), []);
    assert_eq!(fire(&mut manager, "/a/b/c", NodeCreated), []);
}

#[test]
fn recursive_watch_fires_for_its_path_and_descendants_but_never_node_children_changed() {
    let mut manager = WatchManager::new(WATCHES_MAX);
    watch(&mut manager, "/a", 1, WatchKind::PersistentRecursive);

    assert_eq!(
        create(&mut manager, "/a", "/"),
        [event(1, NodeCreated, "/a")]
    );
    assert_eq!(
        create(&mut manager, "/a/b", "/a"),
        [event(1, NodeCreated, "/a/b")]
    );
    assert_eq!(
        create(&mut manager, "/a/b/c", "/a/b"),
        [event(1, NodeCreated, "/a/b/c")]
    );
    assert_eq!(
        fire(&mut manager, "/a/b/c", NodeDataChanged),
        [event(1, NodeDataChanged, "/a/b/c")]
    );
    assert_eq!(
        delete(&mut manager, "/a/b/c", "/a/b"),
        [event(1, NodeDeleted, "/a/b/c")]
    );
    assert_eq!(
        fire(&mut manager, "/a", NodeDataChanged),
        [event(1, NodeDataChanged, "/a")]
    );
    assert_eq!(fire(&mut manager, "/a", NodeChildrenChanged), []);
    assert!(manager.contains("/a", 1, WatchKind::PersistentRecursive));
}

#[test]
fn recursive_watch_does_not_see_a_sibling_that_shares_its_prefix() {
    let mut manager = WatchManager::new(WATCHES_MAX);
    watch(&mut manager, "/a", 1, WatchKind::PersistentRecursive);

    assert_eq!(create(&mut manager, "/ab", "/"), []);
    assert_eq!(create(&mut manager, "/ab/c", "/ab"), []);
}

#[test]
fn recursive_watch_on_the_root_sees_every_node_change() {
    let mut manager = WatchManager::new(WATCHES_MAX);
    watch(&mut manager, "/", 7, WatchKind::PersistentRecursive);

    assert_eq!(
        create(&mut manager, "/x", "/"),
        [event(7, NodeCreated, "/x")]
    );
    assert_eq!(
        create(&mut manager, "/x/y", "/x"),
        [event(7, NodeCreated, "/x/y")]
    );
    assert_eq!(
        fire(&mut manager, "/", NodeDataChanged),
        [event(7, NodeDataChanged, "/")]
    );
    assert_eq!(fire(&mut manager, "/", NodeChildrenChanged), []);
    assert_eq!(
        delete(&mut manager, "/x/y", "/x"),
        [event(7, NodeDeleted, "/x/y")]
    );
}

#[test]
fn recursive_watch_fires_for_a_node_one_hundred_levels_below() {
    let mut manager = WatchManager::new(WATCHES_MAX);
    let top = "/deep";
    let mut path = top.to_owned();
    for level in 0..100 {
        path.push_str(&format!("/n{level}"));
    }
    watch(&mut manager, top, 1, WatchKind::PersistentRecursive);
    watch(
        &mut manager,
        "/deep/n0/n1",
        2,
        WatchKind::PersistentRecursive,
    );
    watch(&mut manager, "/deep/n0/n1/n2", 3, WatchKind::Persistent);

    assert_eq!(
        fire(&mut manager, &path, NodeDataChanged),
        [
            event(2, NodeDataChanged, &path),
            event(1, NodeDataChanged, &path)
        ]
    );
}

/// ZOOKEEPER-4466 as 3.8 has it: a getData watch on a path where the same
/// connection holds a persistent watch replaces the data half of that
/// watch with a one-shot watch. It fires once; data changes are then not
/// seen, while the child half still fires NodeChildrenChanged.
#[test]
fn one_shot_watch_replaces_the_data_half_of_a_persistent_watch_on_the_same_path() {
    let mut manager = WatchManager::new(WATCHES_MAX);
    watch(&mut manager, "/a", 1, WatchKind::Persistent);
    watch(&mut manager, "/a", 1, WatchKind::Data);
    assert!(manager.contains("/a", 1, WatchKind::Data));
    assert!(
        manager.contains("/a", 1, WatchKind::Persistent),
        "child half"
    );

    assert_eq!(
        fire(&mut manager, "/a", NodeDataChanged),
        [event(1, NodeDataChanged, "/a")]
    );
    assert_eq!(fire(&mut manager, "/a", NodeDataChanged), []);
    assert_eq!(
        fire(&mut manager, "/a", NodeChildrenChanged),
        [event(1, NodeChildrenChanged, "/a")]
    );
    // addWatch again makes it whole.
    watch(&mut manager, "/a", 1, WatchKind::Persistent);
    assert_eq!(
        fire(&mut manager, "/a", NodeDataChanged),
        [event(1, NodeDataChanged, "/a")]
    );
}

/// ZOOKEEPER-4466 with a recursive watch: an exists watch on the watched
/// path turns its data half one-shot, so after that fires, creates below
/// the path are not seen, but deletes are (the child manager's recursive
/// half still walks up for NodeDeleted).
#[test]
fn exists_watch_on_a_recursive_watch_path_leaves_only_deletes_below_it() {
    let mut manager = WatchManager::new(WATCHES_MAX);
    watch(&mut manager, "/a", 1, WatchKind::PersistentRecursive);
    watch(&mut manager, "/a", 1, WatchKind::Exists);

    assert_eq!(
        create(&mut manager, "/a/b", "/a"),
        [],
        "the data manager's entry on /a is one-shot: no parent match"
    );
    assert_eq!(
        fire(&mut manager, "/a", NodeDataChanged),
        [event(1, NodeDataChanged, "/a")]
    );
    assert_eq!(create(&mut manager, "/a/c", "/a"), []);
    assert_eq!(
        delete(&mut manager, "/a/c", "/a"),
        [event(1, NodeDeleted, "/a/c")]
    );
}

#[test]
fn watcher_with_a_recursive_ancestor_watch_and_a_data_watch_gets_one_event() {
    let mut manager = WatchManager::new(WATCHES_MAX);
    watch(&mut manager, "/", 1, WatchKind::PersistentRecursive);
    watch(&mut manager, "/a", 1, WatchKind::PersistentRecursive);
    watch(&mut manager, "/a/b", 1, WatchKind::Data);

    assert_eq!(
        fire(&mut manager, "/a/b", NodeDataChanged),
        [event(1, NodeDataChanged, "/a/b")]
    );
    assert!(
        !manager.contains("/a/b", 1, WatchKind::Data),
        "the one-shot watch fired"
    );
    assert_eq!(
        fire(&mut manager, "/a/b", NodeDataChanged),
        [event(1, NodeDataChanged, "/a/b")]
    );
}

#[test]
fn one_create_notifies_exists_child_and_recursive_watchers_in_delivery_order() {
    let mut manager = WatchManager::new(WATCHES_MAX);
    watch(&mut manager, "/p/c", 5, WatchKind::Exists);
    watch(&mut manager, "/p/c", 1, WatchKind::Exists);
    watch(&mut manager, "/p", 2, WatchKind::Child);
    watch(&mut manager, "/p", 4, WatchKind::PersistentRecursive);
    watch(&mut manager, "/", 3, WatchKind::PersistentRecursive);

    assert_eq!(
        create(&mut manager, "/p/c", "/p"),
        [
            // The path's watchers by id, then ancestors' recursive watchers, nearest first.
            event(1, NodeCreated, "/p/c"),
            event(5, NodeCreated, "/p/c"),
            event(4, NodeCreated, "/p/c"),
            event(3, NodeCreated, "/p/c"),
            // The parent's child set: recursive watches are not in it.
            event(2, NodeChildrenChanged, "/p"),
        ]
    );
}

#[test]
fn closed_connection_loses_every_watch() {
    let mut manager = WatchManager::new(WATCHES_MAX);
    watch(&mut manager, "/a", 1, WatchKind::Data);
    watch(&mut manager, "/a", 1, WatchKind::Child);
    watch(&mut manager, "/b", 1, WatchKind::Persistent);
    watch(&mut manager, "/", 1, WatchKind::PersistentRecursive);
    watch(&mut manager, "/a", 2, WatchKind::Data);

    manager.remove_watcher(1);

    assert_eq!(fire(&mut manager, "/b", NodeDataChanged), []);
    assert_eq!(
        fire(&mut manager, "/a", NodeDataChanged),
        [event(2, NodeDataChanged, "/a")]
    );
    assert_eq!(manager.watch_count(), 0);
    assert_eq!(
        manager.summary().num_connections,
        1,
        "connection 2 until it closes"
    );
    assert!(manager.by_path().is_empty());
    manager.remove_watcher(1); // a second close is harmless
}

#[test]
fn events_that_are_not_tree_changes_notify_nobody() {
    let mut manager = WatchManager::new(WATCHES_MAX);
    watch(&mut manager, "/a", 1, WatchKind::Data);
    watch(&mut manager, "/a", 2, WatchKind::Persistent);
    watch(&mut manager, "/", 1, WatchKind::PersistentRecursive);

    for event_type in [
        None,
        DataWatchRemoved,
        ChildWatchRemoved,
        PersistentWatchRemoved,
    ] {
        assert_eq!(fire(&mut manager, "/a", event_type), []);
    }
    assert!(manager.contains("/a", 1, WatchKind::Data));
}

#[test]
fn fired_watch_becomes_a_sync_connected_watcher_event() {
    let mut manager = WatchManager::new(WATCHES_MAX);
    watch(&mut manager, "/a", 1, WatchKind::Data);
    let mut out = Vec::new();
    manager.trigger("/a", NodeDeleted, &mut out);

    let record = out[0].to_watcher_event();
    assert_eq!(record.event_type, NodeDeleted.as_i32());
    assert_eq!(
        record.state,
        ringkeeper_jute::KeeperState::SyncConnected.as_i32()
    );
    assert_eq!(record.path, "/a");
}
