//! Random sequences of watch operations give the same notifications,
//! answers, counts and views as a literal model of ZooKeeper 3.8's
//! `DataTree` watch calls: two `WatchManager`s (data and child), each a
//! `watchTable` (path -> watchers), a `watch2Paths` (watcher -> paths, an
//! emptied set kept) and a `WatcherModeManager` ((watcher, path) -> mode,
//! STANDARD not stored), walked with `PathParentIterator`. The model is
//! slow and written the way the Java is on purpose; the manager is indexed.

use std::collections::{BTreeMap, BTreeSet};

use proptest::prelude::*;
use ringkeeper_jute::{EventType, WatcherType};
use ringkeeper_watch::{WatchKind, WatchManager, WatcherId};

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Mode {
    Standard,
    Persistent,
    Recursive,
}

/// `PathParentIterator.forAll`/`forPathOnly`, computing each parent as it
/// hands out the path: `Err` where Java's `substring(0, -1)` throws.
fn parent_walk(path: &str, all: bool) -> Vec<Result<(String, bool), ()>> {
    let mut steps = Vec::new();
    let mut rest = path.to_string();
    let max_level: i64 = if all { i64::MAX } else { 0 };
    let mut level: i64 = -1;
    while !rest.is_empty() && level < max_level {
        let local = rest.clone();
        level += 1;
        if rest == "/" {
            rest = String::new();
        } else {
            let Some(cut) = rest.rfind('/') else {
                steps.push(Err(()));
                return steps;
            };
            rest.truncate(cut);
            if rest.is_empty() {
                rest = "/".into();
            }
        }
        steps.push(Ok((local, level > 0)));
    }
    steps
}

/// One of ZooKeeper 3.8's `WatchManager`s.
#[derive(Default)]
struct ModelManager {
    watch_table: BTreeMap<String, BTreeSet<WatcherId>>,
    watch2_paths: BTreeMap<WatcherId, BTreeSet<String>>,
    modes: BTreeMap<(WatcherId, String), Mode>,
}

impl ModelManager {
    fn recursive_qty(&self) -> usize {
        self.modes
            .values()
            .filter(|m| **m == Mode::Recursive)
            .count()
    }

    fn mode(&self, watcher: WatcherId, path: &str) -> Mode {
        self.modes
            .get(&(watcher, path.to_string()))
            .copied()
            .unwrap_or(Mode::Standard)
    }

    fn add_watch(&mut self, path: &str, watcher: WatcherId, mode: Mode) {
        self.watch_table
            .entry(path.into())
            .or_default()
            .insert(watcher);
        self.watch2_paths
            .entry(watcher)
            .or_default()
            .insert(path.into());
        if mode == Mode::Standard {
            self.modes.remove(&(watcher, path.to_string()));
        } else {
            self.modes.insert((watcher, path.to_string()), mode);
        }
    }

    fn trigger_watch(&mut self, path: &str, children_changed: bool) -> BTreeSet<WatcherId> {
        let mut watchers = BTreeSet::new();
        let all = self.recursive_qty() > 0;
        for step in parent_walk(path, all) {
            let (local, at_parent) = step.expect("a node's path walks");
            let Some(this_watchers) = self.watch_table.get(&local).cloned() else {
                continue;
            };
            for watcher in this_watchers {
                let mode = self.mode(watcher, &local);
                if mode == Mode::Recursive {
                    if !children_changed {
                        watchers.insert(watcher);
                    }
                } else if !at_parent {
                    watchers.insert(watcher);
                    if mode == Mode::Standard {
                        self.watch_table.get_mut(&local).unwrap().remove(&watcher);
                        if let Some(paths) = self.watch2_paths.get_mut(&watcher) {
                            paths.remove(&local);
                        }
                    }
                }
            }
            if self.watch_table[&local].is_empty() {
                self.watch_table.remove(&local);
            }
        }
        watchers
    }

    fn remove_watcher(&mut self, watcher: WatcherId) {
        let Some(paths) = self.watch2_paths.remove(&watcher) else {
            return;
        };
        for path in paths {
            if let Some(list) = self.watch_table.get_mut(&path) {
                list.remove(&watcher);
                if list.is_empty() {
                    self.watch_table.remove(&path);
                }
            }
            self.modes.remove(&(watcher, path));
        }
    }

    fn remove_watcher_on(&mut self, path: &str, watcher: WatcherId) -> bool {
        let Some(paths) = self.watch2_paths.get_mut(&watcher) else {
            return false;
        };
        if !paths.remove(path) {
            return false;
        }
        let Some(list) = self.watch_table.get_mut(path) else {
            return false;
        };
        if !list.remove(&watcher) {
            return false;
        }
        if list.is_empty() {
            self.watch_table.remove(path);
        }
        self.modes.remove(&(watcher, path.to_string()));
        true
    }

    fn contains_watcher(&self, path: &str, watcher: WatcherId) -> Result<bool, ()> {
        let mode = self.mode(watcher, path);
        for step in parent_walk(path, self.recursive_qty() > 0) {
            let (local, at_parent) = step?;
            if !at_parent && self.watch_table.contains_key(&local) {
                return Ok(true);
            }
            if mode == Mode::Recursive {
                return Ok(true);
            }
        }
        Ok(false)
    }

    fn size(&self) -> usize {
        self.watch_table.values().map(BTreeSet::len).sum()
    }
}

/// ZooKeeper 3.8's `DataTree` watch calls.
#[derive(Default)]
struct Model {
    data: ModelManager,
    child: ModelManager,
}

impl Model {
    fn add(&mut self, path: &str, watcher: WatcherId, kind: WatchKind) {
        match kind {
            WatchKind::Data | WatchKind::Exists => {
                self.data.add_watch(path, watcher, Mode::Standard)
            }
            WatchKind::Child => self.child.add_watch(path, watcher, Mode::Standard),
            WatchKind::Persistent => {
                self.data.add_watch(path, watcher, Mode::Persistent);
                self.child.add_watch(path, watcher, Mode::Persistent);
            }
            WatchKind::PersistentRecursive => {
                self.data.add_watch(path, watcher, Mode::Recursive);
                self.child.add_watch(path, watcher, Mode::Recursive);
            }
        }
    }

    /// The watchers that get the event (the suppressed ones do not).
    fn trigger(&mut self, path: &str, event_type: EventType) -> BTreeSet<WatcherId> {
        match event_type {
            EventType::NodeCreated | EventType::NodeDataChanged => {
                self.data.trigger_watch(path, false)
            }
            EventType::NodeChildrenChanged => self.child.trigger_watch(path, true),
            EventType::NodeDeleted => {
                let processed = self.data.trigger_watch(path, false);
                let child = self.child.trigger_watch(path, false);
                processed.union(&child).copied().collect()
            }
            _ => BTreeSet::new(),
        }
    }

    fn remove_watch(&mut self, path: &str, watcher: WatcherId, t: WatcherType) -> Result<bool, ()> {
        match t {
            WatcherType::Children => Ok(self.child.remove_watcher_on(path, watcher)),
            WatcherType::Data => Ok(self.data.remove_watcher_on(path, watcher)),
            WatcherType::Any => {
                let child = self.child.remove_watcher_on(path, watcher);
                let data = self.data.remove_watcher_on(path, watcher);
                Ok(child || data)
            }
            _ => Err(()),
        }
    }

    fn contains_watcher(&self, path: &str, watcher: WatcherId, t: WatcherType) -> Result<bool, ()> {
        match t {
            WatcherType::Children => self.child.contains_watcher(path, watcher),
            WatcherType::Data => self.data.contains_watcher(path, watcher),
            WatcherType::Any => {
                let child = self.child.contains_watcher(path, watcher)?;
                let data = self.data.contains_watcher(path, watcher)?;
                Ok(child || data)
            }
            _ => Err(()),
        }
    }
}

/// Watched paths, odd ones included (ZooKeeper checks none); only the
/// absolute ones (the first [`NODE_PATHS`]) are nodes that change.
const PATHS: &[&str] = &[
    "/", "/a", "/a/b", "/a/b/c", "/ab", "/b", "/a/", "a", "x/y", "",
];
const NODE_PATHS: usize = 6;
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
    RemoveWatches(usize, WatcherId, WatcherType),
    CheckWatches(usize, WatcherId, WatcherType),
    RemoveWatcher(WatcherId),
}

fn op() -> impl Strategy<Value = Op> {
    let path = 0..PATHS.len();
    let watcher = 1..4u64;
    let watcher_type = proptest::sample::select(WatcherType::ALL);
    prop_oneof![
        4 => (path.clone(), watcher.clone(), 0..KINDS.len()).prop_map(|(p, w, k)| Op::Add(p, w, k)),
        4 => (0..NODE_PATHS, 0..EVENTS.len()).prop_map(|(p, e)| Op::Trigger(p, e)),
        2 => (path.clone(), watcher.clone(), watcher_type.clone())
            .prop_map(|(p, w, t)| Op::RemoveWatches(p, w, t)),
        2 => (path, watcher.clone(), watcher_type).prop_map(|(p, w, t)| Op::CheckWatches(p, w, t)),
        1 => watcher.prop_map(Op::RemoveWatcher),
    ]
}

proptest! {
    #[test]
    fn manager_agrees_with_a_literal_model_of_zookeeper_3_8(ops in proptest::collection::vec(op(), 1..80)) {
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
                Op::RemoveWatches(p, w, t) => {
                    prop_assert_eq!(
                        manager.remove_watches(PATHS[p], w, t).map_err(|_| ()),
                        model.remove_watch(PATHS[p], w, t)
                    );
                }
                Op::CheckWatches(p, w, t) => {
                    prop_assert_eq!(
                        manager.check_watches(PATHS[p], w, t).map_err(|_| ()),
                        model.contains_watcher(PATHS[p], w, t),
                        "checkWatches {:?} {} {:?}", PATHS[p], w, t
                    );
                }
                Op::RemoveWatcher(w) => {
                    manager.remove_watcher(w);
                    model.data.remove_watcher(w);
                    model.child.remove_watcher(w);
                }
            }
            prop_assert_eq!(manager.watch_count(), model.data.size() + model.child.size());
            let summary = manager.summary();
            prop_assert_eq!(summary.num_connections, model.data.watch2_paths.len());
            prop_assert_eq!(summary.num_paths, model.data.watch_table.len());
            prop_assert_eq!(
                summary.total_watches,
                model.data.watch2_paths.values().map(BTreeSet::len).sum::<usize>()
            );
            let by_path: BTreeMap<String, Vec<WatcherId>> = model
                .data
                .watch_table
                .iter()
                .map(|(path, watchers)| (path.clone(), watchers.iter().copied().collect()))
                .collect();
            prop_assert_eq!(manager.by_path(), by_path);
            let by_watcher: BTreeMap<WatcherId, Vec<String>> = model
                .data
                .watch2_paths
                .iter()
                .map(|(watcher, paths)| (*watcher, paths.iter().cloned().collect()))
                .collect();
            prop_assert_eq!(manager.by_watcher(), by_watcher);
        }
    }
}
