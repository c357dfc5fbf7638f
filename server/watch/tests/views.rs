//! The views behind the wchs, wchc and wchp four-letter words: ZooKeeper
//! 3.8 shows its data manager only (getData, exists and addWatch watches;
//! not getChildren's).

use std::collections::BTreeMap;

use ringkeeper_jute::AddWatchMode;
use ringkeeper_watch::{WatchKind, WatchManager, WatchPaths, WatchesSummary};

fn sample() -> WatchManager {
    let mut manager = WatchManager::new(100);
    let watches = [
        ("/b", 0x20, WatchKind::Data),
        ("/a", 0x20, WatchKind::Child),
        ("/a", 0x10, WatchKind::Exists),
        ("/a", 0x10, WatchKind::Persistent),
        (
            "/",
            0x10,
            WatchKind::from(AddWatchMode::PersistentRecursive),
        ),
    ];
    for (path, watcher, kind) in watches {
        manager.add(path, watcher, kind).expect("under the limit");
    }
    manager
}

#[test]
fn wchc_lists_each_connections_paths_sorted() {
    let expected: BTreeMap<u64, Vec<String>> = [
        (0x10, vec!["/".to_owned(), "/a".to_owned()]),
        (0x20, vec!["/b".to_owned()]),
    ]
    .into();
    assert_eq!(sample().by_watcher(), expected);
}

#[test]
fn wchp_lists_each_paths_connections_sorted() {
    let expected: BTreeMap<String, Vec<u64>> = [
        ("/".to_owned(), vec![0x10]),
        ("/a".to_owned(), vec![0x10]),
        ("/b".to_owned(), vec![0x20]),
    ]
    .into();
    assert_eq!(sample().by_path(), expected);
}

#[test]
fn wchs_counts_connections_paths_and_connection_path_pairs() {
    let manager = sample();
    assert_eq!(
        manager.summary(),
        WatchesSummary {
            num_connections: 2,
            num_paths: 3,
            total_watches: 3,
        }
    );
    // Data manager: /b, /a (exists, then persistent: one entry), /;
    // child manager: /a of 0x20, /a of 0x10 (persistent), / (recursive).
    assert_eq!(manager.watch_count(), 3 + 3);
}

/// ZooKeeper 3.8's `watch2Paths` keeps a connection's emptied path set
/// until the connection closes: wchs still counts it, wchc lists it.
#[test]
fn a_connection_whose_watches_all_fired_stays_listed_until_it_closes() {
    let mut manager = WatchManager::new(100);
    manager
        .add("/a", 7, WatchKind::Data)
        .expect("under the limit");
    let mut out = Vec::new();
    manager.trigger("/a", ringkeeper_jute::EventType::NodeDataChanged, &mut out);
    assert_eq!(
        manager.summary(),
        WatchesSummary {
            num_connections: 1,
            num_paths: 0,
            total_watches: 0,
        }
    );
    assert_eq!(manager.by_watcher().get(&7), Some(&Vec::new()));
    manager.remove_watcher(7);
    assert!(manager.by_watcher().is_empty());
}

#[test]
fn paths_of_gives_one_connections_watches_by_kind() {
    let manager = sample();
    assert_eq!(
        manager.paths_of(0x10),
        WatchPaths {
            data: vec![],
            child: vec![],
            persistent: vec!["/a".into()],
            persistent_recursive: vec!["/".into()],
        }
    );
    assert!(manager.paths_of(0x99).is_empty());
}
