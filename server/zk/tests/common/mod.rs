//! A client-side view of [`ZkServer`] for scenario tests: connect, send a
//! request record, and read back what the outbox says, per connection.
#![allow(dead_code)]

use std::net::{IpAddr, Ipv4Addr};

use ringkeeper_jute::{
    Acl, ConnectRequest, ConnectResponse, CreateRequest, Id, Jute, OpCode, Perms, Reader,
    ReplyHeader, RequestHeader, Stat, WatcherEvent,
};
use ringkeeper_zk::{ConnKey, ConnectOutcome, Outbox, ZkConfig, ZkServer};

/// 2023-11-14T22:13:20Z: wall-clock ms, as the shell passes them.
pub const T0_MS: u64 = 1_700_000_000_000;

pub struct Harness {
    pub server: ZkServer,
    pub now_ms: u64,
    next_conn: ConnKey,
    /// Everything the last call produced.
    pub out: Outbox,
}

#[derive(Debug, Clone, Copy)]
pub struct Client {
    pub conn: ConnKey,
    pub session_id: i64,
    pub password: [u8; 16],
}

/// One frame the server sent.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Frame {
    Reply { header: ReplyHeader, body: Vec<u8> },
    Event(WatcherEvent),
    Connect(ConnectResponse),
}

/// A reply and whatever else the call sent.
#[derive(Debug)]
pub struct Answer {
    pub header: ReplyHeader,
    pub body: Vec<u8>,
    /// Events sent to the requesting connection before the reply.
    pub events_before: Vec<WatcherEvent>,
}

impl Answer {
    pub fn err(&self) -> i32 {
        self.header.err
    }

    pub fn decode<T: Jute>(&self) -> T {
        T::from_bytes(&self.body).expect("reply body decodes")
    }
}

pub fn config() -> ZkConfig {
    ZkConfig {
        tick_time_ms: 2_000,
        extended_types_enabled: true,
        super_digest: Some("super:lK75jTNcA+U9vtVEw5vB51mj/w4=".to_string()),
        ..ZkConfig::default()
    }
}

pub fn open_acl() -> Vec<Acl> {
    vec![acl(Perms::ALL, "world", "anyone")]
}

pub fn acl(perms: i32, scheme: &str, id: &str) -> Acl {
    Acl {
        perms,
        id: Id {
            scheme: scheme.to_string(),
            id: id.to_string(),
        },
    }
}

pub fn create_request(path: &str, data: &[u8], flags: i32) -> CreateRequest {
    CreateRequest {
        path: path.to_string(),
        data: data.into(),
        acl: open_acl(),
        flags,
    }
}

impl Default for Harness {
    fn default() -> Self {
        Harness::new(config())
    }
}

impl Harness {
    pub fn new(config: ZkConfig) -> Self {
        Harness {
            server: ZkServer::new(config, T0_MS),
            now_ms: T0_MS,
            next_conn: 1,
            out: Outbox::new(),
        }
    }

    pub fn open(&mut self, peer: IpAddr) -> ConnKey {
        let conn = self.next_conn;
        self.next_conn += 1;
        self.server.open_connection(conn, peer);
        conn
    }

    /// A raw handshake on a fresh connection.
    pub fn handshake(
        &mut self,
        peer: IpAddr,
        request: &ConnectRequest,
    ) -> (ConnKey, ConnectOutcome) {
        let conn = self.open(peer);
        self.out.clear();
        let outcome = self
            .server
            .connect(conn, request, true, self.now_ms, &mut self.out);
        (conn, outcome)
    }

    /// A new session from 127.0.0.1.
    pub fn connect(&mut self) -> Client {
        self.connect_from(IpAddr::V4(Ipv4Addr::LOCALHOST))
    }

    pub fn connect_from(&mut self, peer: IpAddr) -> Client {
        let request = ConnectRequest {
            timeout_ms: 30_000,
            ..ConnectRequest::default()
        };
        let (conn, outcome) = self.handshake(peer, &request);
        let ConnectOutcome::Accepted { session_id } = outcome else {
            panic!("handshake refused: {outcome:?}");
        };
        let response = self
            .connect_responses(conn)
            .pop()
            .expect("a connect response");
        let mut password = [0u8; 16];
        password.copy_from_slice(&response.password);
        Client {
            conn,
            session_id,
            password,
        }
    }

    /// Sends one request; returns the reply to it (panics if none).
    pub fn call(&mut self, client: &Client, xid: i32, op: OpCode, body: &impl Jute) -> Answer {
        self.send(client.conn, xid, op.as_i32(), &body.to_bytes());
        self.answer(client.conn, xid).expect("a reply")
    }

    /// Sends raw bytes as a request body.
    pub fn send(&mut self, conn: ConnKey, xid: i32, op_code: i32, body: &[u8]) {
        self.out.clear();
        let header = RequestHeader { xid, op_code };
        self.server
            .process(conn, &header, body, self.now_ms, &mut self.out);
    }

    pub fn tick(&mut self, now_ms: u64) {
        self.now_ms = now_ms;
        self.out.clear();
        self.server.tick(now_ms, &mut self.out);
    }

    /// Every frame the last call sent to `conn`, in order.
    pub fn frames(&self, conn: ConnKey) -> Vec<Frame> {
        self.out
            .frames()
            .filter(|(to, _)| *to == conn)
            .map(|(_, bytes)| parse_frame(bytes))
            .collect()
    }

    pub fn events(&self, conn: ConnKey) -> Vec<(i32, String)> {
        self.frames(conn)
            .into_iter()
            .filter_map(|frame| match frame {
                Frame::Event(event) => Some((event.event_type, event.path)),
                _ => None,
            })
            .collect()
    }

    pub fn closed(&self, conn: ConnKey) -> bool {
        self.out.closes().contains(&conn)
    }

    fn connect_responses(&self, conn: ConnKey) -> Vec<ConnectResponse> {
        self.out
            .frames()
            .filter(|(to, _)| *to == conn)
            .map(|(_, bytes)| ConnectResponse::from_bytes(&bytes[4..]).expect("connect response"))
            .collect()
    }

    /// The reply with `xid` the last call sent to `conn` (ping: xid -2).
    pub fn answer(&self, conn: ConnKey, xid: i32) -> Option<Answer> {
        let mut events_before = Vec::new();
        for frame in self.frames(conn) {
            match frame {
                Frame::Event(event) => events_before.push(event),
                Frame::Reply { header, body } if header.xid == xid => {
                    return Some(Answer {
                        header,
                        body,
                        events_before,
                    })
                }
                _ => {}
            }
        }
        None
    }
}

fn parse_frame(bytes: &[u8]) -> Frame {
    let len = i32::from_be_bytes(bytes[..4].try_into().unwrap()) as usize;
    assert_eq!(len, bytes.len() - 4, "the length prefix covers the frame");
    let payload = &bytes[4..];
    let mut reader = Reader::new(payload);
    let header = ReplyHeader::decode(&mut reader).unwrap();
    if header.xid == -1 {
        let event = WatcherEvent::decode(&mut reader).unwrap();
        reader.expect_end("WatcherEvent").unwrap();
        return Frame::Event(event);
    }
    Frame::Reply {
        header,
        body: reader.rest().to_vec(),
    }
}

/// The Stat fields a scenario checks, as (version, cversion, aversion,
/// ephemeral_owner, data_length, num_children).
pub fn shape(stat: &Stat) -> (i32, i32, i32, i64, i32, i32) {
    (
        stat.version,
        stat.cversion,
        stat.aversion,
        stat.ephemeral_owner,
        stat.data_length,
        stat.num_children,
    )
}
