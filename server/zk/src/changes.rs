//! The overlay prep validates against: ZooKeeper's `outstandingChanges`,
//! one [`ChangeRecord`] per node a prepped-but-not-yet-applied txn
//! changes, so that a later request (or a later op of the same multi) sees
//! the earlier ones' effects before they reach the tree.
//!
//! Records are kept in zxid order; the latest record of each path is
//! found by a map. Applying a txn drops every record with a zxid up to
//! its own; a failed multi rolls its records back ([`ChangeLog::begin`],
//! [`ChangeLog::rollback`]), restoring what each path showed before.

use std::collections::{HashMap, VecDeque};
use std::sync::Arc;

use ringkeeper_datatree::NodeStat;
use ringkeeper_jute::Acl;

/// What prep believes about one node once a pending txn is applied.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct NodeView {
    pub stat: NodeStat,
    pub child_count: i32,
    /// Shared: a view of a tree node holds the tree's own list
    /// (`DataTree::shared_node_acl`), not a copy.
    pub acl: Arc<[Acl]>,
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ChangeRecord {
    pub zxid: i64,
    pub path: String,
    /// None: the txn deletes the node.
    pub node: Option<NodeView>,
}

/// A multi in progress: where its records start and what each path it
/// overwrote showed before.
#[derive(Debug)]
pub struct Checkpoint {
    seq: u64,
    undo: Vec<(String, Option<u64>)>,
}

#[derive(Debug, Default)]
pub struct ChangeLog {
    /// Records in zxid order; `records[i]` has sequence number `first_seq + i`.
    records: VecDeque<ChangeRecord>,
    first_seq: u64,
    /// path -> sequence number of its latest record.
    latest: HashMap<String, u64>,
    /// Open while a multi is prepped.
    checkpoint: Option<Checkpoint>,
}

impl ChangeLog {
    pub fn len(&self) -> usize {
        self.records.len()
    }

    /// The latest pending record of `path`, if any.
    pub fn latest(&self, path: &str) -> Option<&ChangeRecord> {
        let seq = *self.latest.get(path)?;
        self.records.get((seq - self.first_seq) as usize)
    }

    /// Every pending record, oldest first.
    pub fn iter(&self) -> impl Iterator<Item = &ChangeRecord> {
        self.records.iter()
    }

    pub fn push(&mut self, record: ChangeRecord) {
        if let Some(last) = self.records.back() {
            debug_assert!(
                last.zxid <= record.zxid,
                "change records stay in zxid order"
            );
        }
        let seq = self.first_seq + self.records.len() as u64;
        let previous = self.latest.insert(record.path.clone(), seq);
        if let Some(checkpoint) = &mut self.checkpoint {
            if !checkpoint.undo.iter().any(|(path, _)| *path == record.path) {
                checkpoint.undo.push((record.path.clone(), previous));
            }
        }
        self.records.push_back(record);
    }

    /// Starts a multi: its records can be taken back by [`Self::rollback`].
    pub fn begin(&mut self) {
        self.checkpoint = Some(Checkpoint {
            seq: self.first_seq + self.records.len() as u64,
            undo: Vec::new(),
        });
    }

    /// Ends a multi whose records stay.
    pub fn commit(&mut self) {
        self.checkpoint = None;
    }

    /// Ends a multi, dropping every record it pushed.
    pub fn rollback(&mut self) {
        let Some(checkpoint) = self.checkpoint.take() else {
            return;
        };
        let keep = (checkpoint.seq - self.first_seq) as usize;
        self.records.truncate(keep);
        for (path, previous) in checkpoint.undo {
            match previous {
                Some(seq) => self.latest.insert(path, seq),
                None => self.latest.remove(&path),
            };
        }
    }

    /// A txn reached the tree: drop every record up to its zxid.
    pub fn applied(&mut self, zxid: i64) {
        while let Some(front) = self.records.front() {
            if front.zxid > zxid {
                break;
            }
            if self.latest.get(&front.path) == Some(&self.first_seq) {
                self.latest.remove(&front.path);
            }
            self.records.pop_front();
            self.first_seq += 1;
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn record(zxid: i64, path: &str, version: Option<i32>) -> ChangeRecord {
        ChangeRecord {
            zxid,
            path: path.to_string(),
            node: version.map(|version| NodeView {
                stat: NodeStat {
                    version,
                    ..NodeStat::default()
                },
                child_count: 0,
                acl: Arc::from(Vec::new()),
            }),
        }
    }

    fn version_of(log: &ChangeLog, path: &str) -> Option<Option<i32>> {
        log.latest(path)
            .map(|record| record.node.as_ref().map(|node| node.stat.version))
    }

    #[test]
    fn the_latest_record_of_a_path_wins_until_applied() {
        let mut log = ChangeLog::default();
        log.push(record(5, "/a", Some(1)));
        log.push(record(6, "/a", Some(2)));
        log.push(record(6, "/b", None));
        assert_eq!(version_of(&log, "/a"), Some(Some(2)));
        assert_eq!(version_of(&log, "/b"), Some(None));
        log.applied(5);
        assert_eq!(log.len(), 2);
        assert_eq!(version_of(&log, "/a"), Some(Some(2)));
        log.applied(6);
        assert_eq!(log.len(), 0);
        assert_eq!(version_of(&log, "/a"), None);
    }

    #[test]
    fn a_rolled_back_multi_leaves_the_earlier_records_as_they_were() {
        let mut log = ChangeLog::default();
        log.push(record(5, "/a", Some(1)));
        log.begin();
        log.push(record(6, "/a", Some(2)));
        log.push(record(6, "/a", Some(3)));
        log.push(record(6, "/c", Some(0)));
        log.rollback();
        assert_eq!(version_of(&log, "/a"), Some(Some(1)));
        assert_eq!(version_of(&log, "/c"), None);
        assert_eq!(log.len(), 1);
        log.begin();
        log.push(record(7, "/c", Some(0)));
        log.commit();
        assert_eq!(version_of(&log, "/c"), Some(Some(0)));
    }
}
