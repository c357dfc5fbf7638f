//! prep: ZooKeeper's `PrepRequestProcessor.pRequest2Txn`. A write request
//! is checked against the tree as pending txns will leave it (the
//! [`ChangeLog`] overlay), given the next zxid, and turned into a [`Txn`];
//! a request that fails becomes an error txn, which takes a zxid too, as in
//! ZooKeeper.
//!
//! The checks run in ZooKeeper's order, because the order decides which
//! error a client sees when several apply (e.g. create: flags, TTL,
//! session, path shape, ACL validity, parent, CREATE permission, full path,
//! existence, ephemeral parent).

use std::sync::Arc;

use ringkeeper_datatree::ephemeral_type::{ttl_to_ephemeral_owner, CONTAINER_EPHEMERAL_OWNER};
use ringkeeper_datatree::path::validate_path;
use ringkeeper_datatree::{DataTree, EphemeralType, NodeStat};
use ringkeeper_jute::{
    Acl, CheckVersionTxn, CloseSessionTxn, CreateContainerTxn, CreateMode, CreateSessionTxn,
    CreateTtlTxn, CreateTxn, DeleteTxn, ErrorCode, ErrorTxn, MultiOp, NodeData, OpCode, Perms,
    SetAclTxn, SetDataTxn, TxnHeader,
};
use ringkeeper_session::SessionTracker;

use crate::acl::{check_acl, fixup_acl};
use crate::auth::AuthInfo;
use crate::changes::{ChangeLog, ChangeRecord, NodeView};
use crate::config::{ZkConfig, MULTI_OPS_MAX};
use crate::ephemeral_order::EphemeralOrder;
use crate::request::WriteRequest;
use crate::server::{ZkServer, STANDALONE_OWNER};
use crate::txn::{SubTxn, Txn, TxnRecord};

/// The nodes ZooKeeper will not delete (`DataTree.isSpecialPath`).
const SPECIAL_PATHS: [&str; 4] = ["/", "/zookeeper", "/zookeeper/quota", "/zookeeper/config"];

/// Everything one prep reads and writes, borrowed from the server.
struct Prep<'a> {
    tree: &'a DataTree,
    changes: &'a mut ChangeLog,
    sessions: &'a mut SessionTracker,
    config: &'a ZkConfig,
    ephemeral_order: &'a EphemeralOrder,
    auth: &'a AuthInfo,
    session_id: i64,
    zxid: i64,
    time_ms: i64,
}

/// The fields of a create, whichever request carried them; the data is
/// taken from the request so that it moves into the txn uncopied.
struct CreateFields<'r> {
    op_code: OpCode,
    path: &'r str,
    /// The path was jute's null (`path` is ""). A multi never has one
    /// here: ZooKeeper fails such a multi before its ops are prepped.
    path_is_null: bool,
    data: NodeData,
    acl: &'r [Acl],
    flags: i32,
    /// -1 unless the request is a createTTL.
    ttl: i64,
}

impl ZkServer {
    /// prep for a request of connection `conn`: the next zxid and the txn
    /// to log and apply (an error txn when the request fails its checks).
    pub fn prep(&mut self, conn: u64, cxid: i32, request: &WriteRequest, now_ms: u64) -> Txn {
        let session_id = self
            .connections
            .get(&conn)
            .and_then(|connection| connection.session_id)
            .unwrap_or(0);
        self.prep_as(Some(conn), session_id, cxid, Ok(request.clone()), now_ms)
    }

    /// prep on behalf of `session_id`; `conn` supplies the identities
    /// (none for the server's own requests: expiry, container deletes).
    /// `Err(())` is a request whose body did not decode. The request is
    /// taken so that a setData's data moves into its txn uncopied.
    pub(crate) fn prep_as(
        &mut self,
        conn: Option<u64>,
        session_id: i64,
        cxid: i32,
        request: Result<WriteRequest, ()>,
        now_ms: u64,
    ) -> Txn {
        self.last_prepped_zxid += 1;
        let zxid = self.last_prepped_zxid;
        let time_ms = i64::try_from(now_ms).unwrap_or(i64::MAX);
        // Built only for the server's own requests: an empty AuthInfo
        // allocates, and a client's write must not pay for it.
        let no_ids;
        let auth = match conn.and_then(|conn| self.connections.get(&conn)) {
            Some(connection) => &connection.auth,
            None => {
                no_ids = AuthInfo::default();
                &no_ids
            }
        };
        let mut prep = Prep {
            tree: &self.tree,
            changes: &mut self.changes,
            sessions: &mut self.sessions,
            config: &self.config,
            ephemeral_order: &self.ephemeral_order,
            auth,
            session_id,
            zxid,
            time_ms,
        };
        let op_code = request
            .as_ref()
            .map_or(OpCode::Error, WriteRequest::op_code);
        let result = match request {
            Ok(request) => prep.request(request),
            Err(()) => Err(ErrorCode::MarshallingError),
        };
        let (txn_type, record) = match result {
            Ok(record) => (op_code, record),
            Err(code) => (
                OpCode::Error,
                TxnRecord::Error(ErrorTxn { err: code.as_i32() }),
            ),
        };
        Txn {
            header: TxnHeader {
                client_id: session_id,
                cxid,
                zxid,
                time: time_ms,
                txn_type: txn_type.as_i32(),
            },
            record,
        }
    }

    /// The createSession txn of a new session (the handshake's).
    pub(crate) fn prep_create_session(
        &mut self,
        session_id: i64,
        timeout_ms: i32,
        now_ms: u64,
    ) -> Txn {
        self.last_prepped_zxid += 1;
        Txn {
            header: TxnHeader {
                client_id: session_id,
                cxid: 0,
                zxid: self.last_prepped_zxid,
                time: i64::try_from(now_ms).unwrap_or(i64::MAX),
                txn_type: OpCode::CreateSession.as_i32(),
            },
            record: TxnRecord::CreateSession(CreateSessionTxn {
                time_out: timeout_ms,
            }),
        }
    }
}

impl Prep<'_> {
    fn request(&mut self, request: WriteRequest) -> Result<TxnRecord, ErrorCode> {
        match request {
            WriteRequest::Create {
                op_code,
                request,
                path_is_null,
            } => self.create(CreateFields {
                op_code,
                path: &request.path,
                path_is_null,
                data: request.data,
                acl: &request.acl,
                flags: request.flags,
                ttl: -1,
            }),
            WriteRequest::CreateTtl {
                request,
                path_is_null,
            } => self.create(CreateFields {
                op_code: OpCode::CreateTtl,
                path: &request.path,
                path_is_null,
                data: request.data,
                acl: &request.acl,
                flags: request.flags,
                ttl: request.ttl,
            }),
            WriteRequest::Delete(request) => self.delete(&request.path, request.version),
            WriteRequest::DeleteContainer { path } => self.delete_container(&path),
            WriteRequest::SetData(request) => {
                self.set_data(&request.path, request.data, request.version)
            }
            WriteRequest::SetAcl(request) => {
                self.set_acl(&request.path, &request.acl, request.version)
            }
            WriteRequest::Check(request) => self.check(&request.path, request.version),
            WriteRequest::Multi(mut multi) => self.multi(&mut multi.ops),
            // Standalone ZooKeeper 3.8 has reconfigEnabled=false.
            WriteRequest::Reconfig(_) => Err(ErrorCode::ReconfigDisabled),
            WriteRequest::CloseSession => Ok(self.close_session()),
        }
    }

    fn check_session(&mut self) -> Result<(), ErrorCode> {
        self.sessions
            .check_session(self.session_id, STANDALONE_OWNER)
            .map_err(|error| error.error_code())
    }

    /// `getRecordForPath`: the pending record of `path`, else the tree's
    /// node. "" is the root, as in ZooKeeper's node map.
    fn record(&self, path: &str) -> Option<NodeView> {
        let path = if path.is_empty() { "/" } else { path };
        if let Some(record) = self.changes.latest(path) {
            return record.node.clone();
        }
        let node = self.tree.get(path)?;
        Some(NodeView {
            stat: *node.stat(),
            child_count: i32::try_from(node.child_count()).unwrap_or(i32::MAX),
            acl: Arc::clone(self.tree.shared_node_acl(node)),
        })
    }

    fn existing(&self, path: &str) -> Result<NodeView, ErrorCode> {
        self.record(path).ok_or(ErrorCode::NoNode)
    }

    fn push(&mut self, path: &str, node: Option<NodeView>) {
        let path = if path.is_empty() { "/" } else { path };
        self.changes.push(ChangeRecord {
            zxid: self.zxid,
            path: path.to_string(),
            node,
        });
    }

    fn is_normal_ephemeral(&self, owner: i64) -> bool {
        EphemeralType::get(owner, self.config.extended_types_enabled) == Ok(EphemeralType::Normal)
    }

    /// `pRequest2TxnCreate`.
    fn create(&mut self, fields: CreateFields<'_>) -> Result<TxnRecord, ErrorCode> {
        let mode = CreateMode::from_i32(fields.flags).ok_or(ErrorCode::BadArguments)?;
        let is_ttl = matches!(
            mode,
            CreateMode::PersistentWithTtl | CreateMode::PersistentSequentialWithTtl
        );
        // validateCreateRequest
        if is_ttl && !self.config.extended_types_enabled {
            return Err(ErrorCode::Unimplemented);
        }
        if is_ttl {
            ttl_to_ephemeral_owner(fields.ttl).map_err(|_| ErrorCode::BadArguments)?;
        } else if fields.ttl >= 0 {
            return Err(ErrorCode::BadArguments);
        }
        // ZooKeeper 3.8 would log a createTTL of a non-TTL mode with ttl -1
        // and then fail to apply it (the server dies); refuse it here.
        if fields.op_code == OpCode::CreateTtl && !is_ttl {
            return Err(ErrorCode::BadArguments);
        }
        self.check_session()?;
        // validatePathForCreate, whose first use of a null path is a
        // NullPointerException.
        if fields.path_is_null {
            return Err(ErrorCode::MarshallingError);
        }
        let last_slash = fields.path.rfind('/');
        let (Some(last_slash), false) = (last_slash, fields.path.contains('\0')) else {
            return Err(ErrorCode::BadArguments);
        };
        let parent_path = &fields.path[..last_slash];
        let acl = fixup_acl(fields.acl, self.auth)?;
        let parent = self.existing(parent_path)?;
        check_acl(&parent.acl, Perms::CREATE, self.auth)?;
        let path = if mode.is_sequential() {
            ringkeeper_datatree::path::sequential_path(fields.path, parent.stat.cversion)
        } else {
            fields.path.to_string()
        };
        validate_path(&path).map_err(|_| ErrorCode::BadArguments)?;
        if self.record(&path).is_some() {
            return Err(ErrorCode::NodeExists);
        }
        if self.is_normal_ephemeral(parent.stat.ephemeral_owner) {
            return Err(ErrorCode::NoChildrenForEphemerals);
        }
        let new_cversion = parent.stat.cversion.wrapping_add(1);
        let ephemeral_owner = if mode == CreateMode::Container {
            CONTAINER_EPHEMERAL_OWNER
        } else if is_ttl {
            ttl_to_ephemeral_owner(fields.ttl).map_err(|_| ErrorCode::BadArguments)?
        } else if mode.is_ephemeral() {
            self.session_id
        } else {
            0
        };
        let mut parent = parent;
        parent.child_count += 1;
        parent.stat.cversion = new_cversion;
        parent.stat.pzxid = self.zxid;
        self.push(parent_path, Some(parent));
        let stat = NodeStat {
            czxid: self.zxid,
            mzxid: self.zxid,
            ctime_ms: self.time_ms,
            mtime_ms: self.time_ms,
            version: 0,
            cversion: 0,
            aversion: 0,
            ephemeral_owner,
            pzxid: self.zxid,
        };
        self.push(
            &path,
            Some(NodeView {
                stat,
                child_count: 0,
                acl: Arc::from(&acl[..]),
            }),
        );
        // The path, ACL and data move into the txn.
        let data = fields.data;
        Ok(match fields.op_code {
            OpCode::CreateContainer => TxnRecord::CreateContainer(CreateContainerTxn {
                path,
                data,
                acl,
                parent_cversion: new_cversion,
            }),
            OpCode::CreateTtl => TxnRecord::CreateTtl(CreateTtlTxn {
                path,
                data,
                acl,
                parent_cversion: new_cversion,
                ttl: fields.ttl,
            }),
            _ => TxnRecord::Create(CreateTxn {
                path,
                data,
                acl,
                ephemeral: mode.is_ephemeral(),
                parent_cversion: new_cversion,
            }),
        })
    }

    /// `getParentPathAndValidate`.
    fn parent_for_delete<'p>(&self, path: &'p str) -> Result<&'p str, ErrorCode> {
        match path.rfind('/') {
            Some(last_slash) if !path.contains('\0') && !SPECIAL_PATHS.contains(&path) => {
                Ok(&path[..last_slash])
            }
            _ => Err(ErrorCode::BadArguments),
        }
    }

    fn delete(&mut self, path: &str, version: i32) -> Result<TxnRecord, ErrorCode> {
        self.check_session()?;
        let parent_path = self.parent_for_delete(path)?;
        let parent = self.existing(parent_path)?;
        check_acl(&parent.acl, Perms::DELETE, self.auth)?;
        let node = self.existing(path)?;
        check_version(node.stat.version, version)?;
        if node.child_count > 0 {
            return Err(ErrorCode::NotEmpty);
        }
        Ok(self.push_delete(parent_path, parent, path))
    }

    /// The container manager's delete: only empty containers and TTL
    /// nodes, no session or ACL check.
    fn delete_container(&mut self, path: &str) -> Result<TxnRecord, ErrorCode> {
        let parent_path = self.parent_for_delete(path)?;
        let node = self.existing(path)?;
        if node.child_count > 0 {
            return Err(ErrorCode::NotEmpty);
        }
        if self.is_normal_ephemeral(node.stat.ephemeral_owner) {
            return Err(ErrorCode::BadVersion);
        }
        let parent = self.existing(parent_path)?;
        Ok(self.push_delete(parent_path, parent, path))
    }

    /// A delete's records and txn: `parent` loses a child, `path` is gone.
    fn push_delete(&mut self, parent_path: &str, parent: NodeView, path: &str) -> TxnRecord {
        self.push_child_removed(parent_path, parent);
        self.push(path, None);
        TxnRecord::Delete(DeleteTxn {
            path: path.to_string(),
        })
    }

    /// One child of `parent_path` goes: a child fewer, pzxid this zxid.
    fn push_child_removed(&mut self, parent_path: &str, mut parent: NodeView) {
        parent.child_count -= 1;
        parent.stat.pzxid = self.zxid;
        self.push(parent_path, Some(parent));
    }

    fn set_data(
        &mut self,
        path: &str,
        data: NodeData,
        version: i32,
    ) -> Result<TxnRecord, ErrorCode> {
        self.check_session()?;
        validate_path(path).map_err(|_| ErrorCode::BadArguments)?;
        let mut node = self.existing(path)?;
        check_acl(&node.acl, Perms::WRITE, self.auth)?;
        let new_version = check_version(node.stat.version, version)?;
        node.stat.version = new_version;
        node.stat.mtime_ms = self.time_ms;
        node.stat.mzxid = self.zxid;
        self.push(path, Some(node));
        Ok(TxnRecord::SetData(SetDataTxn {
            path: path.to_string(),
            data,
            version: new_version,
        }))
    }

    fn set_acl(&mut self, path: &str, acl: &[Acl], version: i32) -> Result<TxnRecord, ErrorCode> {
        self.check_session()?;
        validate_path(path).map_err(|_| ErrorCode::BadArguments)?;
        let acl = fixup_acl(acl, self.auth)?;
        let mut node = self.existing(path)?;
        check_acl(&node.acl, Perms::ADMIN, self.auth)?;
        let new_aversion = check_version(node.stat.aversion, version)?;
        node.stat.aversion = new_aversion;
        node.acl = Arc::from(&acl[..]);
        self.push(path, Some(node));
        Ok(TxnRecord::SetAcl(SetAclTxn {
            path: path.to_string(),
            acl,
            version: new_aversion,
        }))
    }

    fn check(&mut self, path: &str, version: i32) -> Result<TxnRecord, ErrorCode> {
        self.check_session()?;
        validate_path(path).map_err(|_| ErrorCode::BadArguments)?;
        let node = self.existing(path)?;
        check_acl(&node.acl, Perms::READ, self.auth)?;
        let next_version = check_version(node.stat.version, version)?;
        Ok(TxnRecord::Check(CheckVersionTxn {
            path: path.to_string(),
            version: next_version,
        }))
    }

    /// Every op prepped in order against the effects of the ones before;
    /// at the first failure the multi's records are rolled back and the
    /// remaining ops are not looked at (RuntimeInconsistency).
    fn multi(&mut self, ops: &mut [MultiOp]) -> Result<TxnRecord, ErrorCode> {
        if ops.len() > MULTI_OPS_MAX {
            return Err(ErrorCode::BadArguments);
        }
        let ops = normalize_multi(ops)?;
        self.changes.begin();
        let mut failed = false;
        let mut subs = Vec::with_capacity(ops.len());
        for op in ops {
            if failed {
                subs.push(error_sub(ErrorCode::RuntimeInconsistency));
                continue;
            }
            let op_code = op.op_code();
            let result = match op {
                TxnOp::Create(fields) => self.create(fields),
                TxnOp::Delete { path, version } => self.delete(path, version),
                TxnOp::SetData {
                    path,
                    data,
                    version,
                } => self.set_data(path, data, version),
                TxnOp::Check { path, version } => self.check(path, version),
                TxnOp::CreateWithTtlMode => {
                    self.changes.rollback();
                    return Err(ErrorCode::MarshallingError);
                }
            };
            match result {
                Ok(record) => subs.push(SubTxn { op_code, record }),
                Err(code) => {
                    failed = true;
                    self.changes.rollback();
                    subs.push(error_sub(code));
                }
            }
        }
        if !failed {
            self.changes.commit();
        }
        Ok(TxnRecord::Multi(subs))
    }

    /// closeSession: every ephemeral of the session, as the tree and the
    /// pending changes show them, is deleted by the txn.
    fn close_session(&mut self) -> TxnRecord {
        let mut paths = self.tree.ephemerals(self.session_id);
        for record in self.changes.iter() {
            match &record.node {
                None => paths.retain(|path| *path != record.path),
                Some(node) => {
                    if node.stat.ephemeral_owner == self.session_id && !paths.contains(&record.path)
                    {
                        paths.push(record.path.clone());
                    }
                }
            }
        }
        self.ephemeral_order.sort(self.session_id, &mut paths);
        for path in &paths {
            if let Some((parent_path, _)) = ringkeeper_datatree::path::parent_and_name(path) {
                if let Some(parent) = self.record(parent_path) {
                    self.push_child_removed(parent_path, parent);
                }
            }
            self.push(path, None);
        }
        self.sessions.set_closing(self.session_id);
        TxnRecord::CloseSession(CloseSessionTxn {
            paths_to_delete: paths,
        })
    }
}

/// One op of a multi as ZooKeeper's `MultiOperationRecord` reads it.
enum TxnOp<'r> {
    Create(CreateFields<'r>),
    Delete {
        path: &'r str,
        version: i32,
    },
    SetData {
        path: &'r str,
        data: NodeData,
        version: i32,
    },
    Check {
        path: &'r str,
        version: i32,
    },
    /// A create/create2/createContainer with a TTL mode: ZooKeeper makes
    /// it an `Op.Create` of type createTTL whose request record is a plain
    /// CreateRequest, and prepping it fails casting that record (a
    /// ClassCastException: MarshallingError for the whole multi). An op
    /// after one that failed is never prepped, so it fails only when reached.
    CreateWithTtlMode,
}

impl TxnOp<'_> {
    fn op_code(&self) -> OpCode {
        match self {
            TxnOp::Create(fields) => fields.op_code,
            TxnOp::Delete { .. } => OpCode::Delete,
            TxnOp::SetData { .. } => OpCode::SetData,
            TxnOp::Check { .. } => OpCode::Check,
            TxnOp::CreateWithTtlMode => OpCode::CreateTtl,
        }
    }
}

/// `MultiOperationRecord.deserialize` + `Op.create`: create, create2 and
/// createContainer all become `Op.create(flags)`, whose type follows the
/// flags (container mode: createContainer; otherwise create, so a create2
/// in a multi answers with a path only); a createTTL with a non-TTL mode
/// drops its ttl. A multi that mixes reads with writes, or holds a
/// deleteContainer, does not decode in ZooKeeper (MarshallingError for
/// the whole request); a TTL mode on a plain create decodes but cannot be
/// prepped ([`TxnOp::CreateWithTtlMode`]). Each op's data is taken from
/// the request, to move into its txn uncopied.
fn normalize_multi(ops: &mut [MultiOp]) -> Result<Vec<TxnOp<'_>>, ErrorCode> {
    let mut normalized = Vec::with_capacity(ops.len());
    for op in ops {
        let create_op_code = |flags: i32| match CreateMode::from_i32(flags) {
            Some(CreateMode::Container) => OpCode::CreateContainer,
            Some(CreateMode::PersistentWithTtl | CreateMode::PersistentSequentialWithTtl) => {
                OpCode::CreateTtl
            }
            _ => OpCode::Create,
        };
        normalized.push(match op {
            MultiOp::Create(r) | MultiOp::Create2(r) | MultiOp::CreateContainer(r) => {
                let op_code = create_op_code(r.flags);
                if op_code == OpCode::CreateTtl {
                    normalized.push(TxnOp::CreateWithTtlMode);
                    continue;
                }
                TxnOp::Create(CreateFields {
                    op_code,
                    path: &r.path,
                    path_is_null: false,
                    data: std::mem::take(&mut r.data),
                    acl: &r.acl,
                    flags: r.flags,
                    ttl: -1,
                })
            }
            MultiOp::CreateTtl(r) => {
                let op_code = create_op_code(r.flags);
                TxnOp::Create(CreateFields {
                    op_code,
                    path: &r.path,
                    path_is_null: false,
                    data: std::mem::take(&mut r.data),
                    acl: &r.acl,
                    flags: r.flags,
                    ttl: if op_code == OpCode::CreateTtl {
                        r.ttl
                    } else {
                        -1
                    },
                })
            }
            MultiOp::Delete(r) => TxnOp::Delete {
                path: &r.path,
                version: r.version,
            },
            MultiOp::SetData(r) => TxnOp::SetData {
                path: &r.path,
                data: std::mem::take(&mut r.data),
                version: r.version,
            },
            MultiOp::Check(r) => TxnOp::Check {
                path: &r.path,
                version: r.version,
            },
            MultiOp::DeleteContainer(_) | MultiOp::GetData(_) | MultiOp::GetChildren(_) => {
                return Err(ErrorCode::MarshallingError)
            }
        });
    }
    Ok(normalized)
}

fn error_sub(code: ErrorCode) -> SubTxn {
    SubTxn {
        op_code: OpCode::Error,
        record: TxnRecord::Error(ErrorTxn { err: code.as_i32() }),
    }
}

/// `checkAndIncVersion`: -1 matches any version; the new version is one more.
fn check_version(current: i32, expected: i32) -> Result<i32, ErrorCode> {
    if expected != -1 && expected != current {
        return Err(ErrorCode::BadVersion);
    }
    Ok(current.wrapping_add(1))
}
