//! [`QuotaPlan`]: quota ops for the generator. A quota on `/p` is the
//! nodes `/zookeeper/quota/p/zookeeper_limits` and `.../zookeeper_stats`
//! (what zkCli's setquota creates); the server keeps the stats node's
//! count and bytes as nodes below `/p` change, and reading it back
//! compares that bookkeeping.
//!
//! Never generated, because ZooKeeper 3.8 throws out of its apply and
//! stops: a setData of a stats node with data that is not `key=value`
//! pairs, and a limits node directly under `/zookeeper/quota`. The plan's
//! paths stay out of the generator's node list, so no other op reaches
//! them.

use ringkeeper_jute::{CreateMode, CreateRequest, MultiOp};

use super::op::Op;
use super::rng::Rng;
use crate::client::open_acl;

/// Where ZooKeeper keeps quotas.
pub const QUOTA_ROOT_PATH: &str = "/zookeeper/quota";
/// Quota-side nodes the plan remembers (beyond it, the oldest is forgotten).
pub const QUOTA_PATHS_MAX: usize = 64;

/// The quota-side nodes the generator believes exist.
#[derive(Debug, Default, Clone)]
pub struct QuotaPlan {
    known: Vec<String>,
}

impl QuotaPlan {
    /// Whether `path` is the plan's (under `/zookeeper/`), not a node the
    /// generator's other ops may use.
    pub fn owns(path: &str) -> bool {
        path.starts_with("/zookeeper/")
    }

    pub fn learn_created(&mut self, path: &str) {
        if self.known.iter().any(|known| known == path) {
            return;
        }
        if self.known.len() >= QUOTA_PATHS_MAX {
            self.known.remove(0);
        }
        self.known.push(path.to_string());
    }

    pub fn learn_deleted(&mut self, path: &str) {
        self.known.retain(|known| known != path);
    }

    /// A quota op on `target` (an absolute path under the seed's root):
    /// set its quota (one multi creating the missing levels, the limits
    /// and the stats node), read a stats node, or remove a limits or a
    /// stats node.
    pub fn op(&mut self, rng: &mut Rng, session: usize, root: &str, target: &str) -> Op {
        let stats: Vec<String> = self.known_ending("/zookeeper_stats");
        let limits: Vec<String> = self.known_ending("/zookeeper_limits");
        match rng.weighted(&[50, 30, 12, 8]) {
            1 if !stats.is_empty() => Op::GetData {
                session,
                path: rng.pick(&stats).clone(),
                watch: rng.percent(20),
            },
            2 if !limits.is_empty() => Op::Delete {
                session,
                path: rng.pick(&limits).clone(),
                version: -1,
            },
            3 if !stats.is_empty() => Op::Delete {
                session,
                path: rng.pick(&stats).clone(),
                version: -1,
            },
            _ => self.set_quota(rng, session, root, target),
        }
    }

    fn known_ending(&self, suffix: &str) -> Vec<String> {
        self.known
            .iter()
            .filter(|path| path.ends_with(suffix))
            .cloned()
            .collect()
    }

    fn set_quota(&self, rng: &mut Rng, session: usize, root: &str, target: &str) -> Op {
        let mut paths = Vec::new();
        // Every level from /zookeeper/quota/<root> down, if not known.
        let mut level = QUOTA_ROOT_PATH.to_string();
        let below_root = target.strip_prefix(root).unwrap_or("");
        let mut parts = vec![root.trim_start_matches('/')];
        parts.extend(below_root.split('/').filter(|part| !part.is_empty()));
        for part in parts {
            level.push('/');
            level.push_str(part);
            if !self.known.contains(&level) {
                paths.push((level.clone(), Vec::new()));
            }
        }
        let limits = (
            format!("{level}/zookeeper_limits"),
            b"count=10,bytes=1000".to_vec(),
        );
        let stats = (
            format!("{level}/zookeeper_stats"),
            b"count=0,bytes=0".to_vec(),
        );
        // Both orders: a stats node counts its subtree when created, with
        // or without the limits node that makes the path a quota root.
        let pair = if rng.percent(70) {
            [limits, stats]
        } else {
            [stats, limits]
        };
        for (path, data) in pair {
            if !self.known.contains(&path) {
                paths.push((path, data));
            }
        }
        let ops = paths
            .into_iter()
            .map(|(path, data)| {
                MultiOp::Create(CreateRequest {
                    path,
                    data: data.into(),
                    acl: open_acl(),
                    flags: CreateMode::Persistent.as_i32(),
                })
            })
            .collect();
        Op::Multi { session, ops }
    }
}
