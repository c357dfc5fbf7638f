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
//! # Semantics: Apache ZooKeeper 3.8's `DataTree` + two `WatchManager`s
//!
//! The target is what a client of ZooKeeper 3.8 sees, byte for byte, bugs
//! included. ZooKeeper keeps two watch managers, each holding ONE mode
//! (STANDARD = one-shot, PERSISTENT, PERSISTENT_RECURSIVE) per (path,
//! watcher); this crate keeps the same two ([`WatchManager`] over two
//! `ModeTable`s):
//!
//! | request | data manager | child manager |
//! |---|---|---|
//! | getData / exists with watch | STANDARD | |
//! | getChildren with watch | | STANDARD |
//! | addWatch PERSISTENT | PERSISTENT | PERSISTENT |
//! | addWatch PERSISTENT_RECURSIVE | PERSISTENT_RECURSIVE | PERSISTENT_RECURSIVE |
//!
//! A later watch on the same path replaces the mode in the managers it
//! goes to (ZOOKEEPER-4466, fixed in 3.9): a getData watch on a path with
//! a persistent watch makes its data half one-shot.
//!
//! | event on P | manager triggered | fires at P | fires at ancestors |
//! |---|---|---|---|
//! | NodeCreated, NodeDataChanged | data | every entry | recursive entries |
//! | NodeChildrenChanged (P is the parent) | child | STANDARD, PERSISTENT | nothing |
//! | NodeDeleted | data, then child | every entry | recursive entries |
//!
//! STANDARD entries that fire are dropped. A watcher is notified at most
//! once per trigger, and a delete does not notify again in the child
//! manager a watcher the data manager notified.
//!
//! Where 3.8 differs from 3.9, this crate does as 3.8 does:
//! - removeWatches `Data`/`Children` drop the watcher's entry on the path
//!   in that manager whatever its mode (half of a persistent watch);
//!   `Any` drops both; types 4 and 5 (3.9's Persistent,
//!   PersistentRecursive) fail with MarshallingError.
//! - checkWatches answers "SOME connection watches P in that manager",
//!   and fails for a path with no '/' (3.8's parent walk throws).
//! - `watch_count` counts a recursive watch twice (it is in both managers).
//! - `wchs`/`wchc`/`wchp` show the data manager only.

mod error;
mod kind;
mod manager;
mod mode_table;
mod parent_walk;
mod report;

pub use error::WatchError;
pub use kind::WatchKind;
pub use manager::{FiredWatch, WatchManager, WatcherId};
pub use report::{WatchPaths, WatchesSummary};
