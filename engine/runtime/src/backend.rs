//! The seam between the core loop and the kernel: one trait, two implementations
//! (`IoUringBackend`, `EpollBackend`), room for a simulated one.
//!
//! The core loop owns the connection table and calls the service; a backend only moves
//! bytes. Each turn the loop calls `wait` (hand the prepared work to the kernel, sleep until
//! something happens or the timeout, report each happening as an [`Event`]) and, after the
//! service has had its say, `flush` (reconcile every dirty connection's socket with what the
//! table asks: start it, receive or not, send the queue, tear it down and free the slot).

use crate::conn_id::CloseReason;
use crate::core_state::CoreState;
use std::io;
use std::net::SocketAddr;
use std::os::fd::OwnedFd;
use std::time::{Duration, Instant};

/// After accept fails for lack of resources (EMFILE, ENFILE, ENOMEM, ENOBUFS), wait this long
/// before accepting again rather than spin on the full backlog.
pub(crate) const ACCEPT_RETRY_DELAY_MS: u64 = 100;

/// When a backend whose accept failed with `errno` may accept again: `None` when at once, else
/// [`ACCEPT_RETRY_DELAY_MS`] after `now` (out of resources: retrying now would only spin).
pub(crate) fn accept_retry_at(errno: i32, now: Instant) -> Option<Instant> {
    matches!(
        errno,
        libc::EMFILE | libc::ENFILE | libc::ENOMEM | libc::ENOBUFS
    )
    .then(|| now + Duration::from_millis(ACCEPT_RETRY_DELAY_MS))
}

/// Something the kernel reported, handed to the core loop during `Backend::wait`.
pub(crate) enum Event<'a> {
    /// A new connection on this core's listener.
    Accepted { fd: OwnedFd, peer: SocketAddr },
    /// Bytes received on the connection in `slot`; the slice is only valid during the call.
    Received { slot: u32, bytes: &'a [u8] },
    /// The connection in `slot` ended (EOF or a socket error).
    Ended { slot: u32, reason: CloseReason },
}

pub(crate) type Sink<'s, M> = dyn FnMut(&mut CoreState<M>, Event<'_>) + 's;

pub(crate) trait Backend {
    /// Submits the work `flush` prepared, waits at most `timeout` for events and hands each
    /// to `sink` in the order the kernel reported them.
    fn wait<M>(
        &mut self,
        state: &mut CoreState<M>,
        timeout: Duration,
        sink: &mut Sink<'_, M>,
    ) -> io::Result<()>;

    /// Reconciles every dirty connection (see the module doc). Sockets that fail here are
    /// reported in `state.ended`.
    fn flush<M>(&mut self, state: &mut CoreState<M>);

    /// Shutdown, once every connection was released: stops accepting and waits (until
    /// `deadline`) for every operation in flight, freeing every slot.
    fn drain<M>(&mut self, state: &mut CoreState<M>, deadline: Instant);
}
