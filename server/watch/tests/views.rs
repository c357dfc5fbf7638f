//! The views behind the wchs, wchc and wchp four-letter words.

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
        (0x20, vec!["/a".to_owned(), "/b".to_owned()]),
    ]
    .into();
    assert_eq!(sample().by_watcher(), expected);
}

#[test]
fn wchp_lists_each_paths_connections_sorted() {
    let expected: BTreeMap<String, Vec<u64>> = [
        ("/".to_owned(), vec![0x10]),
        ("/a".to_owned(), vec![0x10, 0x20]),
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
            total_watches: 4,
        }
    );
    assert_eq!(manager.watch_count(), 1 + 1 + 2 + 1);
}

#[test]
fn paths_of_gives_one_connections_watches_by_kind() {
    let manager = sample();
    assert_eq!(
        manager.paths_of(0x10),
        WatchPaths {
            data: vec!["/a".into()],
            child: vec![],
            persistent: vec!["/a".into()],
            persistent_recursive: vec!["/".into()],
        }
    );
    assert!(manager.paths_of(0x99).is_empty());
}
