//! A small model of ZooKeeper's DataTree for the tests: loads a snapshot,
//! replays txns with `DataTree.processTxn`'s rules (including the ones for
//! fuzzy snapshots: a create of an existing node, a delete of a missing
//! one), and computes ZooKeeper's tree digest (DigestCalculator version 2)
//! so a test can check its replay against the digest ZooKeeper logged
//! after every txn.

use std::collections::{BTreeMap, BTreeSet};

use ringkeeper_jute::{Acl, NodeData, OpCode, Stat, StatPersisted};
use ringkeeper_zkimport::{
    ZkEphemeralType, ZkSnapshot, ZkTxn, ZkTxnRecord, CONTAINER_EPHEMERAL_OWNER,
};

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ModelNode {
    pub data: NodeData,
    pub acl: Vec<Acl>,
    pub stat: StatPersisted,
    pub children: BTreeSet<String>,
}

/// A node as a client reads it: data, Stat, ACL.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ClientView {
    /// As getData answers it: null stays null.
    pub data: NodeData,
    pub stat: Stat,
    pub acl: Vec<Acl>,
}

#[derive(Debug, Default, Clone)]
pub struct Model {
    pub nodes: BTreeMap<String, ModelNode>,
    pub sessions: BTreeMap<i64, i32>,
}

/// Why a txn (or one part of a multi) did not apply; replay ignores it,
/// as ZooKeeper's does.
#[derive(Debug, PartialEq, Eq)]
enum Failure {
    NoNode,
    NodeExists,
}

impl Model {
    pub fn from_snapshot(snapshot: &ZkSnapshot) -> Model {
        let mut model = Model::default();
        for node in &snapshot.nodes {
            let acl = snapshot
                .acl_list(node.acl)
                .unwrap_or_else(|| panic!("node {} has an unknown ACL {}", node.path, node.acl));
            if let Some((parent, name)) = split(&node.path) {
                model
                    .nodes
                    .get_mut(parent)
                    .unwrap_or_else(|| panic!("parent of {} missing", node.path))
                    .children
                    .insert(name.to_string());
            }
            model.nodes.insert(
                node.path.clone(),
                ModelNode {
                    data: node.data.clone(),
                    acl,
                    stat: node.stat.clone(),
                    children: BTreeSet::new(),
                },
            );
        }
        model.sessions = snapshot.sessions.iter().copied().collect();
        model
    }

    /// Applies a txn as ZooKeeper's restore does.
    pub fn apply(&mut self, txn: &ZkTxn) {
        let header = &txn.header;
        let op = txn.op_code().expect("a known txn type");
        match &txn.record {
            ZkTxnRecord::CreateSession(create) => {
                self.sessions.insert(header.client_id, create.time_out);
            }
            ZkTxnRecord::CloseSession(close) => {
                self.sessions.remove(&header.client_id);
                for path in &close.paths_to_delete {
                    let _ = self.delete_node(path, header.zxid);
                }
                let owned: Vec<String> = self
                    .nodes
                    .iter()
                    .filter(|(_, node)| node.stat.ephemeral_owner == header.client_id)
                    .map(|(path, _)| path.clone())
                    .collect();
                for path in owned {
                    let _ = self.delete_node(&path, header.zxid);
                }
            }
            ZkTxnRecord::Multi(subs) => {
                if txn.record.applies() {
                    for (sub_op, record) in subs {
                        self.apply_one(*sub_op, record, header.client_id, header.zxid, header.time);
                    }
                }
            }
            record => self.apply_one(op, record, header.client_id, header.zxid, header.time),
        }
    }

    fn apply_one(
        &mut self,
        op: OpCode,
        record: &ZkTxnRecord,
        client_id: i64,
        zxid: i64,
        time: i64,
    ) {
        let result = match record {
            ZkTxnRecord::Create(create) => {
                let owner = if create.ephemeral { client_id } else { 0 };
                let result = self.create_node(
                    &create.path,
                    &create.data,
                    &create.acl,
                    owner,
                    create.parent_cversion,
                    zxid,
                    time,
                );
                // DataTree.processTxn: a plain create (not create2) of an
                // existing node still moves its parent's cversion on.
                if op == OpCode::Create && result == Err(Failure::NodeExists) {
                    if let Some((parent, _)) = split(&create.path) {
                        self.set_cversion_pzxid(parent, create.parent_cversion, zxid);
                    }
                }
                result
            }
            ZkTxnRecord::CreateContainer(create) => self.create_node(
                &create.path,
                &create.data,
                &create.acl,
                CONTAINER_EPHEMERAL_OWNER,
                create.parent_cversion,
                zxid,
                time,
            ),
            ZkTxnRecord::CreateTtl(create) => self.create_node(
                &create.path,
                &create.data,
                &create.acl,
                (0xff00_0000_0000_0000u64 as i64) | create.ttl,
                create.parent_cversion,
                zxid,
                time,
            ),
            ZkTxnRecord::Delete(delete) => self.delete_node(&delete.path, zxid),
            ZkTxnRecord::SetData(set) => match self.nodes.get_mut(&set.path) {
                Some(node) => {
                    node.data = set.data.clone();
                    node.stat.mtime = time;
                    node.stat.mzxid = zxid;
                    node.stat.version = set.version;
                    Ok(())
                }
                None => Err(Failure::NoNode),
            },
            ZkTxnRecord::SetAcl(set) => match self.nodes.get_mut(&set.path) {
                Some(node) => {
                    node.stat.aversion = set.version;
                    node.acl = set.acl.clone();
                    Ok(())
                }
                None => Err(Failure::NoNode),
            },
            ZkTxnRecord::Check(_) | ZkTxnRecord::Error(_) => Ok(()),
            other => panic!("{other:?} cannot be applied alone"),
        };
        // Replay after a fuzzy snapshot ignores these, as ZooKeeper does.
        let _ = result;
    }

    #[allow(clippy::too_many_arguments)]
    fn create_node(
        &mut self,
        path: &str,
        data: &NodeData,
        acl: &[Acl],
        ephemeral_owner: i64,
        parent_cversion: i32,
        zxid: i64,
        time: i64,
    ) -> Result<(), Failure> {
        let (parent_path, name) = split(path).ok_or(Failure::NodeExists)?;
        let parent = self.nodes.get_mut(parent_path).ok_or(Failure::NoNode)?;
        if parent.children.contains(name) {
            return Err(Failure::NodeExists);
        }
        let parent_cversion = if parent_cversion == -1 {
            parent.stat.cversion + 1
        } else {
            parent_cversion
        };
        if parent_cversion > parent.stat.cversion {
            parent.stat.cversion = parent_cversion;
            parent.stat.pzxid = zxid;
        }
        parent.children.insert(name.to_string());
        self.nodes.insert(
            path.to_string(),
            ModelNode {
                data: data.clone(),
                acl: acl.to_vec(),
                stat: StatPersisted {
                    czxid: zxid,
                    mzxid: zxid,
                    ctime: time,
                    mtime: time,
                    version: 0,
                    cversion: 0,
                    aversion: 0,
                    ephemeral_owner,
                    pzxid: zxid,
                },
                children: BTreeSet::new(),
            },
        );
        Ok(())
    }

    fn delete_node(&mut self, path: &str, zxid: i64) -> Result<(), Failure> {
        let (parent_path, name) = split(path).ok_or(Failure::NoNode)?;
        let parent = self.nodes.get_mut(parent_path).ok_or(Failure::NoNode)?;
        parent.children.remove(name);
        if zxid > parent.stat.pzxid {
            parent.stat.pzxid = zxid;
        }
        self.nodes.remove(path).map(|_| ()).ok_or(Failure::NoNode)
    }

    fn set_cversion_pzxid(&mut self, path: &str, cversion: i32, zxid: i64) {
        if let Some(node) = self.nodes.get_mut(path) {
            let cversion = if cversion == -1 {
                node.stat.cversion + 1
            } else {
                cversion
            };
            if cversion > node.stat.cversion {
                node.stat.cversion = cversion;
                node.stat.pzxid = zxid;
            }
        }
    }

    /// ZooKeeper's tree digest: the wrapping sum over every node outside
    /// /zookeeper/ of CRC-32(path, data, stat fields), the root's path "".
    pub fn digest(&self) -> i64 {
        let mut sum = 0i64;
        for (path, node) in &self.nodes {
            if path.starts_with("/zookeeper/") {
                continue;
            }
            let path = if path == "/" { "" } else { path.as_str() };
            let stat = &node.stat;
            let mut bytes = Vec::with_capacity(path.len() + node.data.len() + 60);
            bytes.extend_from_slice(path.as_bytes());
            bytes.extend_from_slice(&node.data);
            for value in [stat.czxid, stat.mzxid, stat.pzxid, stat.ctime, stat.mtime] {
                bytes.extend_from_slice(&value.to_be_bytes());
            }
            for value in [stat.version, stat.cversion, stat.aversion] {
                bytes.extend_from_slice(&value.to_be_bytes());
            }
            bytes.extend_from_slice(&stat.ephemeral_owner.to_be_bytes());
            sum = sum.wrapping_add(i64::from(crc32(&bytes)));
        }
        sum
    }

    /// Every node as a client would read it.
    pub fn client_views(&self) -> BTreeMap<String, ClientView> {
        self.nodes
            .iter()
            .map(|(path, node)| {
                let stat = &node.stat;
                let children = node.children.len() as i32;
                let view = ClientView {
                    data: node.data.clone(),
                    stat: Stat {
                        czxid: stat.czxid,
                        mzxid: stat.mzxid,
                        ctime: stat.ctime,
                        mtime: stat.mtime,
                        version: stat.version,
                        // DataNode.copyStat: clients count creations and
                        // deletions, the server creations only.
                        cversion: stat.cversion * 2 - children,
                        aversion: stat.aversion,
                        ephemeral_owner: ZkEphemeralType::of(stat.ephemeral_owner, true)
                            .client_ephemeral_owner(),
                        data_length: node.data.len() as i32,
                        num_children: children,
                        pzxid: stat.pzxid,
                    },
                    acl: node.acl.clone(),
                };
                (path.clone(), view)
            })
            .collect()
    }
}

/// (parent, name) of a path; `None` for the root.
fn split(path: &str) -> Option<(&str, &str)> {
    if path == "/" {
        return None;
    }
    let last_slash = path.rfind('/')?;
    let parent = if last_slash == 0 {
        "/"
    } else {
        &path[..last_slash]
    };
    Some((parent, &path[last_slash + 1..]))
}

/// CRC-32 (IEEE 802.3, `java.util.zip.CRC32`), bit by bit: the trees here
/// are small.
fn crc32(bytes: &[u8]) -> u32 {
    let mut crc = !0u32;
    for &byte in bytes {
        crc ^= u32::from(byte);
        for _ in 0..8 {
            crc = if crc & 1 != 0 {
                (crc >> 1) ^ 0xEDB8_8320
            } else {
                crc >> 1
            };
        }
    }
    !crc
}

#[test]
fn crc32_matches_the_check_value() {
    assert_eq!(crc32(b"123456789"), 0xCBF4_3926);
}
