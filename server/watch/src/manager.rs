//! The watch table: who watches which path how, and who a change notifies.

use std::collections::{BTreeMap, BTreeSet, HashMap, HashSet};
use std::sync::Arc;

use ringkeeper_jute::{EventType, KeeperState, WatcherEvent, WatcherType};

use crate::kind::flags;
use crate::{WatchError, WatchKind, WatchPaths, WatchesSummary};

/// A connection's global id (the server assigns it). Watches belong to a
/// connection, as in ZooKeeper, where the watcher is the `ServerCnxn`.
pub type WatcherId = u64;

/// One notification to deliver: `watcher` gets `event_type` for `path`
/// (the node that changed, also when the watch is a recursive one set on
/// an ancestor), in state SyncConnected.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct FiredWatch {
    pub watcher: WatcherId,
    pub event_type: EventType,
    pub path: Arc<str>,
}

impl FiredWatch {
    /// The record sent after a `ReplyHeader { xid: -1 }`.
    pub fn to_watcher_event(&self) -> WatcherEvent {
        WatcherEvent {
            event_type: self.event_type.as_i32(),
            state: KeeperState::SyncConnected.as_i32(),
            path: self.path.to_string(),
        }
    }
}

/// Every watch the server holds, indexed by path (for triggering) and by
/// watcher (for dropping a closed connection's watches).
///
/// Costs: `add`, `contains` and `remove_watches` are one hash lookup and a
/// B-tree step; `trigger` touches only the watchers of the changed path,
/// plus, when any persistent-recursive watch exists, one lookup per
/// ancestor in an index that holds recursive watches only;
/// `remove_watcher` is proportional to that watcher's paths.
#[derive(Debug)]
pub struct WatchManager {
    watches_max: usize,
    /// path -> watcher -> mode bits ([`flags`]); no entry holds 0 bits and
    /// no path maps to an empty map.
    table: HashMap<Arc<str>, BTreeMap<WatcherId, u8>>,
    index: Index,
    /// Scratch for `trigger`: watchers notified by the current event.
    notified: HashSet<WatcherId>,
}

/// What is derived from `table`, kept in step by [`Index::update`].
#[derive(Debug, Default)]
struct Index {
    /// watcher -> every path where its entry is not 0.
    paths_by_watcher: HashMap<WatcherId, HashSet<Arc<str>>>,
    /// path -> watchers holding a persistent-recursive watch on it. Empty
    /// when no recursive watch exists, and then ancestors are not walked
    /// (ZooKeeper's `recursiveWatchQty` check).
    recursive_by_path: HashMap<Arc<str>, BTreeSet<WatcherId>>,
    /// ZooKeeper's `getWatchCount`: data-set members plus child-set members.
    watch_count: usize,
    recursive_count: usize,
}

impl Index {
    /// Accounts for the entry (`key`, `watcher`) going from `old` bits to
    /// `new` bits. The table entry itself is the caller's to change.
    fn update(&mut self, key: &Arc<str>, watcher: WatcherId, old: u8, new: u8) {
        self.watch_count = self.watch_count + flags::weight(new) - flags::weight(old);
        if old == 0 && new != 0 {
            self.paths_by_watcher
                .entry(watcher)
                .or_default()
                .insert(Arc::clone(key));
        } else if old != 0 && new == 0 {
            if let Some(paths) = self.paths_by_watcher.get_mut(&watcher) {
                paths.remove(&**key);
                if paths.is_empty() {
                    self.paths_by_watcher.remove(&watcher);
                }
            }
        }
        let was_recursive = old & flags::RECURSIVE != 0;
        let is_recursive = new & flags::RECURSIVE != 0;
        if is_recursive && !was_recursive {
            self.recursive_by_path
                .entry(Arc::clone(key))
                .or_default()
                .insert(watcher);
            self.recursive_count += 1;
        } else if was_recursive && !is_recursive {
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

impl WatchManager {
    /// A manager that refuses to hold more than `watches_max` watches
    /// (counted as [`WatchManager::watch_count`] counts them).
    pub fn new(watches_max: usize) -> Self {
        WatchManager {
            watches_max,
            table: HashMap::new(),
            index: Index::default(),
            notified: HashSet::new(),
        }
    }

    pub fn watches_max(&self) -> usize {
        self.watches_max
    }

    /// Sets a watch. Setting one the watcher already holds changes nothing
    /// and succeeds, also at the limit. One-shot and persistent modes on
    /// the same path coexist (ZooKeeper 3.9, ZOOKEEPER-4466).
    ///
    /// ZooKeeper sets an exists watch whether or not the node exists (it
    /// then fires NodeCreated), but a getData or getChildren watch only when
    /// the node exists: that choice is the caller's.
    pub fn add(
        &mut self,
        path: &str,
        watcher: WatcherId,
        kind: WatchKind,
    ) -> Result<(), WatchError> {
        if !path.starts_with('/') {
            return Err(WatchError::InvalidPath {
                path: path.to_owned(),
            });
        }
        let old = self.bits(path, watcher);
        let new = old | kind.flag();
        if new == old {
            return Ok(());
        }
        let added = flags::weight(new) - flags::weight(old);
        if self.index.watch_count + added > self.watches_max {
            return Err(WatchError::WatchLimitReached {
                watches_max: self.watches_max,
            });
        }
        let key = match self.table.get_key_value(path) {
            Some((key, _)) => Arc::clone(key),
            None => Arc::from(path),
        };
        self.table
            .entry(Arc::clone(&key))
            .or_default()
            .insert(watcher, new);
        self.index.update(&key, watcher, old, new);
        Ok(())
    }

    /// A change to the tree: appends to `out` every watcher to notify of
    /// `event_type` on `path`, each at most once, and drops the one-shot
    /// watches that fired. The caller calls it once per event ZooKeeper's
    /// `DataTree` triggers, in this order:
    /// - create: (path, NodeCreated), then (parent, NodeChildrenChanged);
    /// - delete: (path, NodeDeleted), then (parent, NodeChildrenChanged);
    /// - setData: (path, NodeDataChanged).
    ///
    /// Which watches fire is the table in the crate documentation. Other
    /// event types (None, *WatchRemoved) are not tree changes and notify
    /// nobody. Order of `out`: the path's watchers by id, then the
    /// recursive watchers of each ancestor, nearest first, by id.
    pub fn trigger(&mut self, path: &str, event_type: EventType, out: &mut Vec<FiredWatch>) {
        let (fire_mask, clear_mask) = match event_type {
            EventType::NodeCreated | EventType::NodeDataChanged => (
                flags::DATA | flags::PERSISTENT | flags::RECURSIVE,
                flags::DATA,
            ),
            EventType::NodeChildrenChanged => (flags::CHILD | flags::PERSISTENT, flags::CHILD),
            EventType::NodeDeleted => (flags::ALL, flags::DATA | flags::CHILD),
            EventType::None
            | EventType::DataWatchRemoved
            | EventType::ChildWatchRemoved
            | EventType::PersistentWatchRemoved => return,
        };
        let first_fired = out.len();
        // The event names the changed node; share the table's copy of it.
        let mut event_path = self
            .table
            .get_key_value(path)
            .map(|(key, _)| Arc::clone(key));

        if let Some(key) = &event_path {
            let Self { table, index, .. } = self;
            if let Some(watchers) = table.get_mut(path) {
                watchers.retain(|&watcher, bits| {
                    let old = *bits;
                    if old & fire_mask == 0 {
                        return true;
                    }
                    out.push(FiredWatch {
                        watcher,
                        event_type,
                        path: Arc::clone(key),
                    });
                    let new = old & !clear_mask;
                    index.update(key, watcher, old, new);
                    *bits = new;
                    new != 0
                });
                if watchers.is_empty() {
                    table.remove(path);
                }
            }
        }

        // Recursive watches on ancestors see every event but
        // NodeChildrenChanged (ZooKeeper keeps them out of the child set).
        if self.index.recursive_by_path.is_empty() || event_type == EventType::NodeChildrenChanged {
            return;
        }
        self.notified.clear();
        self.notified
            .extend(out[first_fired..].iter().map(|fired| fired.watcher));
        for ancestor in ancestors(path) {
            let Some(watchers) = self.index.recursive_by_path.get(ancestor) else {
                continue;
            };
            for &watcher in watchers {
                if self.notified.insert(watcher) {
                    let path = event_path.get_or_insert_with(|| Arc::from(path));
                    out.push(FiredWatch {
                        watcher,
                        event_type,
                        path: Arc::clone(path),
                    });
                }
            }
        }
    }

    /// A connection closed: drops every watch it held.
    pub fn remove_watcher(&mut self, watcher: WatcherId) {
        let Some(paths) = self.index.paths_by_watcher.remove(&watcher) else {
            return;
        };
        for key in paths {
            let Some(watchers) = self.table.get_mut(&*key) else {
                continue;
            };
            if let Some(old) = watchers.remove(&watcher) {
                self.index.update(&key, watcher, old, 0);
            }
            if watchers.is_empty() {
                self.table.remove(&*key);
            }
        }
    }

    /// removeWatches (`remove`) or checkWatches (`!remove`) of `watcher`'s
    /// watches on exactly `path`, as ZooKeeper 3.9 matches them: `Children`
    /// the one-shot child watch, `Data` the one-shot data/exists watch,
    /// `Persistent` and `PersistentRecursive` those modes, `Any` every
    /// mode. Returns whether any matched; the caller answers NoWatcher when
    /// none did. Recursive watches on ancestors do not match.
    pub fn remove_watches(
        &mut self,
        path: &str,
        watcher: WatcherId,
        watcher_type: WatcherType,
        remove: bool,
    ) -> bool {
        let mask = flags::matched_by(watcher_type);
        let old = self.bits(path, watcher);
        if old & mask == 0 {
            return false;
        }
        if remove {
            self.set_bits(path, watcher, old, old & !mask);
        }
        true
    }

    /// Whether `watcher` holds a watch of `kind` on exactly `path`
    /// (`Exists` and `Data` are the same watch).
    pub fn contains(&self, path: &str, watcher: WatcherId, kind: WatchKind) -> bool {
        self.bits(path, watcher) & kind.flag() != 0
    }

    /// ZooKeeper's `getWatchCount` (`zk_watch_count` in mntr): members of
    /// the data set plus members of the child set, where a persistent watch
    /// is in both and a data + child pair on one path counts two.
    pub fn watch_count(&self) -> usize {
        self.index.watch_count
    }

    /// Paths with at least one watch.
    pub fn path_count(&self) -> usize {
        self.table.len()
    }

    /// Watchers (connections) with at least one watch.
    pub fn watcher_count(&self) -> usize {
        self.index.paths_by_watcher.len()
    }

    /// Persistent-recursive watches held.
    pub fn recursive_watch_count(&self) -> usize {
        self.index.recursive_count
    }

    /// For `wchs`.
    pub fn summary(&self) -> WatchesSummary {
        WatchesSummary {
            num_connections: self.watcher_count(),
            num_paths: self.path_count(),
            total_watches: self.table.values().map(BTreeMap::len).sum(),
        }
    }

    /// For `wchc`: each watcher's watched paths (every kind), sorted.
    pub fn by_watcher(&self) -> BTreeMap<WatcherId, Vec<String>> {
        self.index
            .paths_by_watcher
            .iter()
            .map(|(&watcher, paths)| {
                let mut paths: Vec<String> = paths.iter().map(|path| path.to_string()).collect();
                paths.sort_unstable();
                (watcher, paths)
            })
            .collect()
    }

    /// For `wchp`: each watched path's watchers (every kind), sorted.
    pub fn by_path(&self) -> BTreeMap<String, Vec<WatcherId>> {
        self.table
            .iter()
            .map(|(path, watchers)| (path.to_string(), watchers.keys().copied().collect()))
            .collect()
    }

    /// One watcher's watches by kind, e.g. to hand them on as SetWatches
    /// would.
    pub fn paths_of(&self, watcher: WatcherId) -> WatchPaths {
        let mut report = WatchPaths::default();
        let Some(paths) = self.index.paths_by_watcher.get(&watcher) else {
            return report;
        };
        for path in paths {
            let bits = self.bits(path, watcher);
            let lists = [
                (flags::DATA, &mut report.data),
                (flags::CHILD, &mut report.child),
                (flags::PERSISTENT, &mut report.persistent),
                (flags::RECURSIVE, &mut report.persistent_recursive),
            ];
            for (flag, list) in lists {
                if bits & flag != 0 {
                    list.push(path.to_string());
                }
            }
        }
        report.data.sort_unstable();
        report.child.sort_unstable();
        report.persistent.sort_unstable();
        report.persistent_recursive.sort_unstable();
        report
    }

    fn bits(&self, path: &str, watcher: WatcherId) -> u8 {
        self.table
            .get(path)
            .and_then(|watchers| watchers.get(&watcher))
            .copied()
            .unwrap_or(0)
    }

    /// Changes an existing entry from `old` to `new` bits (`old` != 0).
    fn set_bits(&mut self, path: &str, watcher: WatcherId, old: u8, new: u8) {
        let Some((key, _)) = self.table.get_key_value(path) else {
            return;
        };
        let key = Arc::clone(key);
        if let Some(watchers) = self.table.get_mut(path) {
            if new == 0 {
                watchers.remove(&watcher);
                if watchers.is_empty() {
                    self.table.remove(path);
                }
            } else {
                watchers.insert(watcher, new);
            }
        }
        self.index.update(&key, watcher, old, new);
    }
}

/// The ancestors of an absolute path, nearest first: `/a/b/c` gives `/a/b`,
/// `/a`, `/`; `/` gives nothing (ZooKeeper's `PathParentIterator` without
/// its first element).
fn ancestors(path: &str) -> impl Iterator<Item = &str> {
    let mut rest = path;
    std::iter::from_fn(move || {
        if rest == "/" {
            return None;
        }
        let cut = rest.rfind('/')?;
        rest = if cut == 0 { "/" } else { &rest[..cut] };
        Some(rest)
    })
}

#[cfg(test)]
mod tests {
    use super::ancestors;

    #[test]
    fn ancestors_walk_up_to_the_root_nearest_first() {
        assert_eq!(ancestors("/a/b/c").collect::<Vec<_>>(), ["/a/b", "/a", "/"]);
        assert_eq!(ancestors("/a").collect::<Vec<_>>(), ["/"]);
        assert_eq!(ancestors("/").count(), 0);
    }
}
