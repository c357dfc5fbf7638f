//! One ZooKeeper session's state and the bytes it sends. No I/O here: the
//! worker owns the socket and the ring, this file owns what goes on the
//! wire and which reply answers which request.

use crate::workload::OpKind;
use ringkeeper_jute::wire::{put_boolean, put_buffer, put_int, put_ustring};
use ringkeeper_jute::{
    write_frame, Acl, ConnectRequest, CreateMode, Id, Jute, MultiHeader, OpCode, Perms,
    RequestHeader, Xid,
};

mod in_flight;
pub use in_flight::InFlightQueue;

/// Where a session is in its life.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum SessionState {
    /// Waiting for its turn to connect (paced), or to reconnect.
    Waiting,
    /// TCP connect submitted.
    Connecting,
    /// ConnectRequest sent, waiting for ConnectResponse.
    Handshaking,
    /// Session established: ops may be sent.
    Ready,
    /// closeSession sent.
    Closing,
    /// Socket shut down; waiting for its in-flight ring ops to complete
    /// before the fd is closed (and maybe reopened).
    Draining,
    /// Done: closed cleanly, or given up on.
    Finished,
}

/// What a request in flight was, to interpret its reply.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Request {
    Op(OpKind),
    /// A delete after the measured phase, removing what the run created.
    Cleanup,
    Close,
}

#[derive(Debug, Clone, Copy)]
pub struct InFlight {
    pub xid: i32,
    pub request: Request,
    /// When the op was due: its send time in a closed loop, its scheduled
    /// time in an open loop.
    pub start_ns: u64,
}

/// Sessions cap the nodes they remember creating, for later deletes.
pub const CREATED_REMEMBERED_MAX: usize = 10_000;

/// Fields in declaration order (`repr(C)`), cache-line aligned: the ones
/// every op touches (reply, next request, send and its completion) come
/// first, in 160 bytes (three cache lines), so an op at 10,000 sessions
/// misses the cache on three lines of its session, not on one per
/// scattered field.
#[derive(Debug)]
#[repr(C, align(64))]
pub struct Session {
    pub state: SessionState,
    /// Ring ops (connect, send, recv) in flight on `fd`.
    pub ring_ops: u8,
    pub send_pending: bool,
    /// A closeSession reply arrived.
    pub closed_cleanly: bool,
    pub next_xid: i32,
    pub last_zxid_seen: i64,
    pub last_send_ns: u64,
    pub last_recv_ns: u64,
    pub send_offset: usize,
    pub in_flight: InFlightQueue,
    /// Bytes queued behind the send in flight.
    pub queued: Vec<u8>,
    /// Bytes handed to the ring (`send_buffer[send_offset..]` still to go).
    pub send_buffer: Vec<u8>,
    /// Received bytes not yet parsed: a partial frame left from an
    /// earlier completion (replies are parsed in the worker's scratch
    /// buffer while this is empty).
    pub recv_buffer: Vec<u8>,
    // Cold: connects, creates and deletes, failures.
    pub server: usize,
    pub fd: i32,
    pub negotiated_timeout_ms: u32,
    pub session_id: i64,
    pub password: Vec<u8>,
    pub connect_started_ns: u64,
    pub connect_attempts: u32,
    /// The session established at least once.
    pub ever_connected: bool,
    /// Earliest time of the next connect attempt.
    pub connect_due_ns: u64,
    /// Nodes this session created, with whether they are ephemeral.
    pub created: Vec<(String, bool)>,
    /// Why the session was given up on, if it was.
    pub failure: Option<String>,
}

impl Session {
    pub fn new(server: usize, connect_due_ns: u64) -> Session {
        Session {
            server,
            fd: -1,
            state: SessionState::Waiting,
            ring_ops: 0,
            session_id: 0,
            password: vec![0; ringkeeper_jute::SESSION_PASSWORD_LEN],
            negotiated_timeout_ms: 0,
            last_zxid_seen: 0,
            next_xid: 1,
            in_flight: InFlightQueue::default(),
            recv_buffer: Vec::new(),
            send_buffer: Vec::new(),
            send_offset: 0,
            send_pending: false,
            queued: Vec::new(),
            last_send_ns: 0,
            last_recv_ns: 0,
            connect_started_ns: 0,
            connect_attempts: 0,
            connect_due_ns,
            created: Vec::new(),
            ever_connected: false,
            failure: None,
            closed_cleanly: false,
        }
    }

    /// Clears per-connection state before a (re)connect; the session id,
    /// password and last zxid survive so the session can be resumed.
    pub fn reset_connection(&mut self) {
        self.fd = -1;
        self.ring_ops = 0;
        self.in_flight.clear();
        self.recv_buffer.clear();
        self.send_buffer.clear();
        self.send_offset = 0;
        self.send_pending = false;
        self.queued.clear();
    }

    /// Forgets the session so the next connect asks for a new one.
    pub fn forget_session(&mut self) {
        self.session_id = 0;
        self.password.iter_mut().for_each(|b| *b = 0);
        self.last_zxid_seen = 0;
        // Ephemerals died with the session.
        self.created.retain(|(_, ephemeral)| !ephemeral);
    }

    pub fn has_free_slot(&self, outstanding: u32) -> bool {
        self.state == SessionState::Ready && self.in_flight.len() < outstanding as usize
    }

    fn take_xid(&mut self) -> i32 {
        let xid = self.next_xid;
        // Wrap below the reserved negative xids, as clients do.
        self.next_xid = if xid == i32::MAX { 1 } else { xid + 1 };
        xid
    }

    /// Queues the handshake.
    pub fn queue_connect_request(&mut self, timeout_ms: u32) {
        let request = ConnectRequest {
            protocol_version: 0,
            last_zxid_seen: self.last_zxid_seen,
            timeout_ms: timeout_ms as i32,
            session_id: self.session_id,
            password: self.password.clone(),
            read_only: false,
        };
        write_frame(&mut self.queued, |out| request.encode(out));
    }

    pub fn queue_ping(&mut self) {
        write_frame(&mut self.queued, |out| {
            RequestHeader {
                xid: Xid::PING,
                op_code: OpCode::Ping.as_i32(),
            }
            .encode(out)
        });
    }

    pub fn queue_close(&mut self, now_ns: u64) {
        let xid = self.take_xid();
        write_frame(&mut self.queued, |out| {
            RequestHeader {
                xid,
                op_code: OpCode::CloseSession.as_i32(),
            }
            .encode(out)
        });
        self.in_flight.push_back(InFlight {
            xid,
            request: Request::Close,
            start_ns: now_ns,
        });
        self.state = SessionState::Closing;
    }

    /// Queues a delete of `path` that is not measured.
    pub fn queue_cleanup_delete(&mut self, path: &str, now_ns: u64) {
        let xid = self.take_xid();
        write_frame(&mut self.queued, |out| {
            header(out, xid, OpCode::Delete);
            put_ustring(out, path);
            put_int(out, -1);
        });
        self.in_flight.push_back(InFlight {
            xid,
            request: Request::Cleanup,
            start_ns: now_ns,
        });
    }

    /// Queues one measured op. `Delete` with nothing to delete becomes a
    /// `Create`; the kind actually sent is returned.
    pub fn queue_op(&mut self, kind: OpKind, target: &OpTarget<'_>, start_ns: u64) -> OpKind {
        let kind = match kind {
            OpKind::Delete if self.created.is_empty() => OpKind::Create,
            kind => kind,
        };
        let xid = self.take_xid();
        let queued = &mut self.queued;
        match kind {
            OpKind::Get => write_frame(queued, |out| {
                header(out, xid, OpCode::GetData);
                put_key_path(out, target.key_prefix, target.key);
                put_boolean(out, false);
            }),
            OpKind::Set => write_frame(queued, |out| {
                header(out, xid, OpCode::SetData);
                put_key_path(out, target.key_prefix, target.key);
                put_buffer(out, target.value);
                put_int(out, -1);
            }),
            OpKind::Exists => write_frame(queued, |out| {
                header(out, xid, OpCode::Exists);
                put_key_path(out, target.key_prefix, target.key);
                put_boolean(out, false);
            }),
            OpKind::Children => write_frame(queued, |out| {
                header(out, xid, OpCode::GetChildren);
                put_ustring(out, target.dir_path);
                put_boolean(out, false);
            }),
            OpKind::Create | OpKind::Ephemeral => {
                let mode = if kind == OpKind::Ephemeral {
                    CreateMode::EphemeralSequential
                } else {
                    CreateMode::PersistentSequential
                };
                write_frame(queued, |out| {
                    header(out, xid, OpCode::Create);
                    put_create_request(out, target.sequence_prefix, target.value, mode);
                })
            }
            OpKind::Delete => {
                let pick = target.pick as usize % self.created.len();
                let (path, _) = self.created.swap_remove(pick);
                write_frame(queued, |out| {
                    header(out, xid, OpCode::Delete);
                    put_ustring(out, &path);
                    put_int(out, -1);
                })
            }
            OpKind::Multi => write_frame(queued, |out| {
                header(out, xid, OpCode::Multi);
                multi_header(out, OpCode::Check);
                put_key_path(out, target.key_prefix, target.key);
                put_int(out, -1);
                multi_header(out, OpCode::SetData);
                put_key_path(out, target.key_prefix, target.other_key);
                put_buffer(out, target.value);
                put_int(out, -1);
                MultiHeader {
                    op_code: -1,
                    done: true,
                    err: -1,
                }
                .encode(out);
            }),
        }
        self.in_flight.push_back(InFlight {
            xid,
            request: Request::Op(kind),
            start_ns,
        });
        kind
    }

    /// Remembers a node this session created, for a later delete.
    pub fn remember_created(&mut self, path: String, ephemeral: bool) {
        if self.created.len() < CREATED_REMEMBERED_MAX {
            self.created.push((path, ephemeral));
        }
    }
}

/// The paths and value an op works on, chosen by the worker.
#[derive(Debug)]
pub struct OpTarget<'a> {
    /// Keys are `{key_prefix}{key}`: written digit by digit, so an op
    /// reads no per-key table (a cache miss or two at 10,000 keys).
    pub key_prefix: &'a str,
    pub key: u32,
    /// The second key of a multi.
    pub other_key: u32,
    pub dir_path: &'a str,
    pub sequence_prefix: &'a str,
    pub value: &'a [u8],
    /// Random number choosing which created node a delete removes.
    pub pick: u64,
}

/// Writes the ustring `{key_prefix}{key}`, as `put_ustring` of
/// `setup::Layout::key_path(key)` would.
pub fn put_key_path(out: &mut Vec<u8>, key_prefix: &str, key: u32) {
    let mut digits = [0u8; 10];
    let mut start = digits.len();
    let mut rest = key;
    loop {
        start -= 1;
        digits[start] = b'0' + (rest % 10) as u8;
        rest /= 10;
        if rest == 0 {
            break;
        }
    }
    let digits = &digits[start..];
    // Both parts are short: a key prefix is a znode path under the root.
    put_int(out, (key_prefix.len() + digits.len()) as i32);
    out.extend_from_slice(key_prefix.as_bytes());
    out.extend_from_slice(digits);
}

fn header(out: &mut Vec<u8>, xid: i32, op_code: OpCode) {
    put_int(out, xid);
    put_int(out, op_code.as_i32());
}

fn multi_header(out: &mut Vec<u8>, op_code: OpCode) {
    MultiHeader {
        op_code: op_code.as_i32(),
        done: false,
        err: -1,
    }
    .encode(out);
}

/// A CreateRequest with the open ACL, written straight into a frame.
pub fn put_create_request(out: &mut Vec<u8>, path: &str, data: &[u8], mode: CreateMode) {
    put_ustring(out, path);
    put_buffer(out, data);
    put_open_acl(out);
    put_int(out, mode.as_i32());
}

/// world:anyone with all permissions (ZooDefs.Ids.OPEN_ACL_UNSAFE).
fn put_open_acl(out: &mut Vec<u8>) {
    put_int(out, 1);
    Acl {
        perms: Perms::ALL,
        id: Id {
            scheme: "world".into(),
            id: "anyone".into(),
        },
    }
    .encode(out);
}

/// Encodes a long the way jute does; used by tests of the request bytes.
#[cfg(test)]
fn long_bytes(value: i64) -> Vec<u8> {
    let mut out = Vec::new();
    ringkeeper_jute::wire::put_long(&mut out, value);
    out
}

#[cfg(test)]
pub(crate) mod tests {
    use super::*;
    use ringkeeper_jute::{
        split_frame, CreateRequest, DeleteRequest, GetDataRequest, MultiOp, MultiRequest, Reader,
        SetDataRequest,
    };

    /// The keys, value and names every op test works on (the ack log's
    /// tests too): keys 7 and 8 under `/loadgen/k`, value `vvvv`.
    pub(crate) fn target() -> OpTarget<'static> {
        OpTarget {
            key_prefix: "/loadgen/k",
            key: 7,
            other_key: 8,
            dir_path: "/loadgen/dir",
            sequence_prefix: "/loadgen/s/n-",
            value: b"vvvv",
            pick: 0,
        }
    }

    /// Splits the session's queued bytes into (header, body) pairs.
    fn frames(session: &Session) -> Vec<(RequestHeader, Vec<u8>)> {
        let mut rest = &session.queued[..];
        let mut frames = Vec::new();
        while let Some((payload, used)) = split_frame(rest, 1 << 20).unwrap() {
            let mut reader = Reader::new(payload);
            let header = RequestHeader::decode(&mut reader).unwrap();
            frames.push((header, reader.rest().to_vec()));
            rest = &rest[used..];
        }
        assert!(rest.is_empty());
        frames
    }

    #[test]
    fn get_and_set_encode_as_the_jute_records() {
        let mut session = Session::new(0, 0);
        session.queue_op(OpKind::Get, &target(), 0);
        session.queue_op(OpKind::Set, &target(), 0);
        let frames = frames(&session);
        assert_eq!(frames[0].0, RequestHeader { xid: 1, op_code: 4 });
        assert_eq!(
            GetDataRequest::from_bytes(&frames[0].1).unwrap(),
            GetDataRequest {
                path: "/loadgen/k7".into(),
                watch: false
            }
        );
        assert_eq!(frames[1].0, RequestHeader { xid: 2, op_code: 5 });
        assert_eq!(
            SetDataRequest::from_bytes(&frames[1].1).unwrap(),
            SetDataRequest {
                path: "/loadgen/k7".into(),
                data: b"vvvv".into(),
                version: -1
            }
        );
        assert_eq!(session.in_flight.len(), 2);
    }

    #[test]
    fn create_then_delete_removes_the_created_node() {
        let mut session = Session::new(0, 0);
        assert_eq!(
            session.queue_op(OpKind::Delete, &target(), 0),
            OpKind::Create
        );
        session.remember_created("/loadgen/s/n-0000000001".into(), false);
        assert_eq!(
            session.queue_op(OpKind::Delete, &target(), 0),
            OpKind::Delete
        );
        let frames = frames(&session);
        let create = CreateRequest::from_bytes(&frames[0].1).unwrap();
        assert_eq!(create.flags, CreateMode::PersistentSequential.as_i32());
        assert_eq!(create.acl[0].id.scheme, "world");
        assert_eq!(
            DeleteRequest::from_bytes(&frames[1].1).unwrap().path,
            "/loadgen/s/n-0000000001"
        );
        assert!(session.created.is_empty());
    }

    #[test]
    fn multi_is_a_check_then_a_set() {
        let mut session = Session::new(0, 0);
        session.queue_op(OpKind::Multi, &target(), 0);
        let frames = frames(&session);
        let multi = MultiRequest::from_bytes(&frames[0].1).unwrap();
        assert!(matches!(&multi.ops[0], MultiOp::Check(c) if c.path == "/loadgen/k7"));
        assert!(matches!(&multi.ops[1], MultiOp::SetData(s) if s.path == "/loadgen/k8"));
    }

    #[test]
    fn key_paths_written_digit_by_digit_match_the_layout() {
        let layout = crate::setup::Layout::new("/loadgen", 10_000);
        for key in [0, 7, 9, 10, 99, 100, 9_999, 1_000_000_007, u32::MAX] {
            let (mut written, mut expected) = (Vec::new(), Vec::new());
            put_key_path(&mut written, &layout.key_prefix, key);
            put_ustring(&mut expected, &layout.key_path(key));
            assert_eq!(written, expected, "key {key}");
        }
    }

    #[test]
    fn connect_request_resumes_the_session() {
        let mut session = Session::new(0, 0);
        session.session_id = 0x1234;
        session.last_zxid_seen = 99;
        session.queue_connect_request(4000);
        let (payload, _) = split_frame(&session.queued, 1 << 20).unwrap().unwrap();
        let request = ConnectRequest::from_bytes(payload).unwrap();
        assert_eq!(request.session_id, 0x1234);
        assert_eq!(request.last_zxid_seen, 99);
        assert_eq!(request.timeout_ms, 4000);
        assert_eq!(&payload[4..12], &long_bytes(99)[..]);
    }
}
