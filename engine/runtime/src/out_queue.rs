//! A connection's outgoing bytes: the chunk being sent, and what was queued after it.
//!
//! The chunk being sent (`sending[sent..]`) is never touched while a send of it is in flight
//! (io_uring reads it from the kernel side); `Io::send` appends to `queued` only. When the chunk
//! is fully sent the two buffers swap, so each turn hands one contiguous slice per connection
//! to the backend.

/// A drained queue keeps at most this much capacity, so one burst does not pin memory.
const RETAINED_CAPACITY_BYTES_MAX: usize = 64 * 1024;

#[derive(Default)]
pub(crate) struct OutQueue {
    sending: Vec<u8>,
    sent: usize,
    queued: Vec<u8>,
}

impl OutQueue {
    /// Bytes queued and not yet taken by the kernel.
    pub(crate) fn len(&self) -> usize {
        self.sending.len() - self.sent + self.queued.len()
    }

    pub(crate) fn is_empty(&self) -> bool {
        self.len() == 0
    }

    pub(crate) fn push(&mut self, bytes: &[u8]) {
        self.queued.extend_from_slice(bytes);
    }

    /// The next bytes to hand to the kernel, or `None` when nothing is queued. Must not be
    /// called while a send of the previous chunk is in flight.
    pub(crate) fn next_chunk(&mut self) -> Option<&[u8]> {
        if self.sent == self.sending.len() {
            self.sending.clear();
            self.sent = 0;
            std::mem::swap(&mut self.sending, &mut self.queued);
            trim(&mut self.queued);
        }
        if self.sending.is_empty() {
            trim(&mut self.sending);
            return None;
        }
        Some(&self.sending[self.sent..])
    }

    /// The kernel took `bytes` of the current chunk.
    pub(crate) fn consume(&mut self, bytes: usize) {
        self.sent = (self.sent + bytes).min(self.sending.len());
    }
}

fn trim(buffer: &mut Vec<u8>) {
    if buffer.is_empty() && buffer.capacity() > RETAINED_CAPACITY_BYTES_MAX {
        *buffer = Vec::new();
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn partial_sends_keep_the_rest_in_order() {
        let mut queue = OutQueue::default();
        queue.push(b"hello ");
        assert_eq!(queue.next_chunk(), Some(&b"hello "[..]));
        queue.push(b"world");
        assert_eq!(queue.len(), 11);
        queue.consume(3);
        assert_eq!(queue.next_chunk(), Some(&b"lo "[..]));
        queue.consume(3);
        assert_eq!(queue.next_chunk(), Some(&b"world"[..]));
        queue.consume(5);
        assert!(queue.is_empty());
        assert_eq!(queue.next_chunk(), None);
    }
}
