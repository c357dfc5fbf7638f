//! ZooKeeper 3.8's quota statistics, kept as its `DataTree` keeps them.
//!
//! A client sets a quota on `/p` by creating `/zookeeper/quota/p/
//! zookeeper_limits` and `/zookeeper/quota/p/zookeeper_stats` (zkCli's
//! setquota). From then on the tree rewrites the stats node's data,
//! `count=<nodes>,bytes=<data bytes>`, as nodes under `/p` come, go and
//! change:
//!
//! - creating a `zookeeper_limits` node marks its parent's path (minus
//!   `/zookeeper/quota`) as a quota root ([`QuotaRoots`], ZooKeeper's
//!   `PathTrie`); deleting it unmarks it;
//! - creating a `zookeeper_stats` node sets its data to the counts of the
//!   subtree it describes (`updateQuotaForPath`);
//! - every create, delete and setData under a quota root adds its node and
//!   byte difference to the deepest root's stats (`updateQuotaStat`);
//! - restoring a snapshot marks every root whose limits node exists and
//!   recounts its stats (`setupQuota`).
//!
//! The stats node's Stat does not change (no version, no mzxid), and, as
//! in ZooKeeper, mntr's approximate data size does not see the rewrite.
//! The digest does: it always describes the tree as it is. Quotas are
//! counted, never enforced (ZooKeeper's `zookeeper.enforceQuota` is off by
//! default).
//!
//! Where ZooKeeper throws out of the middle of a change (a stats node whose
//! data does not parse, a limits node directly under `/zookeeper/quota`),
//! and so stops its server, the tree leaves the stats as they were.

use std::collections::HashSet;

use crate::tree::{DataTree, ROOT};

/// ZooKeeper's `Quotas.quotaZookeeper`.
pub const QUOTA_ROOT_PATH: &str = "/zookeeper/quota";
/// ZooKeeper's `Quotas.procZookeeper`.
const PROC_PATH: &str = "/zookeeper";
/// The node whose existence makes a quota root.
pub const LIMITS_NODE: &str = "zookeeper_limits";
/// The node whose data the tree keeps up to date.
pub const STATS_NODE: &str = "zookeeper_stats";

/// ZooKeeper's `PathTrie` of quota roots. Only which paths carry the
/// property matters to `findMaxPrefix`, so a set of component lists
/// (joined by '/') is the same trie.
#[derive(Debug, Default, Clone)]
pub(crate) struct QuotaRoots {
    roots: HashSet<String>,
}

impl QuotaRoots {
    pub(crate) fn clear(&mut self) {
        self.roots.clear();
    }

    /// `addPath`. ZooKeeper throws on ""; a path of no components marks
    /// the trie's root, which `findMaxPrefix` never reports: both add nothing.
    pub(crate) fn add(&mut self, path: &str) {
        let key = key_of(path);
        if !key.is_empty() {
            self.roots.insert(key);
        }
    }

    /// `deletePath`.
    pub(crate) fn delete(&mut self, path: &str) {
        self.roots.remove(&key_of(path));
    }

    /// `getMaxPrefixWithQuota`: the deepest quota root that is a component
    /// prefix of `path`, as "/a/b"; None when there is none.
    pub(crate) fn max_prefix(&self, path: &str) -> Option<String> {
        if self.roots.is_empty() {
            return None;
        }
        let mut prefix = String::new();
        let mut deepest = None;
        for component in components(path) {
            if !prefix.is_empty() {
                prefix.push('/');
            }
            prefix.push_str(component);
            if self.roots.contains(&prefix) {
                deepest = Some(prefix.len());
            }
        }
        deepest.map(|len| format!("/{}", &prefix[..len]))
    }
}

/// `PathTrie.split`: the parts between '/', blank ones (Java's `trim`
/// leaves nothing) dropped.
fn components(path: &str) -> impl Iterator<Item = &str> {
    path.split('/')
        .filter(|part| !part.trim_matches(|c: char| c <= ' ').is_empty())
}

fn key_of(path: &str) -> String {
    components(path).collect::<Vec<_>>().join("/")
}

/// `Quotas.statPath`.
fn stats_path(quota_root: &str) -> String {
    format!("{QUOTA_ROOT_PATH}{quota_root}/{STATS_NODE}")
}

/// `Quotas.trimQuotaPath` of a parent path: what follows the 16 bytes of
/// "/zookeeper/quota" (None where Java's `substring` would throw).
fn trim_quota_path(parent_path: &str) -> Option<&str> {
    parent_path.get(QUOTA_ROOT_PATH.len()..)
}

/// ZooKeeper's `StatsTrack`: `key=value` pairs separated by ',' or ';'.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) struct StatsTrack {
    /// Keys in first-seen order; a later pair with the same key wins.
    pairs: Vec<(String, i64)>,
}

impl StatsTrack {
    /// Parses data as `new StatsTrack(byte[])` does; None where it throws
    /// (a pair without '=' and value, a value `Long.parseLong` refuses).
    pub(crate) fn parse(data: &[u8]) -> Option<StatsTrack> {
        let text = String::from_utf8_lossy(data);
        let mut track = StatsTrack { pairs: Vec::new() };
        if text.is_empty() {
            return Some(track);
        }
        for pair in java_split(&text, |c| c == ',' || c == ';', true) {
            let kv = java_split(pair, |c| c == '=', false);
            let key = kv.first()?;
            let value = kv.get(1)?;
            let value = if value.is_empty() {
                -1
            } else {
                parse_java_long(value)?
            };
            track.set(key, value);
        }
        Some(track)
    }

    /// Counts only, as `updateQuotaForPath` writes them.
    pub(crate) fn counts(count: i64, bytes: i64) -> StatsTrack {
        let mut track = StatsTrack { pairs: Vec::new() };
        track.set("count", count);
        track.set("bytes", bytes);
        track
    }

    /// -1 when absent.
    pub(crate) fn get(&self, key: &str) -> i64 {
        self.pairs
            .iter()
            .find(|(known, _)| known == key)
            .map_or(-1, |(_, value)| *value)
    }

    pub(crate) fn set(&mut self, key: &str, value: i64) {
        match self.pairs.iter_mut().find(|(known, _)| known == key) {
            Some(pair) => pair.1 = value,
            None => self.pairs.push((key.to_string(), value)),
        }
    }

    /// `toString`: count and bytes first; any other keys after an extra
    /// '=', sorted, each as `;key=value`.
    pub(crate) fn to_text(&self) -> String {
        let mut text = format!("count={},bytes={}", self.get("count"), self.get("bytes"));
        let mut others: Vec<&(String, i64)> = self
            .pairs
            .iter()
            .filter(|(key, _)| key != "count" && key != "bytes")
            .collect();
        if !others.is_empty() {
            text.push('=');
            others.sort_by(|a, b| a.0.encode_utf16().cmp(b.0.encode_utf16()));
            for (key, value) in others {
                text.push_str(&format!(";{key}={value}"));
            }
        }
        text
    }
}

/// Java's `String.split(regex)` for a one-character regex, or with
/// `runs` a character class with `+` (a run of separators is one): the
/// parts between separators, trailing empty parts dropped, a leading one
/// (the input starts with a separator) kept.
fn java_split(text: &str, is_separator: impl Fn(char) -> bool, runs: bool) -> Vec<&str> {
    let mut parts: Vec<&str> = text.split(is_separator).collect();
    if runs {
        let mut index = 0;
        parts.retain(|part| {
            index += 1;
            index == 1 || !part.is_empty()
        });
    }
    while parts.last().is_some_and(|part| part.is_empty()) {
        parts.pop();
    }
    parts
}

/// `Long.parseLong`: an optional sign, then decimal digits, in range.
fn parse_java_long(text: &str) -> Option<i64> {
    let digits = text.strip_prefix(['+', '-']).unwrap_or(text);
    if digits.is_empty() || !digits.bytes().all(|b| b.is_ascii_digit()) {
        return None;
    }
    text.parse().ok()
}

impl DataTree {
    /// After `createNode` added `path` (with `data_len` bytes) under
    /// `parent_path`.
    pub(crate) fn quota_after_create(
        &mut self,
        path: &str,
        parent_path: &str,
        name: &str,
        data_len: usize,
    ) {
        if parent_path.starts_with(QUOTA_ROOT_PATH) {
            if let Some(quota_root) = trim_quota_path(parent_path) {
                if name == LIMITS_NODE {
                    self.quota_roots.add(quota_root);
                }
                if name == STATS_NODE {
                    let quota_root = quota_root.to_string();
                    self.update_quota_for_path(&quota_root);
                }
            }
        }
        if let Some(prefix) = self.quota_roots.max_prefix(path) {
            self.update_quota_stat(&prefix, data_len as i64, 1);
        }
    }

    /// After `deleteNode` removed `path` (which held `data_len` bytes).
    pub(crate) fn quota_after_delete(
        &mut self,
        path: &str,
        parent_path: &str,
        name: &str,
        data_len: usize,
    ) {
        if parent_path.starts_with(PROC_PATH) && name == LIMITS_NODE {
            if let Some(quota_root) = trim_quota_path(parent_path) {
                self.quota_roots.delete(quota_root);
            }
        }
        if let Some(prefix) = self.quota_roots.max_prefix(path) {
            self.update_quota_stat(&prefix, -(data_len as i64), -1);
        }
    }

    /// After `setData` changed `path`'s data by `bytes_diff` bytes.
    pub(crate) fn quota_after_set_data(&mut self, path: &str, bytes_diff: i64) {
        if let Some(prefix) = self.quota_roots.max_prefix(path) {
            self.update_quota_stat(&prefix, bytes_diff, 0);
        }
    }

    /// `setupQuota`, after a restore: every leaf under /zookeeper/quota
    /// named zookeeper_limits makes a quota root whose stats are recounted.
    pub(crate) fn setup_quota(&mut self) {
        self.quota_roots.clear();
        let Some(quota_index) = self.lookup_index(QUOTA_ROOT_PATH) else {
            return;
        };
        let mut roots = Vec::new();
        let suffix = format!("/{LIMITS_NODE}");
        let mut stack = vec![(quota_index, QUOTA_ROOT_PATH.to_string())];
        while let Some((index, path)) = stack.pop() {
            let node = self.arena.at(index);
            if node.child_count() == 0 {
                if path.ends_with(&suffix) {
                    if let Some(cut) = path.find(&suffix) {
                        roots.push(path[QUOTA_ROOT_PATH.len()..cut].to_string());
                    }
                }
                continue;
            }
            for child in node.children.iter() {
                let child_path = format!("{path}/{}", self.arena.at(child).name());
                stack.push((child, child_path));
            }
        }
        for root in roots {
            self.update_quota_for_path(&root);
            self.quota_roots.add(&root);
        }
    }

    /// `updateQuotaStat`: adds to the counts in `prefix`'s stats node.
    fn update_quota_stat(&mut self, prefix: &str, bytes_diff: i64, count_diff: i64) {
        let stats_path = stats_path(prefix);
        let Some(index) = self.lookup_exact(&stats_path) else {
            return;
        };
        let Some(mut track) = StatsTrack::parse(self.arena.at(index).data()) else {
            return;
        };
        track.set("count", track.get("count").wrapping_add(count_diff));
        track.set("bytes", track.get("bytes").wrapping_add(bytes_diff));
        self.rewrite_data(index, &stats_path, track.to_text().as_bytes());
    }

    /// `updateQuotaForPath`: counts `quota_root`'s subtree (the node and
    /// everything below it) into its stats node.
    fn update_quota_for_path(&mut self, quota_root: &str) {
        let (count, bytes) = self.quota_counts(quota_root);
        let stats_path = stats_path(quota_root);
        let Some(index) = self.lookup_exact(&stats_path) else {
            return;
        };
        let text = StatsTrack::counts(count, bytes).to_text();
        self.rewrite_data(index, &stats_path, text.as_bytes());
    }

    /// `getCounts`: nodes and data bytes of the subtree at `path`, found
    /// by string lookups as ZooKeeper's node map finds them: "" is the
    /// root, and below "/" no child is found ("/" + "/" + name is no key).
    fn quota_counts(&self, path: &str) -> (i64, i64) {
        let Some(index) = self.lookup_exact(path) else {
            return (0, 0);
        };
        if path == "/" {
            return (1, self.arena.at(ROOT).data().len() as i64);
        }
        let (mut count, mut bytes) = (0i64, 0i64);
        let mut stack = vec![index];
        while let Some(at) = stack.pop() {
            let node = self.arena.at(at);
            count += 1;
            bytes += node.data().len() as i64;
            stack.extend(node.children.iter());
        }
        (count, bytes)
    }

    /// The node ZooKeeper's node map holds under `path`: the root also
    /// under "".
    fn lookup_exact(&self, path: &str) -> Option<u32> {
        if path.is_empty() {
            return Some(ROOT);
        }
        self.lookup_index(path)
    }

    /// Replaces a node's data and nothing else: Stat and mntr's data size
    /// stay, as ZooKeeper's quota updates leave them; the digest follows.
    fn rewrite_data(&mut self, index: u32, path: &str, data: &[u8]) {
        let before = self.contribution_at(index);
        let node = self.arena.at_mut(index);
        node.replace_data(Some(data));
        node.content_hash = crate::digest::content_hash(path, data);
        let after = self.contribution_at(index);
        self.digest = self.digest.wrapping_sub(before).wrapping_add(after);
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn stats_track_reads_and_writes_as_zookeeper_does() {
        let track = StatsTrack::parse(b"count=3,bytes=7").unwrap();
        assert_eq!((track.get("count"), track.get("bytes")), (3, 7));
        assert_eq!(track.to_text(), "count=3,bytes=7");
        // 3.7+ limits ride along after an extra '=', sorted.
        let limits =
            StatsTrack::parse(b"count=1,bytes=2=;countHardLimit=5;byteHardLimit=9").unwrap();
        assert_eq!(
            limits.to_text(),
            "count=1,bytes=2=;byteHardLimit=9;countHardLimit=5"
        );
        assert_eq!(StatsTrack::parse(b"count==4").unwrap().get("count"), -1);
        assert_eq!(
            StatsTrack::parse(b"").unwrap().to_text(),
            "count=-1,bytes=-1"
        );
        assert_eq!(StatsTrack::parse(b",;,").unwrap().get("count"), -1);
        assert_eq!(
            StatsTrack::parse(b"count=2,,;bytes=5;").unwrap().to_text(),
            "count=2,bytes=5"
        );
        for bad in [
            &b"count"[..],
            b"count=",
            b",count=1",
            b"count=x",
            b"count= 1",
        ] {
            assert_eq!(
                StatsTrack::parse(bad),
                None,
                "{:?}",
                String::from_utf8_lossy(bad)
            );
        }
    }

    #[test]
    fn quota_roots_find_the_deepest_root_by_components() {
        let mut roots = QuotaRoots::default();
        assert_eq!(roots.max_prefix("/a/b"), None);
        roots.add("/a");
        roots.add("/a/b/c");
        roots.add("");
        assert_eq!(roots.max_prefix("/a/b"), Some("/a".into()));
        assert_eq!(roots.max_prefix("/a/b/c/d"), Some("/a/b/c".into()));
        assert_eq!(roots.max_prefix("//a//b/"), Some("/a".into()));
        assert_eq!(roots.max_prefix("/ab"), None);
        roots.delete("/a/");
        assert_eq!(roots.max_prefix("/a/b"), None);
    }
}
