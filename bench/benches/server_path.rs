//! One request's path through the server, without sockets: the bytes of a
//! request frame are cut by the connection decoder, handled by the ZooKeeper
//! state machine and the reply frame is produced in its outbox. This is all
//! the CPU ringkeeper spends per request outside the kernel and the engine.
//!
//! Ids are `server_path/<op>`; one element is one request. The tree holds
//! 10,000 keys of 100 bytes, as `loadgen`'s default workload does.

use std::hint::black_box;
use std::net::{IpAddr, Ipv4Addr};

use criterion::{criterion_group, criterion_main, Criterion, Throughput};
use ringkeeper_bench::open_acl;
use ringkeeper_jute::{
    write_frame, ConnectRequest, CreateRequest, GetDataRequest, Jute, OpCode, RequestHeader,
    SetDataRequest,
};
use ringkeeper_server::protocol::{ConnectionDecoder, Inbound};
use ringkeeper_zk::{Outbox, ZkConfig, ZkServer};

const KEYS: usize = 10_000;
const VALUE_BYTES: usize = 100;
const NOW_MS: u64 = 1_700_000_000_000;
const CONN: u64 = 1;

fn request_frame(xid: i32, op: OpCode, body: &dyn ringkeeper_jute::frame::Encode) -> Vec<u8> {
    let mut out = Vec::new();
    write_frame(&mut out, |o| {
        RequestHeader {
            xid,
            op_code: op as i32,
        }
        .encode(o);
        body.encode_into(o);
    });
    out
}

/// A server with one session on connection CONN and KEYS nodes.
fn server_with_keys() -> (ZkServer, ConnectionDecoder) {
    let mut zk = ZkServer::new(ZkConfig::default(), NOW_MS);
    let mut out = Outbox::new();
    zk.open_connection(CONN, IpAddr::V4(Ipv4Addr::LOCALHOST));
    let connect = ConnectRequest {
        timeout_ms: 30_000,
        password: vec![0; 16],
        ..ConnectRequest::default()
    };
    zk.connect(CONN, &connect, true, NOW_MS, &mut out);
    let mut decoder = ConnectionDecoder::new(0xfffff);
    let mut frame = Vec::new();
    write_frame(&mut frame, |o| connect.encode(o));
    decoder.extend(&frame);
    assert!(matches!(
        decoder.next_unit(),
        Ok(Some(Inbound::Connect { .. }))
    ));
    decoder.handshake_done();
    let acl = open_acl();
    let mut xid = 1;
    let mut create = |zk: &mut ZkServer, path: String| {
        let request = CreateRequest {
            path,
            data: vec![b'x'; VALUE_BYTES].into(),
            acl: acl.clone(),
            flags: 0,
        };
        let mut body = Vec::new();
        request.encode(&mut body);
        let header = RequestHeader {
            xid,
            op_code: OpCode::Create as i32,
        };
        xid += 1;
        out.clear();
        zk.process(CONN, &header, &body, NOW_MS, &mut out);
    };
    create(&mut zk, "/loadgen".into());
    for key in 0..KEYS {
        create(&mut zk, format!("/loadgen/key-{key:06}"));
    }
    assert_eq!(zk.node_count(), KEYS + 6, "every key was created");
    (zk, decoder)
}

/// Feeds one frame through decoder and state machine; returns reply bytes.
fn one_request(
    zk: &mut ZkServer,
    decoder: &mut ConnectionDecoder,
    out: &mut Outbox,
    frame: &[u8],
) -> usize {
    decoder.extend(frame);
    out.clear();
    while let Ok(Some(Inbound::Request { header, body, .. })) = decoder.next_unit() {
        zk.process(CONN, &header, body, NOW_MS, out);
    }
    out.frames().map(|(_, f)| f.len()).sum()
}

fn bench_server_path(c: &mut Criterion) {
    let (mut zk, mut decoder) = server_with_keys();
    let mut out = Outbox::new();
    let mut group = c.benchmark_group("server_path");
    group.throughput(Throughput::Elements(1));

    let get = request_frame(
        1,
        OpCode::GetData,
        &GetDataRequest {
            path: "/loadgen/key-004242".into(),
            watch: false,
        },
    );
    let set = request_frame(
        2,
        OpCode::SetData,
        &SetDataRequest {
            path: "/loadgen/key-004242".into(),
            data: vec![b'y'; VALUE_BYTES].into(),
            version: -1,
        },
    );
    for (id, frame) in [("get_data", &get), ("set_data", &set)] {
        group.bench_function(id, |b| {
            b.iter(|| {
                black_box(one_request(
                    &mut zk,
                    &mut decoder,
                    &mut out,
                    black_box(frame),
                ))
            })
        });
    }

    let watched = request_frame(
        3,
        OpCode::GetData,
        &GetDataRequest {
            path: "/loadgen/key-000007".into(),
            watch: true,
        },
    );
    let fire = request_frame(
        4,
        OpCode::SetData,
        &SetDataRequest {
            path: "/loadgen/key-000007".into(),
            data: vec![b'z'; VALUE_BYTES].into(),
            version: -1,
        },
    );
    // getData with a watch, then the setData that fires it: two requests,
    // three frames out (two replies and the event).
    group.throughput(Throughput::Elements(2));
    group.bench_function("watch_then_fire", |b| {
        b.iter(|| {
            one_request(&mut zk, &mut decoder, &mut out, &watched);
            black_box(one_request(&mut zk, &mut decoder, &mut out, &fire))
        })
    });
    group.finish();
}

criterion_group!(benches, bench_server_path);
criterion_main!(benches);
