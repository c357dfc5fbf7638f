//! The kinds of watch a connection can set, and the mode one of
//! ZooKeeper's two watch managers keeps for a (path, watcher) entry.

use ringkeeper_jute::AddWatchMode;

/// How a watch was set.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum WatchKind {
    /// getData with watch: a STANDARD entry in the data manager.
    Data,
    /// exists with watch (whether or not the node exists): a STANDARD
    /// entry in the data manager. ZooKeeper's server does not tell it from
    /// `Data`, so neither does this crate.
    Exists,
    /// getChildren with watch: a STANDARD entry in the child manager.
    Child,
    /// addWatch PERSISTENT: a PERSISTENT entry in both managers.
    Persistent,
    /// addWatch PERSISTENT_RECURSIVE: a PERSISTENT_RECURSIVE entry in both
    /// managers (ZooKeeper 3.8; 3.9 keeps it in the data manager only).
    PersistentRecursive,
}

impl WatchKind {
    /// The mode this kind writes, and whether into the data manager and
    /// the child manager (ZooKeeper 3.8 `DataTree.getData`/`statNode`/
    /// `getChildren`/`addWatch`).
    pub(crate) fn placement(self) -> (Mode, bool, bool) {
        match self {
            WatchKind::Data | WatchKind::Exists => (Mode::Standard, true, false),
            WatchKind::Child => (Mode::Standard, false, true),
            WatchKind::Persistent => (Mode::Persistent, true, true),
            WatchKind::PersistentRecursive => (Mode::PersistentRecursive, true, true),
        }
    }
}

impl From<AddWatchMode> for WatchKind {
    fn from(mode: AddWatchMode) -> Self {
        match mode {
            AddWatchMode::Persistent => WatchKind::Persistent,
            AddWatchMode::PersistentRecursive => WatchKind::PersistentRecursive,
        }
    }
}

/// ZooKeeper's `WatcherMode`: ONE per (path, watcher) in each manager; a
/// later watch on the same path overwrites it.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub(crate) enum Mode {
    /// One-shot: fires once, for an event on the path itself.
    Standard,
    /// Fires for every event on the path itself and stays.
    Persistent,
    /// Fires for every event but NodeChildrenChanged on the path and on
    /// every descendant, and stays.
    PersistentRecursive,
}

impl Mode {
    pub(crate) fn is_recursive(self) -> bool {
        self == Mode::PersistentRecursive
    }
}
