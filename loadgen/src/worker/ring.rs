//! The worker's ring: pushing entries, arming multishot recvs, handing
//! queued bytes to sends, waiting (batched when that is cheap and
//! harmless), and dispatching completions.

use super::{
    user_data, Phase, Worker, BATCH_WAIT_LATENCY_DIVISOR, BATCH_WAIT_MAX_NS, BATCH_WANT_DIVISOR,
    BATCH_WANT_MAX, TAG_CONNECT, TAG_RECV, TAG_SEND, UPKEEP_INTERVAL_NS,
};
use crate::session::SessionState;
use io_uring::{cqueue, opcode, types};
use ringkeeper_jute::split_frame;
use std::io;

impl Worker {
    pub(super) fn push(&mut self, entry: &io_uring::squeue::Entry) {
        loop {
            // SAFETY: every buffer and address an entry points to lives in
            // a session or in `addresses`, and stays put until the entry's
            // completion is reaped (see the module doc).
            if unsafe { self.ring.submission().push(entry) }.is_ok() {
                return;
            }
            // The submission queue is full: hand it to the kernel. The
            // completion queue cannot overflow (3 ops per session at most).
            if let Err(error) = self.ring.submit() {
                assert!(
                    matches!(error.raw_os_error(), Some(libc::EINTR | libc::EAGAIN)),
                    "io_uring submit failed: {error}"
                );
            }
        }
    }

    /// Arms a multishot recv on the session's socket.
    pub(super) fn post_recv(&mut self, index: usize) {
        let session = &mut self.sessions[index];
        let entry = opcode::RecvMulti::new(types::Fixed(index as u32), self.recv_ring.group_id)
            .build()
            .user_data(user_data(index, TAG_RECV));
        session.ring_ops += 1;
        self.push(&entry);
    }

    pub(super) fn flush_sends(&mut self, now_ns: u64) {
        let mut dirty = std::mem::take(&mut self.dirty);
        for &index in &dirty {
            let index = index as usize;
            self.is_dirty[index] = false;
            let session = &mut self.sessions[index];
            let sendable = matches!(
                session.state,
                SessionState::Handshaking | SessionState::Ready | SessionState::Closing
            );
            if !sendable || session.send_pending || session.queued.is_empty() {
                continue;
            }
            std::mem::swap(&mut session.send_buffer, &mut session.queued);
            session.queued.clear();
            session.send_offset = 0;
            session.last_send_ns = now_ns;
            self.submit_send(index);
        }
        dirty.clear();
        self.dirty = dirty;
    }

    pub(super) fn submit_send(&mut self, index: usize) {
        let session = &mut self.sessions[index];
        let unsent = &session.send_buffer[session.send_offset..];
        let entry = opcode::Send::new(
            types::Fixed(index as u32),
            unsent.as_ptr(),
            unsent.len() as u32,
        )
        .flags(libc::MSG_NOSIGNAL)
        .build()
        .user_data(user_data(index, TAG_SEND));
        session.ring_ops += 1;
        session.send_pending = true;
        self.push(&entry);
    }

    pub(super) fn submit_and_wait(&mut self, now_ns: u64) -> io::Result<()> {
        let mut wait_ns = self
            .next_upkeep_ns
            .saturating_sub(now_ns)
            .min(UPKEEP_INTERVAL_NS);
        if self.phase == Phase::Load && self.open_loop_interval_ns.is_some() {
            wait_ns = wait_ns.min(self.next_intended_ns.saturating_sub(now_ns));
        }
        if self.phase == Phase::Load {
            wait_ns = wait_ns.min(self.interval.end_ns.saturating_sub(now_ns));
        }
        let wait_ns = wait_ns.max(10_000);
        let timespec = types::Timespec::new()
            .sec(wait_ns / 1_000_000_000)
            .nsec((wait_ns % 1_000_000_000) as u32);
        let (want, batch_wait_ns) = self.batch_wait();
        let args = types::SubmitArgs::new()
            .timespec(&timespec)
            .min_wait_usec((batch_wait_ns / 1000) as u32);
        match self.ring.submitter().submit_with_args(want, &args) {
            Ok(_) => Ok(()),
            Err(error)
                if matches!(
                    error.raw_os_error(),
                    Some(libc::ETIME | libc::EINTR | libc::EBUSY)
                ) =>
            {
                Ok(())
            }
            Err(error) => Err(error),
        }
    }

    /// How many completions to wait for, and for how long once the first
    /// one is in. Replies trickling in one per wake-up cost a sleep and a
    /// wake each; waiting a little for company is cheaper, and bounded to
    /// a 1% share of the latency being measured.
    pub(super) fn batch_wait(&self) -> (usize, u64) {
        let batch_wait_ns =
            (self.latency_mean_ns / BATCH_WAIT_LATENCY_DIVISOR).min(BATCH_WAIT_MAX_NS);
        let batching = self.min_wait_supported
            && self.phase == Phase::Load
            && self.open_loop_interval_ns.is_none()
            && batch_wait_ns >= 1000;
        if !batching {
            return (1, 0);
        }
        let want = (self.ops_in_flight / BATCH_WANT_DIVISOR).clamp(1, BATCH_WANT_MAX);
        (want, batch_wait_ns)
    }

    pub(super) fn reap(&mut self) {
        let mut completions = std::mem::take(&mut self.completions);
        completions.extend(
            self.ring
                .completion()
                .map(|cqe| (cqe.user_data(), cqe.result(), cqe.flags())),
        );
        let mut now_ns = self.shared.now_ns();
        self.stats.ring_turns += 1;
        self.stats.ring_completions += completions.len() as u64;
        for (position, &(data, result, flags)) in completions.iter().enumerate() {
            if position % 64 == 63 {
                now_ns = self.shared.now_ns();
            }
            let index = (data >> 8) as usize;
            match data & 0xff {
                TAG_CONNECT => self.on_connect(index, result, now_ns),
                TAG_SEND => self.on_send(index, result, now_ns),
                TAG_RECV => self.on_recv(index, result, flags, now_ns),
                tag => unreachable!("unknown completion tag {tag}"),
            }
        }
        completions.clear();
        self.completions = completions;
        self.recv_ring.publish();
    }

    pub(super) fn on_send(&mut self, index: usize, result: i32, now_ns: u64) {
        let session = &mut self.sessions[index];
        session.ring_ops -= 1;
        session.send_pending = false;
        if session.state == SessionState::Draining {
            self.maybe_finish_drain(index, now_ns);
            return;
        }
        if result < 0 {
            self.drop_connection(index, "SEND_FAILED", now_ns);
            return;
        }
        session.send_offset += result as usize;
        if session.send_offset < session.send_buffer.len() {
            self.submit_send(index);
        } else {
            session.send_buffer.clear();
            session.send_offset = 0;
            if !session.queued.is_empty() {
                self.mark_dirty(index);
            }
        }
    }

    pub(super) fn on_recv(&mut self, index: usize, result: i32, flags: u32, now_ns: u64) {
        // Copy the bytes out and hand the buffer back before anything else:
        // into the worker's scratch buffer (hot in cache) when no partial
        // frame waits, else behind the partial frame.
        let received = cqueue::buffer_select(flags).map(|buffer_id| {
            let len = result.max(0) as usize;
            let bytes = self.recv_ring.received(buffer_id, len);
            let pending = &mut self.sessions[index].recv_buffer;
            self.received.clear();
            if pending.is_empty() {
                self.received.extend_from_slice(bytes);
            } else {
                pending.extend_from_slice(bytes);
            }
            self.recv_ring.recycle(buffer_id);
        });
        let session = &mut self.sessions[index];
        let armed = cqueue::more(flags);
        if !armed {
            session.ring_ops -= 1;
        }
        if session.state == SessionState::Draining {
            self.maybe_finish_drain(index, now_ns);
            return;
        }
        if result == -libc::ENOBUFS {
            // Every provided buffer was in use: the kernel ended this
            // multishot recv; arm another.
            if !armed {
                self.post_recv(index);
            }
            return;
        }
        if result <= 0 || received.is_none() {
            if session.state == SessionState::Handshaking {
                // ZooKeeper closes a connection at once when its address is
                // over maxClientCnxns; say so rather than "kept failing".
                session.failure = Some(format!(
                    "{} closed the connection during the handshake (over its maxClientCnxns?)",
                    self.shared.config.servers[session.server]
                ));
                self.stats.count_error("HANDSHAKE_CLOSED");
            }
            let closing = session.state == SessionState::Closing && session.closed_cleanly;
            let error = if closing || result == 0 {
                ""
            } else {
                "RECV_FAILED"
            };
            self.drop_connection(index, error, now_ns);
            return;
        }
        session.last_recv_ns = now_ns;
        if self.process_frames(index, now_ns) && !armed {
            self.post_recv(index);
        }
    }

    /// Handles every complete frame received (in the scratch buffer, or
    /// in the session's reassembly buffer behind a partial frame), and
    /// keeps a trailing partial frame in the session; false when the
    /// connection was dropped on the way.
    pub(super) fn process_frames(&mut self, index: usize, now_ns: u64) -> bool {
        let max_frame_bytes = self.shared.config.max_frame_bytes;
        let in_scratch = self.sessions[index].recv_buffer.is_empty();
        let mut buffer = if in_scratch {
            std::mem::take(&mut self.received)
        } else {
            std::mem::take(&mut self.sessions[index].recv_buffer)
        };
        let mut offset = 0;
        let mut alive = true;
        while alive {
            match split_frame(&buffer[offset..], max_frame_bytes) {
                Ok(Some((payload, used))) => {
                    alive = self.handle_frame(index, payload, now_ns);
                    offset += used;
                }
                Ok(None) => break,
                Err(error) => {
                    let name = match error {
                        ringkeeper_jute::DecodeError::FrameTooLarge { .. } => "FRAME_TOO_LARGE",
                        _ => "MALFORMED_FRAME",
                    };
                    self.drop_connection(index, name, now_ns);
                    alive = false;
                }
            }
        }
        if in_scratch {
            if alive && offset < buffer.len() {
                self.sessions[index]
                    .recv_buffer
                    .extend_from_slice(&buffer[offset..]);
            }
            buffer.clear();
            self.received = buffer;
        } else {
            if alive {
                buffer.drain(..offset);
            } else {
                buffer.clear();
            }
            self.sessions[index].recv_buffer = buffer;
        }
        alive
    }
}
