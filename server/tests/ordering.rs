//! ZooKeeper's ordering guarantee across connections: a client that set a
//! watch sees the watch event before it sees any reply that shows the
//! change, even when its connection is served by a different core than
//! the writer's (ringkeeper spreads connections over cores with
//! SO_REUSEPORT; with 8 watchers some land on each core).
//!
//! To make the race real, each watcher keeps a pipeline of reads in flight
//! while another thread writes, so reads are handled in the very turns in
//! which the write is applied on another core.

use std::net::SocketAddr;
use std::time::Duration;

use ringkeeper_jute::{CreateMode, EventType, GetDataRequest, GetDataResponse, OpCode};
use ringkeeper_testkit::{kinds_under_test, open_acl, Client, ServerOptions, TestServer};

const WATCHERS: usize = 8;
const ROUNDS: usize = 40;
/// Reads each watcher has in flight around the write.
const PIPELINE: usize = 300;

fn writer_thread(addr: SocketAddr, rounds: usize) -> std::thread::JoinHandle<()> {
    std::thread::spawn(move || {
        let mut writer = Client::connect_new(addr).unwrap();
        for round in 1..=rounds {
            // Wait until the watchers armed their watches for this round.
            while writer.get_data("/ord/armed", false).unwrap().0 != round.to_string().as_bytes() {
                std::thread::sleep(Duration::from_micros(200));
            }
            std::thread::sleep(Duration::from_micros(300));
            writer
                .set_data("/ord/value", round.to_string().as_bytes(), -1)
                .unwrap();
        }
    })
}

#[test]
fn watch_event_precedes_any_reply_showing_the_change_across_cores() {
    for kind in kinds_under_test() {
        let server = TestServer::start(kind, &ServerOptions::default()).unwrap();
        let mut setup = Client::connect_new(server.addr()).unwrap();
        for (path, data) in [("/ord", "0"), ("/ord/value", "0"), ("/ord/armed", "0")] {
            setup
                .create(path, data.as_bytes(), &open_acl(), CreateMode::Persistent)
                .unwrap();
        }
        let mut watchers: Vec<Client> = (0..WATCHERS)
            .map(|_| Client::connect_new(server.addr()).unwrap())
            .collect();
        let writer = writer_thread(server.addr(), ROUNDS);
        let mut reads_showing_change = 0usize;
        for round in 1..=ROUNDS {
            let new_value = round.to_string();
            for w in &mut watchers {
                w.get_data("/ord/value", true).unwrap();
                w.take_events();
            }
            setup
                .set_data("/ord/armed", new_value.as_bytes(), -1)
                .unwrap();
            // Keep reads in flight until the change is seen everywhere.
            for (i, w) in watchers.iter_mut().enumerate() {
                let mut seen = false;
                for _batch in 0..200 {
                    let request = GetDataRequest {
                        path: "/ord/value".into(),
                        watch: false,
                    };
                    let xids: Vec<i32> = (0..PIPELINE)
                        .map(|_| w.send(OpCode::GetData, Some(&request)).unwrap())
                        .collect();
                    for xid in xids {
                        let reply = w.read_reply(xid).unwrap();
                        let data = reply.decode::<GetDataResponse>().unwrap().data;
                        if data == new_value.as_bytes() {
                            reads_showing_change += 1;
                            assert!(
                                w.queued_events() > 0,
                                "{}: round {round}, watcher {i}: a reply showed the change \
                                 before its watch event arrived",
                                kind.name()
                            );
                            seen = true;
                        }
                    }
                    if seen {
                        break;
                    }
                }
                assert!(
                    seen,
                    "{}: round {round}: the change never showed",
                    kind.name()
                );
                let events = w.take_events();
                assert!(
                    events
                        .iter()
                        .any(|e| e.event_type == EventType::NodeDataChanged as i32),
                    "{events:?}"
                );
            }
        }
        writer.join().unwrap();
        assert!(reads_showing_change >= ROUNDS * WATCHERS);
    }
}
