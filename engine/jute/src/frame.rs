//! Length framing of the client port and the quorum port.
//!
//! ```text
//! frame = len:int payload{len}      ; 0 <= len <= max_frame_bytes
//! ```
//!
//! `max_frame_bytes` is jute.maxbuffer (default 0xfffff bytes, as in
//! ZooKeeper). A frame over it is an error the caller answers by closing
//! the connection; nothing is allocated for it.

use crate::error::DecodeError;
use crate::wire::Jute;

/// jute.maxbuffer's default: 0xfffff bytes (just under 1 MiB).
pub const JUTE_MAXBUFFER_DEFAULT_BYTES: usize = 0xfffff;

/// Bytes of the length prefix.
pub const FRAME_PREFIX_BYTES: usize = 4;

/// Splits one frame off the front of `bytes`. Returns the payload and the
/// number of bytes it occupied with its prefix, or `None` when the frame
/// is not complete yet.
pub fn split_frame(
    bytes: &[u8],
    max_frame_bytes: usize,
) -> Result<Option<(&[u8], usize)>, DecodeError> {
    let Some(prefix) = bytes.first_chunk::<FRAME_PREFIX_BYTES>() else {
        return Ok(None);
    };
    let len = frame_payload_len(*prefix, max_frame_bytes)?;
    let end = FRAME_PREFIX_BYTES + len;
    if bytes.len() < end {
        return Ok(None);
    }
    Ok(Some((&bytes[FRAME_PREFIX_BYTES..end], end)))
}

/// Validates a frame's length prefix.
pub fn frame_payload_len(prefix: [u8; 4], max_frame_bytes: usize) -> Result<usize, DecodeError> {
    let len = i32::from_be_bytes(prefix);
    if len < 0 {
        return Err(DecodeError::FrameLengthNegative { len });
    }
    let len = len as usize;
    if len > max_frame_bytes {
        return Err(DecodeError::FrameTooLarge {
            len,
            max_bytes: max_frame_bytes,
        });
    }
    Ok(len)
}

/// Appends one frame to `out`: a length prefix, then whatever `write_payload`
/// appends.
pub fn write_frame(out: &mut Vec<u8>, write_payload: impl FnOnce(&mut Vec<u8>)) {
    let start = out.len();
    out.extend_from_slice(&[0; FRAME_PREFIX_BYTES]);
    write_payload(out);
    let len = out.len() - start - FRAME_PREFIX_BYTES;
    let len = i32::try_from(len).expect("frame payload longer than i32::MAX");
    out[start..start + FRAME_PREFIX_BYTES].copy_from_slice(&len.to_be_bytes());
}

/// Appends a frame holding `header` then `body` (the shape of every client
/// request and server reply).
pub fn write_record_frame(out: &mut Vec<u8>, header: &impl Jute, body: Option<&dyn Encode>) {
    write_frame(out, |out| {
        header.encode(out);
        if let Some(body) = body {
            body.encode_into(out);
        }
    });
}

/// Object-safe encoding, so a frame can carry any record as its body.
pub trait Encode {
    fn encode_into(&self, out: &mut Vec<u8>);
}

impl<T: Jute> Encode for T {
    fn encode_into(&self, out: &mut Vec<u8>) {
        self.encode(out)
    }
}

/// Reassembles frames from a byte stream that arrives in arbitrary pieces.
#[derive(Debug)]
pub struct FrameBuffer {
    bytes: Vec<u8>,
    /// Start of the first unconsumed byte in `bytes`.
    consumed: usize,
    max_frame_bytes: usize,
}

impl FrameBuffer {
    pub fn new(max_frame_bytes: usize) -> Self {
        FrameBuffer {
            bytes: Vec::new(),
            consumed: 0,
            max_frame_bytes,
        }
    }

    /// Appends received bytes. Space of frames already taken is reclaimed
    /// first, so the buffer holds at most one partial frame plus `bytes`.
    pub fn extend(&mut self, bytes: &[u8]) {
        if self.consumed > 0 {
            self.bytes.drain(..self.consumed);
            self.consumed = 0;
        }
        self.bytes.extend_from_slice(bytes);
    }

    /// The next complete frame's payload, if one has arrived.
    pub fn next_frame(&mut self) -> Result<Option<&[u8]>, DecodeError> {
        match split_frame(&self.bytes[self.consumed..], self.max_frame_bytes)? {
            None => Ok(None),
            Some((_, frame_bytes)) => {
                let start = self.consumed + FRAME_PREFIX_BYTES;
                self.consumed += frame_bytes;
                Ok(Some(&self.bytes[start..self.consumed]))
            }
        }
    }

    /// The first four unconsumed bytes, if they have arrived: the length
    /// prefix of the next frame, or a four-letter word at a connection's start.
    pub fn peek_prefix(&self) -> Option<[u8; FRAME_PREFIX_BYTES]> {
        self.bytes[self.consumed..].first_chunk().copied()
    }

    /// Bytes held that do not yet form a complete frame.
    pub fn pending_bytes(&self) -> usize {
        self.bytes.len() - self.consumed
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use proptest::prelude::*;

    proptest! {
        /// The memory held, not only the pending count: the bytes of
        /// frames already taken are dropped when the next chunk arrives.
        #[test]
        fn frame_buffer_holds_at_most_one_partial_frame_plus_the_last_chunk(
            payload_lens in proptest::collection::vec(0usize..300, 0..12),
            chunk_sizes in proptest::collection::vec(1usize..700, 1..20),
        ) {
            let mut stream = Vec::new();
            for len in &payload_lens {
                write_frame(&mut stream, |out| out.resize(out.len() + len, 0xab));
            }
            let mut frames = FrameBuffer::new(JUTE_MAXBUFFER_DEFAULT_BYTES);
            let mut rest = &stream[..];
            for &size in chunk_sizes.iter().cycle() {
                if rest.is_empty() {
                    break;
                }
                let (chunk, after) = rest.split_at(size.min(rest.len()));
                rest = after;
                let partial_before = frames.pending_bytes();
                frames.extend(chunk);
                prop_assert_eq!(frames.bytes.len(), partial_before + chunk.len());
                while frames.next_frame().unwrap().is_some() {}
                let partial = &frames.bytes[frames.consumed..];
                prop_assert_eq!(split_frame(partial, JUTE_MAXBUFFER_DEFAULT_BYTES), Ok(None));
            }
        }
    }
}
