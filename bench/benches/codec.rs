//! Encode and decode of the codec's hot records, and frame reassembly.
//!
//! Ids are `<record>/<encode|decode>`; one element is one record (one
//! framed message for ping and notification, one 64-frame stream for
//! frame_buffer). Encoding appends to a reused buffer, as a connection's
//! write buffer is reused; decoding reads bytes that span exactly the
//! record, and includes dropping what was decoded.

use std::hint::black_box;

use criterion::measurement::WallTime;
use criterion::{criterion_group, criterion_main, BenchmarkGroup, Criterion, Throughput};
use ringkeeper_bench::{
    get_data_request, get_data_response, multi_request, multi_response, notification_header,
    ping_header, set_data_request, set_data_response, small_frame_stream, watcher_event,
};
use ringkeeper_jute::{
    split_frame, write_frame, FrameBuffer, Jute, Reader, ReplyHeader, RequestHeader, WatcherEvent,
    JUTE_MAXBUFFER_DEFAULT_BYTES,
};

/// Frames in the reassembly stream, and the size of the reads it arrives in
/// (one Ethernet MTU's worth).
const REASSEMBLY_FRAME_COUNT: usize = 64;
const REASSEMBLY_CHUNK_BYTES: usize = 1500;

fn record_group<'a>(c: &'a mut Criterion, name: &str) -> BenchmarkGroup<'a, WallTime> {
    let mut group = c.benchmark_group(name);
    group.throughput(Throughput::Elements(1));
    group
}

/// `<name>/encode` and `<name>/decode` of one record.
fn bench_record<T: Jute>(c: &mut Criterion, name: &str, value: T) {
    let bytes = value.to_bytes();
    let mut group = record_group(c, name);
    let mut out = Vec::with_capacity(bytes.len());
    group.bench_function("encode", |b| {
        b.iter(|| {
            out.clear();
            black_box(&value).encode(&mut out);
            black_box(out.len())
        })
    });
    group.bench_function("decode", |b| {
        b.iter(|| T::from_bytes(black_box(&bytes)).expect("benchmark record decodes"))
    });
    group.finish();
}

fn bench_records(c: &mut Criterion) {
    bench_record(c, "get_data_request", get_data_request());
    bench_record(c, "get_data_response", get_data_response());
    bench_record(c, "set_data_request", set_data_request());
    bench_record(c, "set_data_response", set_data_response());
    bench_record(c, "multi_request", multi_request());
    bench_record(c, "multi_response", multi_response());
}

/// `<name>/encode` and `<name>/decode` of one framed message: `encode` writes the payload,
/// `decode` reads a whole frame's payload back.
fn bench_framed<T>(
    c: &mut Criterion,
    name: &str,
    encode: impl Fn(&mut Vec<u8>),
    decode: impl Fn(&[u8]) -> T,
) {
    let mut frame = Vec::new();
    write_frame(&mut frame, &encode);
    let mut group = record_group(c, name);
    let mut out = Vec::with_capacity(frame.len());
    group.bench_function("encode", |b| {
        b.iter(|| {
            out.clear();
            write_frame(&mut out, &encode);
            black_box(out.len())
        })
    });
    group.bench_function("decode", |b| {
        b.iter(|| {
            let (payload, _) = split_frame(black_box(&frame), JUTE_MAXBUFFER_DEFAULT_BYTES)
                .expect("valid frame")
                .expect("whole frame");
            decode(payload)
        })
    });
    group.finish();
}

/// A framed ping: what a server reads and writes most often when idle.
fn bench_ping(c: &mut Criterion) {
    let header = ping_header();
    bench_framed(
        c,
        "ping",
        |out| black_box(&header).encode(out),
        |payload| RequestHeader::from_bytes(payload).expect("ping decodes"),
    );
}

/// A framed watch notification: ReplyHeader (xid -1) then WatcherEvent.
fn bench_notification(c: &mut Criterion) {
    let header = notification_header();
    let event = watcher_event();
    bench_framed(
        c,
        "notification",
        |out| {
            black_box(&header).encode(out);
            black_box(&event).encode(out);
        },
        |payload| {
            let mut reader = Reader::new(payload);
            let header = ReplyHeader::decode(&mut reader).expect("header decodes");
            let event = WatcherEvent::from_bytes(reader.rest()).expect("event decodes");
            (header, event)
        },
    );
}

/// 64 small pipelined requests arriving in 1500-byte reads, each read
/// drained of every complete frame before the next.
fn bench_frame_buffer(c: &mut Criterion) {
    let stream = small_frame_stream(REASSEMBLY_FRAME_COUNT);
    let mut frames = FrameBuffer::new(JUTE_MAXBUFFER_DEFAULT_BYTES);
    let mut group = record_group(c, "frame_buffer");
    group.bench_function("reassemble_64_frames_in_1500_byte_chunks", |b| {
        b.iter(|| {
            let mut frame_count = 0;
            for chunk in black_box(&stream).chunks(REASSEMBLY_CHUNK_BYTES) {
                frames.extend(chunk);
                while let Some(frame) = frames.next_frame().expect("valid frames") {
                    black_box(frame);
                    frame_count += 1;
                }
            }
            assert_eq!(frame_count, REASSEMBLY_FRAME_COUNT);
        })
    });
    group.finish();
}

criterion_group!(
    benches,
    bench_records,
    bench_ping,
    bench_notification,
    bench_frame_buffer
);
criterion_main!(benches);
