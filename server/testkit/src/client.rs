//! A minimal blocking ZooKeeper client for tests, over one `TcpStream`.
//!
//! It does exactly what it is told and nothing on its own: no pings in the
//! background, no reconnects, no client-side path checks, no watch
//! bookkeeping. Requests go out in order with the xid the caller gives (or
//! the next one); replies are read in order; a notification (xid -1) that
//! arrives while a reply is awaited is queued as a [`WatchEvent`].
//!
//! ```text
//! connect:  ConnectRequest ->            <- ConnectResponse
//! request:  RequestHeader(xid, op) body ->
//!                                         <- ReplyHeader(-1, ..) WatcherEvent   (queued)
//!                                         <- ReplyHeader(xid, zxid, err) body
//! ```

use std::collections::VecDeque;
use std::fmt;
use std::io::{self, Read, Write};
use std::net::{Shutdown, SocketAddr, TcpStream};
use std::time::{Duration, Instant};

use ringkeeper_jute::frame::{write_frame, Encode};
use ringkeeper_jute::{
    Acl, AddWatchRequest, AsNodeData, AuthPacket, CheckWatchesRequest, ConnectRequest,
    ConnectResponse, Create2Response, CreateMode, CreateRequest, CreateResponse, CreateTtlRequest,
    DecodeError, DeleteRequest, ErrorCode, ExistsRequest, FrameBuffer, GetAclRequest,
    GetAclResponse, GetAllChildrenNumberRequest, GetAllChildrenNumberResponse, GetChildren2Request,
    GetChildren2Response, GetChildrenRequest, GetChildrenResponse, GetDataRequest, GetDataResponse,
    GetEphemeralsRequest, GetEphemeralsResponse, Id, Jute, MultiOp, MultiRequest, MultiResponse,
    MultiResult, NodeData, OpCode, Perms, Reader, RemoveWatchesRequest, ReplyHeader, RequestHeader,
    SetAclRequest, SetAclResponse, SetDataRequest, SetDataResponse, SetWatches, SetWatches2, Stat,
    SyncRequest, SyncResponse, WatcherEvent, Xid,
};

/// Largest reply frame we accept. ZooKeeper bounds its replies by
/// jute.maxbuffer on its side; tests may raise that, so we allow more.
pub const REPLY_FRAME_BYTES_MAX: usize = 16 << 20;
/// How long a reply or event is awaited unless the caller says otherwise.
pub const REPLY_TIMEOUT_DEFAULT_MS: u64 = 10_000;
const CONNECT_TIMEOUT: Duration = Duration::from_secs(5);
const READ_CHUNK_BYTES: usize = 64 * 1024;

/// How to open a connection.
#[derive(Debug, Clone)]
pub struct ConnectOptions {
    /// Requested session timeout; the server clamps it to [2, 20] ticks.
    pub session_timeout_ms: i32,
    /// 0 for a new session, else the session to resume.
    pub session_id: i64,
    /// The password of the session to resume (16 zero bytes for a new one).
    pub password: Vec<u8>,
    pub read_only: bool,
    pub last_zxid_seen: i64,
    /// How long each reply is awaited.
    pub reply_timeout_ms: u64,
}

impl Default for ConnectOptions {
    fn default() -> Self {
        ConnectOptions {
            session_timeout_ms: 30_000,
            session_id: 0,
            password: vec![0; ringkeeper_jute::SESSION_PASSWORD_LEN],
            read_only: false,
            last_zxid_seen: 0,
            reply_timeout_ms: REPLY_TIMEOUT_DEFAULT_MS,
        }
    }
}

impl ConnectOptions {
    /// Options that resume the session `client` holds (same id and password).
    pub fn resume(client: &Client) -> ConnectOptions {
        ConnectOptions {
            session_timeout_ms: client.connect_response.timeout_ms,
            session_id: client.session_id(),
            password: client.password().to_vec(),
            last_zxid_seen: client.last_zxid_seen,
            reply_timeout_ms: client.reply_timeout.as_millis() as u64,
            ..ConnectOptions::default()
        }
    }
}

/// A watch notification as it arrived.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct WatchEvent {
    /// The ReplyHeader's zxid (ZooKeeper 3.8 sends -1).
    pub zxid: i64,
    /// An [`ringkeeper_jute::EventType`] value.
    pub event_type: i32,
    /// A [`ringkeeper_jute::KeeperState`] value.
    pub state: i32,
    pub path: String,
}

impl fmt::Display for WatchEvent {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let event_type = ringkeeper_jute::EventType::from_i32(self.event_type)
            .map(|t| t.zk_name().to_string())
            .unwrap_or_else(|| format!("type({})", self.event_type));
        let state = ringkeeper_jute::KeeperState::from_i32(self.state)
            .map(|s| s.zk_name().to_string())
            .unwrap_or_else(|| format!("state({})", self.state));
        write!(f, "{event_type} {state} {}", self.path)
    }
}

/// A reply as it arrived: the header, and the body undecoded.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Reply {
    pub xid: i32,
    pub zxid: i64,
    /// An [`ErrorCode`] value; 0 is OK.
    pub err: i32,
    pub body: Vec<u8>,
}

impl Reply {
    /// Decodes the body as `T`, which must span it exactly.
    pub fn decode<T: Jute>(&self) -> Result<T, DecodeError> {
        T::from_bytes(&self.body)
    }

    /// `Ok(self)` if `err` is OK, else the error as a [`ClientError::Server`].
    pub fn ok(self, op: OpCode) -> Result<Reply, ClientError> {
        if self.err == 0 {
            Ok(self)
        } else {
            Err(ClientError::Server { op, err: self.err })
        }
    }
}

/// Why a call did not produce the answer asked for.
#[derive(Debug)]
pub enum ClientError {
    Io(io::Error),
    /// The server's bytes did not decode.
    Decode(DecodeError),
    /// The server answered with a non-OK error code.
    Server {
        op: OpCode,
        err: i32,
    },
    /// Nothing (complete) arrived within the timeout.
    TimedOut {
        waited_ms: u64,
    },
    /// The server closed the connection.
    Closed,
    /// The handshake was answered with timeout 0: session expired or bad password.
    SessionRefused(ConnectResponse),
    /// A reply for another request arrived first.
    UnexpectedXid {
        expected: i32,
        got: i32,
    },
}

impl ClientError {
    /// The server's error code, for [`ClientError::Server`].
    pub fn err(&self) -> Option<i32> {
        match self {
            ClientError::Server { err, .. } => Some(*err),
            _ => None,
        }
    }

    /// The server's error code as an [`ErrorCode`], when it is a known one.
    pub fn code(&self) -> Option<ErrorCode> {
        self.err().and_then(ErrorCode::from_i32)
    }
}

impl fmt::Display for ClientError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            ClientError::Io(error) => write!(f, "i/o error: {error}"),
            ClientError::Decode(error) => write!(f, "undecodable reply: {error}"),
            ClientError::Server { op, err } => {
                write!(f, "{op} failed: {}", ringkeeper_jute::error_name(*err))
            }
            ClientError::TimedOut { waited_ms } => write!(f, "no reply within {waited_ms} ms"),
            ClientError::Closed => f.write_str("the server closed the connection"),
            ClientError::SessionRefused(response) => write!(
                f,
                "session refused (timeout {}, session 0x{:x})",
                response.timeout_ms, response.session_id
            ),
            ClientError::UnexpectedXid { expected, got } => {
                write!(f, "expected the reply to xid {expected}, got xid {got}")
            }
        }
    }
}

impl std::error::Error for ClientError {}

impl From<io::Error> for ClientError {
    fn from(error: io::Error) -> Self {
        ClientError::Io(error)
    }
}

impl From<DecodeError> for ClientError {
    fn from(error: DecodeError) -> Self {
        ClientError::Decode(error)
    }
}

/// `world:anyone` with every permission (ZooKeeper's OPEN_ACL_UNSAFE).
pub fn open_acl() -> Vec<Acl> {
    vec![Acl {
        perms: Perms::ALL,
        id: Id {
            scheme: "world".into(),
            id: "anyone".into(),
        },
    }]
}

/// One connection, holding one session.
pub struct Client {
    stream: TcpStream,
    frames: FrameBuffer,
    connect_response: ConnectResponse,
    next_xid: i32,
    last_zxid_seen: i64,
    events: VecDeque<WatchEvent>,
    reply_timeout: Duration,
}

impl fmt::Debug for Client {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("Client")
            .field("session_id", &format_args!("0x{:x}", self.session_id()))
            .field("peer", &self.stream.peer_addr().ok())
            .finish()
    }
}

impl Client {
    /// Connects and performs the handshake. A refused session (timeout 0
    /// in the answer) is [`ClientError::SessionRefused`].
    pub fn connect(addr: SocketAddr, options: &ConnectOptions) -> Result<Client, ClientError> {
        let stream = TcpStream::connect_timeout(&addr, CONNECT_TIMEOUT)?;
        stream.set_nodelay(true)?;
        let mut client = Client {
            stream,
            frames: FrameBuffer::new(REPLY_FRAME_BYTES_MAX),
            connect_response: ConnectResponse::default(),
            next_xid: 1,
            last_zxid_seen: options.last_zxid_seen,
            events: VecDeque::new(),
            reply_timeout: Duration::from_millis(options.reply_timeout_ms),
        };
        let request = ConnectRequest {
            protocol_version: 0,
            last_zxid_seen: options.last_zxid_seen,
            timeout_ms: options.session_timeout_ms,
            session_id: options.session_id,
            password: options.password.clone(),
            read_only: options.read_only,
        };
        let mut frame = Vec::new();
        write_frame(&mut frame, |out| request.encode(out));
        client.send_raw(&frame)?;
        let payload = client.read_frame(client.reply_timeout)?;
        let response = ConnectResponse::from_bytes(&payload)?;
        if response.timeout_ms <= 0 {
            return Err(ClientError::SessionRefused(response));
        }
        client.connect_response = response;
        Ok(client)
    }

    /// Connects with default options: a new session.
    pub fn connect_new(addr: SocketAddr) -> Result<Client, ClientError> {
        Client::connect(addr, &ConnectOptions::default())
    }

    pub fn session_id(&self) -> i64 {
        self.connect_response.session_id
    }

    pub fn password(&self) -> &[u8] {
        &self.connect_response.password
    }

    /// The handshake's answer (negotiated timeout, read-only flag, ...).
    pub fn connect_response(&self) -> &ConnectResponse {
        &self.connect_response
    }

    /// The highest reply-header zxid seen, as a real client tracks it.
    pub fn last_zxid_seen(&self) -> i64 {
        self.last_zxid_seen
    }

    pub fn set_reply_timeout(&mut self, timeout: Duration) {
        self.reply_timeout = timeout;
    }

    /// The next xid [`Client::send`] will use.
    pub fn next_xid(&self) -> i32 {
        self.next_xid
    }

    /// Sends a request with the next xid; returns that xid.
    pub fn send(&mut self, op: OpCode, body: Option<&dyn Encode>) -> Result<i32, ClientError> {
        let xid = self.next_xid;
        self.next_xid = self.next_xid.wrapping_add(1);
        self.send_with_xid(xid, op.as_i32(), body)?;
        Ok(xid)
    }

    /// Sends a request with any xid and any op code (also unknown ones).
    pub fn send_with_xid(
        &mut self,
        xid: i32,
        op_code: i32,
        body: Option<&dyn Encode>,
    ) -> Result<(), ClientError> {
        let mut frame = Vec::new();
        write_frame(&mut frame, |out| {
            RequestHeader { xid, op_code }.encode(out);
            if let Some(body) = body {
                body.encode_into(out);
            }
        });
        self.send_raw(&frame)
    }

    /// Writes bytes as they are: for malformed and oversized frames.
    pub fn send_raw(&mut self, bytes: &[u8]) -> Result<(), ClientError> {
        self.stream.set_write_timeout(Some(self.reply_timeout))?;
        self.stream.write_all(bytes)?;
        Ok(())
    }

    /// Closes our sending side (the server sees end of stream).
    pub fn shutdown_write(&mut self) -> Result<(), ClientError> {
        self.stream.shutdown(Shutdown::Write)?;
        Ok(())
    }

    /// Reads the next frame's payload, whatever it is, waiting at most `timeout`.
    pub fn read_frame(&mut self, timeout: Duration) -> Result<Vec<u8>, ClientError> {
        let deadline = Instant::now() + timeout;
        loop {
            if let Some(payload) = self.frames.next_frame()? {
                return Ok(payload.to_vec());
            }
            let remaining = deadline.saturating_duration_since(Instant::now());
            if remaining.is_zero() {
                return Err(ClientError::TimedOut {
                    waited_ms: timeout.as_millis() as u64,
                });
            }
            self.stream.set_read_timeout(Some(remaining))?;
            let mut chunk = [0u8; READ_CHUNK_BYTES];
            match self.stream.read(&mut chunk) {
                Ok(0) => return Err(ClientError::Closed),
                Ok(n) => self.frames.extend(&chunk[..n]),
                Err(error)
                    if matches!(
                        error.kind(),
                        io::ErrorKind::WouldBlock | io::ErrorKind::TimedOut
                    ) =>
                {
                    return Err(ClientError::TimedOut {
                        waited_ms: timeout.as_millis() as u64,
                    })
                }
                Err(error) if error.kind() == io::ErrorKind::Interrupted => {}
                Err(error) if error.kind() == io::ErrorKind::ConnectionReset => {
                    return Err(ClientError::Closed)
                }
                Err(error) => return Err(error.into()),
            }
        }
    }

    /// Reads the next reply that is not a notification (notifications are
    /// queued as events), waiting at most `timeout`.
    pub fn read_any_reply(&mut self, timeout: Duration) -> Result<Reply, ClientError> {
        let deadline = Instant::now() + timeout;
        loop {
            let remaining = deadline.saturating_duration_since(Instant::now());
            let payload = self.read_frame(remaining)?;
            let mut reader = Reader::new(&payload);
            let header = ReplyHeader::decode(&mut reader)?;
            if header.xid == Xid::NOTIFICATION {
                let event = WatcherEvent::decode(&mut reader)?;
                reader.expect_end(WatcherEvent::NAME)?;
                self.events.push_back(WatchEvent {
                    zxid: header.zxid,
                    event_type: event.event_type,
                    state: event.state,
                    path: event.path,
                });
                continue;
            }
            if header.zxid > self.last_zxid_seen {
                self.last_zxid_seen = header.zxid;
            }
            return Ok(Reply {
                xid: header.xid,
                zxid: header.zxid,
                err: header.err,
                body: reader.rest().to_vec(),
            });
        }
    }

    /// Reads the reply to `xid`; a reply to any other xid is an error
    /// (ZooKeeper answers a session in order).
    pub fn read_reply(&mut self, xid: i32) -> Result<Reply, ClientError> {
        let reply = self.read_any_reply(self.reply_timeout)?;
        if reply.xid != xid {
            return Err(ClientError::UnexpectedXid {
                expected: xid,
                got: reply.xid,
            });
        }
        Ok(reply)
    }

    /// Sends a request and reads its reply, whatever its error code.
    pub fn call(&mut self, op: OpCode, body: Option<&dyn Encode>) -> Result<Reply, ClientError> {
        let xid = self.send(op, body)?;
        self.read_reply(xid)
    }

    /// Sends with a reserved xid (auth -4, setWatches -8, ping -2) and reads its reply.
    pub fn call_with_xid(
        &mut self,
        xid: i32,
        op: OpCode,
        body: Option<&dyn Encode>,
    ) -> Result<Reply, ClientError> {
        self.send_with_xid(xid, op.as_i32(), body)?;
        self.read_reply(xid)
    }

    /// Calls and decodes the body; a non-OK error code is [`ClientError::Server`].
    pub fn request<T: Jute>(&mut self, op: OpCode, body: &dyn Encode) -> Result<T, ClientError> {
        let reply = self.call(op, Some(body))?.ok(op)?;
        Ok(reply.decode()?)
    }

    /// The next watch event: a queued one, else one read within `timeout`.
    /// `Ok(None)` when none arrived; a reply arriving instead is an error.
    pub fn next_event(&mut self, timeout: Duration) -> Result<Option<WatchEvent>, ClientError> {
        if let Some(event) = self.events.pop_front() {
            return Ok(Some(event));
        }
        match self.read_any_reply(timeout) {
            Ok(reply) => Err(ClientError::UnexpectedXid {
                expected: Xid::NOTIFICATION,
                got: reply.xid,
            }),
            Err(ClientError::TimedOut { .. }) => Ok(self.events.pop_front()),
            Err(error) => Err(error),
        }
    }

    /// How many events are queued (arrived, not yet taken).
    pub fn queued_events(&self) -> usize {
        self.events.len()
    }

    /// Every event queued so far, oldest first.
    pub fn take_events(&mut self) -> Vec<WatchEvent> {
        self.events.drain(..).collect()
    }

    /// A ping round trip: every event the server queued for this session
    /// before it answered is queued here once this returns.
    pub fn ping(&mut self) -> Result<(), ClientError> {
        self.call_with_xid(Xid::PING, OpCode::Ping, None)?;
        Ok(())
    }

    pub fn create(
        &mut self,
        path: &str,
        data: &(impl AsNodeData + ?Sized),
        acl: &[Acl],
        mode: CreateMode,
    ) -> Result<String, ClientError> {
        let response: CreateResponse =
            self.request(OpCode::Create, &create_request(path, data, acl, mode))?;
        Ok(response.path)
    }

    /// create2: the created path and its Stat.
    pub fn create2(
        &mut self,
        path: &str,
        data: &(impl AsNodeData + ?Sized),
        acl: &[Acl],
        mode: CreateMode,
    ) -> Result<(String, Stat), ClientError> {
        let response: Create2Response =
            self.request(OpCode::Create2, &create_request(path, data, acl, mode))?;
        Ok((response.path, response.stat))
    }

    pub fn create_container(
        &mut self,
        path: &str,
        data: &(impl AsNodeData + ?Sized),
        acl: &[Acl],
    ) -> Result<(String, Stat), ClientError> {
        let request = create_request(path, data, acl, CreateMode::Container);
        let response: Create2Response = self.request(OpCode::CreateContainer, &request)?;
        Ok((response.path, response.stat))
    }

    /// createTTL; `mode` is PersistentWithTtl or PersistentSequentialWithTtl.
    pub fn create_ttl(
        &mut self,
        path: &str,
        data: &(impl AsNodeData + ?Sized),
        acl: &[Acl],
        mode: CreateMode,
        ttl_ms: i64,
    ) -> Result<(String, Stat), ClientError> {
        let request = CreateTtlRequest {
            path: path.into(),
            data: node_data(data),
            acl: acl.to_vec(),
            flags: mode.as_i32(),
            ttl: ttl_ms,
        };
        let response: Create2Response = self.request(OpCode::CreateTtl, &request)?;
        Ok((response.path, response.stat))
    }

    pub fn delete(&mut self, path: &str, version: i32) -> Result<(), ClientError> {
        let request = DeleteRequest {
            path: path.into(),
            version,
        };
        self.call(OpCode::Delete, Some(&request))?
            .ok(OpCode::Delete)?;
        Ok(())
    }

    /// exists: `Ok(None)` when the node does not exist (the watch, if
    /// asked for, is then an exists watch).
    pub fn exists(&mut self, path: &str, watch: bool) -> Result<Option<Stat>, ClientError> {
        let request = ExistsRequest {
            path: path.into(),
            watch,
        };
        let reply = self.call(OpCode::Exists, Some(&request))?;
        if reply.err == ErrorCode::NoNode.as_i32() {
            return Ok(None);
        }
        let reply = reply.ok(OpCode::Exists)?;
        // ExistsResponse is a Stat alone.
        Ok(Some(
            reply.decode::<ringkeeper_jute::ExistsResponse>()?.stat,
        ))
    }

    /// getData, null data read as empty (see [`Client::get_node_data`]).
    pub fn get_data(&mut self, path: &str, watch: bool) -> Result<(Vec<u8>, Stat), ClientError> {
        let (data, stat) = self.get_node_data(path, watch)?;
        Ok((data.into_option().unwrap_or_default(), stat))
    }

    /// getData as answered: null data (length -1) stays null.
    pub fn get_node_data(
        &mut self,
        path: &str,
        watch: bool,
    ) -> Result<(NodeData, Stat), ClientError> {
        let request = GetDataRequest {
            path: path.into(),
            watch,
        };
        let response: GetDataResponse = self.request(OpCode::GetData, &request)?;
        Ok((response.data, response.stat))
    }

    /// setData; `data` may be null (`&NodeData::NULL`).
    pub fn set_data(
        &mut self,
        path: &str,
        data: &(impl AsNodeData + ?Sized),
        version: i32,
    ) -> Result<Stat, ClientError> {
        let request = SetDataRequest {
            path: path.into(),
            data: node_data(data),
            version,
        };
        let response: SetDataResponse = self.request(OpCode::SetData, &request)?;
        Ok(response.stat)
    }

    /// getChildren, in the server's order.
    pub fn get_children(&mut self, path: &str, watch: bool) -> Result<Vec<String>, ClientError> {
        let request = GetChildrenRequest {
            path: path.into(),
            watch,
        };
        let response: GetChildrenResponse = self.request(OpCode::GetChildren, &request)?;
        Ok(response.children)
    }

    pub fn get_children2(
        &mut self,
        path: &str,
        watch: bool,
    ) -> Result<(Vec<String>, Stat), ClientError> {
        let request = GetChildren2Request {
            path: path.into(),
            watch,
        };
        let response: GetChildren2Response = self.request(OpCode::GetChildren2, &request)?;
        Ok((response.children, response.stat))
    }

    pub fn get_acl(&mut self, path: &str) -> Result<(Vec<Acl>, Stat), ClientError> {
        let response: GetAclResponse =
            self.request(OpCode::GetAcl, &GetAclRequest { path: path.into() })?;
        Ok((response.acl, response.stat))
    }

    pub fn set_acl(&mut self, path: &str, acl: &[Acl], version: i32) -> Result<Stat, ClientError> {
        let request = SetAclRequest {
            path: path.into(),
            acl: acl.to_vec(),
            version,
        };
        let response: SetAclResponse = self.request(OpCode::SetAcl, &request)?;
        Ok(response.stat)
    }

    /// sync: the path the server echoes.
    pub fn sync(&mut self, path: &str) -> Result<String, ClientError> {
        let response: SyncResponse =
            self.request(OpCode::Sync, &SyncRequest { path: path.into() })?;
        Ok(response.path)
    }

    /// multi: one result per op. A failed multi is not an error here: its
    /// results carry the error codes.
    pub fn multi(&mut self, ops: Vec<MultiOp>) -> Result<Vec<MultiResult>, ClientError> {
        let response: MultiResponse = self.request(OpCode::Multi, &MultiRequest { ops })?;
        Ok(response.results)
    }

    /// multiRead (getData and getChildren ops): one result per op.
    pub fn multi_read(&mut self, ops: Vec<MultiOp>) -> Result<Vec<MultiResult>, ClientError> {
        let response: MultiResponse = self.request(OpCode::MultiRead, &MultiRequest { ops })?;
        Ok(response.results)
    }

    /// setWatches (xid -8), as a client sends after reconnecting.
    pub fn set_watches(&mut self, watches: &SetWatches) -> Result<(), ClientError> {
        self.call_with_xid(Xid::SET_WATCHES, OpCode::SetWatches, Some(watches))?
            .ok(OpCode::SetWatches)?;
        Ok(())
    }

    /// setWatches2 (xid -8): with persistent and persistent-recursive watches.
    pub fn set_watches2(&mut self, watches: &SetWatches2) -> Result<(), ClientError> {
        self.call_with_xid(Xid::SET_WATCHES, OpCode::SetWatches2, Some(watches))?
            .ok(OpCode::SetWatches2)?;
        Ok(())
    }

    pub fn add_watch(
        &mut self,
        path: &str,
        mode: ringkeeper_jute::AddWatchMode,
    ) -> Result<(), ClientError> {
        let request = AddWatchRequest {
            path: path.into(),
            mode: mode.as_i32(),
        };
        self.call(OpCode::AddWatch, Some(&request))?
            .ok(OpCode::AddWatch)?;
        Ok(())
    }

    pub fn remove_watches(
        &mut self,
        path: &str,
        watcher_type: ringkeeper_jute::WatcherType,
    ) -> Result<(), ClientError> {
        let request = RemoveWatchesRequest {
            path: path.into(),
            watcher_type: watcher_type.as_i32(),
        };
        self.call(OpCode::RemoveWatches, Some(&request))?
            .ok(OpCode::RemoveWatches)?;
        Ok(())
    }

    pub fn check_watches(
        &mut self,
        path: &str,
        watcher_type: ringkeeper_jute::WatcherType,
    ) -> Result<(), ClientError> {
        let request = CheckWatchesRequest {
            path: path.into(),
            watcher_type: watcher_type.as_i32(),
        };
        self.call(OpCode::CheckWatches, Some(&request))?
            .ok(OpCode::CheckWatches)?;
        Ok(())
    }

    /// addAuth (xid -4). ZooKeeper closes the connection after AUTHFAILED.
    pub fn add_auth(&mut self, scheme: &str, auth: &[u8]) -> Result<(), ClientError> {
        let packet = AuthPacket {
            auth_type: 0,
            scheme: scheme.into(),
            auth: auth.to_vec(),
        };
        self.call_with_xid(Xid::AUTH, OpCode::Auth, Some(&packet))?
            .ok(OpCode::Auth)?;
        Ok(())
    }

    pub fn get_all_children_number(&mut self, path: &str) -> Result<i32, ClientError> {
        let response: GetAllChildrenNumberResponse = self.request(
            OpCode::GetAllChildrenNumber,
            &GetAllChildrenNumberRequest { path: path.into() },
        )?;
        Ok(response.total_number)
    }

    /// The session's ephemeral nodes under `prefix_path`, in the server's order.
    pub fn get_ephemerals(&mut self, prefix_path: &str) -> Result<Vec<String>, ClientError> {
        let response: GetEphemeralsResponse = self.request(
            OpCode::GetEphemerals,
            &GetEphemeralsRequest {
                prefix_path: prefix_path.into(),
            },
        )?;
        Ok(response.ephemerals)
    }

    /// closeSession: waits for the reply; the server then closes the connection.
    pub fn close(mut self) -> Result<(), ClientError> {
        self.call(OpCode::CloseSession, None)?
            .ok(OpCode::CloseSession)?;
        Ok(())
    }
}

/// `data` as a request carries it (null stays null).
fn node_data(data: &(impl AsNodeData + ?Sized)) -> NodeData {
    data.as_node_data().map(<[u8]>::to_vec).into()
}

fn create_request(
    path: &str,
    data: &(impl AsNodeData + ?Sized),
    acl: &[Acl],
    mode: CreateMode,
) -> CreateRequest {
    CreateRequest {
        path: path.into(),
        data: node_data(data),
        acl: acl.to_vec(),
        flags: mode.as_i32(),
    }
}
