//! The kinds of watch a connection can hold on a path, and the bit set a
//! table entry keeps for them.

use ringkeeper_jute::{AddWatchMode, WatcherType};

/// How a watch was set.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum WatchKind {
    /// getData with watch: one-shot, in the data set.
    Data,
    /// exists with watch (whether or not the node exists): one-shot, in
    /// the data set. ZooKeeper's server does not tell it from `Data`, so
    /// neither does this crate: it is stored, checked and removed as `Data`.
    Exists,
    /// getChildren with watch: one-shot, in the child set.
    Child,
    /// addWatch PERSISTENT: stays, in both the data and the child set.
    Persistent,
    /// addWatch PERSISTENT_RECURSIVE: stays, fires for the path and every
    /// descendant, in the data set only (never NodeChildrenChanged).
    PersistentRecursive,
}

impl WatchKind {
    /// The bit this kind sets in a table entry.
    pub(crate) fn flag(self) -> u8 {
        match self {
            WatchKind::Data | WatchKind::Exists => flags::DATA,
            WatchKind::Child => flags::CHILD,
            WatchKind::Persistent => flags::PERSISTENT,
            WatchKind::PersistentRecursive => flags::RECURSIVE,
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

/// The modes one watcher holds on one path, as bits (ZooKeeper 3.9's
/// `WatchStats`, spread over its two managers).
pub(crate) mod flags {
    use super::WatcherType;

    /// One-shot watch in the data set (getData, exists).
    pub const DATA: u8 = 1;
    /// One-shot watch in the child set (getChildren).
    pub const CHILD: u8 = 2;
    /// Persistent watch: in the data and the child set.
    pub const PERSISTENT: u8 = 4;
    /// Persistent-recursive watch: in the data set.
    pub const RECURSIVE: u8 = 8;
    pub const ALL: u8 = DATA | CHILD | PERSISTENT | RECURSIVE;

    /// Whether an entry is a member of ZooKeeper's data watch set.
    pub fn in_data_set(bits: u8) -> bool {
        bits & (DATA | PERSISTENT | RECURSIVE) != 0
    }

    /// Whether an entry is a member of ZooKeeper's child watch set.
    pub fn in_child_set(bits: u8) -> bool {
        bits & (CHILD | PERSISTENT) != 0
    }

    /// How many watches an entry counts for in `getWatchCount` (the data
    /// set's size plus the child set's).
    pub fn weight(bits: u8) -> usize {
        usize::from(in_data_set(bits)) + usize::from(in_child_set(bits))
    }

    /// The modes a removeWatches/checkWatches of this type matches
    /// (ZooKeeper 3.9 `DataTree.removeWatch`/`containsWatcher`).
    pub fn matched_by(watcher_type: WatcherType) -> u8 {
        match watcher_type {
            WatcherType::Children => CHILD,
            WatcherType::Data => DATA,
            WatcherType::Any => ALL,
            WatcherType::Persistent => PERSISTENT,
            WatcherType::PersistentRecursive => RECURSIVE,
        }
    }
}
