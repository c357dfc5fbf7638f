//! The records of ringkeeper's hot paths, as a busy ensemble sees them,
//! for the criterion benchmarks in `benches/`: reads and writes of small
//! nodes, pings, watch notifications, a three-op multi, and streams of
//! small frames; and the open ACL every benchmark's nodes carry.

use ringkeeper_jute::{
    write_frame, CheckVersionRequest, CreateMode, CreateRequest, EventType, GetDataRequest,
    GetDataResponse, Id, Jute, KeeperState, MultiOp, MultiRequest, MultiResponse, MultiResult,
    OpCode, Perms, ReplyHeader, RequestHeader, SetDataRequest, SetDataResponse, Stat, WatcherEvent,
    Xid,
};
use ringkeeper_jute::{Acl, ErrorCode};

/// Size of the node values read and written.
pub const VALUE_BYTES: usize = 100;

/// A path of typical depth and length.
pub const NODE_PATH: &str = "/ringkeeper/service/members/node-0000000042";

/// world:anyone with every permission (ZooKeeper's OPEN_ACL_UNSAFE).
pub fn open_acl() -> Vec<Acl> {
    vec![Acl {
        perms: Perms::ALL,
        id: Id {
            scheme: "world".into(),
            id: "anyone".into(),
        },
    }]
}

/// A 100-byte node value.
pub fn node_value() -> Vec<u8> {
    (0..VALUE_BYTES).map(|i| (i * 7) as u8).collect()
}

/// A Stat with every field set to a realistic, multi-byte value.
pub fn full_stat() -> Stat {
    Stat {
        czxid: 0x1_0000_0001,
        mzxid: 0x1_0000_2a3b,
        ctime: 1_767_225_600_000,
        mtime: 1_767_225_654_321,
        version: 17,
        cversion: 3,
        aversion: 1,
        ephemeral_owner: 0x0100_0a3c_5e7f_0001,
        data_length: VALUE_BYTES as i32,
        num_children: 0,
        pzxid: 0x1_0000_0001,
    }
}

pub fn get_data_request() -> GetDataRequest {
    GetDataRequest {
        path: NODE_PATH.into(),
        watch: true,
    }
}

pub fn get_data_response() -> GetDataResponse {
    GetDataResponse {
        data: node_value().into(),
        stat: full_stat(),
    }
}

pub fn set_data_request() -> SetDataRequest {
    SetDataRequest {
        path: NODE_PATH.into(),
        data: node_value().into(),
        version: 17,
    }
}

pub fn set_data_response() -> SetDataResponse {
    SetDataResponse { stat: full_stat() }
}

/// A client's ping: `RequestHeader { xid: -2, op: ping }`, framed.
pub fn ping_header() -> RequestHeader {
    RequestHeader {
        xid: Xid::PING,
        op_code: OpCode::Ping.as_i32(),
    }
}

/// A watch notification's header: xid -1, zxid -1, no error.
pub fn notification_header() -> ReplyHeader {
    ReplyHeader {
        xid: Xid::NOTIFICATION,
        zxid: -1,
        err: ErrorCode::Ok.as_i32(),
    }
}

pub fn watcher_event() -> WatcherEvent {
    WatcherEvent {
        event_type: EventType::NodeDataChanged.as_i32(),
        state: KeeperState::SyncConnected.as_i32(),
        path: NODE_PATH.into(),
    }
}

/// A multi of three ops: create an ephemeral sequential node, set a
/// value, check a version (a typical lock-or-election transaction).
pub fn multi_request() -> MultiRequest {
    MultiRequest {
        ops: vec![
            MultiOp::Create(CreateRequest {
                path: "/ringkeeper/locks/lock-".into(),
                data: node_value().into(),
                acl: open_acl(),
                flags: CreateMode::EphemeralSequential.as_i32(),
            }),
            MultiOp::SetData(set_data_request()),
            MultiOp::Check(CheckVersionRequest {
                path: "/ringkeeper/locks".into(),
                version: 5,
            }),
        ],
    }
}

/// What a server answers to [`multi_request`].
pub fn multi_response() -> MultiResponse {
    MultiResponse {
        results: vec![
            MultiResult::Create {
                path: "/ringkeeper/locks/lock-0000000042".into(),
            },
            MultiResult::SetData { stat: full_stat() },
            MultiResult::Check,
        ],
    }
}

/// `frame_count` small framed requests (getData with a header), back to
/// back as a pipelining client sends them.
pub fn small_frame_stream(frame_count: usize) -> Vec<u8> {
    let mut stream = Vec::new();
    for xid in 1..=frame_count {
        write_frame(&mut stream, |out| {
            RequestHeader {
                xid: xid as i32,
                op_code: OpCode::GetData.as_i32(),
            }
            .encode(out);
            GetDataRequest {
                path: format!("/ringkeeper/n{xid:04}"),
                watch: false,
            }
            .encode(out);
        });
    }
    stream
}
