//! Random client workloads for the recovery tests: sessions come and go
//! (handshake, close, expiry), writes of every kind hit a small tree
//! where parents, children, ephemerals and sequentials collide, reads
//! queue behind writes, and the log takes and commits txns at random
//! points.

use ringkeeper_jute::{
    DeleteRequest, GetDataRequest, Jute, MultiOp, MultiRequest, NodeData, OpCode, SetAclRequest,
    SetDataRequest, SyncRequest,
};
use ringkeeper_zk::ConnectOutcome;

use super::{create_request, open_acl, Client, Durable};

/// Paths that nest, so deletes meet NotEmpty, creates meet NoNode, and a
/// subtree can be deleted and re-created under the same names.
pub const PATHS: [&str; 7] = ["/a", "/a/b", "/a/b/c", "/d", "/d/e", "/a/s-", "/f"];

#[derive(Debug, Clone)]
pub enum Op {
    Connect,
    /// `mode`: ZooKeeper's create flags (0 persistent, 1 ephemeral, 2
    /// sequential, 4 container).
    Create {
        client: usize,
        path: usize,
        mode: i32,
        data: u8,
    },
    Delete {
        client: usize,
        path: usize,
    },
    SetData {
        client: usize,
        path: usize,
        data: u8,
    },
    SetAcl {
        client: usize,
        path: usize,
    },
    /// Create `create` and delete `delete` in one multi.
    Multi {
        client: usize,
        create: usize,
        delete: usize,
    },
    Read {
        client: usize,
        path: usize,
    },
    Sync {
        client: usize,
    },
    Close {
        client: usize,
    },
    /// The clock moves on by `ms` and the server ticks (expiry, containers).
    Tick {
        ms: u64,
    },
    /// The log takes what is prepped.
    Take,
    /// The log reports durable part of what it took (`share` of 255).
    Commit {
        share: u8,
    },
}

/// The state a workload runs against.
pub struct Run {
    pub d: Durable,
    pub clients: Vec<Client>,
    next_xid: i32,
}

impl Run {
    pub fn new(d: Durable) -> Self {
        Run {
            d,
            clients: Vec::new(),
            next_xid: 1,
        }
    }

    fn client(&self, index: usize) -> Option<Client> {
        match self.clients.len() {
            0 => None,
            n => Some(self.clients[index % n]),
        }
    }

    fn xid(&mut self) -> i32 {
        self.next_xid += 1;
        self.next_xid
    }

    pub fn apply(&mut self, op: &Op) {
        let path = |index: usize| PATHS[index % PATHS.len()];
        match *op {
            Op::Connect => {
                let (conn, outcome) = self.d.handshake();
                if let ConnectOutcome::Accepted { session_id } = outcome {
                    self.clients.push(Client {
                        conn,
                        session_id,
                        password: [0; 16],
                    });
                }
            }
            Op::Create {
                client,
                path: at,
                mode,
                data,
            } => {
                let mut request = create_request(path(at), &[data], mode);
                // Now and then null data, which the log and snapshots keep.
                if data % 5 == 0 {
                    request.data = NodeData::NULL;
                }
                self.send(client, OpCode::Create, &request);
            }
            Op::Delete { client, path: at } => {
                let request = DeleteRequest {
                    path: path(at).into(),
                    version: -1,
                };
                self.send(client, OpCode::Delete, &request);
            }
            Op::SetData {
                client,
                path: at,
                data,
            } => {
                let request = SetDataRequest {
                    path: path(at).into(),
                    data: if data % 4 == 0 {
                        NodeData::NULL
                    } else {
                        vec![data; 1 + usize::from(data % 3)].into()
                    },
                    version: -1,
                };
                self.send(client, OpCode::SetData, &request);
            }
            Op::SetAcl { client, path: at } => {
                let request = SetAclRequest {
                    path: path(at).into(),
                    acl: open_acl(),
                    version: -1,
                };
                self.send(client, OpCode::SetAcl, &request);
            }
            Op::Multi {
                client,
                create,
                delete,
            } => {
                let request = MultiRequest {
                    ops: vec![
                        MultiOp::Create(create_request(path(create), b"m", 0)),
                        MultiOp::Delete(DeleteRequest {
                            path: path(delete).into(),
                            version: -1,
                        }),
                    ],
                };
                self.send(client, OpCode::Multi, &request);
            }
            Op::Read { client, path: at } => {
                let request = GetDataRequest {
                    path: path(at).into(),
                    watch: true,
                };
                self.send(client, OpCode::GetData, &request);
            }
            Op::Sync { client } => {
                let request = SyncRequest { path: "/".into() };
                self.send(client, OpCode::Sync, &request);
            }
            Op::Close { client } => {
                if let Some(client) = self.client(client) {
                    let xid = self.xid();
                    self.d
                        .send_raw(client.conn, xid, OpCode::CloseSession.as_i32(), &[]);
                }
            }
            Op::Tick { ms } => {
                let now_ms = self.d.now_ms + ms;
                self.d.tick(now_ms);
            }
            Op::Take => {
                self.d.take();
            }
            Op::Commit { share } => {
                let taken = self.d.log.last().map_or(0, |(zxid, _)| *zxid);
                let from = self.d.durable_zxid;
                if taken > from {
                    let through = from + (taken - from) * i64::from(share) / 255;
                    self.d.commit_through(through);
                }
            }
        }
        // Nothing checks the frames: the outbox would only grow.
        self.d.clear();
    }

    fn send(&mut self, client: usize, op_code: OpCode, body: &impl Jute) {
        let Some(client) = self.client(client) else {
            return;
        };
        let xid = self.xid();
        self.d
            .send_raw(client.conn, xid, op_code.as_i32(), &body.to_bytes());
    }
}

/// A strategy for one op, weighted towards writes, with the log taking
/// and committing often enough that state moves on.
pub fn op_strategy() -> impl proptest::strategy::Strategy<Value = Op> {
    use proptest::prelude::*;
    let client = 0usize..8;
    let path = 0usize..PATHS.len();
    prop_oneof![
        2 => Just(Op::Connect),
        6 => (client.clone(), path.clone(), prop::sample::select(vec![0, 1, 2, 4]), any::<u8>())
            .prop_map(|(client, path, mode, data)| Op::Create { client, path, mode, data }),
        3 => (client.clone(), path.clone()).prop_map(|(client, path)| Op::Delete { client, path }),
        3 => (client.clone(), path.clone(), any::<u8>())
            .prop_map(|(client, path, data)| Op::SetData { client, path, data }),
        1 => (client.clone(), path.clone()).prop_map(|(client, path)| Op::SetAcl { client, path }),
        2 => (client.clone(), path.clone(), path.clone())
            .prop_map(|(client, create, delete)| Op::Multi { client, create, delete }),
        2 => (client.clone(), path).prop_map(|(client, path)| Op::Read { client, path }),
        1 => client.clone().prop_map(|client| Op::Sync { client }),
        1 => client.prop_map(|client| Op::Close { client }),
        1 => (5_000u64..40_000).prop_map(|ms| Op::Tick { ms }),
        3 => Just(Op::Take),
        3 => any::<u8>().prop_map(|share| Op::Commit { share }),
    ]
}

/// A seeded xorshift: workloads a test can name by seed.
pub struct Rng(pub u64);

impl Rng {
    pub fn below(&mut self, n: u64) -> u64 {
        self.0 ^= self.0 << 13;
        self.0 ^= self.0 >> 7;
        self.0 ^= self.0 << 17;
        self.0 % n.max(1)
    }

    fn index(&mut self, n: usize) -> usize {
        self.below(n as u64) as usize
    }
}

/// One op drawn as `op_strategy` draws them.
pub fn random_op(rng: &mut Rng) -> Op {
    let client = rng.index(8);
    let path = rng.index(PATHS.len());
    let byte = rng.below(256) as u8;
    match rng.below(28) {
        0 | 1 => Op::Connect,
        2..=7 => Op::Create {
            client,
            path,
            mode: [0, 1, 2, 4][rng.index(4)],
            data: byte,
        },
        8..=10 => Op::Delete { client, path },
        11..=13 => Op::SetData {
            client,
            path,
            data: byte,
        },
        14 => Op::SetAcl { client, path },
        15 | 16 => Op::Multi {
            client,
            create: path,
            delete: rng.index(PATHS.len()),
        },
        17 | 18 => Op::Read { client, path },
        19 => Op::Sync { client },
        20 => Op::Close { client },
        21 => Op::Tick {
            ms: 5_000 + rng.below(35_000),
        },
        22..=24 => Op::Take,
        _ => Op::Commit { share: byte },
    }
}
