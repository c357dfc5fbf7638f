//! removeWatches and checkWatches, matched as ZooKeeper 3.9 matches them
//! (ZOOKEEPER-4471/4472), and limits.

use ringkeeper_jute::{EventType, WatcherType};
use ringkeeper_watch::{WatchError, WatchKind, WatchManager};

const WATCHES_MAX: usize = 1_000_000;

fn manager_with(watches: &[(&str, u64, WatchKind)]) -> WatchManager {
    let mut manager = WatchManager::new(WATCHES_MAX);
    for &(path, watcher, kind) in watches {
        manager.add(path, watcher, kind).expect("under the limit");
    }
    manager
}

#[test]
fn removing_a_watch_that_does_not_exist_matches_nothing() {
    // Another connection's watch on the same path does not count (3.8's
    // checkWatches said yes here).
    let mut manager = manager_with(&[("/a", 2, WatchKind::Data)]);
    for watcher_type in WatcherType::ALL.iter().copied() {
        assert!(!manager.remove_watches("/a", 1, watcher_type, false));
        assert!(!manager.remove_watches("/a", 1, watcher_type, true));
        assert!(!manager.remove_watches("/missing", 2, watcher_type, true));
    }
    assert!(manager.contains("/a", 2, WatchKind::Data));
}

#[test]
fn check_watches_reports_without_removing() {
    let mut manager = manager_with(&[("/a", 1, WatchKind::Child)]);

    assert!(manager.remove_watches("/a", 1, WatcherType::Children, false));
    assert!(manager.remove_watches("/a", 1, WatcherType::Any, false));
    assert!(!manager.remove_watches("/a", 1, WatcherType::Data, false));
    assert!(manager.contains("/a", 1, WatchKind::Child));
}

#[test]
fn data_type_removes_the_data_watch_and_keeps_the_child_watch() {
    let mut manager = manager_with(&[("/a", 1, WatchKind::Exists), ("/a", 1, WatchKind::Child)]);

    assert!(manager.remove_watches("/a", 1, WatcherType::Data, true));
    assert!(!manager.contains("/a", 1, WatchKind::Data));
    assert!(manager.contains("/a", 1, WatchKind::Child));
    assert!(
        !manager.remove_watches("/a", 1, WatcherType::Data, true),
        "already gone"
    );
    assert_eq!(manager.watch_count(), 1);
}

#[test]
fn data_and_children_types_do_not_match_a_persistent_watch() {
    // ZooKeeper 3.8 removed the data half (or the child half) of the
    // persistent watch here; 3.9 does not match it (ZOOKEEPER-4471).
    let mut manager = manager_with(&[
        ("/a", 1, WatchKind::Persistent),
        ("/b", 1, WatchKind::PersistentRecursive),
    ]);

    for path in ["/a", "/b"] {
        assert!(!manager.remove_watches(path, 1, WatcherType::Data, true));
        assert!(!manager.remove_watches(path, 1, WatcherType::Children, true));
    }
    let mut out = Vec::new();
    manager.trigger("/a", EventType::NodeChildrenChanged, &mut out);
    manager.trigger("/a", EventType::NodeDataChanged, &mut out);
    manager.trigger("/b/c", EventType::NodeCreated, &mut out);
    assert_eq!(out.len(), 3, "the persistent watches still fire: {out:?}");
}

#[test]
fn any_type_removes_every_mode_on_the_path() {
    let mut manager = manager_with(&[
        ("/a", 1, WatchKind::Data),
        ("/a", 1, WatchKind::Child),
        ("/a", 1, WatchKind::Persistent),
        ("/a", 1, WatchKind::PersistentRecursive),
        ("/a", 2, WatchKind::Data),
    ]);

    assert!(manager.remove_watches("/a", 1, WatcherType::Any, true));
    assert!(!manager.remove_watches("/a", 1, WatcherType::Any, false));
    assert_eq!(manager.recursive_watch_count(), 0);
    assert_eq!(manager.watch_count(), 1);
    assert_eq!(manager.watcher_count(), 1);
}

#[test]
fn persistent_type_removes_the_persistent_watch_and_keeps_one_shot_and_recursive_ones() {
    let mut manager = manager_with(&[
        ("/a", 1, WatchKind::Data),
        ("/a", 1, WatchKind::Persistent),
        ("/a", 1, WatchKind::PersistentRecursive),
    ]);

    assert!(manager.remove_watches("/a", 1, WatcherType::Persistent, true));
    assert!(!manager.contains("/a", 1, WatchKind::Persistent));
    assert!(manager.contains("/a", 1, WatchKind::Data));
    assert!(manager.contains("/a", 1, WatchKind::PersistentRecursive));
}

#[test]
fn persistent_recursive_type_removes_only_the_recursive_watch() {
    let mut manager = manager_with(&[
        ("/a", 1, WatchKind::Persistent),
        ("/a", 1, WatchKind::PersistentRecursive),
    ]);

    assert!(manager.remove_watches("/a", 1, WatcherType::PersistentRecursive, true));
    assert!(manager.contains("/a", 1, WatchKind::Persistent));
    assert_eq!(manager.recursive_watch_count(), 0);
    let mut out = Vec::new();
    manager.trigger("/a/b", EventType::NodeCreated, &mut out);
    assert!(out.is_empty(), "no recursive watch left: {out:?}");
}

#[test]
fn recursive_watch_on_an_ancestor_does_not_match_a_descendant_path() {
    let mut manager = manager_with(&[("/", 1, WatchKind::PersistentRecursive)]);

    assert!(!manager.remove_watches("/a", 1, WatcherType::Any, false));
    assert!(!manager.remove_watches("/a", 1, WatcherType::PersistentRecursive, true));
    assert!(manager.contains("/", 1, WatchKind::PersistentRecursive));
}

#[test]
fn watch_count_counts_as_zookeepers_get_watch_count() {
    // Data-set members plus child-set members.
    let cases: [(&[WatchKind], usize); 7] = [
        (&[WatchKind::Data], 1),
        (&[WatchKind::Exists, WatchKind::Data], 1),
        (&[WatchKind::Child], 1),
        (&[WatchKind::Data, WatchKind::Child], 2),
        (&[WatchKind::Persistent], 2),
        (&[WatchKind::PersistentRecursive], 1),
        (
            &[WatchKind::Persistent, WatchKind::Data, WatchKind::Child],
            2,
        ),
    ];
    for (kinds, expected) in cases {
        let mut manager = WatchManager::new(WATCHES_MAX);
        for &kind in kinds {
            manager.add("/a", 1, kind).expect("under the limit");
        }
        assert_eq!(manager.watch_count(), expected, "{kinds:?}");
    }
}

#[test]
fn watch_limit_refuses_a_new_watch_and_admits_one_already_held() {
    let mut manager = WatchManager::new(2);
    manager.add("/a", 1, WatchKind::Data).expect("first watch");
    manager
        .add("/b", 1, WatchKind::Child)
        .expect("second watch");

    assert_eq!(
        manager.add("/c", 1, WatchKind::Data),
        Err(WatchError::WatchLimitReached { watches_max: 2 })
    );
    assert_eq!(
        manager.add("/a", 1, WatchKind::Exists),
        Ok(()),
        "held already: not a new watch"
    );
    assert!(!manager.contains("/c", 1, WatchKind::Data));
    assert_eq!(manager.watch_count(), 2);

    let mut out = Vec::new();
    manager.trigger("/a", EventType::NodeDataChanged, &mut out);
    assert_eq!(
        manager.add("/c", 1, WatchKind::Data),
        Ok(()),
        "the fired watch freed room"
    );
}

#[test]
fn persistent_watch_that_would_pass_the_limit_is_refused_whole() {
    let mut manager = WatchManager::new(1);

    assert_eq!(
        manager.add("/a", 1, WatchKind::Persistent),
        Err(WatchError::WatchLimitReached { watches_max: 1 })
    );
    assert_eq!(manager.watch_count(), 0);
    assert_eq!(manager.path_count(), 0);
}

#[test]
fn relative_path_is_refused() {
    let mut manager = WatchManager::new(WATCHES_MAX);

    assert_eq!(
        manager.add("a/b", 1, WatchKind::Data),
        Err(WatchError::InvalidPath { path: "a/b".into() })
    );
    assert_eq!(
        manager.add("", 1, WatchKind::Data),
        Err(WatchError::InvalidPath {
            path: String::new()
        })
    );
}
