//! The epoll backend: the same semantics as io_uring's over nonblocking sockets, for kernels
//! or sandboxes without io_uring. Level-triggered; one epoll instance per core holding its
//! SO_REUSEPORT listener, its eventfd and its connections.
//!
//! - Receives: on readiness, up to `READS_PER_EVENT_MAX` recv(2) calls into one per-core
//!   buffer, each handed to `on_recv`; a paused connection is not read (and its interest set
//!   drops EPOLLIN, so TCP pushes back on the peer).
//! - Sends: `flush` writes each dirty connection's queue until EAGAIN, then waits for EPOLLOUT.
//! - Teardown is immediate: no operation outlives a call.

use crate::backend::{accept_retry_at, Backend, Event, Sink};
use crate::conn_id::CloseReason;
use crate::connection::Phase;
use crate::core_state::CoreState;
use crate::mailbox::Waker;
use crate::socket;
use std::io;
use std::os::fd::{AsRawFd, FromRawFd, OwnedFd, RawFd};
use std::sync::Arc;
use std::time::{Duration, Instant};

/// Events taken from one epoll_wait at most.
const EVENTS_PER_WAIT_MAX: usize = 1024;
/// recv(2) calls per readiness event at most (fairness between connections).
const READS_PER_EVENT_MAX: usize = 16;
/// accept4(2) calls per listener readiness at most.
const ACCEPTS_PER_EVENT_MAX: usize = 256;

const TAG_LISTENER: u64 = 1;
const TAG_WAKE: u64 = 2;
const TAG_CONN: u64 = 3;

fn token(slot: u32, tag: u64) -> u64 {
    u64::from(slot) << 8 | tag
}

fn errno() -> i32 {
    io::Error::last_os_error()
        .raw_os_error()
        .unwrap_or(libc::EIO)
}

pub(crate) struct EpollBackend {
    epoll: OwnedFd,
    listener: OwnedFd,
    waker: Arc<Waker>,
    events: Vec<libc::epoll_event>,
    scratch: Box<[u8]>,
    listener_registered: bool,
    accept_retry_at: Option<Instant>,
    stopping: bool,
}

impl EpollBackend {
    pub(crate) fn new(
        listener: OwnedFd,
        waker: Arc<Waker>,
        recv_buffer_bytes: usize,
    ) -> io::Result<EpollBackend> {
        // SAFETY: plain epoll_create1(2); the result is checked.
        let fd = unsafe { libc::epoll_create1(libc::EPOLL_CLOEXEC) };
        if fd < 0 {
            return Err(io::Error::last_os_error());
        }
        let backend = EpollBackend {
            // SAFETY: a fresh fd we own.
            epoll: unsafe { OwnedFd::from_raw_fd(fd) },
            listener,
            waker,
            events: vec![libc::epoll_event { events: 0, u64: 0 }; EVENTS_PER_WAIT_MAX],
            scratch: vec![0; recv_buffer_bytes].into_boxed_slice(),
            listener_registered: true,
            accept_retry_at: None,
            stopping: false,
        };
        let wake_fd = backend.waker.fd();
        backend.control(
            libc::EPOLL_CTL_ADD,
            wake_fd,
            libc::EPOLLIN as u32,
            token(0, TAG_WAKE),
        )?;
        let listener_fd = backend.listener.as_raw_fd();
        backend.control(
            libc::EPOLL_CTL_ADD,
            listener_fd,
            libc::EPOLLIN as u32,
            token(0, TAG_LISTENER),
        )?;
        Ok(backend)
    }

    fn control(&self, op: libc::c_int, fd: RawFd, events: u32, data: u64) -> io::Result<()> {
        let mut event = libc::epoll_event { events, u64: data };
        // SAFETY: epoll_ctl(2) with our epoll fd and a valid event.
        if unsafe { libc::epoll_ctl(self.epoll.as_raw_fd(), op, fd, &mut event) } < 0 {
            return Err(io::Error::last_os_error());
        }
        Ok(())
    }

    fn accept_ready<M>(&mut self, state: &mut CoreState<M>, sink: &mut Sink<'_, M>) {
        for _ in 0..ACCEPTS_PER_EVENT_MAX {
            // SAFETY: an all-zero sockaddr_storage is a valid value.
            let mut storage: libc::sockaddr_storage = unsafe { std::mem::zeroed() };
            let mut len = std::mem::size_of::<libc::sockaddr_storage>() as libc::socklen_t;
            // SAFETY: accept4(2) writes at most `len` bytes of address into `storage`.
            let fd = unsafe {
                libc::accept4(
                    self.listener.as_raw_fd(),
                    (&mut storage as *mut libc::sockaddr_storage).cast(),
                    &mut len,
                    libc::SOCK_NONBLOCK | libc::SOCK_CLOEXEC,
                )
            };
            if fd < 0 {
                let error = errno();
                if matches!(error, libc::EINTR | libc::ECONNABORTED | libc::EPROTO) {
                    continue;
                }
                if let Some(retry_at) = accept_retry_at(error, state.now) {
                    // Out of resources: stop watching the listener for a while rather than
                    // spin on a backlog we cannot take.
                    let listener_fd = self.listener.as_raw_fd();
                    let _ = self.control(libc::EPOLL_CTL_DEL, listener_fd, 0, 0);
                    self.listener_registered = false;
                    self.accept_retry_at = Some(retry_at);
                }
                return; // Else EAGAIN: the backlog is empty.
            }
            // SAFETY: accept4 returned a new fd that nothing else owns.
            let fd = unsafe { OwnedFd::from_raw_fd(fd) };
            if let Some(peer) = socket::from_sockaddr(&storage) {
                sink(state, Event::Accepted { fd, peer });
            }
        }
    }

    fn conn_ready<M>(
        &mut self,
        state: &mut CoreState<M>,
        sink: &mut Sink<'_, M>,
        slot: u32,
        events: u32,
    ) {
        let Some(conn) = state.conns.slot_mut(slot) else {
            return;
        };
        if conn.phase == Phase::Released {
            return;
        }
        let fd = conn.fd.as_raw_fd();
        let wants_recv = conn.wants_recv();
        if events & libc::EPOLLOUT as u32 != 0 {
            state.conns.mark_dirty(slot);
        }
        let hangup = (libc::EPOLLHUP | libc::EPOLLERR) as u32;
        let readable = (libc::EPOLLIN | libc::EPOLLRDHUP) as u32 | hangup;
        if events & readable == 0 {
            return;
        }
        if !wants_recv {
            if events & hangup != 0 {
                // Paused, and the socket is dead both ways: nobody will read a reply.
                let error = socket::take_socket_error(fd);
                let reason = match error {
                    0 => CloseReason::PeerClosed,
                    error => CloseReason::from_errno(error),
                };
                sink(state, Event::Ended { slot, reason });
            }
            return;
        }
        for _ in 0..READS_PER_EVENT_MAX {
            // SAFETY: recv(2) into our scratch buffer, at most its length.
            let received = unsafe {
                libc::recv(
                    fd,
                    self.scratch.as_mut_ptr().cast(),
                    self.scratch.len(),
                    libc::MSG_DONTWAIT,
                )
            };
            if received > 0 {
                let received = received as usize;
                sink(
                    state,
                    Event::Received {
                        slot,
                        bytes: &self.scratch[..received],
                    },
                );
                // The service may have paused or closed the connection.
                let still_reading = state
                    .conns
                    .slot_mut(slot)
                    .is_some_and(|conn| conn.wants_recv());
                if !still_reading || received < self.scratch.len() {
                    return;
                }
                continue;
            }
            if received == 0 {
                let reason = CloseReason::PeerClosed;
                sink(state, Event::Ended { slot, reason });
                return;
            }
            match errno() {
                libc::EINTR => continue,
                libc::EAGAIN => return,
                error => {
                    let reason = CloseReason::from_errno(error);
                    sink(state, Event::Ended { slot, reason });
                    return;
                }
            }
        }
    }

    fn reconcile<M>(&mut self, state: &mut CoreState<M>, slot: u32) {
        let Some(conn) = state.conns.slot_mut(slot) else {
            return;
        };
        let fd = conn.fd.as_raw_fd();
        if conn.phase == Phase::Released {
            if conn.backend.started {
                let _ = self.control(libc::EPOLL_CTL_DEL, fd, 0, 0);
            }
            state.conns.free(slot);
            return;
        }
        let mut failure = None;
        while let Some(chunk) = conn.out.next_chunk() {
            // SAFETY: send(2) of a slice we own, at most its length.
            let sent = unsafe {
                libc::send(
                    fd,
                    chunk.as_ptr().cast(),
                    chunk.len(),
                    libc::MSG_NOSIGNAL | libc::MSG_DONTWAIT,
                )
            };
            if sent >= 0 {
                let whole = sent as usize == chunk.len();
                conn.out.consume(sent as usize);
                if whole {
                    continue;
                }
                break; // The socket buffer is full.
            }
            match errno() {
                libc::EINTR => continue,
                libc::EAGAIN => break,
                error => {
                    failure = Some(error);
                    break;
                }
            }
        }
        if let Some(error) = failure {
            state.ended.push((slot, CloseReason::from_errno(error)));
            return;
        }
        let mut interest = 0;
        if conn.wants_recv() {
            interest |= (libc::EPOLLIN | libc::EPOLLRDHUP) as u32;
        }
        if !conn.out.is_empty() {
            interest |= libc::EPOLLOUT as u32;
        }
        let op = if !conn.backend.started {
            libc::EPOLL_CTL_ADD
        } else if interest != conn.backend.interest {
            libc::EPOLL_CTL_MOD
        } else {
            return;
        };
        conn.backend.started = true;
        conn.backend.interest = interest;
        if let Err(error) = self.control(op, fd, interest, token(slot, TAG_CONN)) {
            let errno = error.raw_os_error().unwrap_or(libc::EIO);
            state.ended.push((slot, CloseReason::IoError(errno)));
        }
    }
}

impl Backend for EpollBackend {
    fn wait<M>(
        &mut self,
        state: &mut CoreState<M>,
        timeout: Duration,
        sink: &mut Sink<'_, M>,
    ) -> io::Result<()> {
        // Round up: a wait that ends before the deadline only costs another turn.
        let timeout_ms = timeout.as_nanos().div_ceil(1_000_000).min(i32::MAX as u128) as i32;
        // SAFETY: epoll_wait(2) into our event array, at most its length.
        let count = unsafe {
            libc::epoll_wait(
                self.epoll.as_raw_fd(),
                self.events.as_mut_ptr(),
                self.events.len() as libc::c_int,
                timeout_ms,
            )
        };
        if count < 0 {
            let error = io::Error::last_os_error();
            if error.raw_os_error() == Some(libc::EINTR) {
                return Ok(());
            }
            return Err(io::Error::new(error.kind(), format!("epoll_wait: {error}")));
        }
        for index in 0..count as usize {
            let (events, data) = (self.events[index].events, self.events[index].u64);
            match data & 0xff {
                TAG_LISTENER => self.accept_ready(state, sink),
                TAG_WAKE => {
                    let mut counter = 0u64;
                    // SAFETY: an 8-byte read from our eventfd resets it; it is readable
                    // (level-triggered EPOLLIN) and this core is its only reader.
                    unsafe {
                        libc::read(
                            self.waker.fd(),
                            (&mut counter as *mut u64).cast(),
                            std::mem::size_of::<u64>(),
                        )
                    };
                }
                _ => self.conn_ready(state, sink, (data >> 8) as u32, events),
            }
        }
        Ok(())
    }

    fn flush<M>(&mut self, state: &mut CoreState<M>) {
        let retry_due = self.accept_retry_at.is_none_or(|at| state.now >= at);
        if !self.stopping && !self.listener_registered && retry_due {
            let listener_fd = self.listener.as_raw_fd();
            let data = token(0, TAG_LISTENER);
            if self
                .control(libc::EPOLL_CTL_ADD, listener_fd, libc::EPOLLIN as u32, data)
                .is_ok()
            {
                self.listener_registered = true;
                self.accept_retry_at = None;
            }
        }
        let dirty = state.conns.take_dirty();
        for &slot in &dirty {
            self.reconcile(state, slot);
        }
        state.conns.return_dirty(dirty);
    }

    fn drain<M>(&mut self, state: &mut CoreState<M>, _deadline: Instant) {
        self.stopping = true;
        // Every connection is released and no operation outlives a call: free them all.
        state.conns.free_all();
    }
}
