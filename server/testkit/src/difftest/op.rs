//! The operations the differential tester sends, and how each goes on the
//! wire. An [`Op`] is plain data: the generator makes it, both servers get
//! byte-identical requests from it, and a mismatch report prints it.
//!
//! Paths are text, but a client may send bytes that are not UTF-8: a path
//! holding one of [`MALFORMED_UTF8_MARKERS`] (private-use chars no other
//! path uses) goes on the wire with the marker's three UTF-8 bytes
//! replaced by three malformed ones, which a server reads as Java does
//! (U+FFFD for each malformed sequence). A path that is exactly
//! [`NULL_PATH`] goes as jute's null (length -1), which Java's jute reads
//! as `null`.

use std::fmt;

use ringkeeper_jute::{
    Acl, AddWatchRequest, AuthPacket, CheckWatchesRequest, CreateMode, CreateRequest,
    CreateTtlRequest, DeleteRequest, ExistsRequest, GetAclRequest, GetAllChildrenNumberRequest,
    GetChildren2Request, GetChildrenRequest, GetDataRequest, GetEphemeralsRequest, Jute, MultiOp,
    MultiRequest, NodeData, OpCode, RemoveWatchesRequest, SetAclRequest, SetDataRequest,
    SetWatches, SetWatches2, SyncRequest, Xid,
};

/// One step of a differential run, sent by session slot `session`.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Op {
    /// create, create2, createContainer or createTTL (`op_code`), with any flags.
    Create {
        session: usize,
        op_code: OpCode,
        path: String,
        data: NodeData,
        acl: Vec<Acl>,
        flags: i32,
        /// Sent only with createTTL.
        ttl_ms: i64,
    },
    Delete {
        session: usize,
        path: String,
        version: i32,
    },
    SetData {
        session: usize,
        path: String,
        data: NodeData,
        version: i32,
    },
    GetData {
        session: usize,
        path: String,
        watch: bool,
    },
    Exists {
        session: usize,
        path: String,
        watch: bool,
    },
    GetChildren {
        session: usize,
        path: String,
        watch: bool,
    },
    GetChildren2 {
        session: usize,
        path: String,
        watch: bool,
    },
    GetAcl {
        session: usize,
        path: String,
    },
    SetAcl {
        session: usize,
        path: String,
        acl: Vec<Acl>,
        version: i32,
    },
    AddAuth {
        session: usize,
        scheme: String,
        auth: Vec<u8>,
    },
    Multi {
        session: usize,
        ops: Vec<MultiOp>,
    },
    MultiRead {
        session: usize,
        ops: Vec<MultiOp>,
    },
    Sync {
        session: usize,
        path: String,
    },
    AddWatch {
        session: usize,
        path: String,
        mode: i32,
    },
    RemoveWatches {
        session: usize,
        path: String,
        watcher_type: i32,
    },
    CheckWatches {
        session: usize,
        path: String,
        watcher_type: i32,
    },
    GetAllChildrenNumber {
        session: usize,
        path: String,
    },
    GetEphemerals {
        session: usize,
        prefix_path: String,
    },
    /// whoAmI: the connection's ids, in the server's order.
    WhoAmI {
        session: usize,
    },
    /// closeSession; a new session then takes the slot.
    CloseSession {
        session: usize,
    },
    /// Several ops sent back to back before any reply is read (as clients
    /// pipeline): the replies must come in order, with the same events
    /// between them. The ops are plain requests of the same session.
    Pipeline {
        session: usize,
        ops: Vec<Op>,
    },
    /// The client drops its connection; the session lives on, its
    /// connection's watches are gone. The slot sends nothing until it
    /// reconnects.
    Disconnect {
        session: usize,
    },
    /// The client resumes its session on a new connection (the handshake
    /// carries its last zxid seen) and, as real clients do, hands back the
    /// watches it holds (`set_watches`, sent with xid -8), if any.
    Reconnect {
        session: usize,
        set_watches: Option<SetWatchesSpec>,
    },
}

/// Stand-ins for malformed UTF-8 in paths: each char (three bytes in
/// UTF-8, `EF A3 B0..B3`) is sent as the three bytes next to it.
pub const MALFORMED_UTF8_MARKERS: [(char, [u8; 3]); 4] = [
    // Bytes no UTF-8 holds: three U+FFFD.
    ('\u{F8F0}', [0xff, 0xfe, 0xfd]),
    // A UTF-16 surrogate written in UTF-8: one U+FFFD in Java.
    ('\u{F8F1}', [0xed, 0xa0, 0x80]),
    // A three-byte sequence cut short, then "a": U+FFFD "a".
    ('\u{F8F2}', [0xe2, 0x82, b'a']),
    // An overlong "/" then "a": two U+FFFD and "a", not a path separator.
    ('\u{F8F3}', [0xc0, 0xaf, b'a']),
];

/// Replaces every marker of [`MALFORMED_UTF8_MARKERS`] in an encoded
/// request by its malformed bytes (same length: no length prefix moves).
pub fn put_malformed_utf8(body: &mut [u8]) {
    let mut at = 0;
    while at + 3 <= body.len() {
        let marker = MALFORMED_UTF8_MARKERS.iter().find(|(marker, _)| {
            let mut encoded = [0u8; 3];
            marker.encode_utf8(&mut encoded);
            body[at..at + 3] == encoded
        });
        match marker {
            Some((_, bytes)) => {
                body[at..at + 3].copy_from_slice(bytes);
                at += 3;
            }
            None => at += 1,
        }
    }
}

/// Stand-in for a null path: a string that is exactly this char is sent
/// as jute's null (length -1) instead ([`put_null_paths`]).
pub const NULL_PATH: &str = "\u{F8FF}";

/// Replaces every ustring that is exactly [`NULL_PATH`] in an encoded
/// request by jute's null, a length of -1 and no bytes.
pub fn put_null_paths(body: &mut Vec<u8>) {
    let mut marked = Vec::with_capacity(4 + NULL_PATH.len());
    marked.extend_from_slice(&(NULL_PATH.len() as i32).to_be_bytes());
    marked.extend_from_slice(NULL_PATH.as_bytes());
    let mut at = 0;
    while at + marked.len() <= body.len() {
        if body[at..at + marked.len()] == marked[..] {
            body.splice(at..at + marked.len(), (-1i32).to_be_bytes());
            at += 4;
        } else {
            at += 1;
        }
    }
}

/// Puts the stand-ins' bytes on the wire: malformed UTF-8 and null paths.
fn put_stand_ins(body: &mut Vec<u8>) {
    put_malformed_utf8(body);
    put_null_paths(body);
}

/// The zxid a setWatches replay is relative to: events the client missed
/// since then fire at once.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum RelativeZxid {
    /// The last zxid the client saw on its old connection (each server's
    /// own, as a real client sends it).
    LastSeen,
    /// 0: every watched node looks changed.
    Zero,
}

/// The watches a reconnecting client hands back: setWatches, or with
/// `version2` setWatches2, which adds the persistent lists.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct SetWatchesSpec {
    pub version2: bool,
    pub relative: RelativeZxid,
    pub data: Vec<String>,
    pub exist: Vec<String>,
    pub child: Vec<String>,
    /// Sent only by setWatches2.
    pub persistent: Vec<String>,
    /// Sent only by setWatches2.
    pub persistent_recursive: Vec<String>,
}

impl SetWatchesSpec {
    pub fn op_code(&self) -> OpCode {
        if self.version2 {
            OpCode::SetWatches2
        } else {
            OpCode::SetWatches
        }
    }

    /// The request body with `relative_zxid` (each server gets its own).
    pub fn body(&self, relative_zxid: i64) -> Vec<u8> {
        let mut body = self.encoded(relative_zxid);
        put_stand_ins(&mut body);
        body
    }

    fn encoded(&self, relative_zxid: i64) -> Vec<u8> {
        if self.version2 {
            SetWatches2 {
                relative_zxid,
                data_watches: self.data.clone(),
                exist_watches: self.exist.clone(),
                child_watches: self.child.clone(),
                persistent_watches: self.persistent.clone(),
                persistent_recursive_watches: self.persistent_recursive.clone(),
            }
            .to_bytes()
        } else {
            SetWatches {
                relative_zxid,
                data_watches: self.data.clone(),
                exist_watches: self.exist.clone(),
                child_watches: self.child.clone(),
            }
            .to_bytes()
        }
    }
}

/// What goes on the wire for an op: a reserved xid (auth) or the next
/// one, the op code and the encoded request body.
pub struct WireRequest {
    pub reserved_xid: Option<i32>,
    pub op_code: OpCode,
    pub body: Vec<u8>,
}

impl Op {
    /// The session slot that sends it.
    pub fn session(&self) -> usize {
        match self {
            Op::Create { session, .. }
            | Op::Delete { session, .. }
            | Op::SetData { session, .. }
            | Op::GetData { session, .. }
            | Op::Exists { session, .. }
            | Op::GetChildren { session, .. }
            | Op::GetChildren2 { session, .. }
            | Op::GetAcl { session, .. }
            | Op::SetAcl { session, .. }
            | Op::AddAuth { session, .. }
            | Op::Multi { session, .. }
            | Op::MultiRead { session, .. }
            | Op::Sync { session, .. }
            | Op::AddWatch { session, .. }
            | Op::RemoveWatches { session, .. }
            | Op::CheckWatches { session, .. }
            | Op::GetAllChildrenNumber { session, .. }
            | Op::GetEphemerals { session, .. }
            | Op::CloseSession { session }
            | Op::WhoAmI { session }
            | Op::Pipeline { session, .. }
            | Op::Disconnect { session }
            | Op::Reconnect { session, .. } => *session,
        }
    }

    /// The op's name, for counts in the run report.
    pub fn name(&self) -> &'static str {
        match self {
            Op::Create { op_code, .. } => op_code.zk_name(),
            Op::Disconnect { .. } => "disconnect",
            Op::Pipeline { .. } => "pipeline",
            Op::Reconnect {
                set_watches: None, ..
            } => "reconnect",
            other => other.wire().op_code.zk_name(),
        }
    }

    /// What goes on the wire. A reconnect's setWatches goes with relative
    /// zxid 0 here ([`SetWatchesSpec::body`] gives each server's own); a
    /// disconnect, a reconnect without setWatches and a pipeline send no
    /// single request (the side performs them) and show as a ping. Marked
    /// paths carry their malformed bytes ([`put_malformed_utf8`]), and a
    /// path that is [`NULL_PATH`] goes as jute's null ([`put_null_paths`]).
    pub fn wire(&self) -> WireRequest {
        let mut wire = self.encoded();
        put_stand_ins(&mut wire.body);
        wire
    }

    fn encoded(&self) -> WireRequest {
        let plain = |op_code: OpCode, body: Vec<u8>| WireRequest {
            reserved_xid: None,
            op_code,
            body,
        };
        match self {
            Op::Create {
                op_code,
                path,
                data,
                acl,
                flags,
                ttl_ms,
                ..
            } => {
                let body = if *op_code == OpCode::CreateTtl {
                    CreateTtlRequest {
                        path: path.clone(),
                        data: data.clone(),
                        acl: acl.clone(),
                        flags: *flags,
                        ttl: *ttl_ms,
                    }
                    .to_bytes()
                } else {
                    CreateRequest {
                        path: path.clone(),
                        data: data.clone(),
                        acl: acl.clone(),
                        flags: *flags,
                    }
                    .to_bytes()
                };
                plain(*op_code, body)
            }
            Op::Delete { path, version, .. } => plain(
                OpCode::Delete,
                DeleteRequest {
                    path: path.clone(),
                    version: *version,
                }
                .to_bytes(),
            ),
            Op::SetData {
                path,
                data,
                version,
                ..
            } => plain(
                OpCode::SetData,
                SetDataRequest {
                    path: path.clone(),
                    data: data.clone(),
                    version: *version,
                }
                .to_bytes(),
            ),
            Op::GetData { path, watch, .. } => plain(
                OpCode::GetData,
                GetDataRequest {
                    path: path.clone(),
                    watch: *watch,
                }
                .to_bytes(),
            ),
            Op::Exists { path, watch, .. } => plain(
                OpCode::Exists,
                ExistsRequest {
                    path: path.clone(),
                    watch: *watch,
                }
                .to_bytes(),
            ),
            Op::GetChildren { path, watch, .. } => plain(
                OpCode::GetChildren,
                GetChildrenRequest {
                    path: path.clone(),
                    watch: *watch,
                }
                .to_bytes(),
            ),
            Op::GetChildren2 { path, watch, .. } => plain(
                OpCode::GetChildren2,
                GetChildren2Request {
                    path: path.clone(),
                    watch: *watch,
                }
                .to_bytes(),
            ),
            Op::GetAcl { path, .. } => plain(
                OpCode::GetAcl,
                GetAclRequest { path: path.clone() }.to_bytes(),
            ),
            Op::SetAcl {
                path, acl, version, ..
            } => plain(
                OpCode::SetAcl,
                SetAclRequest {
                    path: path.clone(),
                    acl: acl.clone(),
                    version: *version,
                }
                .to_bytes(),
            ),
            Op::AddAuth { scheme, auth, .. } => WireRequest {
                reserved_xid: Some(Xid::AUTH),
                op_code: OpCode::Auth,
                body: AuthPacket {
                    auth_type: 0,
                    scheme: scheme.clone(),
                    auth: auth.clone(),
                }
                .to_bytes(),
            },
            Op::Multi { ops, .. } => {
                plain(OpCode::Multi, MultiRequest { ops: ops.clone() }.to_bytes())
            }
            Op::MultiRead { ops, .. } => plain(
                OpCode::MultiRead,
                MultiRequest { ops: ops.clone() }.to_bytes(),
            ),
            Op::Sync { path, .. } => {
                plain(OpCode::Sync, SyncRequest { path: path.clone() }.to_bytes())
            }
            Op::AddWatch { path, mode, .. } => plain(
                OpCode::AddWatch,
                AddWatchRequest {
                    path: path.clone(),
                    mode: *mode,
                }
                .to_bytes(),
            ),
            Op::RemoveWatches {
                path, watcher_type, ..
            } => plain(
                OpCode::RemoveWatches,
                RemoveWatchesRequest {
                    path: path.clone(),
                    watcher_type: *watcher_type,
                }
                .to_bytes(),
            ),
            Op::CheckWatches {
                path, watcher_type, ..
            } => plain(
                OpCode::CheckWatches,
                CheckWatchesRequest {
                    path: path.clone(),
                    watcher_type: *watcher_type,
                }
                .to_bytes(),
            ),
            Op::GetAllChildrenNumber { path, .. } => plain(
                OpCode::GetAllChildrenNumber,
                GetAllChildrenNumberRequest { path: path.clone() }.to_bytes(),
            ),
            Op::GetEphemerals { prefix_path, .. } => plain(
                OpCode::GetEphemerals,
                GetEphemeralsRequest {
                    prefix_path: prefix_path.clone(),
                }
                .to_bytes(),
            ),
            Op::CloseSession { .. } => plain(OpCode::CloseSession, Vec::new()),
            Op::WhoAmI { .. } => plain(OpCode::WhoAmI, Vec::new()),
            Op::Reconnect {
                set_watches: Some(spec),
                ..
            } => WireRequest {
                reserved_xid: Some(Xid::SET_WATCHES),
                op_code: spec.op_code(),
                body: spec.body(0),
            },
            Op::Disconnect { .. } | Op::Reconnect { .. } | Op::Pipeline { .. } => {
                plain(OpCode::Ping, Vec::new())
            }
        }
    }
}

fn flags_name(flags: i32) -> String {
    CreateMode::from_i32(flags)
        .map(|mode| mode.zk_name().to_string())
        .unwrap_or_else(|| format!("flags({flags})"))
}

fn acl_text(acl: &[Acl]) -> String {
    let entries: Vec<String> = acl
        .iter()
        .map(|a| format!("{}:{}:{}", a.id.scheme, a.id.id, a.perms))
        .collect();
    format!("[{}]", entries.join(","))
}

fn multi_op_text(op: &MultiOp) -> String {
    match op {
        MultiOp::Create(r) | MultiOp::Create2(r) | MultiOp::CreateContainer(r) => format!(
            "{} {} {} {}",
            op.op_code(),
            r.path,
            flags_name(r.flags),
            acl_text(&r.acl)
        ),
        MultiOp::CreateTtl(r) => {
            format!("createTTL {} {} ttl={}", r.path, flags_name(r.flags), r.ttl)
        }
        MultiOp::Delete(r) | MultiOp::DeleteContainer(r) => {
            format!("{} {} v={}", op.op_code(), r.path, r.version)
        }
        MultiOp::SetData(r) => format!(
            "setData {} {:?} v={}",
            r.path,
            node_data_text(&r.data),
            r.version
        ),
        MultiOp::Check(r) => format!("check {} v={}", r.path, r.version),
        MultiOp::GetData(r) => format!("getData {} watch={}", r.path, r.watch),
        MultiOp::GetChildren(r) => format!("getChildren {} watch={}", r.path, r.watch),
    }
}

/// A znode's data as [`bytes_text`] shows it, or `null`.
pub fn node_data_text(data: &NodeData) -> String {
    match data.as_option() {
        Some(bytes) => bytes_text(bytes),
        None => "null".to_string(),
    }
}

/// Bytes as text when they are printable UTF-8, else as hex.
pub fn bytes_text(bytes: &[u8]) -> String {
    match std::str::from_utf8(bytes) {
        Ok(text) if text.chars().all(|c| !c.is_control()) => text.to_string(),
        _ => {
            let hex: Vec<String> = bytes.iter().map(|b| format!("{b:02x}")).collect();
            format!("0x{}", hex.join(""))
        }
    }
}

impl fmt::Display for Op {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "session {}: ", self.session())?;
        match self {
            Op::Create {
                op_code,
                path,
                data,
                acl,
                flags,
                ttl_ms,
                ..
            } => {
                write!(
                    f,
                    "{op_code} {path:?} {} data={:?} acl={}",
                    flags_name(*flags),
                    node_data_text(data),
                    acl_text(acl)
                )?;
                if *op_code == OpCode::CreateTtl {
                    write!(f, " ttl={ttl_ms}")?;
                }
                Ok(())
            }
            Op::Delete { path, version, .. } => write!(f, "delete {path:?} v={version}"),
            Op::SetData {
                path,
                data,
                version,
                ..
            } => write!(f, "setData {path:?} {:?} v={version}", node_data_text(data)),
            Op::GetData { path, watch, .. } => write!(f, "getData {path:?} watch={watch}"),
            Op::Exists { path, watch, .. } => write!(f, "exists {path:?} watch={watch}"),
            Op::GetChildren { path, watch, .. } => write!(f, "getChildren {path:?} watch={watch}"),
            Op::GetChildren2 { path, watch, .. } => {
                write!(f, "getChildren2 {path:?} watch={watch}")
            }
            Op::GetAcl { path, .. } => write!(f, "getACL {path:?}"),
            Op::SetAcl {
                path, acl, version, ..
            } => write!(f, "setACL {path:?} {} v={version}", acl_text(acl)),
            Op::AddAuth { scheme, auth, .. } => {
                write!(f, "addAuth {scheme} {:?}", bytes_text(auth))
            }
            Op::Multi { ops, .. } | Op::MultiRead { ops, .. } => {
                let name = if matches!(self, Op::Multi { .. }) {
                    "multi"
                } else {
                    "multiRead"
                };
                let texts: Vec<String> = ops.iter().map(multi_op_text).collect();
                write!(f, "{name} [{}]", texts.join("; "))
            }
            Op::Sync { path, .. } => write!(f, "sync {path:?}"),
            Op::AddWatch { path, mode, .. } => write!(f, "addWatch {path:?} mode={mode}"),
            Op::RemoveWatches {
                path, watcher_type, ..
            } => write!(f, "removeWatches {path:?} type={watcher_type}"),
            Op::CheckWatches {
                path, watcher_type, ..
            } => write!(f, "checkWatches {path:?} type={watcher_type}"),
            Op::GetAllChildrenNumber { path, .. } => write!(f, "getAllChildrenNumber {path:?}"),
            Op::GetEphemerals { prefix_path, .. } => write!(f, "getEphemerals {prefix_path:?}"),
            Op::CloseSession { .. } => write!(f, "closeSession"),
            Op::WhoAmI { .. } => write!(f, "whoAmI"),
            Op::Disconnect { .. } => write!(f, "disconnect"),
            Op::Pipeline { ops, .. } => {
                let texts: Vec<String> = ops
                    .iter()
                    .map(|op| {
                        let text = op.to_string();
                        text.split_once(": ")
                            .map_or(text.clone(), |(_, rest)| rest.to_string())
                    })
                    .collect();
                write!(f, "pipeline [{}]", texts.join("; "))
            }
            Op::Reconnect {
                set_watches: None, ..
            } => write!(f, "reconnect"),
            Op::Reconnect {
                set_watches: Some(spec),
                ..
            } => {
                write!(
                    f,
                    "reconnect + {} relative={:?} data={:?} exist={:?} child={:?}",
                    spec.op_code(),
                    spec.relative,
                    spec.data,
                    spec.exist,
                    spec.child
                )?;
                if spec.version2 {
                    write!(
                        f,
                        " persistent={:?} recursive={:?}",
                        spec.persistent, spec.persistent_recursive
                    )?;
                }
                Ok(())
            }
        }
    }
}
