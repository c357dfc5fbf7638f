//! What one call into [`crate::ZkServer`] asks the network shell to do:
//! frames to send, each to one connection, in delivery order, and
//! connections to close once their frames are sent.
//!
//! All frames share one growing buffer, so a batch of replies costs one
//! allocation that is reused across calls (`clear`).

use std::ops::Range;

use ringkeeper_jute::frame::write_frame;
use ringkeeper_jute::{Jute, ReplyHeader, WatcherEvent, Xid};

/// The shell's id of a connection; also the watcher id of its watches.
pub type ConnKey = u64;

#[derive(Debug, Default)]
pub struct Outbox {
    bytes: Vec<u8>,
    frames: Vec<(ConnKey, Range<usize>)>,
    closes: Vec<ConnKey>,
}

impl Outbox {
    pub fn new() -> Self {
        Outbox::default()
    }

    /// Forgets everything, keeping the buffers' capacity.
    pub fn clear(&mut self) {
        self.bytes.clear();
        self.frames.clear();
        self.closes.clear();
    }

    pub fn is_empty(&self) -> bool {
        self.frames.is_empty() && self.closes.is_empty()
    }

    /// Each frame (length prefix included) with its connection, in the
    /// order they must be delivered.
    pub fn frames(&self) -> impl Iterator<Item = (ConnKey, &[u8])> + '_ {
        self.frames
            .iter()
            .map(|(conn, range)| (*conn, &self.bytes[range.clone()]))
    }

    /// Connections to close after their frames are sent, in order.
    pub fn closes(&self) -> &[ConnKey] {
        &self.closes
    }

    /// Appends one length-prefixed frame for `conn`.
    pub fn push_frame(&mut self, conn: ConnKey, write_payload: impl FnOnce(&mut Vec<u8>)) {
        let start = self.bytes.len();
        write_frame(&mut self.bytes, write_payload);
        self.frames.push((conn, start..self.bytes.len()));
    }

    /// A reply: `header`, then `body` when there is one.
    pub fn push_reply(&mut self, conn: ConnKey, header: &ReplyHeader, body: Option<&dyn Body>) {
        self.push_frame(conn, |out| {
            header.encode(out);
            if let Some(body) = body {
                body.encode_body(out);
            }
        });
    }

    /// A watch notification: xid -1, zxid -1 (ZooKeeper 3.8 sends -1), OK.
    pub fn push_event(&mut self, conn: ConnKey, event: &WatcherEvent) {
        let header = ReplyHeader {
            xid: Xid::NOTIFICATION,
            zxid: -1,
            err: 0,
        };
        self.push_frame(conn, |out| {
            header.encode(out);
            event.encode(out);
        });
    }

    pub fn push_close(&mut self, conn: ConnKey) {
        if !self.closes.contains(&conn) {
            self.closes.push(conn);
        }
    }

    /// Frames written for `conn` so far (tests and counters).
    pub fn frame_count_for(&self, conn: ConnKey) -> usize {
        self.frames.iter().filter(|(c, _)| *c == conn).count()
    }
}

/// Object-safe encoding of a reply body.
pub trait Body {
    fn encode_body(&self, out: &mut Vec<u8>);
}

impl<T: Jute> Body for T {
    fn encode_body(&self, out: &mut Vec<u8>) {
        self.encode(out)
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use ringkeeper_jute::ErrorResponse;

    #[test]
    fn frames_keep_their_order_and_connection_and_clear_keeps_nothing() {
        let mut out = Outbox::new();
        let header = ReplyHeader {
            xid: 1,
            zxid: 5,
            err: 0,
        };
        out.push_reply(7, &header, Some(&ErrorResponse { err: 0 }));
        out.push_event(
            9,
            &WatcherEvent {
                event_type: 1,
                state: 3,
                path: "/a".into(),
            },
        );
        out.push_close(7);
        out.push_close(7);
        let frames: Vec<_> = out.frames().collect();
        assert_eq!(frames.len(), 2);
        assert_eq!(frames[0].0, 7);
        assert_eq!(&frames[0].1[..4], &20i32.to_be_bytes());
        assert_eq!(frames[0].1.len(), 4 + 16 + 4);
        assert_eq!(frames[1].0, 9);
        assert_eq!(&frames[1].1[4..8], &(-1i32).to_be_bytes());
        assert_eq!(out.closes(), &[7]);
        out.clear();
        assert!(out.is_empty());
        assert_eq!(out.frames().count(), 0);
    }
}
