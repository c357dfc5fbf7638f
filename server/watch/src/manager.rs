//! [`WatchManager`]: ZooKeeper 3.8's `DataTree` watch calls over its two
//! watch managers: who watches which path how, and who a change notifies.

use std::collections::{BTreeMap, HashSet};
use std::sync::Arc;

use ringkeeper_jute::{EventType, KeeperState, WatcherEvent, WatcherType};

use crate::kind::Mode;
use crate::mode_table::ModeTable;
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

/// Every watch the server holds: ZooKeeper's data manager (getData,
/// exists, addWatch) and child manager (getChildren, addWatch), each a
/// [`ModeTable`].
///
/// Costs: `add`, `remove_watches` and `check_watches` are a hash lookup
/// and a B-tree step (a check walks the parents when a recursive watch
/// exists); `trigger` touches only the watchers of the changed path, plus,
/// when any persistent-recursive watch exists, one lookup per ancestor in
/// an index of recursive entries; `remove_watcher` is proportional to that
/// watcher's paths.
#[derive(Debug)]
pub struct WatchManager {
    watches_max: usize,
    data: ModeTable,
    child: ModeTable,
    /// Scratch for `trigger`.
    fired: Vec<WatcherId>,
    suppressed: HashSet<WatcherId>,
}

impl WatchManager {
    /// A manager that refuses to hold more than `watches_max` watches
    /// (counted as [`WatchManager::watch_count`] counts them).
    pub fn new(watches_max: usize) -> Self {
        WatchManager {
            watches_max,
            data: ModeTable::default(),
            child: ModeTable::default(),
            fired: Vec::new(),
            suppressed: HashSet::new(),
        }
    }

    pub fn watches_max(&self) -> usize {
        self.watches_max
    }

    /// Sets a watch, on any path string (ZooKeeper checks none: an exists
    /// or addWatch on a relative path keeps a watch no change fires). The
    /// watcher's entry on the path in each manager the kind goes to takes
    /// the kind's mode, replacing the one it had (ZooKeeper 3.8 keeps one
    /// mode per (path, watcher) and manager: a getData watch turns the
    /// data half of a persistent watch one-shot). Refused only when it
    /// adds entries past `watches_max`.
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
        let (mode, in_data, in_child) = kind.placement();
        let added = usize::from(in_data && self.data.mode(path, watcher).is_none())
            + usize::from(in_child && self.child.mode(path, watcher).is_none());
        if added > 0 && self.watch_count() + added > self.watches_max {
            return Err(WatchError::WatchLimitReached {
                watches_max: self.watches_max,
            });
        }
        if in_data {
            self.data.add(path, watcher, mode);
        }
        if in_child {
            self.child.add(path, watcher, mode);
        }
        Ok(())
    }

    /// A change to the tree: appends to `out` every watcher to notify of
    /// `event_type` on `path` and drops the one-shot watches that fired.
    /// The caller calls it once per event ZooKeeper's `DataTree` triggers,
    /// in this order:
    /// - create: (path, NodeCreated), then (parent, NodeChildrenChanged);
    /// - delete: (path, NodeDeleted), then (parent, NodeChildrenChanged);
    /// - setData: (path, NodeDataChanged).
    ///
    /// NodeCreated and NodeDataChanged trigger the data manager,
    /// NodeChildrenChanged the child manager, NodeDeleted the data manager
    /// then the child manager, whose watchers the data manager already
    /// notified are not notified again. Other event types (None,
    /// *WatchRemoved) are not tree changes and notify nobody.
    pub fn trigger(&mut self, path: &str, event_type: EventType, out: &mut Vec<FiredWatch>) {
        self.fired.clear();
        match event_type {
            EventType::NodeCreated | EventType::NodeDataChanged => {
                self.data.trigger(path, event_type, &mut self.fired);
            }
            EventType::NodeChildrenChanged => {
                self.child.trigger(path, event_type, &mut self.fired);
            }
            EventType::NodeDeleted => {
                self.data.trigger(path, event_type, &mut self.fired);
                self.suppressed.clear();
                self.suppressed.extend(self.fired.iter().copied());
                let from_data = self.fired.len();
                self.child.trigger(path, event_type, &mut self.fired);
                let suppressed = &self.suppressed;
                let mut index = 0;
                self.fired.retain(|watcher| {
                    index += 1;
                    index <= from_data || !suppressed.contains(watcher)
                });
            }
            EventType::None
            | EventType::DataWatchRemoved
            | EventType::ChildWatchRemoved
            | EventType::PersistentWatchRemoved => return,
        }
        if self.fired.is_empty() {
            return;
        }
        let path: Arc<str> = Arc::from(path);
        out.extend(self.fired.iter().map(|&watcher| FiredWatch {
            watcher,
            event_type,
            path: Arc::clone(&path),
        }));
    }

    /// A connection closed: drops every watch it held.
    pub fn remove_watcher(&mut self, watcher: WatcherId) {
        self.data.remove_watcher(watcher);
        self.child.remove_watcher(watcher);
    }

    /// removeWatches as ZooKeeper 3.8 answers it: `Children` drops
    /// `watcher`'s child-manager entry on exactly `path`, `Data` its
    /// data-manager entry, `Any` both, whatever their modes (so `Data`
    /// drops the data half of a persistent watch). Returns whether any
    /// entry went; the caller answers NoWatcher when none did. 3.8 knows no
    /// other watcher type (3.9's Persistent and PersistentRecursive).
    pub fn remove_watches(
        &mut self,
        path: &str,
        watcher: WatcherId,
        watcher_type: WatcherType,
    ) -> Result<bool, WatchError> {
        Ok(match watcher_type {
            WatcherType::Children => self.child.remove(path, watcher),
            WatcherType::Data => self.data.remove(path, watcher),
            WatcherType::Any => {
                let child = self.child.remove(path, watcher);
                let data = self.data.remove(path, watcher);
                child || data
            }
            WatcherType::Persistent | WatcherType::PersistentRecursive => {
                return Err(WatchError::WatcherTypeUnsupported { watcher_type })
            }
        })
    }

    /// checkWatches as ZooKeeper 3.8 answers it: whether the manager the
    /// type names (`Any`: either) holds a watch on exactly `path` by ANY
    /// watcher, not only by `watcher`. A path with no '/' fails
    /// ([`WatchError::PathNotWalkable`]), as 3.8's parent walk throws.
    pub fn check_watches(
        &self,
        path: &str,
        watcher: WatcherId,
        watcher_type: WatcherType,
    ) -> Result<bool, WatchError> {
        let not_walkable = |_| WatchError::PathNotWalkable {
            path: path.to_owned(),
        };
        Ok(match watcher_type {
            WatcherType::Children => self.child.contains(path, watcher).map_err(not_walkable)?,
            WatcherType::Data => self.data.contains(path, watcher).map_err(not_walkable)?,
            WatcherType::Any => {
                let child = self.child.contains(path, watcher).map_err(not_walkable)?;
                let data = self.data.contains(path, watcher).map_err(not_walkable)?;
                child || data
            }
            WatcherType::Persistent | WatcherType::PersistentRecursive => {
                return Err(WatchError::WatcherTypeUnsupported { watcher_type })
            }
        })
    }

    /// Whether `watcher` holds a watch of `kind` on exactly `path`: an
    /// entry of the kind's mode in a manager the kind goes to (`Exists`
    /// and `Data` are the same watch).
    pub fn contains(&self, path: &str, watcher: WatcherId, kind: WatchKind) -> bool {
        let (mode, in_data, in_child) = kind.placement();
        (in_data && self.data.mode(path, watcher) == Some(mode))
            || (in_child && self.child.mode(path, watcher) == Some(mode))
    }

    /// ZooKeeper's `getWatchCount` (`zk_watch_count` in mntr): the data
    /// manager's entries plus the child manager's. A persistent or
    /// recursive watch counts two, a getData + getChildren pair two.
    pub fn watch_count(&self) -> usize {
        self.data.size() + self.child.size()
    }

    /// For `wchs`: ZooKeeper 3.8 reports its data manager only, counting a
    /// connection whose data watches have all fired until it closes.
    pub fn summary(&self) -> WatchesSummary {
        let (num_connections, num_paths, total_watches) = self.data.summary();
        WatchesSummary {
            num_connections,
            num_paths,
            total_watches,
        }
    }

    /// For `wchc`: each watcher's data-manager paths, sorted (ZooKeeper
    /// 3.8 dumps its data manager only; a connection whose data watches
    /// have all fired is listed with no paths).
    pub fn by_watcher(&self) -> BTreeMap<WatcherId, Vec<String>> {
        self.data.by_watcher()
    }

    /// For `wchp`: each data-manager path's watchers, sorted.
    pub fn by_path(&self) -> BTreeMap<String, Vec<WatcherId>> {
        self.data.by_path()
    }

    /// One watcher's watches by kind (e.g. what a client would hand on in
    /// setWatches): STANDARD entries of the data manager are `data`, of
    /// the child manager `child`; a persistent or recursive mode in either
    /// manager lists the path once.
    pub fn paths_of(&self, watcher: WatcherId) -> WatchPaths {
        let mut report = WatchPaths::default();
        for (path, mode) in self.data.entries_of(watcher) {
            match mode {
                Mode::Standard => report.data.push(path.to_string()),
                Mode::Persistent => report.persistent.push(path.to_string()),
                Mode::PersistentRecursive => report.persistent_recursive.push(path.to_string()),
            }
        }
        for (path, mode) in self.child.entries_of(watcher) {
            match mode {
                Mode::Standard => report.child.push(path.to_string()),
                Mode::Persistent => report.persistent.push(path.to_string()),
                Mode::PersistentRecursive => report.persistent_recursive.push(path.to_string()),
            }
        }
        for list in [
            &mut report.data,
            &mut report.child,
            &mut report.persistent,
            &mut report.persistent_recursive,
        ] {
            list.sort_unstable();
            list.dedup();
        }
        report
    }
}
