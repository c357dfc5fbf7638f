//! Random operations from a seed, biased to collide: a small path space
//! (`<root>`, `<root>/a`..`<root>/e`, two more levels of `a`..`c` and
//! `a`..`b`, the sequential names created so far, and a few invalid
//! paths, some of them not UTF-8), small version numbers, null and empty
//! data, and ACLs that deny somebody something.

use ringkeeper_jute::{
    Acl, AddWatchMode, CheckVersionRequest, CreateMode, CreateRequest, CreateTtlRequest,
    DeleteRequest, GetChildrenRequest, GetDataRequest, Id, MultiOp, NodeData, OpCode, Perms,
    SetDataRequest, WatcherType,
};

use super::op::{Op, MALFORMED_UTF8_MARKERS};
use super::quota_plan::QuotaPlan;
use super::rng::Rng;
use super::watched::WatchedPaths;

/// Nodes the generator remembers as existing (beyond it, the oldest is forgotten).
pub const KNOWN_PATHS_MAX: usize = 64;
/// Ops in one multi or multiRead.
pub const MULTI_OPS_MAX: u64 = 4;

/// A TTL that never runs out during a run: TTL expiry is time, and time
/// must not decide an answer.
const TTL_LONG_MS: i64 = 3_600_000;
/// ZooKeeper's largest TTL (EphemeralType.TTL's 40-bit field).
const TTL_MAX_MS: i64 = (1 << 40) - 1;

/// Digest identities: user, password and base64(sha1("user:password")),
/// the id a digest ACL names.
pub const DIGEST_USERS: [(&str, &str, &str); 2] = [
    ("alice", "secret", "alice:aYXlLOpEooaV1cRAvUL1fp9Qt7E="),
    ("bob", "hunter2", "bob:1Yu1ryCXOIF7lyFzbmQ5J+MJOZc="),
];

/// Makes the op sequence of one seed. It learns which nodes exist from
/// the first server's answers (creates and deletes that succeeded), so
/// that most ops hit a node that is there or create under one: a guess
/// that only steers the mix, never decides what is compared.
pub struct OpGenerator {
    pub(super) rng: Rng,
    root: String,
    pub(super) sessions: usize,
    /// Nodes believed to exist, with the session slot owning each ephemeral.
    existing: Vec<(String, Option<usize>)>,
    /// Per slot: whether it is disconnected (only a reconnect may use it).
    pub(super) disconnected: Vec<bool>,
    /// Per slot: the watches it asked for on its current connection, by
    /// kind, for its next setWatches replay.
    pub(super) watched: Vec<WatchedPaths>,
    /// Quota nodes, kept apart from `existing`.
    quota: QuotaPlan,
}

fn mode_is_ttl(mode: CreateMode) -> bool {
    matches!(
        mode,
        CreateMode::PersistentWithTtl | CreateMode::PersistentSequentialWithTtl
    )
}

#[derive(Clone, Copy)]
enum Kind {
    Create,
    Delete,
    SetData,
    GetData,
    Exists,
    GetChildren,
    GetChildren2,
    GetAcl,
    SetAcl,
    AddAuth,
    Multi,
    MultiRead,
    Sync,
    AddWatch,
    RemoveWatches,
    CheckWatches,
    GetAllChildrenNumber,
    GetEphemerals,
    CloseSession,
    Disconnect,
    WhoAmI,
    Quota,
    Pipeline,
}

/// The op mix: (kind, weight).
const MIX: [(Kind, u64); 23] = [
    (Kind::Create, 22),
    (Kind::Delete, 12),
    (Kind::SetData, 9),
    (Kind::GetData, 7),
    (Kind::Exists, 7),
    (Kind::GetChildren, 5),
    (Kind::GetChildren2, 4),
    (Kind::GetAcl, 3),
    (Kind::SetAcl, 3),
    (Kind::AddAuth, 2),
    (Kind::Multi, 7),
    (Kind::MultiRead, 3),
    (Kind::Sync, 2),
    (Kind::AddWatch, 4),
    (Kind::RemoveWatches, 3),
    (Kind::CheckWatches, 1),
    (Kind::GetAllChildrenNumber, 2),
    (Kind::GetEphemerals, 2),
    (Kind::CloseSession, 2),
    (Kind::Disconnect, 2),
    (Kind::WhoAmI, 1),
    (Kind::Quota, 3),
    (Kind::Pipeline, 3),
];

/// Ops one pipeline sends at most.
pub const PIPELINE_OPS_MAX: u64 = 4;

/// What a pipeline may hold: plain requests answered in order (not auth,
/// which ZooKeeper answers ahead of queued requests, nor ops that close
/// or drop the connection).
const PIPELINE_MIX: [(Kind, u64); 12] = [
    (Kind::Create, 20),
    (Kind::Delete, 10),
    (Kind::SetData, 12),
    (Kind::GetData, 12),
    (Kind::Exists, 10),
    (Kind::GetChildren, 8),
    (Kind::Multi, 6),
    (Kind::MultiRead, 4),
    (Kind::Sync, 3),
    (Kind::AddWatch, 5),
    (Kind::RemoveWatches, 5),
    (Kind::WhoAmI, 2),
];

impl OpGenerator {
    pub fn new(seed: u64, root: &str, sessions: usize) -> OpGenerator {
        OpGenerator {
            rng: Rng::new(seed),
            root: root.to_string(),
            sessions: sessions.max(1),
            existing: Vec::new(),
            disconnected: vec![false; sessions.max(1)],
            watched: vec![WatchedPaths::default(); sessions.max(1)],
            quota: QuotaPlan::default(),
        }
    }

    /// A create of `path` succeeded; `ephemeral_slot` is the owning
    /// session slot of an ephemeral node.
    pub fn learn_created(&mut self, path: &str, ephemeral_slot: Option<usize>) {
        if QuotaPlan::owns(path) {
            return self.quota.learn_created(path);
        }
        if self.existing.iter().any(|(known, _)| known == path) {
            return;
        }
        if self.existing.len() >= KNOWN_PATHS_MAX {
            self.existing.remove(0);
        }
        self.existing.push((path.to_string(), ephemeral_slot));
    }

    /// A delete of `path` succeeded.
    pub fn learn_deleted(&mut self, path: &str) {
        self.quota.learn_deleted(path);
        self.existing.retain(|(known, _)| known != path);
    }

    /// Session slot `slot` closed: its ephemerals are gone.
    pub fn learn_session_closed(&mut self, slot: usize) {
        self.existing.retain(|(_, owner)| *owner != Some(slot));
    }

    fn existing_path(&mut self) -> Option<String> {
        if self.existing.is_empty() {
            return None;
        }
        Some(self.rng.pick(&self.existing).0.clone())
    }

    pub fn next_op(&mut self) -> Op {
        let weights: Vec<u64> = MIX.iter().map(|(_, weight)| *weight).collect();
        let kind = MIX[self.rng.weighted(&weights)].0;
        let session = match self.pick_session() {
            Ok(session) => session,
            Err(disconnected) => return self.reconnect(disconnected),
        };
        let op = self.op_of_kind(kind, session);
        self.remember_watches(&op);
        op
    }

    fn op_of_kind(&mut self, kind: Kind, session: usize) -> Op {
        match kind {
            Kind::Create => self.create(session),
            Kind::Delete => Op::Delete {
                session,
                path: self.path(),
                version: self.version(),
            },
            Kind::SetData => Op::SetData {
                session,
                path: self.path(),
                data: self.data(),
                version: self.version(),
            },
            Kind::GetData => Op::GetData {
                session,
                path: self.path(),
                watch: self.rng.percent(40),
            },
            Kind::Exists => Op::Exists {
                session,
                path: self.path(),
                watch: self.rng.percent(40),
            },
            Kind::GetChildren => Op::GetChildren {
                session,
                path: self.path(),
                watch: self.rng.percent(40),
            },
            Kind::GetChildren2 => Op::GetChildren2 {
                session,
                path: self.path(),
                watch: self.rng.percent(40),
            },
            Kind::GetAcl => Op::GetAcl {
                session,
                path: self.path(),
            },
            Kind::SetAcl => Op::SetAcl {
                session,
                path: self.path(),
                acl: self.acl(),
                version: self.version(),
            },
            Kind::AddAuth => {
                let (user, password, _) = *self.rng.pick(&DIGEST_USERS);
                let password = if self.rng.percent(20) {
                    "wrong"
                } else {
                    password
                };
                Op::AddAuth {
                    session,
                    scheme: "digest".into(),
                    auth: format!("{user}:{password}").into_bytes(),
                }
            }
            Kind::Multi => {
                let count = 1 + self.rng.below(MULTI_OPS_MAX);
                let ops = (0..count).map(|_| self.multi_write_op()).collect();
                Op::Multi { session, ops }
            }
            Kind::MultiRead => {
                let count = 1 + self.rng.below(MULTI_OPS_MAX);
                let ops = (0..count)
                    .map(|_| {
                        let path = self.path();
                        let watch = self.rng.percent(30);
                        if self.rng.percent(50) {
                            MultiOp::GetData(GetDataRequest { path, watch })
                        } else {
                            MultiOp::GetChildren(GetChildrenRequest { path, watch })
                        }
                    })
                    .collect();
                Op::MultiRead { session, ops }
            }
            Kind::Sync => Op::Sync {
                session,
                path: self.path(),
            },
            Kind::AddWatch => Op::AddWatch {
                session,
                // Sometimes "/": a recursive watch there also sees the
                // quota nodes under /zookeeper change.
                path: match self.rng.weighted(&[27, 3, 70]) {
                    0 => self.root.clone(),
                    1 => "/".to_string(),
                    _ => self.path(),
                },
                mode: if self.rng.percent(50) {
                    AddWatchMode::Persistent.as_i32()
                } else {
                    AddWatchMode::PersistentRecursive.as_i32()
                },
            },
            Kind::RemoveWatches => Op::RemoveWatches {
                session,
                path: self.path(),
                watcher_type: self.watcher_type(),
            },
            Kind::CheckWatches => Op::CheckWatches {
                session,
                path: self.path(),
                watcher_type: self.watcher_type(),
            },
            Kind::GetAllChildrenNumber => Op::GetAllChildrenNumber {
                session,
                path: self.path(),
            },
            Kind::GetEphemerals => Op::GetEphemerals {
                session,
                prefix_path: if self.rng.percent(50) {
                    self.root.clone()
                } else {
                    self.path()
                },
            },
            Kind::CloseSession => Op::CloseSession { session },
            Kind::Disconnect => Op::Disconnect { session },
            Kind::WhoAmI => Op::WhoAmI { session },
            Kind::Pipeline => {
                let weights: Vec<u64> = PIPELINE_MIX.iter().map(|(_, weight)| *weight).collect();
                let count = 2 + self.rng.below(PIPELINE_OPS_MAX - 1);
                let ops = (0..count)
                    .map(|_| {
                        let kind = PIPELINE_MIX[self.rng.weighted(&weights)].0;
                        let op = self.op_of_kind(kind, session);
                        self.remember_watches(&op);
                        op
                    })
                    .collect();
                Op::Pipeline { session, ops }
            }
            Kind::Quota => {
                let target = match self.existing_path() {
                    Some(path) if self.rng.percent(70) => path,
                    _ => self.root.clone(),
                };
                let root = self.root.clone();
                self.quota.op(&mut self.rng, session, &root, &target)
            }
        }
    }

    /// A node path: often one believed to exist, else the regular space,
    /// rarely an invalid path.
    pub(super) fn path(&mut self) -> String {
        if self.rng.percent(45) {
            if let Some(path) = self.existing_path() {
                return path;
            }
        }
        self.space_path()
    }

    /// A path to create: often a child of a node believed to exist.
    fn create_path(&mut self) -> String {
        if self.rng.percent(55) {
            if let Some(parent) = self.existing_path() {
                return format!("{parent}/{}", self.rng.pick(&["a", "b", "c"]));
            }
        }
        self.space_path()
    }

    fn space_path(&mut self) -> String {
        let root = &self.root;
        let names = ["a", "b", "c", "d", "e"];
        match self.rng.weighted(&[5, 50, 28, 14, 3]) {
            0 => root.clone(),
            1 => format!("{root}/{}", self.rng.pick(&names)),
            2 => format!(
                "{root}/{}/{}",
                self.rng.pick(&names[..3]),
                self.rng.pick(&names[..3])
            ),
            3 => format!(
                "{root}/{}/{}/{}",
                self.rng.pick(&names[..2]),
                self.rng.pick(&names[..2]),
                self.rng.pick(&names[..2])
            ),
            _ => {
                // Half the time bytes that are not UTF-8 (see
                // MALFORMED_UTF8_MARKERS): ZooKeeper reads them as U+FFFD.
                if self.rng.percent(50) {
                    let (marker, _) = *self.rng.pick(&MALFORMED_UTF8_MARKERS);
                    let parent = *self.rng.pick(&["", "/a"]);
                    let name = *self.rng.pick(&["", "x"]);
                    return format!("{root}{parent}/{name}{marker}");
                }
                let invalid = [
                    format!("{root}/a/"),
                    format!("{root}//a"),
                    "a".to_string(),
                    String::new(),
                    format!("{root}/a/."),
                    format!("{root}/a/.."),
                    format!("{root}/a\u{0}b"),
                ];
                self.rng.pick(&invalid).clone()
            }
        }
    }

    /// The path of a sequential create: the name is the path plus ten digits.
    fn sequential_path(&mut self) -> String {
        let base = self.path();
        match self.rng.weighted(&[50, 30, 20]) {
            0 => format!("{base}/s-"),
            1 => self.create_path(),
            _ => format!("{base}/"),
        }
    }

    fn version(&mut self) -> i32 {
        match self.rng.weighted(&[40, 25, 15, 10, 10]) {
            0 => -1,
            1 => 0,
            2 => 1,
            3 => 2,
            _ => 3 + self.rng.below(4) as i32,
        }
    }

    /// A znode's data: sometimes null (a -1 buffer, as the C client's
    /// `zoo_create` with a NULL value sends), which ZooKeeper keeps apart
    /// from empty.
    fn data(&mut self) -> NodeData {
        match self.rng.weighted(&[12, 8, 30, 30, 20]) {
            0 => NodeData::from(Vec::new()),
            1 => NodeData::NULL,
            2 => NodeData::from(b"x"),
            3 => NodeData::from(b"hello"),
            _ => {
                let len = self.rng.below(17);
                (0..len)
                    .map(|_| self.rng.below(256) as u8)
                    .collect::<Vec<u8>>()
                    .into()
            }
        }
    }

    fn acl(&mut self) -> Vec<Acl> {
        let entry = |perms: i32, scheme: &str, id: &str| Acl {
            perms,
            id: Id {
                scheme: scheme.into(),
                id: id.into(),
            },
        };
        let alice = DIGEST_USERS[0].2;
        let bob = DIGEST_USERS[1].2;
        match self.rng.weighted(&[70, 5, 6, 4, 4, 2, 4, 2, 3]) {
            0 => vec![entry(Perms::ALL, "world", "anyone")],
            1 => vec![entry(Perms::READ, "world", "anyone")],
            2 => vec![entry(Perms::ALL, "digest", alice)],
            3 => vec![entry(Perms::READ | Perms::WRITE, "digest", bob)],
            4 => vec![entry(Perms::ALL, "ip", "127.0.0.1")],
            5 => vec![entry(Perms::ALL, "ip", "10.0.0.0/8")],
            6 => vec![entry(Perms::ALL, "auth", "")],
            7 => Vec::new(),
            _ => vec![
                entry(
                    Perms::READ | Perms::CREATE | Perms::DELETE,
                    "world",
                    "anyone",
                ),
                entry(Perms::ALL, "digest", alice),
            ],
        }
    }

    fn watcher_type(&mut self) -> i32 {
        let types = [
            WatcherType::Children,
            WatcherType::Data,
            WatcherType::Any,
            WatcherType::Persistent,
            WatcherType::PersistentRecursive,
        ];
        types[self.rng.weighted(&[30, 30, 30, 5, 5])].as_i32()
    }

    /// (op code, flags, ttl) of a create: every mode, the op that goes
    /// with it, and sometimes a mismatched op or a bad TTL.
    fn create_shape(&mut self) -> (OpCode, CreateMode, i64) {
        let plain = |rng: &mut Rng| {
            if rng.percent(50) {
                OpCode::Create
            } else {
                OpCode::Create2
            }
        };
        let ttl = |rng: &mut Rng| match rng.weighted(&[80, 7, 5, 8]) {
            0 => TTL_LONG_MS,
            1 => 0,
            2 => -1,
            _ => TTL_MAX_MS + 1,
        };
        let modes = [
            CreateMode::Persistent,
            CreateMode::Ephemeral,
            CreateMode::PersistentSequential,
            CreateMode::EphemeralSequential,
            CreateMode::Container,
            CreateMode::PersistentWithTtl,
            CreateMode::PersistentSequentialWithTtl,
        ];
        let mode = modes[self.rng.weighted(&[30, 20, 10, 10, 10, 8, 4])];
        let op_code = match mode {
            CreateMode::Container if self.rng.percent(90) => OpCode::CreateContainer,
            CreateMode::PersistentWithTtl | CreateMode::PersistentSequentialWithTtl
                if self.rng.percent(90) =>
            {
                OpCode::CreateTtl
            }
            _ if self.rng.percent(4) => OpCode::CreateTtl,
            _ => plain(&mut self.rng),
        };
        let ttl_ms = if op_code == OpCode::CreateTtl && !mode_is_ttl(mode) {
            // ZooKeeper 3.8 bug: createTTL with a non-TTL mode and a
            // negative TTL passes PrepRequestProcessor, then kills the
            // server's SyncThread in DataTree.processTxn (and the txn log
            // then fails every restart). Not worth comparing; TTL >= 0
            // with a non-TTL mode is BADARGUMENTS, which is.
            TTL_LONG_MS
        } else {
            ttl(&mut self.rng)
        };
        (op_code, mode, ttl_ms)
    }

    fn create(&mut self, session: usize) -> Op {
        let (op_code, mode, ttl_ms) = self.create_shape();
        let path = if mode.is_sequential() {
            self.sequential_path()
        } else {
            self.create_path()
        };
        // Rarely, flags no create mode has.
        let flags = if self.rng.percent(2) {
            *self.rng.pick(&[7, -1, 100])
        } else {
            mode.as_i32()
        };
        Op::Create {
            session,
            op_code,
            path,
            data: self.data(),
            acl: self.acl(),
            flags,
            ttl_ms,
        }
    }

    fn multi_write_op(&mut self) -> MultiOp {
        match self.rng.weighted(&[40, 20, 20, 20]) {
            0 => {
                let (op_code, mode, ttl) = self.create_shape();
                let path = if mode.is_sequential() {
                    self.sequential_path()
                } else {
                    self.create_path()
                };
                let request = CreateRequest {
                    path,
                    data: self.data(),
                    acl: self.acl(),
                    flags: mode.as_i32(),
                };
                match op_code {
                    OpCode::Create => MultiOp::Create(request),
                    OpCode::CreateContainer => MultiOp::CreateContainer(request),
                    OpCode::CreateTtl => MultiOp::CreateTtl(CreateTtlRequest {
                        path: request.path,
                        data: request.data,
                        acl: request.acl,
                        flags: request.flags,
                        ttl,
                    }),
                    _ => MultiOp::Create2(request),
                }
            }
            1 => MultiOp::Delete(DeleteRequest {
                path: self.path(),
                version: self.version(),
            }),
            2 => MultiOp::SetData(SetDataRequest {
                path: self.path(),
                data: self.data(),
                version: self.version(),
            }),
            _ => MultiOp::Check(CheckVersionRequest {
                path: self.path(),
                version: self.version(),
            }),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_seed_generates_the_same_ops_every_time() {
        let ops = |seed| {
            let mut generator = OpGenerator::new(seed, "/dt", 3);
            (0..200).map(|_| generator.next_op()).collect::<Vec<_>>()
        };
        assert_eq!(ops(11), ops(11));
        assert_ne!(ops(11), ops(12));
    }

    #[test]
    fn every_op_kind_and_create_mode_appears_in_a_few_hundred_steps() {
        let mut generator = OpGenerator::new(5, "/dt", 3);
        let ops: Vec<Op> = (0..2000).map(|_| generator.next_op()).collect();
        let mut names: Vec<&str> = ops.iter().map(Op::name).collect();
        names.sort();
        names.dedup();
        for expected in [
            "create",
            "create2",
            "createContainer",
            "createTTL",
            "delete",
            "setData",
            "getData",
            "exists",
            "getChildren",
            "getChildren2",
            "getACL",
            "setACL",
            "auth",
            "multi",
            "multiRead",
            "sync",
            "addWatch",
            "removeWatches",
            "checkWatches",
            "getAllChildrenNumber",
            "getEphemerals",
            "closeSession",
            "disconnect",
            "whoAmI",
            "pipeline",
            "reconnect",
            "setWatches",
            "setWatches2",
        ] {
            assert!(
                names.contains(&expected),
                "{expected} never generated: {names:?}"
            );
        }
        let sessions: std::collections::BTreeSet<usize> = ops.iter().map(Op::session).collect();
        assert_eq!(sessions.into_iter().collect::<Vec<_>>(), [0, 1, 2]);
    }

    #[test]
    fn a_disconnected_slot_sends_nothing_until_its_reconnect_and_ends_connected() {
        let mut generator = OpGenerator::new(21, "/dt", 3);
        let mut disconnected = [false; 3];
        let mut replayed_a_watch = false;
        for _ in 0..3000 {
            let op = generator.next_op();
            let slot = op.session();
            match &op {
                Op::Disconnect { .. } => {
                    assert!(!disconnected[slot]);
                    disconnected[slot] = true;
                }
                Op::Reconnect { set_watches, .. } => {
                    assert!(disconnected[slot], "reconnect of a connected slot");
                    disconnected[slot] = false;
                    replayed_a_watch |= set_watches
                        .as_ref()
                        .is_some_and(|spec| !spec.data.is_empty() || !spec.child.is_empty());
                }
                _ => assert!(!disconnected[slot], "{op} on a disconnected slot"),
            }
        }
        assert!(replayed_a_watch);
        for op in generator.finish() {
            assert!(matches!(op, Op::Reconnect { .. }));
            disconnected[op.session()] = false;
        }
        assert_eq!(disconnected, [false; 3]);
    }

    #[test]
    fn valid_paths_stay_under_the_root_and_learned_paths_are_reused() {
        let mut generator = OpGenerator::new(9, "/dt9", 2);
        generator.learn_created("/dt9/a/s-0000000001", None);
        generator.learn_created("/dt9/e", Some(1));
        let mut reused = false;
        for _ in 0..500 {
            let path = generator.path();
            if path.starts_with('/') && !path.contains("//") {
                assert!(path.starts_with("/dt9"), "{path} escapes the root");
            }
            reused |= path == "/dt9/a/s-0000000001";
        }
        assert!(reused);
        generator.learn_session_closed(1);
        generator.learn_deleted("/dt9/a/s-0000000001");
        assert!(generator.existing.is_empty());
    }
}
