//! Length framing: frames survive any split of the byte stream, and bad
//! length prefixes are refused as soon as their four bytes arrive.

use proptest::prelude::*;
use ringkeeper_jute::{
    split_frame, write_frame, DecodeError, FrameBuffer, FRAME_PREFIX_BYTES,
    JUTE_MAXBUFFER_DEFAULT_BYTES,
};

/// The frames, as they go on the wire one after the other.
fn stream_of(payloads: &[Vec<u8>]) -> Vec<u8> {
    let mut stream = Vec::new();
    for payload in payloads {
        write_frame(&mut stream, |out| out.extend_from_slice(payload));
    }
    stream
}

/// `stream` cut into consecutive chunks of the given sizes (cycled), the
/// last one possibly shorter.
fn chunks_of<'a>(stream: &'a [u8], chunk_sizes: &[usize]) -> Vec<&'a [u8]> {
    let mut chunks = Vec::new();
    let mut rest = stream;
    for &size in chunk_sizes.iter().cycle() {
        if rest.is_empty() {
            break;
        }
        let (chunk, after) = rest.split_at(size.min(rest.len()));
        chunks.push(chunk);
        rest = after;
    }
    chunks
}

fn payloads() -> impl Strategy<Value = Vec<Vec<u8>>> {
    proptest::collection::vec(proptest::collection::vec(any::<u8>(), 0..300), 0..12)
}

fn chunk_sizes() -> impl Strategy<Value = Vec<usize>> {
    proptest::collection::vec(1usize..700, 1..20)
}

proptest! {
    #[test]
    fn frame_buffer_reassembles_frames_from_any_chunking(
        payloads in payloads(),
        chunk_sizes in chunk_sizes(),
    ) {
        let stream = stream_of(&payloads);
        let mut frames = FrameBuffer::new(JUTE_MAXBUFFER_DEFAULT_BYTES);
        let mut received = Vec::new();
        for chunk in chunks_of(&stream, &chunk_sizes) {
            let pending_before = frames.pending_bytes();
            frames.extend(chunk);
            prop_assert_eq!(frames.pending_bytes(), pending_before + chunk.len());
            while let Some(frame) = frames.next_frame().unwrap() {
                received.push(frame.to_vec());
            }
        }
        prop_assert_eq!(received, payloads);
        prop_assert_eq!(frames.pending_bytes(), 0);
    }

    #[test]
    fn frame_buffer_leaves_less_than_one_frame_pending(
        payloads in payloads(),
        chunk_sizes in chunk_sizes(),
    ) {
        let stream = stream_of(&payloads);
        let mut frames = FrameBuffer::new(JUTE_MAXBUFFER_DEFAULT_BYTES);
        let mut fed_bytes = 0;
        let mut taken_bytes = 0;
        for chunk in chunks_of(&stream, &chunk_sizes) {
            frames.extend(chunk);
            fed_bytes += chunk.len();
            while let Some(frame) = frames.next_frame().unwrap() {
                taken_bytes += FRAME_PREFIX_BYTES + frame.len();
            }
            // What is pending is exactly the start of the next frame, and
            // does not hold all of it.
            prop_assert_eq!(frames.pending_bytes(), fed_bytes - taken_bytes);
            prop_assert_eq!(
                split_frame(&stream[taken_bytes..fed_bytes], JUTE_MAXBUFFER_DEFAULT_BYTES),
                Ok(None)
            );
        }
    }

    #[test]
    fn split_frame_waits_for_the_whole_frame_then_returns_it(
        payload in proptest::collection::vec(any::<u8>(), 0..300),
        next in proptest::collection::vec(any::<u8>(), 0..8),
    ) {
        let mut stream = stream_of(std::slice::from_ref(&payload));
        let frame_bytes = stream.len();
        stream.extend_from_slice(&next);
        for len in 0..frame_bytes {
            prop_assert_eq!(split_frame(&stream[..len], JUTE_MAXBUFFER_DEFAULT_BYTES), Ok(None));
        }
        prop_assert_eq!(
            split_frame(&stream, JUTE_MAXBUFFER_DEFAULT_BYTES),
            Ok(Some((&payload[..], frame_bytes)))
        );
    }

    #[test]
    fn negative_length_prefix_is_rejected_on_arrival(
        len in i32::MIN..0,
        chunk_size in 1usize..8,
    ) {
        let prefix = len.to_be_bytes();
        prop_assert_eq!(
            split_frame(&prefix, JUTE_MAXBUFFER_DEFAULT_BYTES),
            Err(DecodeError::FrameLengthNegative { len })
        );
        let mut frames = FrameBuffer::new(JUTE_MAXBUFFER_DEFAULT_BYTES);
        let mut result = Ok(None);
        for chunk in prefix.chunks(chunk_size) {
            frames.extend(chunk);
            result = frames.next_frame().map(|frame| frame.map(<[u8]>::to_vec));
        }
        prop_assert_eq!(result, Err(DecodeError::FrameLengthNegative { len }));
    }

    #[test]
    fn length_prefix_over_max_frame_bytes_is_rejected_on_arrival(
        max_frame_bytes in 0usize..100_000,
        excess in 1usize..1_000_000,
    ) {
        let len = max_frame_bytes + excess;
        let prefix = (len as i32).to_be_bytes();
        let too_large = DecodeError::FrameTooLarge { len, max_bytes: max_frame_bytes };
        prop_assert_eq!(split_frame(&prefix, max_frame_bytes), Err(too_large.clone()));
        let mut frames = FrameBuffer::new(max_frame_bytes);
        frames.extend(&prefix);
        prop_assert_eq!(frames.next_frame(), Err(too_large));
    }
}

#[test]
fn frame_of_exactly_max_frame_bytes_is_accepted() {
    let payload = vec![7u8; 1000];
    let stream = stream_of(std::slice::from_ref(&payload));
    assert_eq!(
        split_frame(&stream, 1000),
        Ok(Some((&payload[..], FRAME_PREFIX_BYTES + 1000)))
    );
    assert_eq!(
        split_frame(&stream, 999),
        Err(DecodeError::FrameTooLarge {
            len: 1000,
            max_bytes: 999,
        })
    );
}

#[test]
fn empty_frame_is_a_frame() {
    let mut frames = FrameBuffer::new(JUTE_MAXBUFFER_DEFAULT_BYTES);
    frames.extend(&[0, 0, 0, 0]);
    assert_eq!(frames.next_frame(), Ok(Some(&[][..])));
    assert_eq!(frames.next_frame(), Ok(None));
}
