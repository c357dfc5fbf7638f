//! Read-only views of the watch table, for the four-letter words and for
//! handing a connection's watches on.

/// One watcher's watches, by kind; each list is sorted. `Exists` watches
/// are in `data` (the server keeps them as data watches; whether the node
/// exists tells which one the client set).
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct WatchPaths {
    pub data: Vec<String>,
    pub child: Vec<String>,
    pub persistent: Vec<String>,
    pub persistent_recursive: Vec<String>,
}

impl WatchPaths {
    pub fn is_empty(&self) -> bool {
        self.data.is_empty()
            && self.child.is_empty()
            && self.persistent.is_empty()
            && self.persistent_recursive.is_empty()
    }
}

/// ZooKeeper's `WatchesSummary` (the `wchs` four-letter word): how many
/// connections watch how many paths, and how many (connection, path) pairs
/// there are, in the data manager only (as ZooKeeper 3.8 reports it).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct WatchesSummary {
    pub num_connections: usize,
    pub num_paths: usize,
    pub total_watches: usize,
}
