//! A byte stream arriving in chunks, as on a client connection: the first
//! input byte picks the chunk size and the frame limit, the rest is the
//! stream. FrameBuffer must cut it into the same frames `split_frame` cuts
//! the whole stream into, holding no more than one partial frame plus the
//! last chunk; each frame is then decoded as a server would (the first as
//! ConnectRequest, later ones as RequestHeader + body) and as a client
//! would (ConnectResponse, then ReplyHeader + body).

#![no_main]

use libfuzzer_sys::fuzz_target;
use ringkeeper_jute::{
    split_frame, ConnectRequest, ConnectResponse, FrameBuffer, OpCode, FRAME_PREFIX_BYTES,
    JUTE_MAXBUFFER_DEFAULT_BYTES,
};
use ringkeeper_jute_fuzz::{decode_checked, decode_reply_frame, decode_request_frame};

/// A limit small enough for fuzz inputs to exceed.
const SMALL_MAX_FRAME_BYTES: usize = 200;

fuzz_target!(|input: &[u8]| {
    let Some((&shape, stream)) = input.split_first() else {
        return;
    };
    let chunk_len = usize::from(shape & 0x7f) + 1;
    let max_frame_bytes = if shape & 0x80 == 0 {
        JUTE_MAXBUFFER_DEFAULT_BYTES
    } else {
        SMALL_MAX_FRAME_BYTES
    };

    // What the whole stream holds, cut in one go.
    let mut expected_frames = Vec::new();
    let mut rest = stream;
    let expected_error = loop {
        match split_frame(rest, max_frame_bytes) {
            Ok(Some((payload, frame_bytes))) => {
                assert_eq!(frame_bytes, FRAME_PREFIX_BYTES + payload.len());
                assert!(payload.len() <= max_frame_bytes);
                expected_frames.push(payload);
                rest = &rest[frame_bytes..];
            }
            Ok(None) => break None,
            Err(err) => break Some(err),
        }
    };

    let mut frames = FrameBuffer::new(max_frame_bytes);
    let mut received = 0;
    // Stream offsets: bytes fed to the buffer, and bytes taken as frames.
    let mut fed_bytes = 0;
    let mut taken_bytes = 0;
    let mut error = None;
    'stream: for chunk in stream.chunks(chunk_len) {
        let partial_before = frames.pending_bytes();
        frames.extend(chunk);
        fed_bytes += chunk.len();
        assert_eq!(frames.pending_bytes(), partial_before + chunk.len());
        loop {
            match frames.next_frame() {
                Ok(Some(frame)) => {
                    assert_eq!(Some(&frame), expected_frames.get(received));
                    if received == 0 {
                        let _ = decode_checked::<ConnectRequest>(frame);
                        let _ = decode_checked::<ConnectResponse>(frame);
                    } else {
                        let _ = decode_request_frame(frame);
                        // The pending request's op, as the client would
                        // look it up by xid.
                        let xid = frame
                            .first_chunk::<4>()
                            .map_or(0, |x| u32::from_be_bytes(*x));
                        let pending_op = OpCode::ALL[xid as usize % OpCode::ALL.len()];
                        let _ = decode_reply_frame(frame, pending_op);
                    }
                    received += 1;
                    taken_bytes += FRAME_PREFIX_BYTES + frame.len();
                }
                Ok(None) => break,
                Err(err) => {
                    // A server closes the connection here.
                    error = Some(err);
                    break 'stream;
                }
            }
        }
        // What is left is the start of one frame, not yet complete.
        assert_eq!(frames.pending_bytes(), fed_bytes - taken_bytes);
        assert_eq!(
            split_frame(&stream[taken_bytes..fed_bytes], max_frame_bytes),
            Ok(None)
        );
    }
    assert_eq!(received, expected_frames.len());
    assert_eq!(error, expected_error);
});
