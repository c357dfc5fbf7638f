//! apply: ZooKeeper's `DataTree.processTxn` plus the session side of
//! `ZooKeeperServer.processTxn`. It takes only the [`Txn`] (so a txn log
//! can replay it), changes the tree, fires the watches the change
//! triggers (their events go to the outbox at once, before any reply),
//! and returns what the reply needs.
//!
//! Recovery's replay (`replay.rs`) runs the same code with
//! `Effects::Replay`: the same change to the tree and the sessions per
//! txn kind, with no watch events, and the idempotent forms of create and
//! delete a fuzzy snapshot needs (its rules R1 and R2).

use std::sync::Arc;

use ringkeeper_datatree::ephemeral_type::{ttl_to_ephemeral_owner, CONTAINER_EPHEMERAL_OWNER};
use ringkeeper_datatree::path::parent_and_name;
use ringkeeper_datatree::{EphemeralType, TreeError};
use ringkeeper_jute::{Acl, ErrorCode, EventType, NodeData, OpCode, Stat};

use crate::outbox::Outbox;
use crate::server::ZkServer;
use crate::txn::{Txn, TxnRecord};

/// ZooKeeper's `ProcessTxnResult`: the outcome of one txn (or one op of a
/// multi).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct TxnResult {
    /// The txn type (an op code; `Error` for an error txn).
    pub op_code: OpCode,
    /// 0, or the error the txn ended with.
    pub err: i32,
    pub path: String,
    /// The node's Stat after create2/createTTL/createContainer, setData, setACL.
    pub stat: Option<Stat>,
    /// One result per op of a multi.
    pub multi: Vec<TxnResult>,
}

impl TxnResult {
    fn new(op_code: OpCode) -> Self {
        TxnResult {
            op_code,
            err: 0,
            path: String::new(),
            stat: None,
            multi: Vec::new(),
        }
    }
}

/// What applying a txn does besides changing the tree and the sessions.
pub(crate) enum Effects<'o> {
    /// A live commit: the watches the change triggers fire into the
    /// outbox, and a change the tree refuses is the txn's error.
    Live(&'o mut Outbox),
    /// Recovery from the log (`replay.rs`): no watch events; a create of a
    /// node that exists and a delete use the replay rules R1 and R2; a
    /// session created starts its expiry at `now_ms`.
    Replay { now_ms: u64 },
}

impl ZkServer {
    /// Applies a txn (in zxid order): the tree changes, watches fire into
    /// `out`, the last processed zxid advances, and the pending change
    /// records up to this zxid are dropped.
    pub fn apply(&mut self, txn: &Txn, out: &mut Outbox) -> TxnResult {
        if let Some(recorded) = &mut self.recorded_txns {
            recorded.push(txn.clone());
        }
        let result = self.apply_txn(txn, &mut Effects::Live(out));
        if txn.zxid() > self.last_processed_zxid {
            self.last_processed_zxid = txn.zxid();
        }
        // A txn from a log (not prepped here) moves the zxid counter too.
        if txn.zxid() > self.last_prepped_zxid {
            self.last_prepped_zxid = txn.zxid();
        }
        self.changes.applied(txn.zxid());
        self.counters.txns_applied += 1;
        result
    }

    /// The txn's change to the tree and the sessions, with `effects`.
    pub(crate) fn apply_txn(&mut self, txn: &Txn, effects: &mut Effects<'_>) -> TxnResult {
        let op_code = txn.op_code().unwrap_or(OpCode::Error);
        self.apply_record(txn, op_code, &txn.record, effects)
    }

    fn apply_record(
        &mut self,
        txn: &Txn,
        op_code: OpCode,
        record: &TxnRecord,
        effects: &mut Effects<'_>,
    ) -> TxnResult {
        let mut result = TxnResult::new(op_code);
        let zxid = txn.zxid();
        let time_ms = txn.header.time;
        let session_id = txn.session_id();
        let outcome = match record {
            TxnRecord::Create(create) => {
                result.path = create.path.clone();
                let owner = if create.ephemeral { session_id } else { 0 };
                self.create_node(
                    &create.path,
                    &create.data,
                    &create.acl,
                    owner,
                    create.parent_cversion,
                    zxid,
                    time_ms,
                    effects,
                )
                .map(|stat| {
                    if op_code != OpCode::Create {
                        result.stat = Some(stat);
                    }
                })
            }
            TxnRecord::CreateContainer(create) => {
                result.path = create.path.clone();
                self.create_node(
                    &create.path,
                    &create.data,
                    &create.acl,
                    CONTAINER_EPHEMERAL_OWNER,
                    create.parent_cversion,
                    zxid,
                    time_ms,
                    effects,
                )
                .map(|stat| result.stat = Some(stat))
            }
            TxnRecord::CreateTtl(create) => {
                result.path = create.path.clone();
                match ttl_to_ephemeral_owner(create.ttl) {
                    Ok(owner) => self
                        .create_node(
                            &create.path,
                            &create.data,
                            &create.acl,
                            owner,
                            create.parent_cversion,
                            zxid,
                            time_ms,
                            effects,
                        )
                        .map(|stat| result.stat = Some(stat)),
                    Err(_) => Err(ErrorCode::BadArguments),
                }
            }
            TxnRecord::Delete(delete) => {
                result.path = delete.path.clone();
                self.delete_node(&delete.path, zxid, effects)
            }
            TxnRecord::SetData(set) => {
                result.path = set.path.clone();
                match self
                    .tree
                    .set_data(&set.path, &set.data, set.version, zxid, time_ms)
                {
                    Ok(stat) => {
                        result.stat = Some(stat);
                        self.fire(&set.path, EventType::NodeDataChanged, None, effects);
                        Ok(())
                    }
                    Err(error) => Err(error.error_code()),
                }
            }
            TxnRecord::SetAcl(set) => {
                result.path = set.path.clone();
                match self.tree.set_acl(&set.path, &set.acl, set.version) {
                    Ok(stat) => {
                        result.stat = Some(stat);
                        Ok(())
                    }
                    Err(error) => Err(error.error_code()),
                }
            }
            TxnRecord::Check(check) => {
                result.path = check.path.clone();
                Ok(())
            }
            TxnRecord::Error(error) => {
                result.err = error.err;
                Ok(())
            }
            TxnRecord::CreateSession(create) => {
                let timeout_ms = u32::try_from(create.time_out).unwrap_or(0);
                if !self.sessions.exists(session_id) {
                    let now_ms = match effects {
                        Effects::Live(_) => u64::try_from(time_ms).unwrap_or(0),
                        Effects::Replay { now_ms } => *now_ms,
                    };
                    self.sessions.add_session(session_id, timeout_ms, now_ms);
                }
                Ok(())
            }
            TxnRecord::CloseSession(close) => {
                for path in &close.paths_to_delete {
                    // A path already gone is ignored, as killSession does.
                    let _ = self.delete_node(path, zxid, effects);
                }
                // killSession: the ephemerals the txn did not name, each
                // deleted (and its watches fired) as a delete would.
                for path in self.tree.ephemerals(session_id) {
                    let _ = self.delete_node(&path, zxid, effects);
                }
                self.tree.kill_session(session_id, zxid);
                self.ephemeral_order.session_closed(session_id);
                self.sessions.remove_session(session_id);
                Ok(())
            }
            TxnRecord::Multi(subs) => {
                let failed = subs.iter().any(|sub| sub.op_code == OpCode::Error);
                let mut post_failed = false;
                for sub in subs {
                    let sub_result = if sub.op_code == OpCode::Error {
                        post_failed = true;
                        self.apply_record(txn, OpCode::Error, &sub.record, effects)
                    } else if failed {
                        // Ops before the failed one report OK, those after
                        // RuntimeInconsistency; none is applied.
                        let err = if post_failed {
                            ErrorCode::RuntimeInconsistency.as_i32()
                        } else {
                            0
                        };
                        TxnResult {
                            err,
                            ..TxnResult::new(OpCode::Error)
                        }
                    } else {
                        self.apply_record(txn, sub.op_code, &sub.record, effects)
                    };
                    if sub_result.err != 0 && result.err == 0 {
                        result.err = sub_result.err;
                    }
                    result.multi.push(sub_result);
                }
                Ok(())
            }
        };
        if let Err(code) = outcome {
            if result.err == 0 {
                result.err = code.as_i32();
            }
        }
        result
    }

    #[allow(clippy::too_many_arguments)] // the fields of a create txn
    fn create_node(
        &mut self,
        path: &str,
        data: &NodeData,
        acl: &[Acl],
        owner: i64,
        parent_cversion: i32,
        zxid: i64,
        time_ms: i64,
        effects: &mut Effects<'_>,
    ) -> Result<Stat, ErrorCode> {
        let id = match self
            .tree
            .create_node(path, data, acl, owner, parent_cversion, zxid, time_ms)
        {
            Ok(id) => id,
            Err(TreeError::NodeExists) if matches!(effects, Effects::Replay { .. }) => {
                self.replay_create_of_existing(path, parent_cversion, zxid);
                return Err(ErrorCode::NodeExists);
            }
            Err(error) => return Err(error.error_code()),
        };
        if EphemeralType::get(owner, self.config.extended_types_enabled)
            == Ok(EphemeralType::Normal)
        {
            self.ephemeral_order.added(owner, path);
        }
        let stat = self.tree.stat(id);
        self.fire(path, EventType::NodeCreated, Some(acl), effects);
        if let Some((parent, _)) = parent_and_name(path) {
            self.fire(parent, EventType::NodeChildrenChanged, None, effects);
        }
        Ok(stat)
    }

    fn delete_node(
        &mut self,
        path: &str,
        zxid: i64,
        effects: &mut Effects<'_>,
    ) -> Result<(), ErrorCode> {
        if let Effects::Replay { .. } = effects {
            self.replay_delete(path, zxid);
            return Ok(());
        }
        // The owner and ACL outlive the node: the ACL is shared with the
        // tree's cache, not copied.
        let deleted = self.tree.get(path).map(|node| {
            (
                node.stat().ephemeral_owner,
                Arc::clone(self.tree.shared_node_acl(node)),
            )
        });
        self.tree
            .delete_node(path, zxid)
            .map_err(|error| error.error_code())?;
        if let Some((owner, _)) = deleted {
            self.ephemeral_order.removed(owner, path);
        }
        let acl = deleted.as_ref().map_or(&[][..], |(_, acl)| &acl[..]);
        // NodeDeleted on the node (data and child watchers notified once),
        // then NodeChildrenChanged on its parent.
        self.fire(path, EventType::NodeDeleted, Some(acl), effects);
        if let Some((parent, _)) = parent_and_name(path) {
            self.fire(parent, EventType::NodeChildrenChanged, None, effects);
        }
        Ok(())
    }

    /// Triggers the watches `event_type` on `path` fires and delivers the
    /// events to the connections allowed to READ the node: ZooKeeper
    /// 3.8.0 as Debian ships it carries the fix of CVE-2024-23944
    /// (ZOOKEEPER-4799), which checks the READ permission of every watch
    /// event's connection against `acl` (the created, deleted or changed
    /// node's ACL; the parent's for NodeChildrenChanged) and drops the
    /// event when it fails. A one-shot watch whose event is dropped is
    /// gone all the same. `acl` is `None` when the node still exists, to
    /// be looked up only when some watch fired. Replay fires nothing.
    fn fire(
        &mut self,
        path: &str,
        event_type: EventType,
        acl: Option<&[Acl]>,
        effects: &mut Effects<'_>,
    ) {
        let Effects::Live(out) = effects else {
            return;
        };
        self.watches.trigger(path, event_type, &mut self.fired);
        if self.fired.is_empty() {
            return;
        }
        let looked_up;
        let acl = match acl {
            Some(acl) => acl,
            None => {
                looked_up = self
                    .tree
                    .get(path)
                    .map(|node| Arc::clone(self.tree.shared_node_acl(node)));
                looked_up.as_deref().unwrap_or_default()
            }
        };
        self.deliver_fired(acl, out);
    }
}
