//! What the state machine keeps per client connection: its peer and
//! identities, the session it is bound to, and the counters `cons` shows.

use std::net::IpAddr;

use crate::auth::AuthInfo;

#[derive(Debug, Clone)]
pub struct Connection {
    pub peer: IpAddr,
    pub auth: AuthInfo,
    /// Set once the handshake accepted a session.
    pub session_id: Option<i64>,
    /// The timeout negotiated by this connection's handshake.
    pub timeout_ms: u32,
    pub stats: ConnectionStats,
    /// The connection set a watch on a null path (addWatch, setWatches2),
    /// which ZooKeeper holds under Java's null and which never fires; a
    /// second null-path watch request then fails (MarshallingError).
    pub holds_null_path_watch: bool,
}

/// Per-connection counters for `cons` (ServerCnxn's stats).
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct ConnectionStats {
    pub packets_received: u64,
    pub packets_sent: u64,
    /// xid of the last request answered.
    pub last_cxid: i32,
    /// zxid of the last reply.
    pub last_zxid: i64,
    /// ZooKeeper's four-letter name of the last op ("GETD", "CREA", ...).
    pub last_op: &'static str,
    pub established_ms: u64,
    pub last_response_ms: u64,
}

impl Connection {
    pub fn new(peer: IpAddr) -> Self {
        Connection {
            peer,
            auth: AuthInfo::for_peer(peer),
            session_id: None,
            timeout_ms: 0,
            holds_null_path_watch: false,
            stats: ConnectionStats {
                last_cxid: -1,
                last_zxid: -1,
                last_op: "NA",
                ..ConnectionStats::default()
            },
        }
    }
}

/// `FinalRequestProcessor`'s lastOp names.
pub fn last_op_name(op_code: ringkeeper_jute::OpCode) -> &'static str {
    use ringkeeper_jute::OpCode;
    match op_code {
        OpCode::Ping => "PING",
        OpCode::CreateSession => "SESS",
        OpCode::Multi => "MULT",
        OpCode::MultiRead => "MLTR",
        OpCode::Create | OpCode::Create2 | OpCode::CreateTtl | OpCode::CreateContainer => "CREA",
        OpCode::Delete | OpCode::DeleteContainer => "DELE",
        OpCode::SetData => "SETD",
        OpCode::Reconfig => "RECO",
        OpCode::SetAcl => "SETA",
        OpCode::CloseSession => "CLOS",
        OpCode::Sync => "SYNC",
        OpCode::Check => "CHEC",
        OpCode::Exists => "EXIS",
        OpCode::GetData => "GETD",
        OpCode::SetWatches => "SETW",
        OpCode::SetWatches2 => "STW2",
        OpCode::AddWatch => "ADDW",
        OpCode::GetAcl => "GETA",
        OpCode::GetChildren | OpCode::GetChildren2 => "GETC",
        OpCode::GetAllChildrenNumber => "GETACN",
        OpCode::CheckWatches => "CHKW",
        OpCode::RemoveWatches => "REMW",
        OpCode::WhoAmI => "HOMI",
        OpCode::GetEphemerals => "GETE",
        _ => "NA",
    }
}
