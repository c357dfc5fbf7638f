//! A client that pipelines requests and never reads its replies is pushed
//! back by TCP: ringkeeper stops reading it once its queued replies pass a
//! bound (`SEND_QUEUE_PAUSE_BYTES`), memory stays bounded, every other
//! session carries on, and when the client finally reads, every reply
//! arrives, in order. (Apache ZooKeeper, run as the reference, keeps
//! reading and queues the replies in its heap.)

use std::io::{Read, Write};
use std::net::TcpStream;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::Arc;
use std::time::{Duration, Instant};

use ringkeeper_jute::{
    write_frame, ConnectRequest, CreateMode, GetDataRequest, Jute, OpCode, Reader, ReplyHeader,
    RequestHeader,
};
use ringkeeper_testkit::{
    kinds_under_test, open_acl, Client, ServerKind, ServerOptions, TestServer,
};

/// Requests the greedy client sends. Each request names a 1,000-byte path
/// and each reply carries 1 KiB, so together they are far more than the
/// kernel's socket buffers (a few MiB each way) and the server's pause bound.
const REQUESTS: usize = 60_000;
const VALUE_BYTES: usize = 1024;
const NAME_BYTES: usize = 1000;
/// ringkeeper's resident memory must stay under this while it is pushed back.
const RSS_MAX_BYTES: u64 = 256 << 20;

fn rss_bytes(pid: u32) -> u64 {
    let status = std::fs::read_to_string(format!("/proc/{pid}/status")).unwrap_or_default();
    status
        .lines()
        .find_map(|l| l.strip_prefix("VmRSS:"))
        .and_then(|v| v.trim().trim_end_matches("kB").trim().parse::<u64>().ok())
        .map_or(0, |kb| kb * 1024)
}

fn handshake(stream: &mut TcpStream) {
    let mut frame = Vec::new();
    let request = ConnectRequest {
        timeout_ms: 30_000,
        password: vec![0; 16],
        ..ConnectRequest::default()
    };
    write_frame(&mut frame, |o| request.encode(o));
    stream.write_all(&frame).unwrap();
    let mut len = [0u8; 4];
    stream.read_exact(&mut len).unwrap();
    let mut body = vec![0u8; i32::from_be_bytes(len) as usize];
    stream.read_exact(&mut body).unwrap();
}

#[test]
fn a_client_that_does_not_read_is_pushed_back_and_harms_nobody() {
    for kind in kinds_under_test() {
        let server = TestServer::start(kind, &ServerOptions::default()).unwrap();
        let mut bystander = Client::connect_new(server.addr()).unwrap();
        let path = format!("/{}", "n".repeat(NAME_BYTES));
        bystander
            .create(
                &path,
                &vec![b'v'; VALUE_BYTES],
                &open_acl(),
                CreateMode::Persistent,
            )
            .unwrap();

        let mut greedy = TcpStream::connect(server.addr()).unwrap();
        handshake(&mut greedy);
        let mut writer = greedy.try_clone().unwrap();
        let sent = Arc::new(AtomicUsize::new(0));
        let sent_by_writer = sent.clone();
        let request_path = path.clone();
        let writer_thread = std::thread::spawn(move || {
            let mut request = Vec::new();
            for xid in 1..=REQUESTS as i32 {
                request.clear();
                write_frame(&mut request, |o| {
                    RequestHeader {
                        xid,
                        op_code: OpCode::GetData as i32,
                    }
                    .encode(o);
                    GetDataRequest {
                        path: request_path.clone(),
                        watch: false,
                    }
                    .encode(o);
                });
                if writer.write_all(&request).is_err() {
                    return;
                }
                sent_by_writer.fetch_add(1, Ordering::Relaxed);
            }
        });

        // The writer stalls: the server stopped reading it.
        let deadline = Instant::now() + Duration::from_secs(20);
        let mut last = 0;
        loop {
            std::thread::sleep(Duration::from_millis(500));
            let now = sent.load(Ordering::Relaxed);
            if now == last || Instant::now() > deadline {
                break;
            }
            last = now;
        }
        let stalled_at = sent.load(Ordering::Relaxed);
        // Apache ZooKeeper reads on and queues every reply in its heap (it
        // has no such bound); ringkeeper must stop reading.
        if kind == ServerKind::Ringkeeper {
            assert!(
                stalled_at < REQUESTS,
                "the server read all {REQUESTS} requests of a client that reads nothing"
            );
            let rss = rss_bytes(server.pid().unwrap());
            assert!(
                rss < RSS_MAX_BYTES,
                "ringkeeper RSS {rss} while pushing back"
            );
        }
        // Everyone else carries on meanwhile.
        let (data, _) = bystander.get_data(&path, false).unwrap();
        assert_eq!(data.len(), VALUE_BYTES);

        // Now read every reply: all arrive, in order, and the writer finishes.
        greedy
            .set_read_timeout(Some(Duration::from_secs(30)))
            .unwrap();
        let mut reader = std::io::BufReader::with_capacity(1 << 20, greedy);
        let mut body = Vec::new();
        for want in 1..=REQUESTS as i32 {
            let mut len = [0u8; 4];
            reader.read_exact(&mut len).unwrap();
            body.resize(i32::from_be_bytes(len) as usize, 0);
            reader.read_exact(&mut body).unwrap();
            let header = ReplyHeader::decode(&mut Reader::new(&body)).unwrap();
            assert_eq!(header.xid, want, "{}: replies in order", kind.name());
            assert_eq!(header.err, 0);
        }
        writer_thread.join().unwrap();
        eprintln!(
            "{}: writer stalled after {stalled_at} of {REQUESTS} requests",
            kind.name()
        );
    }
}

/// With globalOutstandingLimit=1 a core handles one request per loop turn
/// and leaves the rest buffered for the next; a client that pipelines
/// thousands still gets every reply, in order, and nobody waits forever.
#[test]
fn global_outstanding_limit_spreads_a_pipeline_over_turns_without_losing_any() {
    for kind in kinds_under_test() {
        let options = ServerOptions {
            extra_cfg: vec![("globalOutstandingLimit".into(), "1".into())],
            ..ServerOptions::default()
        };
        let server = TestServer::start(kind, &options).unwrap();
        let mut pipelined = Client::connect_new(server.addr()).unwrap();
        let mut bystander = Client::connect_new(server.addr()).unwrap();
        pipelined
            .create("/gol", b"v", &open_acl(), CreateMode::Persistent)
            .unwrap();
        let request = GetDataRequest {
            path: "/gol".into(),
            watch: false,
        };
        let xids: Vec<i32> = (0..5_000)
            .map(|_| pipelined.send(OpCode::GetData, Some(&request)).unwrap())
            .collect();
        bystander.exists("/gol", false).unwrap().expect("exists");
        for xid in xids {
            let reply = pipelined.read_reply(xid).unwrap();
            assert_eq!(reply.err, 0, "{}", kind.name());
        }
    }
}
