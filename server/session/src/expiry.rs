//! ZooKeeper's `ExpiryQueue`: elements expire in buckets one interval
//! (tickTime) wide, so that one timer per interval serves every session.

use std::collections::{BTreeMap, BTreeSet, HashMap};
use std::hash::Hash;

/// Elements grouped by the time they expire, rounded up to the next
/// multiple of the interval: an element updated at `now_ms` with
/// `timeout_ms` expires at `(floor((now_ms + timeout_ms) / interval) + 1) *
/// interval`, so never before its timeout and at most one interval after.
///
/// Costs: `update` and `remove` are O(log buckets + log bucket size);
/// `poll` is O(expired elements + expired buckets), never a scan of the
/// queue. Buckets are dropped when they empty, so the queue holds at most
/// one bucket per interval up to the longest timeout ahead.
#[derive(Debug, Clone)]
pub struct ExpiryQueue<E> {
    interval_ms: u64,
    expiry_by_elem: HashMap<E, u64>,
    buckets: BTreeMap<u64, BTreeSet<E>>,
}

impl<E: Copy + Ord + Hash> ExpiryQueue<E> {
    /// A queue with buckets `interval_ms` wide.
    ///
    /// # Panics
    /// When `interval_ms` is 0 (a configuration a caller must refuse first).
    pub fn new(interval_ms: u32) -> Self {
        assert!(
            interval_ms > 0,
            "ExpiryQueue interval must be greater than 0 ms"
        );
        ExpiryQueue {
            interval_ms: u64::from(interval_ms),
            expiry_by_elem: HashMap::new(),
            buckets: BTreeMap::new(),
        }
    }

    pub fn interval_ms(&self) -> u64 {
        self.interval_ms
    }

    /// The bucket a time falls in: the next multiple of the interval
    /// strictly after `time_ms`.
    pub fn round_to_next_interval(&self, time_ms: u64) -> u64 {
        (time_ms / self.interval_ms)
            .saturating_add(1)
            .saturating_mul(self.interval_ms)
    }

    /// Adds `elem` or moves it to the bucket of `now_ms + timeout_ms`.
    /// Returns the new expiry time, or `None` when it did not change.
    pub fn update(&mut self, elem: E, now_ms: u64, timeout_ms: u32) -> Option<u64> {
        let expiry_ms = self.round_to_next_interval(now_ms.saturating_add(u64::from(timeout_ms)));
        let previous = self.expiry_by_elem.insert(elem, expiry_ms);
        if previous == Some(expiry_ms) {
            return None;
        }
        if let Some(previous) = previous {
            self.remove_from_bucket(previous, elem);
        }
        self.buckets.entry(expiry_ms).or_default().insert(elem);
        Some(expiry_ms)
    }

    /// Takes `elem` out of the queue; returns when it would have expired.
    pub fn remove(&mut self, elem: E) -> Option<u64> {
        let expiry_ms = self.expiry_by_elem.remove(&elem)?;
        self.remove_from_bucket(expiry_ms, elem);
        Some(expiry_ms)
    }

    /// Appends to `out` every element whose bucket time is at or before
    /// `now_ms`, by bucket then element order, and takes them out of the
    /// queue. Returns how many it appended.
    pub fn poll(&mut self, now_ms: u64, out: &mut Vec<E>) -> usize {
        let before = out.len();
        while let Some(entry) = self.buckets.first_entry() {
            if *entry.key() > now_ms {
                break;
            }
            for elem in entry.remove() {
                self.expiry_by_elem.remove(&elem);
                out.push(elem);
            }
        }
        out.len() - before
    }

    /// The earliest time at which [`ExpiryQueue::poll`] will return
    /// something, or `None` when the queue is empty.
    pub fn next_expiration_ms(&self) -> Option<u64> {
        self.buckets.keys().next().copied()
    }

    /// When `elem` expires, if it is queued.
    pub fn expiry_ms(&self, elem: E) -> Option<u64> {
        self.expiry_by_elem.get(&elem).copied()
    }

    pub fn len(&self) -> usize {
        self.expiry_by_elem.len()
    }

    pub fn is_empty(&self) -> bool {
        self.expiry_by_elem.is_empty()
    }

    /// The buckets in time order, for ZooKeeper's `dump` ("N expire at T").
    pub fn buckets(&self) -> impl Iterator<Item = (u64, &BTreeSet<E>)> {
        self.buckets
            .iter()
            .map(|(&expiry_ms, elems)| (expiry_ms, elems))
    }

    fn remove_from_bucket(&mut self, expiry_ms: u64, elem: E) {
        if let Some(bucket) = self.buckets.get_mut(&expiry_ms) {
            bucket.remove(&elem);
            if bucket.is_empty() {
                self.buckets.remove(&expiry_ms);
            }
        }
    }
}
