//! The real run: a `ringkeeper` process with small segments and a small
//! snapCount, a mixed workload through the testkit's raw client (creates of
//! every mode, setData, delete, multi that succeed and fail, pipelined
//! bursts, sessions opened and closed), every acknowledged write recorded
//! with its zxid, then SIGKILL and the data dir read into memory.

use std::collections::{BTreeMap, VecDeque};
use std::time::{Duration, Instant};

use ringkeeper_jute::frame::Encode;
use ringkeeper_jute::{
    CheckVersionRequest, CreateMode, CreateRequest, CreateResponse, DeleteRequest, Jute, MultiOp,
    MultiRequest, MultiResponse, MultiResult, OpCode,
};
use ringkeeper_testkit::{open_acl, Client, Reply, ServerKind, ServerOptions, TestServer};

use super::model::{AckedWrite, Effect, WORKLOAD_ROOT};

/// zoo.cfg of the run: 4 KiB segments (the smallest, `SEGMENT_BYTES_MIN`)
/// and a snapshot every 32 to 64 txns.
pub const RUN_CFG: &[(&str, &str)] = &[("preAllocSize", "4"), ("snapCount", "64")];

/// Rounds of the workload; each writes about 25 txns.
const ROUNDS: usize = 30;
/// Sessions of the rounds kept open at once; older ones are closed.
const OPEN_SESSIONS_MAX: usize = 3;
/// Requests sent before their replies are read, in each round's burst.
const BURST_NODES: usize = 6;
/// Snapshots the run waits for before the kill.
const SNAPSHOTS_WANTED: usize = 4;
const SNAPSHOT_WAIT_MAX: Duration = Duration::from_secs(20);

/// The files the killed server left, and what its clients were told.
pub struct RealRun {
    /// File name -> bytes, for every file of dataDir (= dataLogDir).
    pub files: BTreeMap<String, Vec<u8>>,
    /// Every acknowledged write, in zxid order.
    pub acked: Vec<AckedWrite>,
}

/// zoo.cfg options of the run (also used to restart on damaged copies).
pub fn server_options() -> ServerOptions {
    ServerOptions {
        force_sync: true,
        extra_cfg: RUN_CFG
            .iter()
            .map(|(k, v)| (k.to_string(), v.to_string()))
            .collect(),
        ..ServerOptions::default()
    }
}

/// Runs the workload on a fresh server, kills it and reads its files.
pub fn real_run() -> RealRun {
    let mut server =
        TestServer::start(ServerKind::Ringkeeper, &server_options()).expect("ringkeeper starts");
    let mut driver = Driver {
        acked: Vec::new(),
        server: &server,
    };
    driver.run();
    let acked = driver.acked;
    wait_for_snapshots(&server);
    server.kill();
    let mut files = BTreeMap::new();
    for entry in std::fs::read_dir(server.data_dir()).expect("dataDir lists") {
        let entry = entry.expect("dataDir entry");
        let name = entry
            .file_name()
            .into_string()
            .expect("file names are UTF-8");
        files.insert(name, std::fs::read(entry.path()).expect("file reads"));
    }
    let mut acked = acked;
    acked.sort_by_key(|write| write.zxid);
    RealRun { files, acked }
}

fn wait_for_snapshots(server: &TestServer) {
    let deadline = Instant::now() + SNAPSHOT_WAIT_MAX;
    loop {
        let snapshots = std::fs::read_dir(server.data_dir())
            .expect("dataDir lists")
            .filter_map(|e| e.ok()?.file_name().into_string().ok())
            .filter(|name| name.starts_with("snapshot.") && !name.ends_with(".tmp"))
            .count();
        if snapshots >= SNAPSHOTS_WANTED {
            return;
        }
        assert!(
            Instant::now() < deadline,
            "only {snapshots} snapshots after the workload\n{}",
            server.log_tail(20)
        );
        std::thread::sleep(Duration::from_millis(50));
    }
}

struct Driver<'a> {
    acked: Vec<AckedWrite>,
    server: &'a TestServer,
}

fn path(name: &str) -> String {
    format!("{WORKLOAD_ROOT}/{name}")
}

/// A request's data field from bytes, whatever type the record gives the
/// field (bytes, or a type that also tells null data from empty).
fn request_data<T: From<Vec<u8>>>(bytes: &[u8]) -> T {
    T::from(bytes.to_vec())
}

fn create_request(path: &str, data: &[u8], mode: CreateMode) -> CreateRequest {
    CreateRequest {
        path: path.into(),
        data: request_data(data),
        acl: open_acl(),
        flags: mode.as_i32(),
    }
}

fn ephemeral_owner(mode: CreateMode, session_id: i64) -> i64 {
    match mode {
        CreateMode::Ephemeral | CreateMode::EphemeralSequential => session_id,
        _ => 0,
    }
}

/// Data of a varying size (1 to 300 bytes), so records vary in length.
fn data_of(label: &str, round: usize) -> Vec<u8> {
    let len = 1 + (round * 37 + label.len() * 11) % 300;
    label.bytes().cycle().take(len).collect()
}

impl Driver<'_> {
    fn connect(&self) -> Client {
        Client::connect_new(self.server.addr()).expect("session opens")
    }

    /// Sends one write, reads its reply and records it.
    fn write(&mut self, client: &mut Client, op: OpCode, body: &dyn Encode) -> Reply {
        let reply = client
            .call(op, Some(body))
            .unwrap_or_else(|e| panic!("{op:?}: {e}"));
        self.acked.push(AckedWrite {
            zxid: reply.zxid,
            effects: Vec::new(),
        });
        reply
    }

    fn record(&mut self, effect: Effect) {
        self.acked
            .last_mut()
            .expect("an effect follows its write")
            .effects
            .push(effect);
    }

    fn create(&mut self, client: &mut Client, path: &str, data: &[u8], mode: CreateMode) {
        let reply = self.write(client, OpCode::Create, &create_request(path, data, mode));
        assert_eq!(reply.err, 0, "create {path}");
        let created: CreateResponse = reply.decode().expect("CreateResponse");
        self.record(Effect::Create {
            path: created.path,
            data: data.to_vec(),
            ephemeral_owner: ephemeral_owner(mode, client.session_id()),
        });
    }

    fn set_data(&mut self, client: &mut Client, path: &str, data: &[u8]) {
        let request = ringkeeper_jute::SetDataRequest {
            path: path.into(),
            data: request_data(data),
            version: -1,
        };
        let reply = self.write(client, OpCode::SetData, &request);
        assert_eq!(reply.err, 0, "setData {path}");
        self.record(Effect::SetData {
            path: path.into(),
            data: data.to_vec(),
        });
    }

    fn delete(&mut self, client: &mut Client, path: &str) {
        let request = DeleteRequest {
            path: path.into(),
            version: -1,
        };
        let reply = self.write(client, OpCode::Delete, &request);
        assert_eq!(reply.err, 0, "delete {path}");
        self.record(Effect::Delete { path: path.into() });
    }

    /// A multi; its effects count only if every op succeeded.
    fn multi(&mut self, client: &mut Client, ops: Vec<MultiOp>, effects: Vec<Effect>) -> bool {
        let reply = self.write(client, OpCode::Multi, &MultiRequest { ops });
        let response = MultiResponse::from_bytes(&reply.body).expect("MultiResponse");
        let failed = response
            .results
            .iter()
            .any(|result| matches!(result, MultiResult::Error { .. }));
        if !failed {
            for effect in effects {
                self.record(effect);
            }
        }
        !failed
    }

    fn close_session(&mut self, client: Client) {
        let session_id = client.session_id();
        let mut client = client;
        let reply = client
            .call(OpCode::CloseSession, None)
            .expect("closeSession");
        assert_eq!(reply.err, 0, "closeSession");
        self.acked.push(AckedWrite {
            zxid: reply.zxid,
            effects: vec![Effect::CloseSession { session_id }],
        });
    }

    /// Creates then sets data on `BURST_NODES` nodes, every request sent
    /// before any reply is read: the log gets batches of several records.
    fn burst(&mut self, client: &mut Client, round: usize) {
        let mut sent = Vec::new();
        for i in 0..BURST_NODES {
            let node = path(&format!("p{round}-{i}"));
            let data = data_of(&node, i);
            let request = create_request(&node, &data, CreateMode::Persistent);
            let xid = client.send(OpCode::Create, Some(&request)).expect("send");
            sent.push((
                xid,
                Effect::Create {
                    path: node,
                    data,
                    ephemeral_owner: 0,
                },
            ));
        }
        for i in 0..BURST_NODES {
            let node = path(&format!("p{round}-{i}"));
            let data = data_of("burst-set", round + i);
            let request = ringkeeper_jute::SetDataRequest {
                path: node.clone(),
                data: request_data(&data),
                version: 0,
            };
            let xid = client.send(OpCode::SetData, Some(&request)).expect("send");
            sent.push((xid, Effect::SetData { path: node, data }));
        }
        for (xid, effect) in sent {
            let reply = client.read_reply(xid).expect("burst reply");
            assert_eq!(reply.err, 0, "burst op {effect:?}");
            self.acked.push(AckedWrite {
                zxid: reply.zxid,
                effects: vec![effect],
            });
        }
    }

    fn run(&mut self) {
        let mut main = self.connect();
        self.create(&mut main, WORKLOAD_ROOT, b"", CreateMode::Persistent);
        let mut sessions: VecDeque<Client> = VecDeque::new();
        for round in 0..ROUNDS {
            let mut guest = self.connect();
            let node = path(&format!("n{round}"));
            self.create(
                &mut main,
                &node,
                &data_of("n", round),
                CreateMode::Persistent,
            );
            self.create(
                &mut main,
                &path("seq-"),
                b"s",
                CreateMode::PersistentSequential,
            );
            let ephemeral = path(&format!("e{round}"));
            self.create(
                &mut guest,
                &ephemeral,
                &data_of("e", round),
                CreateMode::Ephemeral,
            );
            self.create(
                &mut guest,
                &path("es-"),
                b"es",
                CreateMode::EphemeralSequential,
            );
            self.set_data(&mut main, &node, &data_of("n-v1", round));
            if round >= 1 {
                self.set_data(
                    &mut main,
                    &path(&format!("n{}", round - 1)),
                    &data_of("old", round),
                );
            }
            self.multi_round(&mut main, round);
            if round % 5 == 2 {
                self.failing_ops(&mut main, round);
            }
            self.burst(&mut main, round);
            if round >= 2 {
                self.delete(&mut main, &path(&format!("n{}", round - 2)));
            }
            sessions.push_back(guest);
            while sessions.len() > OPEN_SESSIONS_MAX {
                let oldest = sessions.pop_front().expect("a session to close");
                self.close_session(oldest);
            }
        }
        // The remaining sessions stay open: SIGKILL finds them live.
        drop(sessions);
    }

    /// A multi that creates, sets and deletes at one zxid.
    fn multi_round(&mut self, main: &mut Client, round: usize) {
        let created = path(&format!("m{round}"));
        let node = path(&format!("n{round}"));
        let data = data_of("multi", round);
        let mut ops = vec![
            MultiOp::Create(create_request(&created, b"m", CreateMode::Persistent)),
            MultiOp::SetData(ringkeeper_jute::SetDataRequest {
                path: node.clone(),
                data: request_data(&data),
                version: -1,
            }),
        ];
        let mut effects = vec![
            Effect::Create {
                path: created,
                data: b"m".to_vec(),
                ephemeral_owner: 0,
            },
            Effect::SetData { path: node, data },
        ];
        if round >= 1 {
            let old = path(&format!("m{}", round - 1));
            ops.push(MultiOp::Delete(DeleteRequest {
                path: old.clone(),
                version: -1,
            }));
            effects.push(Effect::Delete { path: old });
        }
        assert!(self.multi(main, ops, effects), "multi of round {round}");
    }

    /// A multi whose check fails and a create of an existing node: replies
    /// with errors, the tree unchanged.
    fn failing_ops(&mut self, main: &mut Client, round: usize) {
        let node = path(&format!("n{round}"));
        let ops = vec![
            MultiOp::Create(create_request(
                &path(&format!("x{round}")),
                b"x",
                CreateMode::Persistent,
            )),
            MultiOp::Check(CheckVersionRequest {
                path: node.clone(),
                version: 99,
            }),
        ];
        assert!(!self.multi(main, ops, Vec::new()), "the check fails");
        let reply = self.write(
            main,
            OpCode::Create,
            &create_request(&node, b"again", CreateMode::Persistent),
        );
        assert_ne!(reply.err, 0, "a second create of {node} fails");
    }
}
