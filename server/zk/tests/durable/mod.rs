//! A client-side view of a [`ZkServer`] in the deferred mode, with the
//! txn log reduced to what recovery sees of it: the txns taken, in order,
//! and how far the log said they are durable. Scenario tests drive it.
#![allow(dead_code)]

pub mod snapshots;
pub mod workload;

use std::net::{IpAddr, Ipv4Addr};

use ringkeeper_datatree::{DataTree, TreeOptions};
use ringkeeper_jute::{
    Acl, ConnectRequest, ConnectResponse, CreateRequest, Id, Jute, OpCode, Perms, Reader,
    ReplyHeader, RequestHeader, Stat, WatcherEvent,
};
use ringkeeper_zk::{ApplyMode, ConnKey, ConnectOutcome, Outbox, ZkConfig, ZkServer};

/// 2023-11-14T22:13:20Z: wall-clock ms, as the shell passes them.
pub const T0_MS: u64 = 1_700_000_000_000;

pub fn config() -> ZkConfig {
    ZkConfig {
        tick_time_ms: 2_000,
        extended_types_enabled: true,
        ..ZkConfig::default()
    }
}

pub fn tree_options() -> TreeOptions {
    TreeOptions {
        extended_types_enabled: config().extended_types_enabled,
        ..TreeOptions::default()
    }
}

pub fn open_acl() -> Vec<Acl> {
    vec![Acl {
        perms: Perms::ALL,
        id: Id {
            scheme: "world".into(),
            id: "anyone".into(),
        },
    }]
}

pub fn create_request(path: &str, data: &[u8], flags: i32) -> CreateRequest {
    CreateRequest {
        path: path.to_string(),
        data: data.into(),
        acl: open_acl(),
        flags,
    }
}

#[derive(Debug, Clone, Copy)]
pub struct Client {
    pub conn: ConnKey,
    pub session_id: i64,
    pub password: [u8; 16],
}

/// One frame the server sent to a connection.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Frame {
    Reply { header: ReplyHeader, body: Vec<u8> },
    Event(WatcherEvent),
}

pub struct Durable {
    pub server: ZkServer,
    pub now_ms: u64,
    /// Everything the calls since the last `clear` produced.
    pub out: Outbox,
    next_conn: ConnKey,
    /// The txn log: every txn taken, in order.
    pub log: Vec<(i64, Vec<u8>)>,
    /// The last zxid reported durable (committed).
    pub durable_zxid: i64,
}

impl Default for Durable {
    fn default() -> Self {
        Durable::new(config())
    }
}

impl Durable {
    pub fn new(config: ZkConfig) -> Self {
        let mut server = ZkServer::new(config, T0_MS);
        server.set_apply_mode(ApplyMode::Deferred);
        Durable::around(server, T0_MS)
    }

    /// Drives an existing server (a restored one).
    pub fn around(server: ZkServer, now_ms: u64) -> Self {
        let durable_zxid = server.last_zxid();
        Durable {
            server,
            now_ms,
            out: Outbox::new(),
            next_conn: 1,
            log: Vec::new(),
            durable_zxid,
        }
    }

    pub fn clear(&mut self) {
        self.out.clear();
    }

    /// The handshake of a new session, not yet durable.
    pub fn handshake(&mut self) -> (ConnKey, ConnectOutcome) {
        self.handshake_as(0, &[0; 16])
    }

    pub fn handshake_as(&mut self, session_id: i64, password: &[u8]) -> (ConnKey, ConnectOutcome) {
        let conn = self.next_conn;
        self.next_conn += 1;
        self.server
            .open_connection(conn, IpAddr::V4(Ipv4Addr::LOCALHOST));
        let request = ConnectRequest {
            timeout_ms: 30_000,
            session_id,
            password: password.to_vec(),
            ..ConnectRequest::default()
        };
        let outcome = self
            .server
            .connect(conn, &request, true, self.now_ms, &mut self.out);
        (conn, outcome)
    }

    /// A new session whose createSession is durable and answered.
    pub fn connect(&mut self) -> Client {
        let (conn, outcome) = self.handshake();
        let ConnectOutcome::Accepted { session_id } = outcome else {
            panic!("handshake refused: {outcome:?}");
        };
        self.commit();
        let response = self.connect_response(conn).expect("a ConnectResponse");
        assert_eq!(response.session_id, session_id);
        self.clear();
        let mut password = [0; 16];
        password.copy_from_slice(&response.password);
        Client {
            conn,
            session_id,
            password,
        }
    }

    /// Sends one request (nothing is cleared: frames accumulate).
    pub fn send(&mut self, client: &Client, xid: i32, op: OpCode, body: &impl Jute) {
        self.send_raw(client.conn, xid, op.as_i32(), &body.to_bytes());
    }

    pub fn send_raw(&mut self, conn: ConnKey, xid: i32, op_code: i32, body: &[u8]) {
        let header = RequestHeader { xid, op_code };
        self.server
            .process(conn, &header, body, self.now_ms, &mut self.out);
    }

    pub fn tick(&mut self, now_ms: u64) {
        self.now_ms = now_ms;
        self.server.tick(now_ms, &mut self.out);
    }

    /// The log takes what was prepped (appended, not yet durable).
    pub fn take(&mut self) -> Vec<(i64, Vec<u8>)> {
        let mut taken = Vec::new();
        self.server.take_prepped(&mut taken);
        self.log.extend(taken.iter().cloned());
        taken
    }

    /// The log says everything through `zxid` is durable.
    pub fn commit_through(&mut self, zxid: i64) {
        self.durable_zxid = self.durable_zxid.max(zxid);
        self.server.commit_through(zxid, self.now_ms, &mut self.out);
    }

    /// Take everything prepped and commit it.
    pub fn commit(&mut self) {
        self.take();
        if let Some(&(zxid, _)) = self.log.last() {
            self.commit_through(zxid);
        }
    }

    /// The log's records through `zxid`: what a crash then leaves.
    pub fn log_through(&self, zxid: i64) -> Vec<&[u8]> {
        self.log
            .iter()
            .filter(|(z, _)| *z <= zxid)
            .map(|(_, bytes)| bytes.as_slice())
            .collect()
    }

    /// Every frame sent to `conn` since the last clear, in order.
    pub fn frames(&self, conn: ConnKey) -> Vec<Frame> {
        self.out
            .frames()
            .filter(|(to, _)| *to == conn)
            .map(|(_, bytes)| parse_frame(bytes))
            .collect()
    }

    /// The first frame sent to `conn`, read as a ConnectResponse.
    pub fn connect_response(&self, conn: ConnKey) -> Option<ConnectResponse> {
        let (_, bytes) = self.out.frames().find(|(to, _)| *to == conn)?;
        ConnectResponse::from_bytes(&bytes[4..]).ok()
    }

    /// The reply with `xid` sent to `conn` since the last clear.
    pub fn reply(&self, conn: ConnKey, xid: i32) -> Option<(ReplyHeader, Vec<u8>)> {
        self.frames(conn).into_iter().find_map(|frame| match frame {
            Frame::Reply { header, body } if header.xid == xid => Some((header, body)),
            _ => None,
        })
    }

    /// The xids of the replies sent to `conn`, in order.
    pub fn reply_xids(&self, conn: ConnKey) -> Vec<i32> {
        self.frames(conn)
            .into_iter()
            .filter_map(|frame| match frame {
                Frame::Reply { header, .. } => Some(header.xid),
                Frame::Event(_) => None,
            })
            .collect()
    }

    pub fn events(&self, conn: ConnKey) -> Vec<(i32, String)> {
        self.frames(conn)
            .into_iter()
            .filter_map(|frame| match frame {
                Frame::Event(event) => Some((event.event_type, event.path)),
                Frame::Reply { .. } => None,
            })
            .collect()
    }

    pub fn closed(&self, conn: ConnKey) -> bool {
        self.out.closes().contains(&conn)
    }
}

fn parse_frame(bytes: &[u8]) -> Frame {
    let mut reader = Reader::new(&bytes[4..]);
    let header = ReplyHeader::decode(&mut reader).expect("a reply header");
    if header.xid == -1 {
        return Frame::Event(WatcherEvent::decode(&mut reader).expect("an event"));
    }
    Frame::Reply {
        header,
        body: reader.rest().to_vec(),
    }
}

/// Recovery from an empty data dir: a fresh server, then replay of `log`.
pub fn recover(log: &[&[u8]], now_ms: u64) -> ZkServer {
    let tree = DataTree::with_options(tree_options());
    let mut server = ZkServer::restore(config(), tree, &[], 0, now_ms).expect("restored");
    for bytes in log {
        server.replay(bytes, now_ms).expect("replayed");
    }
    server
}

/// One node as a client sees it, ACL included (not its cache number).
/// Path, data (None: null), Stat, ACL.
pub type NodeListing = (String, Option<Vec<u8>>, Stat, Vec<Acl>);

/// Every node of the tree, by path.
pub fn listing(server: &ZkServer) -> Vec<NodeListing> {
    let tree = server.tree();
    let mut nodes = Vec::new();
    tree.walk(|path, node| {
        nodes.push((
            path.to_string(),
            node.data_or_null().map(<[u8]>::to_vec),
            tree.node_stat(node),
            tree.node_acl(node).to_vec(),
        ));
    });
    nodes.sort_by(|a, b| a.0.cmp(&b.0));
    nodes
}

/// Sessions with their ephemerals (sorted), by id.
pub fn sessions_and_ephemerals(server: &ZkServer) -> Vec<(i64, u32, Vec<String>)> {
    server
        .sessions_for_snapshot()
        .into_iter()
        .map(|(session_id, timeout_ms)| {
            let mut ephemerals = server.tree().ephemerals(session_id);
            ephemerals.sort();
            (session_id, timeout_ms, ephemerals)
        })
        .collect()
}

/// Recovery rebuilt exactly the committed state of `live`.
pub fn assert_same_state(recovered: &ZkServer, live: &ZkServer, context: &str) {
    assert_eq!(recovered.last_zxid(), live.last_zxid(), "{context}: zxid");
    assert_eq!(recovered.digest(), live.digest(), "{context}: digest");
    assert_eq!(
        recovered.tree().recompute_digest(),
        recovered.digest(),
        "{context}: the recovered digest is the tree's"
    );
    assert_eq!(listing(recovered), listing(live), "{context}: nodes");
    assert_eq!(
        sessions_and_ephemerals(recovered),
        sessions_and_ephemerals(live),
        "{context}: sessions and ephemerals"
    );
    assert_eq!(
        recovered.tree().ephemeral_count(),
        live.tree().ephemeral_count(),
        "{context}: ephemeral count"
    );
    recovered
        .tree()
        .check_invariants()
        .expect("the recovered tree is consistent");
}

/// The Stat a reply body starts with (SetData, Exists responses).
pub fn stat_of(body: &[u8]) -> Stat {
    Stat::from_bytes(&body[..Stat::default().to_bytes().len()]).expect("a stat")
}
