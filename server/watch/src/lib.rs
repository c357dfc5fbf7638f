//! ZooKeeper watch bookkeeping: which connection watches which path in
//! which way (one-shot data/exists and child watches, persistent and
//! persistent-recursive watches), which watchers a change to the tree
//! notifies, removeWatches/checkWatches, and the views behind the `wchs`,
//! `wchc` and `wchp` four-letter words.
//!
//! This crate is a pure core: it owns no sockets, files, clocks or threads
//! and does not deliver anything. It knows nothing of the tree either: the
//! caller decides which events a write triggers (see
//! [`WatchManager::trigger`]) and whether a node exists when a watch is set.
//!
//! # Semantics: Apache ZooKeeper's `DataTree` + two `WatchManager`s
//!
//! ZooKeeper keeps two watch managers, one for data watches (getData,
//! exists, and persistent and persistent-recursive watches) and one for
//! child watches (getChildren, and persistent watches). This crate keeps
//! one table whose entries carry a bit per mode, and reproduces both sets:
//!
//! | event on path P | fires at P | fires at ancestors of P | one-shot removed |
//! |---|---|---|---|
//! | NodeCreated, NodeDataChanged | data/exists, persistent, recursive | recursive | data/exists |
//! | NodeChildrenChanged (P is the parent) | child, persistent | nothing | child |
//! | NodeDeleted | data/exists, child, persistent, recursive | recursive | data/exists and child |
//!
//! A watcher is notified at most once per call, however many of its watches
//! match (ZooKeeper's `triggerWatch` collects a set, and a delete suppresses
//! in the child set every watcher the data set already notified).
//!
//! Where ZooKeeper 3.8 and 3.9 differ, this crate follows 3.9, whose
//! changes fixed 3.8 bugs in the same behaviour a client sees:
//! - ZOOKEEPER-4466: 3.8 keeps ONE mode per (watcher, path) and manager,
//!   so a getData watch set on a path where the same connection holds a
//!   persistent watch turns the persistent watch into a one-shot one (and
//!   the other way round). Here the modes coexist: the one-shot watch fires
//!   once and the persistent one keeps firing.
//! - ZOOKEEPER-4471/4472: removeWatches with `Data` or `Children` in 3.8
//!   also removes half of a persistent watch (the data or the child half),
//!   leaving a watch no API can create. Here `Data` and `Children` remove
//!   only one-shot watches, `Any` removes every mode, and `Persistent` /
//!   `PersistentRecursive` (3.9's types 4 and 5) remove those modes. A 3.8
//!   client asking to remove a persistent watch with `Data` gets NoWatcher
//!   from its own client library in both cases.
//! - 3.8's checkWatches answers "some connection watches P" rather than
//!   "this connection watches P"; here it is the latter.
//! - 3.9 keeps persistent-recursive watches in the data set only, so
//!   `watch_count` counts them once (3.8 counts them twice).

mod error;
mod kind;
mod manager;
mod report;

pub use error::WatchError;
pub use kind::WatchKind;
pub use manager::{FiredWatch, WatchManager, WatcherId};
pub use report::{WatchPaths, WatchesSummary};
