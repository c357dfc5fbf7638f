//! Random sequences of watch operations give the same notifications and
//! counts as a plain model of ZooKeeper 3.9's DataTree: two watch managers
//! (data and child), each a path -> watcher -> modes table, triggered by
//! walking the path and all its parents, with delete's suppression. The
//! model is slow and literal on purpose; the manager is indexed.

use std::collections::{BTreeMap, BTreeSet};

use proptest::prelude::*;
use ringkeeper_jute::{EventType, WatcherType};
use ringkeeper_watch::{WatchKind, WatchManager, WatcherId};

const STANDARD: u8 = 1;
const PERSISTENT: u8 = 2;
const RECURSIVE: u8 = 4;

/// One of ZooKeeper's two `WatchManager`s: path -> watcher -> `WatchStats`.
#[derive(Default)]
struct ModelManager {
    table: BTreeMap<String, BTreeMap<WatcherId, u8>>,
}

impl ModelManager {
    fn add(&mut self, path: &str, watcher: WatcherId, mode: u8) {
        *self
            .table
            .entry(path.into())
            .or_default()
            .entry(watcher)
            .or_default() |= mode;
    }

    fn has(&self, path: &str, watcher: WatcherId, mode: Option<u8>) -> bool {
        let stats = self
            .table
            .get(path)
            .and_then(|w| w.get(&watcher))
            .copied()
            .unwrap_or(0);
        match mode {
            Some(mode) => stats & mode != 0,
            None => stats != 0,
        }
    }

    /// `removeWatcher(path, watcher, mode)`; `None` removes every mode.
    fn remove(&mut self, path: &str, watcher: WatcherId, mode: Option<u8>) -> bool {
        let Some(watchers) = self.table.get_mut(path) else {
            return false;
        };
        let Some(stats) = watchers.get_mut(&watcher) else {
            return false;
        };
        let old = *stats;
        *stats &= !mode.unwrap_or(0xff);
        let changed = *stats != old;
        if *stats == 0 {
            watchers.remove(&watcher);
        }
        if watchers.is_empty() {
            self.table.remove(path);
        }
        changed
    }

    fn remove_watcher(&mut self, watcher: WatcherId) {
        for watchers in self.table.values_mut() {
            watchers.remove(&watcher);
        }
        self.table.retain(|_, watchers| !watchers.is_empty());
    }

    /// `triggerWatch`: the path itself fires every watcher on it and drops
    /// STANDARD; each parent fires its PERSISTENT_RECURSIVE watchers.
    fn trigger(&mut self, path: &str) -> BTreeSet<WatcherId> {
        let mut fired = BTreeSet::new();
        if let Some(watchers) = self.table.get_mut(path) {
            for (&watcher, stats) in watchers.iter_mut() {
                fired.insert(watcher);
                *stats &= !STANDARD;
            }
            watchers.retain(|_, stats| *stats != 0);
            if watchers.is_empty() {
                self.table.remove(path);
            }
        }
        let mut parent = path.to_owned();
        while parent != "/" {
            let cut = parent.rfind('/').expect("absolute path");
            parent.truncate(cut.max(1));
            if let Some(watchers) = self.table.get(&parent) {
                fired.extend(
                    watchers
                        .iter()
                        .filter(|(_, s)| **s & RECURSIVE != 0)
                        .map(|(w, _)| *w),
                );
            }
        }
        fired
    }

    fn size(&self) -> usize {
        self.table.values().map(BTreeMap::len).sum()
    }
}

/// ZooKeeper 3.9's DataTree watch calls.
#[derive(Default)]
struct Model {
    data: ModelManager,
    child: ModelManager,
}

impl Model {
    fn add(&mut self, path: &str, watcher: WatcherId, kind: WatchKind) {
        match kind {
            WatchKind::Data | WatchKind::Exists => self.data.add(path, watcher, STANDARD),
            WatchKind::Child => self.child.add(path, watcher, STANDARD),
            WatchKind::Persistent => {
                self.data.add(path, watcher, PERSISTENT);
                self.child.add(path, watcher, PERSISTENT);
            }
            WatchKind::PersistentRecursive => self.data.add(path, watcher, RECURSIVE),
        }
    }

    fn trigger(&mut self, path: &str, event_type: EventType) -> BTreeSet<WatcherId> {
        match event_type {
            EventType::NodeCreated | EventType::NodeDataChanged => self.data.trigger(path),
            EventType::NodeChildrenChanged => self.child.trigger(path),
            EventType::NodeDeleted => {
                let mut fired = self.data.trigger(path);
                fired.extend(self.child.trigger(path));
                fired
            }
            _ => BTreeSet::new(),
        }
    }

    fn contains(&self, path: &str, watcher: WatcherId, kind: WatchKind) -> bool {
        match kind {
            WatchKind::Data | WatchKind::Exists => self.data.has(path, watcher, Some(STANDARD)),
            WatchKind::Child => self.child.has(path, watcher, Some(STANDARD)),
            WatchKind::Persistent => self.data.has(path, watcher, Some(PERSISTENT)),
            WatchKind::PersistentRecursive => self.data.has(path, watcher, Some(RECURSIVE)),
        }
    }

    /// `DataTree.containsWatcher` / `removeWatch`.
    fn remove_watches(
        &mut self,
        path: &str,
        watcher: WatcherId,
        watcher_type: WatcherType,
        remove: bool,
    ) -> bool {
        if !remove {
            return match watcher_type {
                WatcherType::Children => self.child.has(path, watcher, Some(STANDARD)),
                WatcherType::Data => self.data.has(path, watcher, Some(STANDARD)),
                WatcherType::Persistent => self.data.has(path, watcher, Some(PERSISTENT)),
                WatcherType::PersistentRecursive => self.data.has(path, watcher, Some(RECURSIVE)),
                WatcherType::Any => {
                    self.child.has(path, watcher, None) || self.data.has(path, watcher, None)
                }
            };
        }
        match watcher_type {
            WatcherType::Children => self.child.remove(path, watcher, Some(STANDARD)),
            WatcherType::Data => self.data.remove(path, watcher, Some(STANDARD)),
            WatcherType::Persistent => {
                let child = self.child.remove(path, watcher, Some(PERSISTENT));
                self.data.remove(path, watcher, Some(PERSISTENT)) | child
            }
            WatcherType::PersistentRecursive => self.data.remove(path, watcher, Some(RECURSIVE)),
            WatcherType::Any => {
                let child = self.child.remove(path, watcher, None);
                self.data.remove(path, watcher, None) | child
            }
        }
    }
}

const PATHS: &[&str] = &["/", "/a", "/a/b", "/a/b/c", "/ab", "/b"];
const KINDS: &[WatchKind] = &[
    WatchKind::Data,
    WatchKind::Exists,
    WatchKind::Child,
    WatchKind::Persistent,
    WatchKind::PersistentRecursive,
];
const EVENTS: &[EventType] = &[
    EventType::NodeCreated,
    EventType::NodeDeleted,
    EventType::NodeDataChanged,
    EventType::NodeChildrenChanged,
];

#[derive(Debug, Clone)]
enum Op {
    Add(usize, WatcherId, usize),
    Trigger(usize, usize),
    RemoveWatches(usize, WatcherId, WatcherType, bool),
    RemoveWatcher(WatcherId),
}

fn op() -> impl Strategy<Value = Op> {
    let path = 0..PATHS.len();
    let watcher = 1..4u64;
    prop_oneof![
        4 => (path.clone(), watcher.clone(), 0..KINDS.len()).prop_map(|(p, w, k)| Op::Add(p, w, k)),
        4 => (path.clone(), 0..EVENTS.len()).prop_map(|(p, e)| Op::Trigger(p, e)),
        2 => (path, watcher.clone(), proptest::sample::select(WatcherType::ALL), any::<bool>())
            .prop_map(|(p, w, t, r)| Op::RemoveWatches(p, w, t, r)),
        1 => watcher.prop_map(Op::RemoveWatcher),
    ]
}

proptest! {
    #[test]
    fn manager_agrees_with_a_literal_model_of_zookeeper(ops in proptest::collection::vec(op(), 1..80)) {
        let mut manager = WatchManager::new(usize::MAX);
        let mut model = Model::default();
        let mut out = Vec::new();
        for op in ops {
            match op {
                Op::Add(p, w, k) => {
                    manager.add(PATHS[p], w, KINDS[k]).expect("no limit");
                    model.add(PATHS[p], w, KINDS[k]);
                }
                Op::Trigger(p, e) => {
                    out.clear();
                    manager.trigger(PATHS[p], EVENTS[e], &mut out);
                    let fired: Vec<WatcherId> = out.iter().map(|f| f.watcher).collect();
                    let unique: BTreeSet<WatcherId> = fired.iter().copied().collect();
                    prop_assert_eq!(unique.len(), fired.len(), "a watcher notified twice: {:?}", out);
                    prop_assert!(out.iter().all(|f| &*f.path == PATHS[p] && f.event_type == EVENTS[e]));
                    prop_assert_eq!(unique, model.trigger(PATHS[p], EVENTS[e]), "{} {:?}", PATHS[p], EVENTS[e]);
                }
                Op::RemoveWatches(p, w, t, remove) => {
                    prop_assert_eq!(
                        manager.remove_watches(PATHS[p], w, t, remove),
                        model.remove_watches(PATHS[p], w, t, remove)
                    );
                }
                Op::RemoveWatcher(w) => {
                    manager.remove_watcher(w);
                    model.data.remove_watcher(w);
                    model.child.remove_watcher(w);
                }
            }
            prop_assert_eq!(manager.watch_count(), model.data.size() + model.child.size());
            for path in PATHS {
                for watcher in 1..4 {
                    for &kind in KINDS {
                        prop_assert_eq!(manager.contains(path, watcher, kind), model.contains(path, watcher, kind));
                    }
                }
            }
            let model_paths: BTreeSet<&String> = model.data.table.keys().chain(model.child.table.keys()).collect();
            prop_assert_eq!(manager.path_count(), model_paths.len());
        }
    }
}
