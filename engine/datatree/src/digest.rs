//! The tree digest: a 64-bit value two replicas holding the same tree agree
//! on, kept up to date on every change in O(1) (ZooKeeper's
//! `DigestCalculator` idea, with our own hash; the bytes differ from
//! ZooKeeper's CRC32-based digest and are not meant to match).
//!
//! ```text
//! digest(tree)   = wrapping sum over nodes n of contribution(n)
//! contribution(n) = 0                                   if path starts with "/zookeeper/"
//!                 = node_digest(content_hash(n), stat(n)) otherwise
//! content_hash(n) = H(H(DIGEST_SEED, path bytes), data bytes)      (cached per node)
//! node_digest     = finish(mix(mix(mix(mix(content, czxid, mzxid), pzxid, ctime),
//!                          mtime, version<<32 | cversion), aversion, ephemeral_owner))
//! ```
//!
//! H is [`crate::hash::hash_bytes`]; stat fields are the persisted ones
//! (cversion counts creations), so `numChildren` and the ACL are not
//! covered, as in ZooKeeper. The subtree under "/zookeeper/" is left out
//! as ZooKeeper leaves it out: quota bookkeeping there is updated locally
//! by each server. Because the sum is order-free, the digest does not
//! depend on the order changes were applied or nodes are walked, only on
//! the resulting tree.

use crate::hash::{finish, hash_bytes, mix_words};
use crate::node::NodeStat;

/// Nodes under this prefix do not count (ZooKeeper's
/// `ZOOKEEPER_NODE_SUBTREE`).
pub const DIGEST_EXCLUDED_PREFIX: &str = "/zookeeper/";

/// Fixed so that every replica computes the same digest.
const DIGEST_SEED: u64 = 0x7269_6e67_6b65_6570; // "ringkeep"

/// The cached half of a node's digest; 0 means "left out".
pub(crate) fn content_hash(path: &str, data: &[u8]) -> u64 {
    if path.starts_with(DIGEST_EXCLUDED_PREFIX) {
        return 0;
    }
    let hash = hash_bytes(hash_bytes(DIGEST_SEED, path.as_bytes()), data);
    // 0 is the "left out" marker; a real hash of 0 (2^-64) becomes 1 on
    // every replica alike.
    hash.max(1)
}

/// A node's contribution to the tree digest.
#[inline]
pub(crate) fn contribution(content_hash: u64, stat: &NodeStat) -> u64 {
    if content_hash == 0 {
        return 0;
    }
    let versions = (u64::from(stat.version as u32) << 32) | u64::from(stat.cversion as u32);
    let mut state = mix_words(content_hash, stat.czxid as u64, stat.mzxid as u64);
    state = mix_words(state, stat.pzxid as u64, stat.ctime_ms as u64);
    state = mix_words(state, stat.mtime_ms as u64, versions);
    state = mix_words(
        state,
        stat.aversion as u32 as u64,
        stat.ephemeral_owner as u64,
    );
    finish(state)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn every_stat_field_changes_the_contribution() {
        let content = content_hash("/a", b"x");
        let base = NodeStat::default();
        let variants: [fn(&mut NodeStat); 9] = [
            |s| s.czxid = 1,
            |s| s.mzxid = 1,
            |s| s.ctime_ms = 1,
            |s| s.mtime_ms = 1,
            |s| s.version = 1,
            |s| s.cversion = 1,
            |s| s.aversion = 1,
            |s| s.ephemeral_owner = 1,
            |s| s.pzxid = 1,
        ];
        let mut seen = std::collections::HashSet::new();
        seen.insert(contribution(content, &base));
        for change in variants {
            let mut stat = base;
            change(&mut stat);
            assert!(seen.insert(contribution(content, &stat)), "{stat:?}");
        }
    }

    #[test]
    fn path_and_data_are_not_interchangeable() {
        assert_ne!(content_hash("/ab", b""), content_hash("/a", b"b"));
        assert_ne!(content_hash("/a", b"x"), content_hash("/b", b"x"));
    }

    #[test]
    fn the_zookeeper_subtree_is_left_out_but_not_zookeeper_itself() {
        assert_eq!(content_hash("/zookeeper/quota", b""), 0);
        assert_ne!(content_hash("/zookeeper", b""), 0);
        assert_eq!(contribution(0, &NodeStat::default()), 0);
    }
}
