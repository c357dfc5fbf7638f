//! Why a watch request failed.

use std::fmt;

use ringkeeper_jute::WatcherType;

/// Why [`crate::WatchManager`] refused a request.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum WatchError {
    /// The server already holds `watches_max` watches (counted as
    /// [`crate::WatchManager::watch_count`] counts them).
    WatchLimitReached { watches_max: usize },
    /// removeWatches/checkWatches with a type ZooKeeper 3.8 does not know
    /// (3.9's Persistent and PersistentRecursive): 3.8 fails the request
    /// with MarshallingError.
    WatcherTypeUnsupported { watcher_type: WatcherType },
    /// checkWatches on a path whose parent walk cannot be taken (no '/'):
    /// 3.8's walk throws and the request fails with MarshallingError.
    PathNotWalkable { path: String },
}

impl fmt::Display for WatchError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            WatchError::WatchLimitReached { watches_max } => {
                write!(
                    f,
                    "watch limit reached: the server holds {watches_max} watches (watches_max)"
                )
            }
            WatchError::WatcherTypeUnsupported { watcher_type } => {
                write!(
                    f,
                    "watcher type {} is not one ZooKeeper 3.8 knows (Children, Data, Any)",
                    watcher_type.zk_name()
                )
            }
            WatchError::PathNotWalkable { path } => {
                write!(f, "watch path {path:?} has no parent to walk to")
            }
        }
    }
}

impl std::error::Error for WatchError {}
