//! A session's connection: paced connects, the handshake's TCP half,
//! drops (in-flight ops count as CONNECTIONLOSS), draining the ring before
//! an fd is closed, reconnects and giving up.

use super::{user_data, Phase, Worker, CONNECT_ATTEMPTS_MAX, RECONNECT_BACKOFF_NS, TAG_CONNECT};
use crate::session::{Request, SessionState};
use io_uring::{opcode, types};
use std::io;
use std::sync::atomic::Ordering;

impl Worker {
    pub(super) fn start_connect(&mut self, index: usize, now_ns: u64) {
        // SAFETY: plain socket(2) call; the fd is owned by the session.
        let fd = unsafe { libc::socket(libc::AF_INET, libc::SOCK_STREAM | libc::SOCK_CLOEXEC, 0) };
        if fd < 0 {
            let error = io::Error::last_os_error();
            let reason = format!("socket: {error} (raise the open-files limit: ulimit -n)");
            self.fail_session(index, &reason, now_ns);
            return;
        }
        set_nodelay(fd);
        if let Err(error) = self
            .ring
            .submitter()
            .register_files_update(index as u32, &[fd])
        {
            // SAFETY: our fd, not yet known to the ring.
            unsafe { libc::close(fd) };
            let reason = format!("registering the socket with io_uring: {error}");
            self.fail_session(index, &reason, now_ns);
            return;
        }
        let session = &mut self.sessions[index];
        session.fd = fd;
        session.state = SessionState::Connecting;
        session.connect_started_ns = now_ns;
        session.connect_attempts += 1;
        session.ring_ops += 1;
        let address = &self.addresses[session.server];
        let entry = opcode::Connect::new(
            types::Fixed(index as u32),
            address as *const libc::sockaddr_in as *const libc::sockaddr,
            std::mem::size_of::<libc::sockaddr_in>() as libc::socklen_t,
        )
        .build()
        .user_data(user_data(index, TAG_CONNECT));
        self.push(&entry);
    }

    pub(super) fn on_connect(&mut self, index: usize, result: i32, now_ns: u64) {
        let session = &mut self.sessions[index];
        session.ring_ops -= 1;
        if session.state == SessionState::Draining {
            self.maybe_finish_drain(index, now_ns);
            return;
        }
        if result < 0 {
            let error = io::Error::from_raw_os_error(-result);
            self.stats.count_error("CONNECT_FAILED");
            session.failure = Some(format!(
                "connect to {}: {error}",
                self.shared.config.servers[session.server]
            ));
            self.drop_connection(index, "", now_ns);
            return;
        }
        session.state = SessionState::Handshaking;
        session.queue_connect_request(self.shared.config.session_timeout_ms);
        session.last_recv_ns = now_ns;
        self.mark_dirty(index);
        self.post_recv(index);
    }

    /// Shuts the connection down. In-flight measured ops count as
    /// CONNECTIONLOSS; the fd is closed once its ring ops complete.
    pub(super) fn drop_connection(&mut self, index: usize, error: &str, now_ns: u64) {
        let (measure_start_ns, measure_end_ns) = (self.measure_start_ns, self.measure_end_ns);
        let session = &mut self.sessions[index];
        if matches!(
            session.state,
            SessionState::Draining | SessionState::Finished
        ) {
            return;
        }
        if !error.is_empty() {
            self.stats.count_error(error);
        }
        if matches!(session.state, SessionState::Ready | SessionState::Closing) {
            self.shared.sessions_ready.fetch_sub(1, Ordering::AcqRel);
            if !session.closed_cleanly {
                self.stats.disconnects += 1;
            }
        }
        for in_flight in session.in_flight.drain(..) {
            if !matches!(in_flight.request, Request::Op(_)) {
                continue;
            }
            self.ops_in_flight = self.ops_in_flight.saturating_sub(1);
            if in_flight.start_ns >= measure_start_ns && now_ns <= measure_end_ns {
                self.stats.count_error("CONNECTIONLOSS");
            }
        }
        if session.fd >= 0 {
            // SAFETY: shutdown(2) on the session's own open fd; it makes
            // the ring's pending recv/send on it complete.
            unsafe { libc::shutdown(session.fd, libc::SHUT_RDWR) };
        }
        session.state = SessionState::Draining;
        self.maybe_finish_drain(index, now_ns);
    }

    pub(super) fn maybe_finish_drain(&mut self, index: usize, now_ns: u64) {
        let session = &mut self.sessions[index];
        if session.state != SessionState::Draining || session.ring_ops > 0 {
            return;
        }
        self.close_socket(index);
        let session = &mut self.sessions[index];
        session.reset_connection();
        let reconnect = matches!(
            self.phase,
            Phase::Connecting | Phase::AwaitingStart | Phase::Load
        ) && !session.closed_cleanly;
        if !reconnect {
            self.finish(index);
        } else if session.connect_attempts >= CONNECT_ATTEMPTS_MAX {
            let reason = session
                .failure
                .clone()
                .unwrap_or_else(|| "connection kept failing".into());
            session.state = SessionState::Waiting;
            self.fail_session(index, &reason, now_ns);
        } else {
            if session.ever_connected {
                self.stats.reconnects += 1;
            }
            session.state = SessionState::Waiting;
            session.connect_due_ns = now_ns + RECONNECT_BACKOFF_NS;
        }
    }

    pub(super) fn fail_session(&mut self, index: usize, reason: &str, now_ns: u64) {
        let session = &mut self.sessions[index];
        session.failure = Some(reason.to_owned());
        if matches!(session.state, SessionState::Waiting) {
            self.stats.sessions_failed += u64::from(!session.ever_connected);
            *self
                .stats
                .failure_reasons
                .entry(reason.to_owned())
                .or_default() += 1;
            self.finish(index);
        } else if session.state != SessionState::Finished {
            // The drain then ends in a recorded failure, not a reconnect
            // (see `maybe_finish_drain`).
            session.connect_attempts = CONNECT_ATTEMPTS_MAX;
            self.drop_connection(index, "", now_ns);
        }
    }

    pub(super) fn finish(&mut self, index: usize) {
        if self.sessions[index].ring_ops == 0 {
            self.close_socket(index);
        }
        self.sessions[index].state = SessionState::Finished;
    }

    /// Closes the session's socket once no ring op refers to it: first its
    /// registered-file slot (which holds a reference of its own, so the
    /// socket would otherwise stay open), then the fd.
    pub(super) fn close_socket(&mut self, index: usize) {
        let fd = self.sessions[index].fd;
        if fd < 0 {
            return;
        }
        debug_assert_eq!(self.sessions[index].ring_ops, 0);
        // Failure leaves the slot to be replaced by the next socket; the
        // old socket then closes when that happens.
        let _ = self
            .ring
            .submitter()
            .register_files_update(index as u32, &[-1]);
        // SAFETY: our fd; no ring op refers to it any more.
        unsafe { libc::close(fd) };
        self.sessions[index].fd = -1;
    }
}

pub(super) fn sockaddr_in(address: &std::net::SocketAddr) -> libc::sockaddr_in {
    let std::net::SocketAddr::V4(v4) = address else {
        unreachable!("config keeps IPv4 servers only")
    };
    libc::sockaddr_in {
        sin_family: libc::AF_INET as libc::sa_family_t,
        sin_port: v4.port().to_be(),
        sin_addr: libc::in_addr {
            s_addr: u32::from_ne_bytes(v4.ip().octets()),
        },
        sin_zero: [0; 8],
    }
}

fn set_nodelay(fd: i32) {
    let one: libc::c_int = 1;
    // SAFETY: setsockopt with a valid fd and a c_int option value.
    unsafe {
        libc::setsockopt(
            fd,
            libc::IPPROTO_TCP,
            libc::TCP_NODELAY,
            &one as *const libc::c_int as *const libc::c_void,
            std::mem::size_of::<libc::c_int>() as libc::socklen_t,
        );
    }
}
