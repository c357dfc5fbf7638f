//! Before the load: one plain blocking session per server checks that the
//! server is reachable and accepts a session (a clear error otherwise,
//! never a hang), and the first server gets the znodes the load uses.

use crate::session::put_create_request;
use ringkeeper_jute::wire::put_int;
use ringkeeper_jute::{
    error_name, write_frame, ConnectRequest, ConnectResponse, CreateMode, ErrorCode, FrameBuffer,
    Jute, OpCode, ReplyHeader, JUTE_MAXBUFFER_DEFAULT_BYTES,
};
use std::io::{ErrorKind, Read, Write};
use std::net::{SocketAddr, TcpStream};
use std::time::Duration;

const CONNECT_TIMEOUT: Duration = Duration::from_secs(5);
const IO_TIMEOUT: Duration = Duration::from_secs(30);
/// Creates in flight at once during setup.
const SETUP_PIPELINE_MAX: usize = 1000;
/// Children of the directory that getChildren lists.
pub const DIR_CHILDREN: u32 = 16;

pub struct BlockingSession {
    server: SocketAddr,
    stream: TcpStream,
    frames: FrameBuffer,
    next_xid: i32,
}

impl BlockingSession {
    pub fn connect(server: SocketAddr, session_timeout_ms: u32) -> Result<BlockingSession, String> {
        let stream = TcpStream::connect_timeout(&server, CONNECT_TIMEOUT)
            .map_err(|error| format!("cannot reach server {server}: {error}"))?;
        stream.set_nodelay(true).ok();
        stream
            .set_read_timeout(Some(IO_TIMEOUT))
            .and_then(|_| stream.set_write_timeout(Some(IO_TIMEOUT)))
            .map_err(|error| format!("{server}: {error}"))?;
        let mut session = BlockingSession {
            server,
            stream,
            frames: FrameBuffer::new(JUTE_MAXBUFFER_DEFAULT_BYTES),
            next_xid: 1,
        };
        let mut bytes = Vec::new();
        let request = ConnectRequest {
            timeout_ms: session_timeout_ms as i32,
            password: vec![0; ringkeeper_jute::SESSION_PASSWORD_LEN],
            ..ConnectRequest::default()
        };
        write_frame(&mut bytes, |out| request.encode(out));
        session.send(&bytes)?;
        let frame = session.read_frame().map_err(|error| {
            format!("{error} during the handshake (is it a ZooKeeper server, and under its maxClientCnxns?)")
        })?;
        let response = ConnectResponse::from_bytes(&frame).map_err(|error| {
            format!("server {server} sent a malformed ConnectResponse: {error}")
        })?;
        if response.timeout_ms <= 0 {
            return Err(format!(
                "server {server} refused the handshake (session timeout 0)"
            ));
        }
        Ok(session)
    }

    fn send(&mut self, bytes: &[u8]) -> Result<(), String> {
        self.stream
            .write_all(bytes)
            .map_err(|error| format!("sending to {}: {error}", self.server))
    }

    fn read_frame(&mut self) -> Result<Vec<u8>, String> {
        let mut chunk = [0u8; 65536];
        loop {
            match self.frames.next_frame() {
                Ok(Some(frame)) => return Ok(frame.to_vec()),
                Ok(None) => {}
                Err(error) => {
                    return Err(format!("server {} sent a bad frame: {error}", self.server))
                }
            }
            let read = match self.stream.read(&mut chunk) {
                Ok(read) => read,
                // A signal (or io_uring task work of an in-process server)
                // interrupted the read: nothing was read, try again.
                Err(error) if error.kind() == ErrorKind::Interrupted => continue,
                Err(error)
                    if matches!(error.kind(), ErrorKind::WouldBlock | ErrorKind::TimedOut) =>
                {
                    return Err(format!(
                        "server {} did not answer within {IO_TIMEOUT:?}",
                        self.server
                    ))
                }
                Err(error) => return Err(format!("reading from {}: {error}", self.server)),
            };
            if read == 0 {
                return Err(format!("server {} closed the connection", self.server));
            }
            self.frames.extend(&chunk[..read]);
        }
    }

    /// Sends requests (op code and encoded body) pipelined and returns the
    /// error code of each reply, in order.
    pub fn pipeline(&mut self, requests: &[(OpCode, Vec<u8>)]) -> Result<Vec<i32>, String> {
        let mut errors = Vec::with_capacity(requests.len());
        for batch in requests.chunks(SETUP_PIPELINE_MAX) {
            let mut bytes = Vec::new();
            let first_xid = self.next_xid;
            for (op_code, body) in batch {
                let xid = self.next_xid;
                self.next_xid += 1;
                write_frame(&mut bytes, |out| {
                    put_int(out, xid);
                    put_int(out, op_code.as_i32());
                    out.extend_from_slice(body);
                });
            }
            self.send(&bytes)?;
            let mut expected_xid = first_xid;
            while expected_xid < self.next_xid {
                let frame = self.read_frame()?;
                let header = ReplyHeader::decode(&mut ringkeeper_jute::Reader::new(&frame))
                    .map_err(|error| format!("server {} sent a bad reply: {error}", self.server))?;
                if header.xid < 0 {
                    continue; // a notification or ping reply
                }
                if header.xid != expected_xid {
                    return Err(format!(
                        "server {} answered xid {} when {} was due",
                        self.server, header.xid, expected_xid
                    ));
                }
                errors.push(header.err);
                expected_xid += 1;
            }
        }
        Ok(errors)
    }

    pub fn close(mut self) -> Result<(), String> {
        let errors = self.pipeline(&[(OpCode::CloseSession, Vec::new())])?;
        match errors[0] {
            0 => Ok(()),
            err => Err(format!(
                "closeSession on {} answered {}",
                self.server,
                error_name(err)
            )),
        }
    }
}

/// The znode layout of a run.
pub struct Layout {
    /// Key `i` is `{key_prefix}{i}`, for `i` in `0..keys`.
    pub key_prefix: String,
    pub keys: u32,
    pub dir_path: String,
    pub sequence_parent: String,
    pub sequence_prefix: String,
}

impl Layout {
    pub fn new(root: &str, keys: u32) -> Layout {
        Layout {
            key_prefix: format!("{root}/k"),
            keys,
            dir_path: format!("{root}/dir"),
            sequence_parent: format!("{root}/s"),
            sequence_prefix: format!("{root}/s/n-"),
        }
    }

    /// The path of key `key` (the load writes the same bytes with
    /// `session::put_key_path`, without building a string).
    pub fn key_path(&self, key: u32) -> String {
        format!("{}{key}", self.key_prefix)
    }
}

/// Checks every server, then creates the root, the keys (with `value`),
/// the directory and its children, and the parent of sequential nodes.
/// Existing nodes are fine; any other error stops the run.
pub fn prepare(
    servers: &[SocketAddr],
    root: &str,
    layout: &Layout,
    value: &[u8],
    session_timeout_ms: u32,
) -> Result<(), String> {
    for &server in &servers[1..] {
        BlockingSession::connect(server, session_timeout_ms)?.close()?;
    }
    let mut session = BlockingSession::connect(servers[0], session_timeout_ms)?;
    let mut creates: Vec<(String, &[u8])> = vec![(root.to_owned(), b"")];
    creates.extend((0..layout.keys).map(|key| (layout.key_path(key), value)));
    creates.push((layout.dir_path.clone(), b""));
    creates.extend((0..DIR_CHILDREN).map(|i| (format!("{}/c{i}", layout.dir_path), &b""[..])));
    creates.push((layout.sequence_parent.clone(), b""));
    let requests: Vec<_> = creates
        .iter()
        .map(|(path, data)| {
            let mut body = Vec::new();
            put_create_request(&mut body, path, data, CreateMode::Persistent);
            (OpCode::Create, body)
        })
        .collect();
    let errors = session.pipeline(&requests)?;
    for ((path, _), err) in creates.iter().zip(errors) {
        if err != 0 && err != ErrorCode::NodeExists.as_i32() {
            return Err(format!(
                "setup: create {path} failed with {}",
                error_name(err)
            ));
        }
    }
    session.close()
}
