//! [`AuthIdSet`]: a connection's ids in the order ZooKeeper 3.8 iterates
//! them. `ServerCnxn.authInfo` is a `ConcurrentHashMap` key set, so the
//! order is the map's: bins by hash, each bin in insertion order, bins
//! split as the table doubles. The order is visible on the wire: an `auth`
//! ACL expands to the connection's ids in this order, and whoAmI lists them
//! in it.

use ringkeeper_jute::Id;

/// `ConcurrentHashMap`'s first table size.
const TABLE_BINS_INITIAL: usize = 16;

/// Ids in `ConcurrentHashMap` iteration order. Not modelled: a bin of 8
/// or more ids (Java turns it into a tree or resizes early), which takes
/// ids whose hashes agree in their low bits far beyond what the per
/// connection limit lets a client collect by chance.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) struct AuthIdSet {
    /// Each bin's (spread hash, id), in the bin's order.
    bins: Vec<Vec<(u32, Id)>>,
    len: usize,
    /// `sizeCtl`: the count at which the table doubles (3/4 of its bins).
    resize_at: usize,
}

impl Default for AuthIdSet {
    fn default() -> Self {
        AuthIdSet {
            bins: vec![Vec::new(); TABLE_BINS_INITIAL],
            len: 0,
            resize_at: TABLE_BINS_INITIAL - TABLE_BINS_INITIAL / 4,
        }
    }
}

impl AuthIdSet {
    pub(crate) fn len(&self) -> usize {
        self.len
    }

    pub(crate) fn contains(&self, id: &Id) -> bool {
        let hash = spread(id_hash_code(id));
        self.bins[self.bin_of(hash)]
            .iter()
            .any(|(_, held)| held == id)
    }

    /// `add`: appends to its bin unless held; the table doubles when the
    /// count reaches `sizeCtl`, as `addCount` does.
    pub(crate) fn insert(&mut self, id: Id) {
        if self.contains(&id) {
            return;
        }
        let hash = spread(id_hash_code(&id));
        let bin = self.bin_of(hash);
        self.bins[bin].push((hash, id));
        self.len += 1;
        if self.len >= self.resize_at {
            self.double();
        }
    }

    /// The ids in iteration order.
    pub(crate) fn iter(&self) -> impl Iterator<Item = &Id> {
        self.bins.iter().flatten().map(|(_, id)| id)
    }

    fn bin_of(&self, hash: u32) -> usize {
        hash as usize & (self.bins.len() - 1)
    }

    /// `transfer`: bin i splits into bin i (hash bit n clear) and bin i+n
    /// (set). The bin's tail run (the longest suffix going to one side)
    /// keeps its order; the nodes before it are pushed in front of their
    /// side's list one by one, so they end up reversed.
    fn double(&mut self) {
        let n = self.bins.len();
        let mut bins = vec![Vec::new(); n * 2];
        for (index, bin) in std::mem::take(&mut self.bins).into_iter().enumerate() {
            let side = |hash: u32| hash as usize & n != 0;
            let mut last_run = bin.len();
            if let Some((last_hash, _)) = bin.last() {
                let run_side = side(*last_hash);
                last_run = bin
                    .iter()
                    .rposition(|(hash, _)| side(*hash) != run_side)
                    .map_or(0, |at| at + 1);
            }
            let mut low: Vec<(u32, Id)> = Vec::new();
            let mut high: Vec<(u32, Id)> = Vec::new();
            let mut entries = bin.into_iter();
            let head: Vec<(u32, Id)> = entries.by_ref().take(last_run).collect();
            for entry in entries {
                if side(entry.0) {
                    high.push(entry)
                } else {
                    low.push(entry)
                }
            }
            for entry in head {
                if side(entry.0) {
                    high.insert(0, entry);
                } else {
                    low.insert(0, entry);
                }
            }
            bins[index] = low;
            bins[index + n] = high;
        }
        self.bins = bins;
        self.resize_at = 2 * n * 3 / 4;
    }
}

/// `ConcurrentHashMap.spread`.
fn spread(hash: i32) -> u32 {
    let hash = hash as u32;
    (hash ^ (hash >> 16)) & 0x7fff_ffff
}

/// The jute-generated `Id.hashCode`.
fn id_hash_code(id: &Id) -> i32 {
    let mut result: i32 = 17;
    result = result
        .wrapping_mul(37)
        .wrapping_add(java_string_hash(&id.scheme));
    result
        .wrapping_mul(37)
        .wrapping_add(java_string_hash(&id.id))
}

/// `String.hashCode`: over UTF-16 code units.
fn java_string_hash(text: &str) -> i32 {
    text.encode_utf16().fold(0i32, |hash, unit| {
        hash.wrapping_mul(31).wrapping_add(i32::from(unit))
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    fn id(scheme: &str, id: &str) -> Id {
        Id {
            scheme: scheme.into(),
            id: id.into(),
        }
    }

    #[test]
    fn java_string_hash_matches_java() {
        // "hello".hashCode() and "".hashCode() in Java.
        assert_eq!(java_string_hash("hello"), 99_162_322);
        assert_eq!(java_string_hash(""), 0);
        assert_eq!(java_string_hash("digest"), -1_331_913_276);
    }

    fn order_after(ids: &[(&str, &str)]) -> Vec<String> {
        let mut set = AuthIdSet::default();
        for (scheme, text) in ids {
            set.insert(id(scheme, text));
        }
        set.iter()
            .map(|id| format!("{}:{}", id.scheme, id.id))
            .collect()
    }

    /// Verified against Apache ZooKeeper 3.8: a connection from 127.0.0.1
    /// that adds alice:secret, bob:hunter2 and bob:wrong answers whoAmI
    /// with digest alice, bob, bob, then ip; and one that adds bob:hunter2,
    /// bob:wrong, alice:wrong has an `auth` ACL of bob, bob, alice (found
    /// by the differential tester, seed 34).
    #[test]
    fn ids_iterate_in_hash_bin_order_not_insertion_order() {
        let ip = ("ip", "127.0.0.1");
        let alice = ("digest", "alice:aYXlLOpEooaV1cRAvUL1fp9Qt7E=");
        let alice_wrong = ("digest", "alice:9ussi3jBkbd4no1raUvxHSkUEN8=");
        let bob = ("digest", "bob:1Yu1ryCXOIF7lyFzbmQ5J+MJOZc=");
        let bob_wrong = ("digest", "bob:7e5oQdf4IqOAJ9OLk9OTl5I4cwM=");
        let text = |(scheme, id): (&str, &str)| format!("{scheme}:{id}");
        assert_eq!(
            order_after(&[ip, alice, bob, bob_wrong]),
            [text(alice), text(bob), text(bob_wrong), text(ip)]
        );
        let order = order_after(&[ip, bob, bob_wrong, alice_wrong]);
        let digests: Vec<&String> = order.iter().filter(|id| id.starts_with("digest")).collect();
        assert_eq!(digests, [&text(bob), &text(bob_wrong), &text(alice_wrong)]);
    }

    #[test]
    fn doubling_keeps_every_id_once() {
        let mut set = AuthIdSet::default();
        for i in 0..40 {
            set.insert(id("digest", &format!("u{i}:x")));
            set.insert(id("digest", &format!("u{i}:x")));
        }
        assert_eq!(set.len(), 40);
        assert_eq!(set.iter().count(), 40);
        assert_eq!(set.bins.len(), 64);
    }
}
