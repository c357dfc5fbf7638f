//! The order in which ZooKeeper 3.8 lists a session's ephemerals
//! (getEphemerals) and deletes them when the session closes (the order of
//! `CloseSessionTxn.paths2Delete`, hence of the NodeDeleted and
//! NodeChildrenChanged events other sessions see).
//!
//! ZooKeeper keeps each session's ephemerals in a `java.util.HashSet` and
//! iterates a `clone()` of it. That order is deterministic, and clients can
//! see it, so we reproduce it rather than sort:
//!
//! ```text
//! h(path)      = Java String.hashCode over UTF-16 units, then h ^ (h >>> 16)
//! source table = capacity 16, doubled whenever size exceeds 3/4 of it
//!                (never shrunk); a bucket keeps insertion order
//! clone table  = tableSizeFor((int)(size / 0.75 + 1)); filled in the
//!                source's iteration order
//! order        = by (h & (clone cap - 1), h & (source cap - 1), insertion)
//! ```
//!
//! Buckets Java turns into trees (8+ colliding paths in a table of 64+)
//! are ordered as lists here; that needs paths crafted to collide.

use std::collections::HashMap;

const JAVA_HASHMAP_INITIAL_CAPACITY: usize = 16;

#[derive(Debug, Default)]
pub struct EphemeralOrder {
    sessions: HashMap<i64, SessionSet>,
}

#[derive(Debug)]
struct SessionSet {
    /// path -> insertion sequence number.
    entries: HashMap<String, u64>,
    next_seq: u64,
    /// The source HashSet's table capacity.
    capacity: usize,
}

impl EphemeralOrder {
    /// An ephemeral of `session_id` was created.
    pub fn added(&mut self, session_id: i64, path: &str) {
        let set = self
            .sessions
            .entry(session_id)
            .or_insert_with(|| SessionSet {
                entries: HashMap::new(),
                next_seq: 0,
                capacity: JAVA_HASHMAP_INITIAL_CAPACITY,
            });
        if set.entries.contains_key(path) {
            return;
        }
        set.entries.insert(path.to_string(), set.next_seq);
        set.next_seq += 1;
        // HashMap.putVal: resize once size exceeds capacity * 0.75.
        while set.entries.len() > set.capacity / 4 * 3 {
            set.capacity *= 2;
        }
    }

    /// An ephemeral of `session_id` was deleted.
    pub fn removed(&mut self, session_id: i64, path: &str) {
        if let Some(set) = self.sessions.get_mut(&session_id) {
            set.entries.remove(path);
        }
    }

    /// The session closed: ZooKeeper drops its set.
    pub fn session_closed(&mut self, session_id: i64) {
        self.sessions.remove(&session_id);
    }

    /// Orders `paths` (all ephemerals of `session_id`, any that this index
    /// does not know go last, sorted) as ZooKeeper iterates its clone.
    pub fn sort(&self, session_id: i64, paths: &mut [String]) {
        let Some(set) = self.sessions.get(&session_id) else {
            paths.sort_unstable();
            return;
        };
        let clone_capacity = java_table_size_for((paths.len() as f32 / 0.75 + 1.0) as usize);
        let source_mask = set.capacity as u32 - 1;
        let clone_mask = clone_capacity as u32 - 1;
        paths.sort_by_cached_key(|path| match set.entries.get(path.as_str()) {
            Some(&seq) => {
                let hash = java_spread_hash(path);
                (
                    0u8,
                    hash & clone_mask,
                    hash & source_mask,
                    seq,
                    String::new(),
                )
            }
            None => (1, 0, 0, 0, path.clone()),
        });
    }
}

/// `HashMap.hash(key)` of a Java String.
fn java_spread_hash(text: &str) -> u32 {
    let mut hash: u32 = 0;
    for unit in text.encode_utf16() {
        hash = hash.wrapping_mul(31).wrapping_add(u32::from(unit));
    }
    hash ^ (hash >> 16)
}

/// `HashMap.tableSizeFor`: the power of two at or above `capacity` (1 at least).
fn java_table_size_for(capacity: usize) -> usize {
    capacity.max(1).next_power_of_two()
}

#[cfg(test)]
mod tests {
    use super::*;

    /// Verified against Apache ZooKeeper 3.8: a session that created /e1
    /// then /s-0000000001 gets getEphemerals = [/s-0000000001, /e1], and
    /// its close deleted /s-0000000001 first (a child watch on "/" fired
    /// before /e1's NodeDeleted).
    #[test]
    fn ephemerals_come_in_java_hashset_order() {
        let mut order = EphemeralOrder::default();
        order.added(7, "/e1");
        order.added(7, "/s-0000000001");
        let mut paths = vec!["/e1".to_string(), "/s-0000000001".to_string()];
        order.sort(7, &mut paths);
        assert_eq!(paths, ["/s-0000000001", "/e1"]);
    }

    #[test]
    fn java_string_hashes_match() {
        // "abc".hashCode() == 96354 in Java.
        assert_eq!(java_spread_hash("abc"), 96354 ^ (96354 >> 16));
        assert_eq!(java_table_size_for(3), 4);
        assert_eq!(java_table_size_for(17), 32);
    }

    #[test]
    fn the_source_table_grows_past_three_quarters_and_unknown_paths_go_last() {
        let mut order = EphemeralOrder::default();
        for i in 0..13 {
            order.added(1, &format!("/n{i}"));
        }
        assert_eq!(order.sessions[&1].capacity, 32);
        let mut paths = vec!["/zzz".to_string(), "/n3".to_string(), "/aaa".to_string()];
        order.sort(1, &mut paths);
        assert_eq!(paths, ["/n3", "/aaa", "/zzz"]);
        order.session_closed(1);
        assert!(order.sessions.is_empty());
    }
}
