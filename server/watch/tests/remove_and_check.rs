//! removeWatches and checkWatches as ZooKeeper 3.8 answers them, and limits.

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
fn removing_another_connections_watch_matches_nothing() {
    let mut manager = manager_with(&[("/a", 2, WatchKind::Data)]);
    for watcher_type in [WatcherType::Children, WatcherType::Data, WatcherType::Any] {
        assert_eq!(manager.remove_watches("/a", 1, watcher_type), Ok(false));
        assert_eq!(
            manager.remove_watches("/missing", 2, watcher_type),
            Ok(false)
        );
    }
    assert!(manager.contains("/a", 2, WatchKind::Data));
}

/// ZooKeeper 3.8's checkWatches answers whether ANY connection holds a
/// watch on the path in the manager the type names, not whether the
/// asking connection does.
#[test]
fn check_watches_sees_any_connections_watch_on_the_path() {
    let manager = manager_with(&[("/a", 2, WatchKind::Data)]);

    assert_eq!(manager.check_watches("/a", 1, WatcherType::Data), Ok(true));
    assert_eq!(manager.check_watches("/a", 1, WatcherType::Any), Ok(true));
    assert_eq!(
        manager.check_watches("/a", 1, WatcherType::Children),
        Ok(false)
    );
    assert_eq!(manager.check_watches("/b", 2, WatcherType::Any), Ok(false));
    assert!(manager.contains("/a", 2, WatchKind::Data), "only checked");
}

/// ZooKeeper 3.8's WatcherType knows Children, Data and Any; 4 and 5
/// (3.9's Persistent and PersistentRecursive) throw, and the request
/// fails with MarshallingError.
#[test]
fn persistent_watcher_types_are_unknown_to_zookeeper_3_8() {
    let mut manager = manager_with(&[("/a", 1, WatchKind::Persistent)]);
    for watcher_type in [WatcherType::Persistent, WatcherType::PersistentRecursive] {
        assert_eq!(
            manager.remove_watches("/a", 1, watcher_type),
            Err(WatchError::WatcherTypeUnsupported { watcher_type })
        );
        assert_eq!(
            manager.check_watches("/a", 1, watcher_type),
            Err(WatchError::WatcherTypeUnsupported { watcher_type })
        );
    }
    assert!(manager.contains("/a", 1, WatchKind::Persistent));
}

/// ZooKeeper 3.8's parent walk cuts at the last '/': a checkWatches on a
/// path with none throws (MarshallingError), one on "" walks nothing.
#[test]
fn check_watches_on_a_path_without_a_slash_fails() {
    let manager = manager_with(&[("a", 1, WatchKind::Exists)]);

    assert_eq!(
        manager.check_watches("a", 1, WatcherType::Data),
        Err(WatchError::PathNotWalkable { path: "a".into() })
    );
    assert_eq!(manager.check_watches("", 1, WatcherType::Any), Ok(false));
}

#[test]
fn a_watch_on_a_relative_path_is_kept_and_can_be_removed() {
    let mut manager = manager_with(&[("a", 1, WatchKind::Exists)]);
    assert_eq!(manager.watch_count(), 1);
    assert_eq!(manager.remove_watches("a", 1, WatcherType::Data), Ok(true));
    assert_eq!(manager.watch_count(), 0);
}

#[test]
fn data_type_removes_the_data_watch_and_keeps_the_child_watch() {
    let mut manager = manager_with(&[("/a", 1, WatchKind::Exists), ("/a", 1, WatchKind::Child)]);

    assert_eq!(manager.remove_watches("/a", 1, WatcherType::Data), Ok(true));
    assert!(!manager.contains("/a", 1, WatchKind::Data));
    assert!(manager.contains("/a", 1, WatchKind::Child));
    assert_eq!(
        manager.remove_watches("/a", 1, WatcherType::Data),
        Ok(false),
        "already gone"
    );
    assert_eq!(manager.watch_count(), 1);
}

/// ZOOKEEPER-4471/4472 as 3.8 has them: removeWatches Data (Children)
/// removes the data (child) half of a persistent watch, leaving the other
/// half firing.
#[test]
fn data_and_children_types_remove_half_of_a_persistent_watch() {
    let mut manager = manager_with(&[("/a", 1, WatchKind::Persistent)]);

    assert_eq!(manager.remove_watches("/a", 1, WatcherType::Data), Ok(true));
    let mut out = Vec::new();
    manager.trigger("/a", EventType::NodeDataChanged, &mut out);
    assert!(out.is_empty(), "the data half is gone: {out:?}");
    manager.trigger("/a", EventType::NodeChildrenChanged, &mut out);
    assert_eq!(out.len(), 1, "the child half stays: {out:?}");
    assert_eq!(
        manager.remove_watches("/a", 1, WatcherType::Children),
        Ok(true)
    );
    assert_eq!(manager.watch_count(), 0);
}

#[test]
fn any_type_removes_the_entries_of_both_managers() {
    let mut manager = manager_with(&[
        ("/a", 1, WatchKind::Data),
        ("/a", 1, WatchKind::Child),
        ("/b", 1, WatchKind::PersistentRecursive),
        ("/a", 2, WatchKind::Data),
    ]);

    assert_eq!(manager.remove_watches("/a", 1, WatcherType::Any), Ok(true));
    assert_eq!(manager.remove_watches("/b", 1, WatcherType::Any), Ok(true));
    assert_eq!(manager.remove_watches("/a", 1, WatcherType::Any), Ok(false));
    assert_eq!(manager.watch_count(), 1);
    let mut out = Vec::new();
    manager.trigger("/b/c", EventType::NodeCreated, &mut out);
    assert!(out.is_empty(), "no recursive watch left: {out:?}");
}

#[test]
fn recursive_watch_on_an_ancestor_does_not_match_a_descendant_path() {
    let mut manager = manager_with(&[("/", 1, WatchKind::PersistentRecursive)]);

    assert_eq!(manager.check_watches("/a", 1, WatcherType::Any), Ok(false));
    assert_eq!(manager.remove_watches("/a", 1, WatcherType::Any), Ok(false));
    assert!(manager.contains("/", 1, WatchKind::PersistentRecursive));
}

#[test]
fn watch_count_counts_as_zookeepers_get_watch_count() {
    // The data manager's entries plus the child manager's; ONE mode per
    // entry, so a later kind on the same manager replaces, not adds.
    let cases: [(&[WatchKind], usize); 7] = [
        (&[WatchKind::Data], 1),
        (&[WatchKind::Exists, WatchKind::Data], 1),
        (&[WatchKind::Child], 1),
        (&[WatchKind::Data, WatchKind::Child], 2),
        (&[WatchKind::Persistent], 2),
        (&[WatchKind::PersistentRecursive], 2),
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
    assert!(manager.by_path().is_empty());
}
