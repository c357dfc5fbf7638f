//! ZooKeeper's jute serialization, written once for ringkeeper's server
//! and for loadgen: every record of ZooKeeper 3.8/3.9's `zookeeper.jute`
//! that crosses the client port, the quorum port or goes to disk, the
//! handshake and multi records jute describes only in code, the numeric
//! vocabularies (op codes, error codes, ...) and length framing.
//!
//! This crate is a pure core: bytes in, records out, and back. It owns no
//! sockets, files, clocks or threads, and decoding untrusted bytes never
//! panics and never allocates more than the input could hold (see
//! [`wire`]). It knows nothing of what requests mean.

#[macro_use]
mod macros;

pub mod codes;
pub mod connect;
pub mod error;
pub mod frame;
pub mod java_utf8;
pub mod multi;
pub mod node_data;
pub mod records;
pub mod wire;

pub use codes::{
    error_name, AddWatchMode, CreateMode, ErrorCode, EventType, KeeperState, OpCode, Perms,
    WatcherType, Xid,
};
pub use connect::{ConnectRequest, ConnectResponse, SESSION_PASSWORD_LEN};
pub use error::DecodeError;
pub use frame::{
    split_frame, write_frame, FrameBuffer, FRAME_PREFIX_BYTES, JUTE_MAXBUFFER_DEFAULT_BYTES,
};
pub use multi::{MultiOp, MultiRequest, MultiResponse, MultiResult};
pub use node_data::{AsNodeData, NodeData};
pub use records::data::*;
pub use records::proto::*;
pub use records::server::*;
pub use records::txn::*;
pub use wire::{Jute, Reader};
