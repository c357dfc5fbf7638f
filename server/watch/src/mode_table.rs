//! [`ModeTable`]: one of ZooKeeper 3.8's two `WatchManager`s (the data
//! manager or the child manager), with its `WatcherModeManager`.

use std::collections::{BTreeMap, BTreeSet, HashMap, HashSet};
use std::sync::Arc;

use ringkeeper_jute::EventType;

use crate::kind::Mode;
use crate::manager::WatcherId;
use crate::parent_walk::{NotWalkable, ParentWalk};

/// path -> watcher -> the ONE mode that watcher holds on that path in
/// this manager, plus what ZooKeeper derives from it.
///
/// ZooKeeper 3.8 keeps `watchTable` (path -> watchers), `watch2Paths`
/// (watcher -> paths) and `watcherModes` ((watcher, path) -> mode, absent
/// for STANDARD). Here `table` holds the first and third together; the
/// second is `paths_by_watcher`, which, as in ZooKeeper, keeps a
/// watcher's (possibly emptied) path set until the watcher goes away:
/// `wchs` counts such a connection.
#[derive(Debug, Default)]
pub(crate) struct ModeTable {
    /// No path maps to an empty map.
    table: HashMap<Arc<str>, BTreeMap<WatcherId, Mode>>,
    paths_by_watcher: HashMap<WatcherId, HashSet<Arc<str>>>,
    /// path -> watchers whose mode there is PERSISTENT_RECURSIVE: the
    /// entries a parent walk can fire, so a walk looks nothing else up.
    recursive_by_path: HashMap<Arc<str>, BTreeSet<WatcherId>>,
    /// `recursiveQty`: with none, triggers and checks look at the path only.
    recursive_count: usize,
    /// `size()`: (path, watcher) entries.
    size: usize,
    /// Scratch for `trigger`: watchers already notified by this event.
    notified: HashSet<WatcherId>,
}

impl ModeTable {
    /// The mode `watcher` holds on exactly `path`, if any.
    pub(crate) fn mode(&self, path: &str, watcher: WatcherId) -> Option<Mode> {
        self.table.get(path)?.get(&watcher).copied()
    }

    /// `addWatch(path, watcher, mode)`: sets the entry's one mode, whatever
    /// it was (a getData watch turns a persistent watch one-shot and the
    /// other way round).
    pub(crate) fn add(&mut self, path: &str, watcher: WatcherId, mode: Mode) {
        let key = match self.table.get_key_value(path) {
            Some((key, _)) => Arc::clone(key),
            None => Arc::from(path),
        };
        let old = self
            .table
            .entry(Arc::clone(&key))
            .or_default()
            .insert(watcher, mode);
        if old.is_none() {
            self.size += 1;
        }
        self.paths_by_watcher
            .entry(watcher)
            .or_default()
            .insert(Arc::clone(&key));
        self.account_recursive(&key, watcher, old, Some(mode));
    }

    /// `triggerWatch(path, type)`: appends to `fired` every watcher this
    /// event notifies, each once: on the path itself every entry (STANDARD
    /// ones are dropped) except recursive ones for NodeChildrenChanged; on
    /// each parent, when any recursive entry exists, the recursive entries
    /// unless the event is NodeChildrenChanged. Order: the path's watchers
    /// by id, then each parent's recursive watchers, nearest first.
    pub(crate) fn trigger(
        &mut self,
        path: &str,
        event_type: EventType,
        fired: &mut Vec<WatcherId>,
    ) {
        let children_changed = event_type == EventType::NodeChildrenChanged;
        let first = fired.len();
        if let Some((key, _)) = self.table.get_key_value(path) {
            let key = Arc::clone(key);
            let mut dropped = Vec::new();
            if let Some(watchers) = self.table.get_mut(path) {
                watchers.retain(|&watcher, mode| match mode {
                    Mode::PersistentRecursive => {
                        if !children_changed {
                            fired.push(watcher);
                        }
                        true
                    }
                    Mode::Persistent => {
                        fired.push(watcher);
                        true
                    }
                    Mode::Standard => {
                        fired.push(watcher);
                        dropped.push(watcher);
                        false
                    }
                });
                if watchers.is_empty() {
                    self.table.remove(path);
                }
            }
            self.size -= dropped.len();
            for watcher in dropped {
                if let Some(paths) = self.paths_by_watcher.get_mut(&watcher) {
                    paths.remove(&key);
                }
            }
        }
        if self.recursive_count == 0 || children_changed {
            return;
        }
        self.notified.clear();
        self.notified.extend(fired[first..].iter().copied());
        // A node's path is absolute, so every step of its walk succeeds.
        for (ancestor, _) in ParentWalk::new(path, true).skip(1).map_while(Result::ok) {
            let Some(watchers) = self.recursive_by_path.get(ancestor) else {
                continue;
            };
            for &watcher in watchers {
                if self.notified.insert(watcher) {
                    fired.push(watcher);
                }
            }
        }
    }

    /// `removeWatcher(watcher)`: a connection went away.
    pub(crate) fn remove_watcher(&mut self, watcher: WatcherId) {
        let Some(paths) = self.paths_by_watcher.remove(&watcher) else {
            return;
        };
        for key in paths {
            self.remove_entry(&key, watcher);
        }
    }

    /// `removeWatcher(path, watcher)`: drops `watcher`'s entry on exactly
    /// `path`, whatever its mode; false when there is none.
    pub(crate) fn remove(&mut self, path: &str, watcher: WatcherId) -> bool {
        let Some(paths) = self.paths_by_watcher.get_mut(&watcher) else {
            return false;
        };
        let Some(key) = paths.take(path) else {
            return false;
        };
        self.remove_entry(&key, watcher)
    }

    /// `containsWatcher(path, watcher)` as ZooKeeper 3.8 answers it:
    /// whether ANY watcher has an entry on `path` (or this watcher's entry
    /// there is recursive). The path is walked as a trigger would walk it,
    /// so a path with no '/' fails as it does in ZooKeeper.
    pub(crate) fn contains(&self, path: &str, watcher: WatcherId) -> Result<bool, NotWalkable> {
        let recursive = self.mode(path, watcher).is_some_and(Mode::is_recursive);
        for step in ParentWalk::new(path, self.recursive_count > 0) {
            let (local, at_parent) = step?;
            if !at_parent && self.table.contains_key(local) {
                return Ok(true);
            }
            if recursive {
                return Ok(true);
            }
        }
        Ok(false)
    }

    /// `size()`: (path, watcher) entries.
    pub(crate) fn size(&self) -> usize {
        self.size
    }

    /// Watchers with a path set (possibly emptied by triggers), paths
    /// watched, and the sum of the path sets' sizes: `WatchesSummary`.
    pub(crate) fn summary(&self) -> (usize, usize, usize) {
        let total = self.paths_by_watcher.values().map(HashSet::len).sum();
        (self.paths_by_watcher.len(), self.table.len(), total)
    }

    /// watcher -> its paths, sorted (`getWatches`).
    pub(crate) fn by_watcher(&self) -> BTreeMap<WatcherId, Vec<String>> {
        self.paths_by_watcher
            .iter()
            .map(|(&watcher, paths)| {
                let mut paths: Vec<String> = paths.iter().map(|path| path.to_string()).collect();
                paths.sort_unstable();
                (watcher, paths)
            })
            .collect()
    }

    /// path -> its watchers, sorted (`getWatchesByPath`).
    pub(crate) fn by_path(&self) -> BTreeMap<String, Vec<WatcherId>> {
        self.table
            .iter()
            .map(|(path, watchers)| (path.to_string(), watchers.keys().copied().collect()))
            .collect()
    }

    /// `watcher`'s entries: (path, mode).
    pub(crate) fn entries_of(&self, watcher: WatcherId) -> Vec<(Arc<str>, Mode)> {
        let Some(paths) = self.paths_by_watcher.get(&watcher) else {
            return Vec::new();
        };
        paths
            .iter()
            .filter_map(|path| Some((Arc::clone(path), self.mode(path, watcher)?)))
            .collect()
    }

    /// Drops the (key, watcher) entry from `table` (the caller keeps
    /// `paths_by_watcher`); true when there was one.
    fn remove_entry(&mut self, key: &Arc<str>, watcher: WatcherId) -> bool {
        let Some(watchers) = self.table.get_mut(&**key) else {
            return false;
        };
        let Some(old) = watchers.remove(&watcher) else {
            return false;
        };
        if watchers.is_empty() {
            self.table.remove(&**key);
        }
        self.size -= 1;
        self.account_recursive(key, watcher, Some(old), None);
        true
    }

    /// Keeps `recursive_by_path` and `recursive_count` in step with an
    /// entry going from `old` to `new`.
    fn account_recursive(
        &mut self,
        key: &Arc<str>,
        watcher: WatcherId,
        old: Option<Mode>,
        new: Option<Mode>,
    ) {
        let was = old.is_some_and(Mode::is_recursive);
        let is = new.is_some_and(Mode::is_recursive);
        if is && !was {
            self.recursive_by_path
                .entry(Arc::clone(key))
                .or_default()
                .insert(watcher);
            self.recursive_count += 1;
        } else if was && !is {
            if let Some(watchers) = self.recursive_by_path.get_mut(&**key) {
                watchers.remove(&watcher);
                if watchers.is_empty() {
                    self.recursive_by_path.remove(&**key);
                }
            }
            self.recursive_count -= 1;
        }
    }
}
