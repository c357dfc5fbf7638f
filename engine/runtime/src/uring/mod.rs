//! The io_uring backend: one ring per core, built on the core's thread with SINGLE_ISSUER and
//! DEFER_TASKRUN (completion work runs only when the core enters the ring to wait), falling
//! back to plainer flags when the kernel refuses them.
//!
//! - Accepts: one multishot accept on the core's own SO_REUSEPORT listener.
//! - Receives: one multishot recv per connection into the core's provided-buffer ring; each
//!   buffer goes to `on_recv` and back to the kernel as soon as the call returns. When the
//!   kernel ends a multishot recv (ENOBUFS, cancel, CQ overflow) the connection is marked dirty
//!   and `flush` arms a new one if the connection still wants input.
//! - Pause: the armed recv is cancelled (by user_data); bytes the kernel delivers before the
//!   cancel lands are held by the core (bounded by the buffer ring) and delivered on resume.
//! - Sends: `flush` pushes one Send per connection with queued bytes and none in flight; the
//!   entries reach the kernel with the next wait (one `io_uring_enter` per turn).
//! - Sockets go into the registered-file table at their slot index when the table has room
//!   (`FIXED_FILES_MAX`, RLIMIT_NOFILE), else ops name the plain fd.
//! - Wakeups: a Read on the core's eventfd is always armed.
//! - Buffer lifetime invariant: a connection's slot (its out queue, its fd) is freed only when
//!   no operation naming it is in flight (`BackendConn::ops_in_flight == 0`); teardown cancels
//!   the socket's armed recv and in-flight send first, each by its user_data. At shutdown
//!   every op is cancelled and waited for before the ring, the buffer ring and the wake buffer
//!   are dropped.

mod buffer_ring;

pub use buffer_ring::BufferRing;

use crate::backend::{accept_retry_at, Backend, Event, Sink};
use crate::config::EngineConfig;
use crate::conn_id::CloseReason;
use crate::connection::Phase;
use crate::core_state::CoreState;
use crate::mailbox::Waker;
use crate::open_files::open_files_limit;
use crate::socket;
use io_uring::types::{CancelBuilder, SubmitArgs, Timespec};
use io_uring::{cqueue, opcode, squeue, types, IoUring};
use std::io;
use std::os::fd::{AsRawFd, FromRawFd, OwnedFd};
use std::sync::Arc;
use std::time::{Duration, Instant};

const SUBMISSION_QUEUE_ENTRIES: u32 = 1024;
/// The completion queue holds at most this many entries (the kernel's limit is larger; beyond
/// it completions wait in the kernel's overflow list, IORING_FEAT_NODROP).
const COMPLETION_QUEUE_ENTRIES_MAX: u32 = 65_536;
/// The completion queue holds at least this many entries, also the floor [`build_ring`] shrinks
/// it to when the kernel cannot allocate a larger one.
const COMPLETION_QUEUE_ENTRIES_MIN: u32 = SUBMISSION_QUEUE_ENTRIES * 2;
/// Registered-file slots per core at most.
const FIXED_FILES_MAX: usize = 65_536;
const BUFFER_GROUP: u16 = 0;

const TAG_ACCEPT: u64 = 1;
const TAG_WAKE: u64 = 2;
const TAG_RECV: u64 = 3;
const TAG_SEND: u64 = 4;
/// Cancel of one connection's recv (pause).
const TAG_CANCEL: u64 = 5;
/// Cancel of a released connection's armed recv or in-flight send.
const TAG_TEARDOWN: u64 = 6;
/// Cancel of every op in the ring (shutdown).
const TAG_CANCEL_ALL: u64 = 7;

fn user_data(slot: u32, tag: u64) -> u64 {
    u64::from(slot) << 8 | tag
}

/// Runs `$build` with `$target` naming the connection's socket: its registered slot, or its fd.
macro_rules! with_target {
    ($conn:expr, $slot:expr, |$target:ident| $build:expr) => {
        if $conn.backend.fixed {
            let $target = types::Fixed($slot);
            $build
        } else {
            let $target = types::Fd($conn.fd.as_raw_fd());
            $build
        }
    };
}

pub(crate) struct IoUringBackend {
    // Field order matters: the ring is dropped (releasing the buffer ring's registration and
    // every op) before the memory those ops could name.
    ring: IoUring,
    buffers: BufferRing,
    wake_buffer: Box<u64>,
    listener: OwnedFd,
    waker: Arc<Waker>,
    fixed_files: u32,
    accept_armed: bool,
    accept_retry_at: Option<Instant>,
    wake_armed: bool,
    stopping: bool,
    /// Ops in flight in the ring, all kinds.
    ops_in_flight: u64,
    completions: Vec<(u64, i32, u32)>,
}

impl IoUringBackend {
    /// Checks that this kernel (and its seccomp policy) gives us what the backend needs.
    pub(crate) fn probe() -> io::Result<()> {
        let ring = build_ring(8, 16)?;
        let mut probe = io_uring::Probe::new();
        ring.submitter().register_probe(&mut probe)?;
        for (code, name) in [
            (opcode::AcceptMulti::CODE, "accept"),
            (opcode::RecvMulti::CODE, "recv"),
            (opcode::Send::CODE, "send"),
            (opcode::Read::CODE, "read"),
            (opcode::AsyncCancel2::CODE, "async cancel"),
        ] {
            if !probe.is_supported(code) {
                return Err(io::Error::new(
                    io::ErrorKind::Unsupported,
                    format!("io_uring without the {name} opcode"),
                ));
            }
        }
        // SAFETY: no op is ever submitted on this ring, so the kernel never writes into the
        // buffers; and the ring is dropped first, below.
        let buffers = unsafe { BufferRing::register(&ring.submitter(), 2, 64, BUFFER_GROUP)? };
        ring.submitter().register_files_sparse(1)?;
        drop(ring);
        drop(buffers);
        Ok(())
    }

    /// Builds the core's ring. Must run on the core's thread (SINGLE_ISSUER).
    pub(crate) fn new(
        listener: OwnedFd,
        waker: Arc<Waker>,
        config: &EngineConfig,
    ) -> io::Result<IoUringBackend> {
        let completion_entries = (config.connections_per_core_max as u64 * 4 + 1024)
            .next_power_of_two()
            .clamp(
                u64::from(COMPLETION_QUEUE_ENTRIES_MIN),
                u64::from(COMPLETION_QUEUE_ENTRIES_MAX),
            ) as u32;
        let ring = build_ring(SUBMISSION_QUEUE_ENTRIES, completion_entries)?;
        // SAFETY: `IoUringBackend` declares `ring` before `buffers`, so the ring drops first;
        // `drain` and `drop` leak the buffers when ops may still be in flight.
        let buffers = unsafe {
            BufferRing::register(
                &ring.submitter(),
                config.recv_buffer_count as u16,
                config.recv_buffer_bytes,
                BUFFER_GROUP,
            )?
        };
        let fixed_files = register_fixed_files(&ring, config.connections_per_core_max);
        Ok(IoUringBackend {
            ring,
            buffers,
            wake_buffer: Box::new(0),
            listener,
            waker,
            fixed_files,
            accept_armed: false,
            accept_retry_at: None,
            wake_armed: false,
            stopping: false,
            ops_in_flight: 0,
            completions: Vec::with_capacity(completion_entries as usize),
        })
    }

    fn push(&mut self, entry: squeue::Entry) {
        self.ops_in_flight += 1;
        loop {
            // SAFETY: every buffer an entry names (a connection's out queue, the wake buffer,
            // the buffer ring) stays put until the entry's completion is reaped (module doc).
            if unsafe { self.ring.submission().push(&entry) }.is_ok() {
                return;
            }
            // The submission queue is full: hand it to the kernel now.
            if let Err(error) = self.ring.submit() {
                if !matches!(
                    error.raw_os_error(),
                    Some(libc::EINTR | libc::EAGAIN | libc::EBUSY)
                ) {
                    // Nothing sensible is left to do with a ring that refuses submissions.
                    panic!("ringkeeper-engine: io_uring submit failed: {error}");
                }
            }
        }
    }

    /// Asks the kernel to cancel every op in the ring (shutdown, or unwinding).
    fn cancel_all(&mut self) {
        let entry = opcode::AsyncCancel2::new(CancelBuilder::any())
            .build()
            .user_data(user_data(0, TAG_CANCEL_ALL));
        self.push(entry);
    }

    /// Asks the kernel to cancel connection `slot`'s op `op_tag` (found by its user_data); the
    /// cancel completes under `cancel_tag`.
    fn cancel_op(&mut self, slot: u32, op_tag: u64, cancel_tag: u64) {
        let entry = opcode::AsyncCancel2::new(CancelBuilder::user_data(user_data(slot, op_tag)))
            .build()
            .user_data(user_data(slot, cancel_tag));
        self.push(entry);
    }

    /// Keeps the memory unreaped ops may still write into (the buffer ring, the wake buffer)
    /// forever, rather than free it under the kernel.
    fn leak_kernel_buffers(&mut self) {
        self.buffers.leak();
        std::mem::forget(std::mem::replace(&mut self.wake_buffer, Box::new(0)));
    }

    fn reap<M>(&mut self, state: &mut CoreState<M>, sink: &mut Sink<'_, M>) {
        let mut completions = std::mem::take(&mut self.completions);
        completions.extend(
            self.ring
                .completion()
                .map(|cqe| (cqe.user_data(), cqe.result(), cqe.flags())),
        );
        for &(data, result, flags) in &completions {
            self.complete(state, sink, data, result, flags);
        }
        completions.clear();
        self.completions = completions;
        self.buffers.publish();
    }

    fn complete<M>(
        &mut self,
        state: &mut CoreState<M>,
        sink: &mut Sink<'_, M>,
        data: u64,
        result: i32,
        flags: u32,
    ) {
        let more = cqueue::more(flags);
        if !more {
            self.ops_in_flight = self.ops_in_flight.saturating_sub(1);
        }
        let slot = (data >> 8) as u32;
        match data & 0xff {
            TAG_ACCEPT => self.on_accept(state, sink, result, more),
            TAG_WAKE => self.wake_armed = false,
            TAG_CANCEL_ALL => {}
            tag => {
                if !more {
                    if let Some(conn) = state.conns.slot_mut(slot) {
                        conn.backend.ops_in_flight = conn.backend.ops_in_flight.saturating_sub(1);
                        state.conns.mark_dirty(slot);
                    }
                }
                match tag {
                    TAG_RECV => self.on_recv(state, sink, slot, result, flags, more),
                    TAG_SEND => on_send(state, sink, slot, result),
                    _ => {} // TAG_CANCEL, TAG_TEARDOWN: only the op count above.
                }
            }
        }
    }

    fn on_accept<M>(
        &mut self,
        state: &mut CoreState<M>,
        sink: &mut Sink<'_, M>,
        result: i32,
        more: bool,
    ) {
        if !more {
            // The multishot accept ended; `flush` arms another once `accept_retry_at` passes
            // (it was cleared when this one was armed).
            self.accept_armed = false;
            self.accept_retry_at = accept_retry_at(-result, state.now);
        }
        if result < 0 {
            return;
        }
        // SAFETY: a successful accept returns a new fd that nothing else owns.
        let fd = unsafe { OwnedFd::from_raw_fd(result) };
        if self.stopping {
            return;
        }
        // A peer that is already gone has no address: drop it.
        if let Ok(peer) = socket::peer_addr(&fd) {
            sink(state, Event::Accepted { fd, peer });
        }
    }

    fn on_recv<M>(
        &mut self,
        state: &mut CoreState<M>,
        sink: &mut Sink<'_, M>,
        slot: u32,
        result: i32,
        flags: u32,
        more: bool,
    ) {
        let buffer_id = cqueue::buffer_select(flags);
        if !more {
            if let Some(conn) = state.conns.slot_mut(slot) {
                conn.backend.recv_armed = false;
                conn.backend.cancel_pending = false;
            }
        }
        if let Some(buffer_id) = buffer_id {
            if result > 0 {
                let bytes = self.buffers.received(buffer_id, result as usize);
                sink(state, Event::Received { slot, bytes });
            }
            self.buffers.recycle(buffer_id);
        }
        let reason = match result {
            0 if !more => CloseReason::PeerClosed,
            // ENOBUFS: every buffer was taken; ECANCELED: pause or teardown. Either way the
            // connection is dirty and `flush` re-arms if it still wants input.
            _ if result >= 0 || matches!(-result, libc::ENOBUFS | libc::ECANCELED) => return,
            _ => CloseReason::from_errno(-result),
        };
        sink(state, Event::Ended { slot, reason });
    }

    /// Brings one dirty connection's socket in line with the table (module doc).
    fn reconcile<M>(&mut self, state: &mut CoreState<M>, slot: u32) {
        let Some(conn) = state.conns.slot_mut(slot) else {
            return;
        };
        if conn.phase == Phase::Released {
            if !conn.backend.torn_down {
                conn.backend.torn_down = true;
                // Each op is cancelled by its user_data, which the kernel looks up in a hash
                // table; a cancel by fd walks every op of the ring, so with 10,000 sessions
                // closing at once the closes took seconds (O(connections) each).
                let recv = conn.backend.recv_armed.then_some(TAG_RECV);
                let send = conn.backend.send_in_flight.then_some(TAG_SEND);
                for tag in [recv, send].into_iter().flatten() {
                    conn.backend.ops_in_flight += 1;
                    self.cancel_op(slot, tag, TAG_TEARDOWN);
                }
            }
            if conn.backend.ops_in_flight == 0 {
                if conn.backend.fixed {
                    // Failure leaves the slot to be overwritten by the next socket.
                    let _ = self.ring.submitter().register_files_update(slot, &[-1]);
                }
                state.conns.free(slot);
            }
            return;
        }
        if !conn.backend.started {
            conn.backend.started = true;
            conn.backend.fixed = slot < self.fixed_files
                && self
                    .ring
                    .submitter()
                    .register_files_update(slot, &[conn.fd.as_raw_fd()])
                    .is_ok();
        }
        if conn.wants_recv() {
            if !conn.backend.recv_armed {
                conn.backend.recv_armed = true;
                conn.backend.ops_in_flight += 1;
                let entry = with_target!(conn, slot, |target| opcode::RecvMulti::new(
                    target,
                    self.buffers.group_id
                )
                .build());
                self.push(entry.user_data(user_data(slot, TAG_RECV)));
            }
        } else if conn.backend.recv_armed && !conn.backend.cancel_pending {
            conn.backend.cancel_pending = true;
            conn.backend.ops_in_flight += 1;
            self.cancel_op(slot, TAG_RECV, TAG_CANCEL);
        }
        if !conn.backend.send_in_flight {
            let fixed = conn.backend.fixed;
            let fd = conn.fd.as_raw_fd();
            if let Some(chunk) = conn.out.next_chunk() {
                let len = chunk.len().min(u32::MAX as usize) as u32;
                let pointer = chunk.as_ptr();
                let entry = if fixed {
                    opcode::Send::new(types::Fixed(slot), pointer, len)
                } else {
                    opcode::Send::new(types::Fd(fd), pointer, len)
                };
                conn.backend.send_in_flight = true;
                conn.backend.ops_in_flight += 1;
                self.push(
                    entry
                        .flags(libc::MSG_NOSIGNAL)
                        .build()
                        .user_data(user_data(slot, TAG_SEND)),
                );
            }
        }
    }
}

fn on_send<M>(state: &mut CoreState<M>, sink: &mut Sink<'_, M>, slot: u32, result: i32) {
    let Some(conn) = state.conns.slot_mut(slot) else {
        return;
    };
    conn.backend.send_in_flight = false;
    if result >= 0 {
        conn.out.consume(result as usize);
    } else if -result != libc::ECANCELED {
        sink(
            state,
            Event::Ended {
                slot,
                reason: CloseReason::from_errno(-result),
            },
        );
    }
}

impl Backend for IoUringBackend {
    fn wait<M>(
        &mut self,
        state: &mut CoreState<M>,
        timeout: Duration,
        sink: &mut Sink<'_, M>,
    ) -> io::Result<()> {
        let timespec = Timespec::from(timeout);
        let args = SubmitArgs::new().timespec(&timespec);
        match self.ring.submitter().submit_with_args(1, &args) {
            Ok(_) => {}
            Err(error)
                if matches!(
                    error.raw_os_error(),
                    Some(libc::ETIME | libc::EINTR | libc::EBUSY | libc::EAGAIN)
                ) => {}
            Err(error) => {
                return Err(io::Error::new(
                    error.kind(),
                    format!("io_uring_enter: {error}"),
                ))
            }
        }
        self.reap(state, sink);
        Ok(())
    }

    fn flush<M>(&mut self, state: &mut CoreState<M>) {
        if !self.stopping {
            let retry_due = self.accept_retry_at.is_none_or(|at| state.now >= at);
            if !self.accept_armed && retry_due {
                self.accept_armed = true;
                self.accept_retry_at = None;
                let entry = opcode::AcceptMulti::new(types::Fd(self.listener.as_raw_fd()))
                    .flags(libc::SOCK_CLOEXEC)
                    .build()
                    .user_data(user_data(0, TAG_ACCEPT));
                self.push(entry);
            }
            if !self.wake_armed {
                self.wake_armed = true;
                let entry = opcode::Read::new(
                    types::Fd(self.waker.fd()),
                    (&mut *self.wake_buffer as *mut u64).cast(),
                    std::mem::size_of::<u64>() as u32,
                )
                .build()
                .user_data(user_data(0, TAG_WAKE));
                self.push(entry);
            }
        }
        let dirty = state.conns.take_dirty();
        for &slot in &dirty {
            self.reconcile(state, slot);
        }
        state.conns.return_dirty(dirty);
    }

    fn drain<M>(&mut self, state: &mut CoreState<M>, deadline: Instant) {
        self.stopping = true;
        if self.ops_in_flight > 0 {
            self.cancel_all();
        }
        let mut ignore = |_: &mut CoreState<M>, _: Event<'_>| {};
        while self.ops_in_flight > 0 && Instant::now() < deadline {
            if self
                .wait(state, Duration::from_millis(10), &mut ignore)
                .is_err()
            {
                break;
            }
            self.flush(state);
        }
        state.conns.free_all();
        if self.ops_in_flight > 0 {
            // The kernel may still write into our buffers: leak them rather than free them.
            eprintln!(
                "ringkeeper-engine: core {}: {} io_uring ops still in flight at shutdown; leaking their buffers",
                state.core_index, self.ops_in_flight
            );
            self.leak_kernel_buffers();
        }
    }
}

impl Drop for IoUringBackend {
    /// After `drain` nothing is in flight. On any other path (a service panicked and the core
    /// is unwinding) cancel every op and wait for the completions, so the kernel never writes
    /// into memory that is about to be freed (out queues drop after the backend).
    fn drop(&mut self) {
        if self.ops_in_flight == 0 {
            return;
        }
        self.cancel_all();
        let deadline =
            Instant::now() + Duration::from_millis(crate::core_loop::SHUTDOWN_DRAIN_TIMEOUT_MS);
        while self.ops_in_flight > 0 && Instant::now() < deadline {
            let timespec = Timespec::from(Duration::from_millis(10));
            let args = SubmitArgs::new().timespec(&timespec);
            let _ = self.ring.submitter().submit_with_args(1, &args);
            let finished = self
                .ring
                .completion()
                .filter(|cqe| !cqueue::more(cqe.flags()))
                .count() as u64;
            self.ops_in_flight = self.ops_in_flight.saturating_sub(finished);
        }
        if self.ops_in_flight > 0 {
            self.leak_kernel_buffers();
        }
    }
}

/// Builds a ring, with the largest completion queue the kernel can allocate: its rings need
/// physically contiguous pages, which a long-running host with a full page cache may lack for a
/// moment (io_uring_setup fails with ENOMEM, seen here on a restart). The queue is then halved,
/// down to [`COMPLETION_QUEUE_ENTRIES_MIN`], with one warning; completions beyond a smaller queue
/// wait in the kernel's overflow list (IORING_FEAT_NODROP), so only speed is lost.
fn build_ring(entries: u32, completion_entries: u32) -> io::Result<IoUring> {
    let (ring, built_entries) = shrink_on_enomem(completion_entries.max(entries), |cq_entries| {
        build_ring_sized(entries, cq_entries)
    })?;
    if built_entries < completion_entries {
        eprintln!(
            "ringkeeper-engine: warning: io_uring completion queue of {completion_entries} entries \
             could not be allocated (ENOMEM); using {built_entries}"
        );
    }
    Ok(ring)
}

/// Calls `build` with `entries`, halving them while it fails with ENOMEM and they stay at or
/// above [`COMPLETION_QUEUE_ENTRIES_MIN`]; returns what was built and with how many entries.
fn shrink_on_enomem<T>(
    mut entries: u32,
    mut build: impl FnMut(u32) -> io::Result<T>,
) -> io::Result<(T, u32)> {
    loop {
        match build(entries) {
            Ok(built) => return Ok((built, entries)),
            Err(error)
                if error.raw_os_error() == Some(libc::ENOMEM)
                    && entries / 2 >= COMPLETION_QUEUE_ENTRIES_MIN =>
            {
                entries /= 2;
            }
            Err(error) => {
                return Err(io::Error::new(
                    error.kind(),
                    format!("io_uring_setup: {error}"),
                ))
            }
        }
    }
}

/// One ring with `completion_entries`: with SINGLE_ISSUER + DEFER_TASKRUN (Linux 6.1+), else
/// COOP_TASKRUN (5.19+), else no flags; EINVAL means the kernel does not know a flag, any other
/// error is final. A ring without IORING_FEAT_EXT_ARG (the wait's timeout) is refused. Errors
/// are the kernel's, unwrapped (the caller names the call).
fn build_ring_sized(entries: u32, completion_entries: u32) -> io::Result<IoUring> {
    let attempts: [fn(&mut io_uring::Builder); 3] = [
        |builder| {
            builder.setup_single_issuer().setup_defer_taskrun();
        },
        |builder| {
            builder.setup_coop_taskrun();
        },
        |_| {},
    ];
    let mut last_error = None;
    for configure in attempts {
        let mut builder = IoUring::builder();
        builder.setup_cqsize(completion_entries);
        configure(&mut builder);
        match builder.build(entries) {
            Ok(ring) if !ring.params().is_feature_ext_arg() => {
                return Err(io::Error::new(
                    io::ErrorKind::Unsupported,
                    "io_uring without IORING_FEAT_EXT_ARG (Linux 5.11+)",
                ))
            }
            Ok(ring) => return Ok(ring),
            Err(error) if error.raw_os_error() == Some(libc::EINVAL) => last_error = Some(error),
            Err(error) => return Err(error),
        }
    }
    Err(last_error.unwrap_or_else(|| io::Error::from_raw_os_error(libc::EINVAL)))
}

/// Registers a sparse file table as large as the limits allow; 0 when none could be.
fn register_fixed_files(ring: &IoUring, connections_max: usize) -> u32 {
    let open_files_max = open_files_limit().map_or(1024, |limit| limit as usize);
    let mut count = connections_max.min(FIXED_FILES_MAX).min(open_files_max) as u32;
    while count > 0 {
        if ring.submitter().register_files_sparse(count).is_ok() {
            return count;
        }
        count /= 2;
    }
    0
}

#[cfg(test)]
mod ring_size_tests {
    use super::*;

    #[test]
    fn enomem_halves_the_completion_queue_down_to_the_floor_and_no_further() {
        let mut tried = Vec::new();
        let built = shrink_on_enomem(65_536, |entries| {
            tried.push(entries);
            if entries > 8_192 {
                Err(io::Error::from_raw_os_error(libc::ENOMEM))
            } else {
                Ok(entries)
            }
        })
        .unwrap();
        assert_eq!(built, (8_192, 8_192));
        assert_eq!(tried, [65_536, 32_768, 16_384, 8_192]);

        let mut tried = Vec::new();
        let error = shrink_on_enomem(8_192, |entries| -> io::Result<()> {
            tried.push(entries);
            Err(io::Error::from_raw_os_error(libc::ENOMEM))
        })
        .unwrap_err();
        assert_eq!(tried.last(), Some(&COMPLETION_QUEUE_ENTRIES_MIN));
        assert!(error.to_string().starts_with("io_uring_setup: "), "{error}");
    }

    #[test]
    fn other_errors_are_not_retried() {
        let mut calls = 0;
        let error = shrink_on_enomem(65_536, |_| -> io::Result<()> {
            calls += 1;
            Err(io::Error::from_raw_os_error(libc::EPERM))
        })
        .unwrap_err();
        assert_eq!(calls, 1);
        assert_eq!(error.raw_os_error(), None, "wrapped with the call's name");
        assert_eq!(error.kind(), io::ErrorKind::PermissionDenied);
    }
}
